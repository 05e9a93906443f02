//! `cargo xtask demo`: the main job on built-in defaults, on the bundled example trajectories.
//!
//! 1. `lego data render` + `lego data stats`: the trajectories as Qwen3 chat text, token ids and
//!    loss labels (error steps masked), and what the set holds.
//! 2. `lego model init` + `lego sft train`: a tiny random Qwen3 trained on those examples until
//!    it overfits, then the loss curve (a sparkline and a table here, `loss.png` beside the run).
//!
//! The tiny model gets a tiny vocabulary: the token ids are renumbered onto the few hundred the
//! examples use (`examples.compact.jsonl`), because with Qwen3's 151,936 entries `lm_head` alone
//! would cost minutes per step on a laptop's CPU. Sequences, masks and everything the trainer
//! does are unchanged by the renaming.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};
use lego_data::{Example, ReadOptions, read_jsonl, write_jsonl};

use crate::bootstrap::{self, BootEnv};
use crate::cmd::{self, workspace_root};

/// Optimizer steps of the demo run: two examples a step, the set seen about 25 times.
const STEPS: usize = 80;

pub fn run(args: &[String]) -> Result<()> {
    if let Some(arg) = args.first() {
        bail!("`cargo xtask demo` takes no arguments, got `{arg}`");
    }
    let env = bootstrap::run()?;
    eprintln!(
        "demo: building the release `lego` and `lego-torch` (a few minutes the first time, \
         seconds after)"
    );
    let bin_dir = build_release(&env)?;
    let lego = |args: &[&str], paths: &[&Path], more: &dyn Fn(&mut Command)| {
        run_lego(&bin_dir, &env, args, paths, more)
    };
    let root = workspace_root();
    let out_dir = root.join("target").join("demo");
    std::fs::create_dir_all(&out_dir)?;
    let examples = root.join("crates/lego-data/data/examples.jsonl");
    let rendered = out_dir.join("examples.rendered.jsonl");
    eprintln!("demo: rendering the bundled example trajectories with the Qwen3 chat format");
    lego(
        &["data", "render", "--tokenizer"],
        &[&env.tokenizer],
        &|c| {
            c.arg("--input").arg(&examples).arg("--out").arg(&rendered);
        },
    )?;
    lego(&["data", "stats", "--tokenizer"], &[&env.tokenizer], &|c| {
        c.arg("--input").arg(&examples);
    })?;
    eprintln!("demo: rendered examples written to {}", rendered.display());

    let (compact, vocab) = compact_vocabulary(&rendered, &out_dir.join("examples.compact.jsonl"))?;
    let model = out_dir.join("tiny-qwen3");
    let config = out_dir.join("tiny-qwen3.config.json");
    std::fs::write(&config, tiny_config(vocab))?;
    eprintln!(
        "demo: a tiny random Qwen3 (hidden 64, 2 layers, vocabulary of the {vocab} ids the examples use)"
    );
    lego(&["model", "init", "--config"], &[&config], &|c| {
        c.arg("--out").arg(&model);
    })?;

    let run = out_dir.join("run");
    if run.exists() {
        std::fs::remove_dir_all(&run)
            .with_context(|| format!("cannot remove the last demo run {}", run.display()))?;
    }
    let train_toml = out_dir.join("train.toml");
    std::fs::write(&train_toml, train_config(&model, &compact, &run))?;
    eprintln!(
        "demo: lego sft train --config {} ({STEPS} steps)",
        train_toml.display()
    );
    lego(&["sft", "train", "--config"], &[&train_toml], &|_| {})?;
    print_loss_curve(&run)
}

/// Builds the release `lego` and `lego-torch` with cargo's own progress on a terminal; returns
/// the directory that holds them.
fn build_release(env: &BootEnv) -> Result<PathBuf> {
    let mut c = cmd::cargo();
    c.args([
        "build",
        "--release",
        "--package",
        "lego-cli",
        "--package",
        "lego-cli-torch",
    ]);
    env.apply(&mut c);
    cmd::run(&mut c)?;
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| workspace_root().join("target"), PathBuf::from);
    Ok(target.join("release"))
}

/// Runs the release `lego` binary under the bootstrap environment.
fn run_lego(
    bin_dir: &Path,
    env: &BootEnv,
    args: &[&str],
    paths: &[&Path],
    more: &dyn Fn(&mut Command),
) -> Result<()> {
    let mut c = Command::new(bin_dir.join("lego"));
    c.current_dir(workspace_root()).args(args);
    for p in paths {
        c.arg(p);
    }
    more(&mut c);
    env.apply(&mut c);
    cmd::run(&mut c)
}

