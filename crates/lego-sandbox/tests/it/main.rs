//! Integration tests of lego-sandbox: one binary, one module per area.
//!
//! The Docker tests need an engine: where none answers they say `SKIPPED` on stderr and return,
//! unless `LEGO_REQUIRE_DOCKER=1` (set by CI on machines with an engine), then they fail. The
//! base image is built once per run (and only when missing: it is cached by content) and shared.

// The tests make git repositories and re-run their own binary as a child process.
#![allow(clippy::disallowed_methods)]
#![allow(clippy::unwrap_used)]

#[cfg(feature = "docker")]
mod docker;
