//! Integration tests of lego-model: one binary, one module per area.

// The parity test runs the reference implementation (transformers, in python) by design.
#![allow(clippy::disallowed_methods)]
// Test helpers may unwrap: a panic is the failure report.
#![allow(clippy::unwrap_used)]

mod config;
mod generate;
mod long_context;
mod loss;
mod parity;
mod rope_parity;
mod tiny;

use std::path::PathBuf;

/// A fixture under `tests/data/`.
pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}
