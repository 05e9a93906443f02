//! lego-sft's integration tests: parity with a PyTorch + transformers training loop, masking,
//! exact resume, and overfitting the bundled demo data.

// The parity test runs the reference implementation (PyTorch, in python) by design.
#![allow(clippy::disallowed_methods)]
// Test helpers may unwrap: a panic is the failure report.
#![allow(clippy::unwrap_used)]

mod masking;
mod overfit;
mod parity;
mod resume;

use std::path::{Path, PathBuf};

use lego_data::Example;
use lego_model::tch::{Kind, Tensor};
use lego_model::{LoadOptions, Qwen3Config, Qwen3Model};
use lego_sft::{LrSchedule, Resume, TrainConfig};

/// A tiny Qwen3 config: hidden 64, 2 layers, GQA 4/2, head_dim 16, tied embeddings.
pub fn tiny_config(vocab: usize, hidden: usize) -> Qwen3Config {
    let json = serde_json::json!({
        "vocab_size": vocab,
        "hidden_size": hidden,
        "intermediate_size": hidden * 2,
        "num_hidden_layers": 2,
        "num_attention_heads": 4,
        "num_key_value_heads": 2,
        "head_dim": 16,
        "max_position_embeddings": 4096,
        "rms_norm_eps": 1e-6,
        "rope_theta": 10000.0,
        "tie_word_embeddings": true,
        "initializer_range": 0.1,
    });
    Qwen3Config::from_json_str(&json.to_string()).unwrap()
}

/// Writes a tiny random model made by lego-model into `dir`.
pub fn init_model(dir: &Path, vocab: usize, hidden: usize) {
    let m = Qwen3Model::init(tiny_config(vocab, hidden), LoadOptions::default(), 11).unwrap();
    m.save(dir).unwrap();
}

/// Deterministic synthetic examples: ids in `3..vocab`, a 5-token untrained prompt, a masked
/// span in the middle (an "error step"), the rest trained.
pub fn synthetic_examples(n: usize, vocab: u32, seed: u64) -> Vec<Example> {
    let mut state = seed;
    let mut next = move || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (state >> 33) as u32
    };
    (0..n)
        .map(|k| {
            let len = 12 + (next() % 28) as usize;
            let ids: Vec<u32> = (0..len).map(|_| 3 + next() % (vocab - 3)).collect();
            let labels = ids
                .iter()
                .enumerate()
                .map(|(i, &t)| {
                    if i < 5 || (i >= len / 2 && i < len / 2 + 3) {
                        -100
                    } else {
                        i64::from(t)
                    }
                })
                .collect();
            Example {
                instance_id: format!("synthetic-{k}"),
                input_ids: ids,
                labels,
                assistant_turns: 1,
                tier: None,
            }
        })
        .collect()
}

pub fn write_examples(path: &Path, examples: &[Example]) {
    lego_data::write_jsonl(path, examples.iter()).unwrap();
}

/// A config for the tiny runs: CPU, f32, no plot unless asked.
pub fn tiny_train_config(model: &Path, data: &Path, out: &Path) -> TrainConfig {
    TrainConfig {
        model: model.to_path_buf(),
        data: data.to_path_buf(),
        output_dir: out.to_path_buf(),
        learning_rate: 1e-2,
        weight_decay: 0.1,
        global_batch: 4,
        epochs: 1,
        max_len: 64,
        curriculum: false,
        seed: 3,
        loss_chunk: 16,
        lr_schedule: LrSchedule::Cosine,
        resume: Resume::Flag(false),
        plot: false,
        ..TrainConfig::default()
    }
}

/// Every tensor of a safetensors file, by name.
pub fn read_weights(path: &Path) -> Vec<(String, Tensor)> {
    let mut v = Tensor::read_safetensors(path).unwrap();
    v.sort_by(|a, b| a.0.cmp(&b.0));
    v
}

/// The largest absolute difference between two weight sets with the same names.
pub fn max_abs_diff(a: &[(String, Tensor)], b: &[(String, Tensor)]) -> f64 {
    let names_a: Vec<&String> = a.iter().map(|x| &x.0).collect();
    let names_b: Vec<&String> = b.iter().map(|x| &x.0).collect();
    assert_eq!(names_a, names_b, "different tensors");
    a.iter()
        .zip(b)
        .map(|((n, x), (_, y))| {
            assert_eq!(x.size(), y.size(), "{n}");
            (x.to_kind(Kind::Double) - y.to_kind(Kind::Double))
                .abs()
                .max()
                .double_value(&[])
        })
        .fold(0.0, f64::max)
}

pub fn checkpoint_weights(out: &Path, step: usize) -> Vec<(String, Tensor)> {
    read_weights(
        &out.join(format!("checkpoint-{step}"))
            .join(lego_model::WEIGHTS_FILE),
    )
}

pub fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

pub fn path(dir: &tempfile::TempDir, name: &str) -> PathBuf {
    dir.path().join(name)
}
