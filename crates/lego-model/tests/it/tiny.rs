//! Tiny random Qwen3 checkpoints written by transformers (`tests/parity/make_tiny_qwen3.py`,
//! once per test binary) and transformers' outputs on them (`tests/parity/reference.py`).

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::{Mutex, OnceLock};

use lego_model::tch::{Kind, Tensor};
use lego_model::{LoadOptions, Qwen3Model};
use serde_json::Value;

use lego_testkit as env;

/// One `reference.py` process per test process (importing torch costs seconds).
struct Reference {
    io: Mutex<(ChildStdin, BufReader<ChildStdout>)>,
    /// Kept for the life of the test process; it exits when its stdin closes with the process.
    _child: Child,
}

static MODELS: OnceLock<PathBuf> = OnceLock::new();
static REFERENCE: OnceLock<Reference> = OnceLock::new();

fn script(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/parity")
        .join(name)
}

/// The tiny models, written once per version of the generator and shared by every test process
/// (nextest runs each test in its own) under `CARGO_TARGET_TMPDIR`.
fn models(python: &Path) -> &'static Path {
    MODELS.get_or_init(|| {
        let generator = std::fs::read(script("make_tiny_qwen3.py")).unwrap();
        // FNV-1a: the directory changes whenever the generator does.
        let hash = generator.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| {
            (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
        });
        let root = Path::new(env!("CARGO_TARGET_TMPDIR"));
        let dir = root.join(format!("tiny-qwen3-{hash:016x}"));
        if !dir.exists() {
            let tmp = tempfile::tempdir_in(root).unwrap();
            let out = Command::new(python)
                .arg(script("make_tiny_qwen3.py"))
                .arg(tmp.path())
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "make_tiny_qwen3.py failed:\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
            // Another test process may have won the race; its models are the same.
            if std::fs::rename(tmp.path(), &dir).is_ok() {
                std::mem::forget(tmp);
            }
        }
        dir
    })
}

fn reference_process() -> &'static Reference {
    REFERENCE.get_or_init(|| {
        let python = std::env::var_os("LEGO_PYTHON").expect("model_dir checked LEGO_PYTHON");
        let mut child = Command::new(python)
            .arg(script("reference.py"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            // Failures come back as JSON; an inherited stderr would outlive the test process
            // (nextest reports it as a leak) while python shuts down.
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let io = (
            child.stdin.take().unwrap(),
            BufReader::new(child.stdout.take().unwrap()),
        );
        Reference {
            io: Mutex::new(io),
            _child: child,
        }
    })
}

/// The directory of the tiny model `name`, or `None` (after saying why) without the bootstrap.
pub fn model_dir(test: &str, name: &str) -> Option<PathBuf> {
    let python = env::python(test)?;
    Some(models(&python).join(name))
}

/// Loads a tiny model on the CPU in f32.
pub fn load(dir: &Path) -> Qwen3Model {
    Qwen3Model::load(dir, LoadOptions::default()).unwrap()
}

/// transformers' answer to `request` (its `model` key set to `dir`); see `reference.py`.
pub fn reference(dir: &Path, mut request: Value) -> Value {
    request["model"] = dir.display().to_string().into();
    let mut io = reference_process()
        .io
        .lock()
        .unwrap_or_else(|e| e.into_inner());
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
