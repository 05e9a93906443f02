//! Trains a few steps from Rust: lego-sft's `train` with a config built in code instead of a
//! TOML file, progress drawn by a `Progress` of our own, metrics read back afterwards.
//!
//! `cargo run -p lego-examples --example train -- [MODEL_DIR EXAMPLES_JSONL]`
//!
//! Without arguments it makes a tiny random Qwen3 and a few synthetic rendered examples, so it
//! runs in seconds; given a checkpoint directory and `lego data render` output, it fine-tunes
//! that model on them. Set `RUST_LOG=lego_sft=debug` to see each step's `tracing` event.

use std::sync::atomic::{AtomicU64, Ordering};

use lego_data::{Example, Progress};
use lego_model::{LoadOptions, Qwen3Config, Qwen3Model};
use lego_sft::{LrSchedule, TrainConfig, TrainOptions, train};

/// Progress as one line per step on stderr; a terminal program would draw a bar here.
#[derive(Default)]
struct Lines {
    total: AtomicU64,
    done: AtomicU64,
}

impl Progress for Lines {
    fn set_total(&self, total: u64) {
        self.total.store(total, Ordering::Relaxed);
    }
    fn set_position(&self, done: u64) {
        self.done.store(done, Ordering::Relaxed);
    }
    fn advance(&self, n: u64) {
        self.done.fetch_add(n, Ordering::Relaxed);
    }
    fn set_message(&self, message: &str) {
        let (done, total) = (
            self.done.load(Ordering::Relaxed),
            self.total.load(Ordering::Relaxed),
        );
        eprintln!("step {done}/{total}: {message}");
    }
}

fn main() -> anyhow::Result<()> {
    let scratch = tempfile::tempdir()?;
    let args: Vec<_> = std::env::args_os().skip(1).collect();
    let (model, data) = match args.as_slice() {
        [model, data] => (model.into(), data.into()),
        [] => tiny_model_and_data(scratch.path())?,
        _ => anyhow::bail!("usage: train [MODEL_DIR EXAMPLES_JSONL]"),
    };

    // The run's checkpoint, metrics.jsonl and loss.png stay here to be looked at.
    let output_dir = std::env::temp_dir().join("lego-example-train");
    let cfg = TrainConfig {
        model,
        data,
        output_dir,
        learning_rate: 1e-3,
        lr_schedule: LrSchedule::Cosine,
        warmup_ratio: 0.1,
        // Four sequences per optimizer step, packed into rows of up to 256 tokens.
        global_batch: 4,
        max_len: 256,
        // Two epochs per curriculum stage: tier 0 (the easy half) first, then tier 1.
        epochs: 2,
        curriculum: true,
        plot: true,
        // Everything else as SWE-Lego trains (see `TrainConfig`'s docs).
        ..TrainConfig::default()
    };
    let report = train(&cfg, &TrainOptions::default(), &Lines::default())?;

    let first = report.metrics.first().map_or(f64::NAN, |m| m.loss);
    let last = report.metrics.last().map_or(f64::NAN, |m| m.loss);
    println!(
        "{} steps in {:.1}s, loss {first:.3} -> {last:.3}",
        report.end_step, report.seconds
    );
    println!(
        "checkpoint (Hugging Face layout, resumable): {:?}",
        report.last_checkpoint
    );
    println!("plot: {:?}", report.plot);
    Ok(())
}

/// A tiny random Qwen3 and 32 rendered examples that repeat one short pattern (learnable in a
/// few steps), each with an untrained 4-token prompt, in two curriculum tiers.
fn tiny_model_and_data(
    dir: &std::path::Path,
) -> anyhow::Result<(std::path::PathBuf, std::path::PathBuf)> {
    let config = Qwen3Config::from_json_str(
        r#"{"vocab_size": 512, "hidden_size": 64, "intermediate_size": 128,
            "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2,
            "head_dim": 16, "rope_theta": 1000000.0, "max_position_embeddings": 4096,
            "tie_word_embeddings": true}"#,
    )?;
    let model = dir.join("tiny-qwen3");
    Qwen3Model::init(config, LoadOptions::default(), 0)?.save(&model)?;

    let examples: Vec<Example> = (0..32u32)
        .map(|k| {
            let input_ids: Vec<u32> = (0..48).map(|i| 10 + (i * 7 + k) % 50).collect();
            // Labels align with input_ids; -100 means no loss (the prompt).
            let labels = input_ids
                .iter()
                .enumerate()
                .map(|(i, &t)| if i < 4 { -100 } else { i64::from(t) })
                .collect();
            Example {
                instance_id: format!("example-{k}"),
                input_ids,
                labels,
                assistant_turns: 1,
                // `lego data render` sets tiers by trajectory length; here, by halves.
                tier: Some((k / 16) as usize),
            }
        })
        .collect();
    let data = dir.join("examples.jsonl");
    lego_data::write_jsonl(&data, examples.iter())?;
    Ok((model, data))
}
