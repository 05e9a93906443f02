//! Qwen3 forward and decode throughput, lego-model against transformers.
//!
//! One small random Qwen3 (written by `lego-model`, loaded by both), the same CPU thread count
//! on both sides, f32. Prefill: forward passes over a 512-token sequence with logits at every
//! position, as `model(ids).logits` gives them. Decode: one greedy generation of exactly 128 new
//! tokens after a 32-token prompt, KV cache on both sides (`generate` in transformers); the token
//! ids must agree, which also checks both ran the same model. Each side reports its best of
//! `ROUNDS` measurements.
//!
//! Load: a 412 MB f32 checkpoint written by lego, loaded by `Qwen3Model::load` and by
//! transformers' `from_pretrained`, each load in a fresh process of its own so that its peak
//! RSS (the kernel's high-water mark) is that load's alone; beside it the same process with
//! libtorch (or torch + transformers) loaded and nothing else, and the time to read the file.
//!
//! Long (`--long`): one forward and backward of a tiny Qwen3 with YaRN (factor 4 over 32,768)
//! at 32,768 and 131,072 tokens in one sequence on the CPU, with activation checkpointing, each
//! in a process of its own: time and peak RSS.

use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use lego_model::tch::{self, Kind, Tensor};
use lego_model::{GenerateOptions, LoadOptions, Qwen3Config, Qwen3Model, WEIGHTS_FILE, generate};

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
    load()
}

/// The first argument of this binary that selects a measurement in a child process.
pub const CHILD_PREFIX: &str = "--child-";

/// 103M parameters, 412 MB in f32: the size of the checkpoint the issue measured.
const LOAD_CONFIG: &str = r#"{
  "vocab_size": 32000, "hidden_size": 1024, "intermediate_size": 2816, "num_hidden_layers": 6,
  "num_attention_heads": 16, "num_key_value_heads": 8, "head_dim": 64, "rope_theta": 1000000.0,
  "max_position_embeddings": 4096, "tie_word_embeddings": true
}"#;
/// Loads per side (each in a new process); the best time and the lowest peak are kept.
const LOAD_ROUNDS: usize = 3;

fn load() -> Result<()> {
    let dir = tempfile_dir()?.join("load-bench");
    let config = Qwen3Config::from_json_str(LOAD_CONFIG)?;
    Qwen3Model::init(config, LoadOptions::default(), 0)?.save(&dir)?;
    let file = dir.join(WEIGHTS_FILE);
    let size = std::fs::metadata(&file)?.len();
    let dir_arg = dir.display().to_string();

    // The page cache is warm for every reader: the file was just written.
    let mut read_s = f64::INFINITY;
    for _ in 0..LOAD_ROUNDS {
        let start = Instant::now();
        std::io::copy(&mut std::fs::File::open(&file)?, &mut std::io::sink())?;
        read_s = read_s.min(start.elapsed().as_secs_f64());
    }
    let lego_base = kib(&child("baseline", &[])?, "peak_kib");
    let py_base = kib(
        &python::run_json("model_load_bench.py", ["baseline"])?,
        "peak_kib",
    );
    let (mut lego_s, mut lego_kib, mut lego_load) = (f64::INFINITY, f64::INFINITY, f64::INFINITY);
    let (mut py_s, mut py_kib, mut py_load) = (f64::INFINITY, f64::INFINITY, f64::INFINITY);
    for _ in 0..LOAD_ROUNDS {
        let ours = child("load", std::slice::from_ref(&dir_arg))?;
        lego_s = lego_s.min(python::f64_field(&ours, "seconds"));
        lego_kib = lego_kib.min(kib(&ours, "peak_kib"));
        lego_load = lego_load.min(kib(&ours, "load_above_kib"));
        let reference = python::run_json("model_load_bench.py", ["load", dir_arg.as_str()])?;
        py_s = py_s.min(python::f64_field(&reference, "seconds"));
        py_kib = py_kib.min(kib(&reference, "peak_kib"));
        py_load = py_load.min(kib(&reference, "load_above_kib"));
    }
    let mib = |kib: f64| kib / 1024.0;
    let model_mib = size as f64 / (1024.0 * 1024.0);
    println!(
        "load a {model_mib:.0} MiB f32 checkpoint (qwen3 hidden 1024, 6 layers, vocab 32000), best of {LOAD_ROUNDS} fresh processes; reading the file takes {read_s:.3} s (warm cache)"
    );
    println!(
        "  {:<30} {:>8} {:>13} {:>13} {:>15}",
        "", "load s", "peak RSS MiB", "baseline MiB", "load peak MiB"
    );
    let row = |name: &str, s: f64, peak: f64, base: f64, load: f64| {
        println!(
            "  {name:<30} {s:>8.3} {:>13.0} {:>13.0} {:>15.0}",
            mib(peak),
            mib(base),
            mib(load)
        );
    };
    row(
        "lego Qwen3Model::load (mmap)",
        lego_s,
        lego_kib,
        lego_base,
        lego_load,
    );
    row(
        "transformers from_pretrained",
        py_s,
        py_kib,
        py_base,
        py_load,
    );
    println!(
        "  (peak RSS: the process's high-water mark; baseline: the same with libtorch, or torch + transformers, loaded and no model; load peak: the high-water mark during the load above the RSS before it; the model is {model_mib:.0} MiB)"
    );
    std::fs::remove_dir_all(&dir).ok();
    Ok(())
}

