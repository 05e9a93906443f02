//! Integration tests of lego-data: one binary, one module per area.

// Parity tests run the reference implementations (python) by design.
#![allow(clippy::disallowed_methods)]
// Test helpers may unwrap: a panic is the failure report.
#![allow(clippy::unwrap_used)]

mod jsonl;
mod mine;
mod render;
mod sanitize;
mod sharegpt;
mod tokenizer;

use std::path::PathBuf;

/// A fixture under `tests/data/`.
pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

/// The bundled examples are exactly what their committed generator writes.
#[test]
fn bundled_examples_match_their_generator() {
    let Some(python) = lego_testkit::python("bundled_examples_match_their_generator") else {
        return;
    };
    let data = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("examples.jsonl");
    let status = std::process::Command::new(python)
        .arg(data.join("make_examples.py"))
        .arg(&out)
        .stdout(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    assert!(
        std::fs::read(&out).unwrap() == std::fs::read(data.join("examples.jsonl")).unwrap(),
        "data/examples.jsonl differs from what data/make_examples.py writes; rerun the script"
    );
}
