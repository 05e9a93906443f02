//! Tiny random Qwen3 checkpoints written by transformers (`tests/parity/make_tiny_qwen3.py`,
//! once per test binary) and transformers' outputs on them (`tests/parity/reference.py`).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use lego_model::tch::{Kind, Tensor};
use lego_model::{LoadOptions, Qwen3Model};
use serde_json::Value;

use lego_testkit as env;

struct Models {
    python: PathBuf,
    dir: tempfile::TempDir,
}

static MODELS: OnceLock<Option<Models>> = OnceLock::new();

fn script(name: &str) -> String {
    format!("{}/tests/parity/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn models(test: &str) -> Option<&'static Models> {
    let python = env::python(test)?;
    MODELS
        .get_or_init(|| {
            let dir = tempfile::tempdir().unwrap();
            let out = Command::new(&python)
                .arg(script("make_tiny_qwen3.py"))
                .arg(dir.path())
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "make_tiny_qwen3.py failed:\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
            Some(Models { python, dir })
        })
        .as_ref()
}

/// The directory of the tiny model `name`, or `None` (after saying why) without the bootstrap.
pub fn model_dir(test: &str, name: &str) -> Option<PathBuf> {
    models(test).map(|m| m.dir.path().join(name))
}

/// Loads a tiny model on the CPU in f32.
pub fn load(dir: &Path) -> Qwen3Model {
    Qwen3Model::load(dir, LoadOptions::default()).unwrap()
}

/// Runs `reference.py` on `request` (its `model` key is set to `dir`).
pub fn reference(dir: &Path, mut request: Value) -> Value {
    let python = &MODELS.get().unwrap().as_ref().unwrap().python;
    request["model"] = dir.display().to_string().into();
    let mut child = Command::new(python)
        .arg(script("reference.py"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(request.to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "reference.py failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
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
