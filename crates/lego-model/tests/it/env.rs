//! What the bootstrap provides to tests, found through environment variables that
//! `cargo xtask bootstrap` prints and `cargo xtask ci` sets:
//!
//! - `LEGO_PYTHON`: the bootstrap virtualenv's python (transformers, torch).
//!
//! A test that needs one and does not find it says so on stderr and returns; under
//! `LEGO_REQUIRE_BOOTSTRAP=1` (set by `cargo xtask ci`) a missing one fails the test instead, so
//! CI can never pass by skipping.

use std::path::PathBuf;

pub fn python(test: &str) -> Option<PathBuf> {
    match std::env::var_os("LEGO_PYTHON") {
        Some(v) if !v.is_empty() => {
            let path = PathBuf::from(v);
            assert!(
                path.exists(),
                "LEGO_PYTHON points at {} which does not exist",
                path.display()
            );
            Some(path)
        }
        _ => {
            if std::env::var_os("LEGO_REQUIRE_BOOTSTRAP").is_some_and(|v| v == "1") {
                panic!("{test}: LEGO_PYTHON is not set; run `cargo xtask bootstrap` first");
            }
            eprintln!("SKIPPED {test}: LEGO_PYTHON is not set");
            None
        }
    }
}