/// Renumbers the token ids of `rendered` onto `0..n` in order of first use; returns the new
/// file and `n`.
fn compact_vocabulary(rendered: &Path, out: &Path) -> Result<(PathBuf, usize)> {
    let (mut examples, _) = read_jsonl::<Example>(rendered, &ReadOptions::default())?;
    let mut vocab = BTreeMap::new();
    for e in &mut examples {
        for (t, l) in e.input_ids.iter_mut().zip(e.labels.iter_mut()) {
            let next = vocab.len() as u32;
            *t = *vocab.entry(*t).or_insert(next);
            if *l != lego_data::IGNORE_INDEX {
                *l = i64::from(*t);
            }
        }
    }
    write_jsonl(out, examples.iter())?;
    Ok((out.to_path_buf(), vocab.len()))
}

fn tiny_config(vocab: usize) -> String {
    format!(
        r#"{{
  "vocab_size": {vocab}, "hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2,
  "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 16, "rope_theta": 10000.0,
  "max_position_embeddings": 32768, "tie_word_embeddings": true, "initializer_range": 0.1
}}
"#
    )
}

fn train_config(model: &Path, data: &Path, run: &Path) -> String {
    // A JSON string is a TOML basic string.
    let q = |p: &Path| serde_json::Value::from(p.display().to_string()).to_string();
    format!(
        r#"# The demo run of `cargo xtask demo`: overfit a tiny model on the bundled examples.
model = {model}
data = {data}
output_dir = {run}
learning_rate = 1e-2
weight_decay = 0.01
warmup_ratio = 0.05
lr_schedule = "cosine"
global_batch = 2
max_steps = {STEPS}
max_len = 32768
# One example per micro-batch: plain causal attention takes SDPA's fused CPU kernel.
packing = false
micro_batch = 1
# Tiers trained in order would show as steps in the curve; the demo shuffles them together.
curriculum = false
error_mask = true
seed = 42
loss_chunk = 2048
"#,
        model = q(model),
        data = q(data),
        run = q(run),
    )
}

/// The loss per step from `metrics.jsonl`, as a sparkline and a table of a dozen rows.
fn print_loss_curve(run: &Path) -> Result<()> {
    let path = run.join("metrics.jsonl");
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    let mut rows = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let v: serde_json::Value = serde_json::from_str(line)
            .with_context(|| format!("{}:{}: not a metrics line", path.display(), i + 1))?;
        let get = |k: &str| v[k].as_f64().unwrap_or(f64::NAN);
        rows.push((
            get("step") as usize,
            get("loss"),
            get("learning_rate"),
            get("tokens_per_s"),
        ));
    }
    let Some(first) = rows.first() else {
        bail!("{} holds no step", path.display());
    };
    let last = rows.last().expect("rows is not empty");
    let losses: Vec<f64> = rows.iter().map(|r| r.1).collect();
    println!();
    println!(
        "training loss, {} steps: {:.3} -> {:.3}",
        rows.len(),
        first.1,
        last.1
    );
    println!("  {}", sparkline(&losses, 80));
    println!(
        "  {:>6} {:>9} {:>11} {:>10}",
        "step", "loss", "lr", "tokens/s"
    );
    let every = rows.len().div_ceil(12).max(1);
    for (k, r) in rows.iter().enumerate() {
        if k % every == 0 || k + 1 == rows.len() {
            println!("  {:>6} {:>9.4} {:>11.3e} {:>10.0}", r.0, r.1, r.2, r.3);
        }
    }
    println!("  plot: {}", run.join("loss.png").display());
    println!("  metrics: {}", path.display());
    Ok(())
}

/// `values` as at most `width` block characters, each the mean of its bucket, scaled between the
/// smallest and the largest.
fn sparkline(values: &[f64], width: usize) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let buckets = values.len().min(width).max(1);
    let means: Vec<f64> = (0..buckets)
        .map(|b| {
            let lo = b * values.len() / buckets;
            let hi = ((b + 1) * values.len() / buckets).max(lo + 1);
            values[lo..hi].iter().sum::<f64>() / (hi - lo) as f64
        })
        .collect();
    let min = means.iter().copied().fold(f64::INFINITY, f64::min);
    let max = means.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let span = (max - min).max(1e-12);
    means
        .iter()
        .map(|m| BARS[(((m - min) / span) * 7.0).round().clamp(0.0, 7.0) as usize])
        .collect()
}
