//! Integration tests of lego-data: one binary, one module per area.

// The bootstrap lookups serve the tokenizer tests, which land separately.
#[allow(dead_code)]
mod env;
mod jsonl;
mod sharegpt;

use std::path::PathBuf;

/// A fixture under `tests/data/`.
pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}
