//! `lego-torch` as a user runs it (through `lego model ...` and `lego sft ...`, or directly):
//! outputs, exit codes and one-line errors.

// These tests run the built binary.
#![allow(clippy::disallowed_methods)]
// Test helpers may unwrap: a panic is the failure report.
#![allow(clippy::unwrap_used)]

mod model;

use std::process::{Command, Output};

/// Runs `lego-torch` with `args` (what `lego` runs for `lego model|sft ...`).
fn lego(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lego-torch"))
        .args(args)
        .output()
        .unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}
