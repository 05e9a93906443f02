//! Training throughput, lego-sft against a plain PyTorch + transformers training loop.
//!
//! Same tiny Qwen3 (written by lego-model, loaded by both), same examples, same step plan (the
//! example indices of every optimizer step come from lego's planner), same hyperparameters
//! (AdamW with the Trainer's decay groups, warmup + cosine, clipping at 1.0, the loss summed over
//! the accumulation window and divided by its trained tokens), same CPU thread count, f32.
//!
//! The examples are the bundled demo trajectories rendered with Qwen3's tokenizer and their error
//! masks, each whole and cut at 60% and 80% of its length so lengths spread (2k to 6k tokens; a
//! cut with no trained token left is dropped), token ids renumbered
//! onto the few hundred the data uses (as the overfit test does) so a vocabulary of 8192 holds
//! them. A step is 8 sequences. The PyTorch loop (`benches/python/sft_bench.py`) runs
//! micro-batches of 4, right-padded with an attention mask, as a plain loop does; lego runs once
//! the same way (padded, no mask needed: right padding under causal attention) and once packed
//! (its default: whole examples in rows of up to 8192 tokens, block-diagonal attention, no
//! padding). tokens/s counts real tokens only; the first step of each run is a warm-up and is not
//! timed. The per-step losses of all three runs must agree, which checks they trained the same
//! thing.

use std::collections::BTreeMap;

use anyhow::{Result, bail};
use lego_data::{Example, Tokenizer, annotate_steps, example_trajectories, write_jsonl};
use lego_model::tch;
use lego_model::{LoadOptions, Qwen3Config, Qwen3Model};
use lego_sft::{LrSchedule, PlanOptions, Resume, TrainConfig, TrainOptions, plan_steps, train};
use serde_json::json;

use crate::python::{self, env_path, tempfile_dir};

const CONFIG: &str = r#"{
  "vocab_size": 8192, "hidden_size": 256, "intermediate_size": 768, "num_hidden_layers": 4,
  "num_attention_heads": 8, "num_key_value_heads": 4, "head_dim": 32, "rope_theta": 1000000.0,
  "max_position_embeddings": 8192, "tie_word_embeddings": true, "initializer_range": 0.02
}"#;
const CUTS: [f64; 3] = [0.6, 0.8, 1.0];
const GLOBAL_BATCH: usize = 8;
const MICRO_BATCH: usize = 4;
const PACK_LEN: usize = 8192;
const EPOCHS: usize = 2;