/// A tiny Qwen3 with the paper's RoPE for 128k: YaRN, factor 4 over 32,768. Two heads on two
/// KV heads: libtorch's CPU flash-attention backward parallelises over KV heads only.
const LONG_CONFIG: &str = r#"{
  "vocab_size": 8192, "hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2,
  "num_attention_heads": 2, "num_key_value_heads": 2, "head_dim": 16, "rope_theta": 1000000.0,
  "max_position_embeddings": 131072,
  "rope_scaling": {"rope_type": "yarn", "factor": 4.0, "original_max_position_embeddings": 32768}
}"#;
const LONG_LENGTHS: [i64; 2] = [32_768, 131_072];

/// `cargo xtask bench model --long`.
pub fn run_long() -> Result<()> {
    let base = kib(&child("baseline", &[])?, "peak_kib");
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!(
        "one forward + backward of one sequence, qwen3 (hidden 64, 2 layers, 2/2 heads, vocab 8192), YaRN factor 4 over 32768, f32 CPU, {threads} threads, activation checkpointing, loss in chunks of 4096"
    );
    println!(
        "  {:>8} {:>10} {:>14} {:>16} {:>10}",
        "tokens", "seconds", "peak RSS MiB", "above base MiB", "mean loss"
    );
    for tokens in LONG_LENGTHS {
        let r = child("long", &[tokens.to_string()])?;
        let peak = kib(&r, "peak_kib");
        println!(
            "  {tokens:>8} {:>10.1} {:>14.0} {:>16.0} {:>10.3}",
            python::f64_field(&r, "seconds"),
            peak / 1024.0,
            (peak - base) / 1024.0,
            python::f64_field(&r, "mean_loss")
        );
    }
    println!(
        "  (baseline: this binary with libtorch loaded and no model, {:.0} MiB)",
        base / 1024.0
    );
    Ok(())
}

/// Runs a measurement in a fresh process (this binary, `--child-{mode}`) and reads its JSON.
fn child(mode: &str, args: &[String]) -> Result<serde_json::Value> {
    let exe = std::env::current_exe()?;
    let out = Command::new(&exe)
        .arg(format!("{CHILD_PREFIX}{mode}"))
        .args(args)
        .output()
        .with_context(|| format!("cannot run {}", exe.display()))?;
    if !out.status.success() {
        bail!(
            "the {mode} measurement failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    let last = stdout.lines().last().unwrap_or_default();
    serde_json::from_str(last).with_context(|| format!("the {mode} measurement printed {last:?}"))
}

/// The measurement side of [`child`]: prints one JSON object.
pub fn child_main(mode: &str, args: &[String]) -> Result<()> {
    // Every mode starts libtorch's CPU backend first, so a baseline is comparable.
    let _ = Tensor::ones([8], (Kind::Float, tch::Device::Cpu)).sum(Kind::Float);
    let answer = match (mode, args) {
        ("baseline", []) => serde_json::json!({ "peak_kib": peak_kib()? }),
        ("load", [dir]) => {
            // The high-water mark so far is libtorch's start; reset it (Linux's clear_refs 5) so
            // that what follows measures the load alone, on top of the memory before it.
            let (before_peak, before) = (status_kib("VmHWM")?, status_kib("VmRSS")?);
            std::fs::write("/proc/self/clear_refs", "5")?;
            let start = Instant::now();
            let model = Qwen3Model::load(dir, LoadOptions::default())?;
            let seconds = start.elapsed().as_secs_f64();
            let load_peak = status_kib("VmHWM")?;
            drop(model);
            serde_json::json!({
                "seconds": seconds,
                "peak_kib": before_peak.max(load_peak),
                "load_above_kib": load_peak.saturating_sub(before),
            })
        }
        ("long", [tokens]) => long(tokens.parse()?)?,
        _ => bail!("unknown measurement {mode} {args:?}"),
    };
    println!("{answer}");
    Ok(())
}

fn long(tokens: i64) -> Result<serde_json::Value> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    tch::set_num_threads(threads as i32);
    let model = Qwen3Model::init(
        Qwen3Config::from_json_str(LONG_CONFIG)?,
        LoadOptions::default(),
        0,
    )?;
    let cpu = tch::Device::Cpu;
    let ids = Tensor::randint(8192, [1, tokens], (Kind::Int64, cpu));
    let positions = Tensor::arange(tokens, (Kind::Int64, cpu)).view([1, tokens]);
    // Labels already shifted: each token predicts the next; the last one predicts nothing.
    let labels = Tensor::cat(
        &[
            ids.narrow(1, 1, tokens - 1),
            Tensor::full([1, 1], -100, (Kind::Int64, cpu)),
        ],
        1,
    );
    let start = Instant::now();
    let (loss, n) = model.net.loss_backward_checkpointed(
        &ids,
        &positions,
        None,
        &labels,
        4096,
        1.0 / tokens as f64,
    )?;
    let seconds = start.elapsed().as_secs_f64();
    for (name, var) in model.vs.variables() {
        let grad = var.grad();
        if !grad.defined() || grad.isfinite().all().int64_value(&[]) != 1 {
            bail!("{name} has no finite gradient at {tokens} tokens");
        }
    }
    Ok(serde_json::json!({
        "seconds": seconds,
        "peak_kib": peak_kib()?,
        "mean_loss": loss / n as f64,
    }))
}

/// The process's peak resident set (`VmHWM`, the counter `getrusage`'s `ru_maxrss` reads) in KiB.
fn peak_kib() -> Result<u64> {
    status_kib("VmHWM")
}

/// A `kB` line of `/proc/self/status` (`VmHWM`, `VmRSS`).
fn status_kib(key: &str) -> Result<u64> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(key)?.strip_prefix(':'))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .with_context(|| format!("no {key} in /proc/self/status"))
}

fn kib(v: &serde_json::Value, key: &str) -> f64 {
    python::f64_field(v, key)
}
