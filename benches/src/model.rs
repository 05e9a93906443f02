//! Qwen3 forward and decode throughput, lego-model against transformers.
//!
//! One small random Qwen3 (written by `lego-model`, loaded by both), the same CPU thread count
//! on both sides, f32. Prefill: forward passes over a 512-token sequence with logits at every
//! position, as `model(ids).logits` gives them. Decode: one greedy generation of exactly 128 new
//! tokens after a 32-token prompt, KV cache on both sides (`generate` in transformers); the token
//! ids must agree, which also checks both ran the same model. Each side reports its best of
//! `ROUNDS` measurements.

use std::time::Instant;

use anyhow::{Result, bail};
use lego_model::tch::{self, Kind, Tensor};
use lego_model::{GenerateOptions, LoadOptions, Qwen3Config, Qwen3Model, generate};

use crate::python::{self, tempfile_dir};

const CONFIG: &str = r#"{
  "vocab_size": 8192, "hidden_size": 256, "intermediate_size": 768, "num_hidden_layers": 4,
  "num_attention_heads": 8, "num_key_value_heads": 4, "head_dim": 32, "rope_theta": 1000000.0,
  "max_position_embeddings": 4096, "tie_word_embeddings": true, "initializer_range": 0.2
}"#;
const PREFILL: i64 = 512;
const REPEATS: usize = 10;
/// Each measurement is taken this many times on each side and the best kept (the machines are
/// noisy; the best is the least disturbed).
const ROUNDS: usize = 5;
const PROMPT: i64 = 32;
const NEW_TOKENS: usize = 128;

pub fn run() -> Result<()> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    tch::set_num_threads(threads as i32);
    let config = Qwen3Config::from_json_str(CONFIG)?;
    let model = Qwen3Model::init(config, LoadOptions::default(), 0)?;
    let dir = tempfile_dir()?.join("model-bench");
    model.save(&dir)?;
    let model = Qwen3Model::load(&dir, LoadOptions::default())?;

    // Prefill.
    let ids: Vec<i64> = (1..=PREFILL).map(|i| i % 8192).collect();
    let ids = Tensor::from_slice(&ids).view([1, PREFILL]);
    let positions = Tensor::arange(PREFILL, (Kind::Int64, tch::Device::Cpu)).view([1, PREFILL]);
    let forward = || -> Result<Tensor> {
        tch::no_grad(|| {
            let hidden = model.net.forward(&ids, &positions, None)?;
            Ok(model.net.logits(&hidden))
        })
    };
    let _ = forward()?;
    let mut lego_prefill = f64::INFINITY;
    for _ in 0..ROUNDS {
        let start = Instant::now();
        for _ in 0..REPEATS {
            let _ = forward()?;
        }
        lego_prefill = lego_prefill.min(start.elapsed().as_secs_f64());
    }

    // Decode.
    let prompt: Vec<i64> = (0..PROMPT).map(|i| (i * 37 + 11) % 8192).collect();
    let options = GenerateOptions {
        max_new_tokens: NEW_TOKENS,
        ..GenerateOptions::default()
    };
    generate(
        &model.net,
        std::slice::from_ref(&prompt),
        &GenerateOptions {
            max_new_tokens: 4,
            ..options.clone()
        },
    )?;
    let mut lego_generate = f64::INFINITY;
    let mut ours = Vec::new();
    for _ in 0..ROUNDS {
        let start = Instant::now();
        ours = generate(&model.net, std::slice::from_ref(&prompt), &options)?;
        lego_generate = lego_generate.min(start.elapsed().as_secs_f64());
    }

    let reference = python::run_json(
        "model_bench.py",
        [
            dir.display().to_string(),
            threads.to_string(),
            PREFILL.to_string(),
            REPEATS.to_string(),
            NEW_TOKENS.to_string(),
            ROUNDS.to_string(),
            serde_json::to_string(&prompt)?,
        ],
    )?;
    let ref_ids: Vec<i64> = serde_json::from_value(reference["ids"].clone())?;
    if ref_ids != ours[0] {
        bail!(
            "greedy ids differ: lego {:?}, transformers {ref_ids:?}",
            ours[0]
        );
    }
    let ref_prefill = python::f64_field(&reference, "prefill_s");
    let ref_generate = python::f64_field(&reference, "generate_s");

    let prefill_tokens = (PREFILL as usize * REPEATS) as f64;
    println!(
        "qwen3 (hidden 256, 4 layers, 8/4 heads, vocab 8192), f32 CPU, {threads} threads, same model both sides"
    );
    println!(
        "  {:<44} {:>12} {:>12} {:>9}",
        "", "lego tok/s", "ref tok/s", "ratio"
    );
    let row = |name: &str, tokens: f64, lego: f64, reference: f64| {
        println!(
            "  {name:<44} {:>12.0} {:>12.0} {:>8.2}x",
            tokens / lego,
            tokens / reference,
            reference / lego
        );
    };
    row(
        &format!("prefill {PREFILL} tokens x {REPEATS} (forward + logits)"),
        prefill_tokens,
        lego_prefill,
        ref_prefill,
    );
    row(
        &format!("decode {NEW_TOKENS} tokens, greedy, KV cache (generate)"),
        NEW_TOKENS as f64,
        lego_generate,
        ref_generate,
    );
    std::fs::remove_dir_all(&dir).ok();
    Ok(())
}