pub fn run() -> Result<()> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    tch::set_num_threads(threads as i32);
    let tok = Tokenizer::from_file(&env_path("LEGO_TOKENIZER")?)?;
    let examples = bench_set(&tok)?;
    let dir = tempfile_dir()?.join("sft-bench");
    std::fs::create_dir_all(&dir)?;
    let data = dir.join("examples.jsonl");
    write_jsonl(&data, examples.iter())?;
    let model_dir = dir.join("model");
    Qwen3Model::init(
        Qwen3Config::from_json_str(CONFIG)?,
        LoadOptions::default(),
        0,
    )?
    .save(&model_dir)?;

    let base = TrainConfig {
        model: model_dir.clone(),
        data: data.clone(),
        output_dir: dir.join("unused"),
        learning_rate: 1e-3,
        weight_decay: 0.01,
        warmup_ratio: 0.1,
        lr_schedule: LrSchedule::Cosine,
        max_grad_norm: 1.0,
        global_batch: GLOBAL_BATCH,
        micro_batch: MICRO_BATCH,
        epochs: EPOCHS,
        max_len: PACK_LEN,
        curriculum: false,
        seed: 7,
        resume: Resume::Flag(false),
        plot: false,
        ..TrainConfig::default()
    };
    let steps = plan_steps(
        &vec![None; examples.len()],
        &PlanOptions {
            global_batch: base.global_batch,
            epochs: base.epochs,
            max_steps: None,
            curriculum: false,
            seed: base.seed,
        },
    )
    .map_err(anyhow::Error::msg)?;

    let mut lego_runs = Vec::new();
    for (name, packing) in [("packed", true), ("padded", false)] {
        let cfg = TrainConfig {
            packing,
            output_dir: dir.join(format!("lego-{name}")),
            ..base.clone()
        };
        let report = train(&cfg, &TrainOptions::default(), &lego_data::NoProgress)?;
        let timed = &report.metrics[1..];
        let tokens: usize = timed.iter().map(|m| m.tokens).sum();
        let secs: f64 = timed.iter().map(|m| m.tokens as f64 / m.tokens_per_s).sum();
        let losses: Vec<f64> = report.metrics.iter().map(|m| m.loss).collect();
        lego_runs.push((name, tokens, secs, losses));
    }

    let request = dir.join("request.json");
    std::fs::write(
        &request,
        json!({
            "model": model_dir,
            "examples": examples,
            "steps": steps.iter().map(|s| s.examples.clone()).collect::<Vec<_>>(),
            "micro_batch": MICRO_BATCH,
            "learning_rate": base.learning_rate,
            "weight_decay": base.weight_decay,
            "warmup_ratio": base.warmup_ratio,
            "max_grad_norm": base.max_grad_norm,
            "threads": threads,
        })
        .to_string(),
    )?;
    let reference = python::run_json("sft_bench.py", [&request])?;
    let ref_tokens = reference["timed_tokens"].as_u64().unwrap_or(0) as usize;
    let ref_secs = python::f64_field(&reference, "timed_s");
    let ref_padded = reference["timed_padded_tokens"].as_u64().unwrap_or(0) as usize;
    let ref_losses: Vec<f64> = serde_json::from_value(reference["losses"].clone())?;

    for (name, tokens, _, losses) in &lego_runs {
        if *tokens != ref_tokens {
            bail!("lego {name} timed {tokens} tokens, the PyTorch loop {ref_tokens}");
        }
        for (k, (a, b)) in losses.iter().zip(&ref_losses).enumerate() {
            if (a - b).abs() > 1e-3 * b.abs() {
                bail!(
                    "step {} loss differs: lego {name} {a}, PyTorch {b}: not the same training",
                    k + 1
                );
            }
        }
    }

    let all: usize = examples.iter().map(|e| e.input_ids.len()).sum();
    println!(
        "sft: qwen3 (hidden 256, 4 layers, 8/4 heads, vocab 8192), f32 CPU, {threads} threads; {} examples ({all} tokens, {}..{} each), {} steps of {GLOBAL_BATCH} sequences, the first untimed",
        examples.len(),
        examples
            .iter()
            .map(|e| e.input_ids.len())
            .min()
            .unwrap_or(0),
        examples
            .iter()
            .map(|e| e.input_ids.len())
            .max()
            .unwrap_or(0),
        steps.len()
    );
    println!("  {:<62} {:>10} {:>8}", "", "tokens/s", "vs ref");
    let rate = |tokens: usize, secs: f64| tokens as f64 / secs;
    let reference_rate = rate(ref_tokens, ref_secs);
    println!(
        "  {:<62} {:>10.0} {:>7.2}x",
        format!(
            "PyTorch + transformers loop, micro-batch {MICRO_BATCH} padded ({:.0}% padding)",
            100.0 * (ref_padded - ref_tokens) as f64 / ref_padded as f64
        ),
        reference_rate,
        1.0
    );
    for (name, tokens, secs, _) in &lego_runs {
        let what = if *name == "packed" {
            format!("lego sft, packed rows of {PACK_LEN} (default)")
        } else {
            format!("lego sft, micro-batch {MICRO_BATCH} padded")
        };
        println!(
            "  {what:<62} {:>10.0} {:>7.2}x",
            rate(*tokens, *secs),
            rate(*tokens, *secs) / reference_rate
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

/// The demo examples cut at [`CUTS`] of their length (a cut kept while it has a trained token),
/// token ids renumbered onto `0..n`.
fn bench_set(tok: &Tokenizer) -> Result<Vec<Example>> {
    let mut trajs = example_trajectories();
    for t in &mut trajs {
        annotate_steps(t);
    }
    let rendered = lego_sft::render_examples(&trajs, tok, true, 1 << 20, 3)?;
    let mut vocab = BTreeMap::new();
    let mut out = Vec::new();
    for e in &rendered {
        for &fraction in &CUTS {
            let cut = (e.input_ids.len() as f64 * fraction).round() as usize;
            if cut > PACK_LEN {
                continue;
            }
            let mut input_ids = Vec::with_capacity(cut);
            let mut labels = Vec::with_capacity(cut);
            for (&t, &l) in e.input_ids[..cut].iter().zip(&e.labels[..cut]) {
                let next = vocab.len() as u32;
                let id = *vocab.entry(t).or_insert(next);
                input_ids.push(id);
                labels.push(if l == lego_data::IGNORE_INDEX {
                    l
                } else {
                    i64::from(id)
                });
            }
            if labels.iter().skip(1).all(|&l| l == lego_data::IGNORE_INDEX) {
                continue;
            }
            out.push(Example {
                instance_id: format!("{}@{cut}", e.instance_id),
                input_ids,
                labels,
                assistant_turns: e.assistant_turns,
                tier: None,
            });
        }
    }
    if vocab.len() > 8192 {
        bail!(
            "the bench set uses {} ids, over the model's 8192",
            vocab.len()
        );
    }
    Ok(out)
}
