//! Tiny random Qwen3 checkpoints written by transformers (`tests/parity/make_tiny_qwen3.py`,
//! once per test binary) and transformers' outputs on them (`tests/parity/reference.py`).

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::{Mutex, OnceLock};

use lego_model::tch::{Kind, Tensor};
use lego_model::{LoadOptions, Qwen3Model};
use serde_json::{Value, json};

use lego_testkit as env;

/// One `reference.py` process per test binary (importing torch costs seconds), and the tiny
/// models it wrote.
struct Reference {
    io: Mutex<(ChildStdin, BufReader<ChildStdout>)>,
    dir: tempfile::TempDir,
    /// Kept for the life of the test binary; it exits when its stdin closes with the binary.
    _child: Child,
}

static REFERENCE: OnceLock<Reference> = OnceLock::new();

fn reference_process(test: &str) -> Option<&'static Reference> {
    let python = env::python(test)?;
    Some(REFERENCE.get_or_init(|| {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/parity/reference.py");
        let mut child = Command::new(python)
            .arg(script)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let io = (
            child.stdin.take().unwrap(),
            BufReader::new(child.stdout.take().unwrap()),
        );
        let reference = Reference {
            io: Mutex::new(io),
            dir: tempfile::tempdir().unwrap(),
            _child: child,
        };
        let made = ask(&reference, &json!({"make": reference.dir.path()}));
        assert!(made["models"].is_array(), "make_tiny_qwen3 failed: {made}");
        reference
    }))
}

fn ask(reference: &Reference, request: &Value) -> Value {
    let mut io = reference.io.lock().unwrap_or_else(|e| e.into_inner());
    writeln!(io.0, "{request}").unwrap();
    io.0.flush().unwrap();
    let mut line = String::new();
    io.1.read_line(&mut line).unwrap();
    let answer: Value = serde_json::from_str(&line)
        .unwrap_or_else(|e| panic!("reference.py answered {line:?}: {e}"));
    if let Some(error) = answer.get("error") {
        panic!(
            "reference.py failed:\n{}",
            error.as_str().unwrap_or_default()
        );
    }
    answer
}

/// The directory of the tiny model `name`, or `None` (after saying why) without the bootstrap.
pub fn model_dir(test: &str, name: &str) -> Option<PathBuf> {
    reference_process(test).map(|r| r.dir.path().join(name))
}

/// Loads a tiny model on the CPU in f32.
pub fn load(dir: &Path) -> Qwen3Model {
    Qwen3Model::load(dir, LoadOptions::default()).unwrap()
}

/// transformers' answer to `request` (its `model` key set to `dir`); see `reference.py`.
pub fn reference(dir: &Path, mut request: Value) -> Value {
    let reference = REFERENCE
        .get()
        .expect("model_dir starts the reference first");
    request["model"] = dir.display().to_string().into();
    ask(reference, &request)
}

/// A `[T, vocab]` f32 tensor from JSON rows.
pub fn logits_tensor(rows: &Value) -> Tensor {
    let rows = rows.as_array().unwrap();
    let flat: Vec<f32> = rows
        .iter()
        .flat_map(|r| {
            r.as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_f64().unwrap() as f32)
        })
        .collect();
    Tensor::from_slice(&flat).view([rows.len() as i64, -1])
}

/// Largest absolute difference between two tensors of the same shape.
pub fn max_abs_diff(a: &Tensor, b: &Tensor) -> f64 {
    assert_eq!(a.size(), b.size());
    (a.to_kind(Kind::Float) - b.to_kind(Kind::Float))
        .abs()
        .max()
        .double_value(&[])
}

/// Deterministic pseudo-random token ids in `1..vocab` (never the eos id 2 of the tiny models,
/// so prompts do not end early).
pub fn ids(seed: u64, len: usize, vocab: i64) -> Vec<i64> {
    let mut x = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (0..len)
        .map(|_| {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            3 + ((x >> 33) as i64 % (vocab - 3))
        })
        .collect()
}
