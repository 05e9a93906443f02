//! Integration tests of lego-sandbox: real processes on a small repository each test makes.

// The fixture repositories are made with git; the gc test re-runs this binary as a child.
#![allow(clippy::disallowed_methods)]
// Test helpers may unwrap: a panic is the failure report.
#![allow(clippy::unwrap_used)]

#[cfg(feature = "docker")]
mod docker;
#[cfg(feature = "docker")]
mod engine;
mod hostile;
mod killed;
mod local;
mod pool;
mod pypi;
mod repo;
mod tools;
