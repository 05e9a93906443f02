//! Integration tests of lego-sandbox: real processes on a small repository each test makes,
//! and grading against the `swebench` package.

// The fixture repositories are made with git; the gc test re-runs this binary as a child; the
// parity tests run the reference implementation (python).
#![allow(clippy::disallowed_methods)]
// Test helpers may unwrap: a panic is the failure report.
#![allow(clippy::unwrap_used)]

mod cases;
#[cfg(feature = "docker")]
mod docker;
#[cfg(feature = "docker")]
mod engine;
mod events;
mod grading;
mod hostile;
mod killed;
mod local;
mod pool;
mod pypi;
mod repo;
mod run;
mod tools;
mod validate;

use std::path::PathBuf;

/// A fixture under `tests/data/`.
pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}
