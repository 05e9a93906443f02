//! Rendering + tokenisation throughput, lego against transformers.
//!
//! The bench set is made from the bundled example trajectories, each repeated into longer
//! episodes (1 to 6 times its steps) so lengths spread like real agent runs (a few thousand to
//! tens of thousands of tokens). lego renders it once on one thread (the fair comparison with
//! single-threaded Python) and once on all cores; the reference renders it with
//! `benches/python/render_bench.py`.

use std::time::Instant;

use anyhow::{Result, bail};
use lego_data::{
    RenderOptions, Role, Tokenizer, Trajectory, annotate_steps, example_trajectories, render_all,
    render_example, write_jsonl,
};

use crate::python::{self, env_path, tempfile_dir};

const REPEATS: usize = 3;

pub fn run() -> Result<()> {
    let tokenizer_path = env_path("LEGO_TOKENIZER")?;
    let tok = Tokenizer::from_file(&tokenizer_path)?;
    let trajs = bench_set();
    let dir = tempfile_dir()?;
    let input = dir.join("bench-trajectories.jsonl");
    write_jsonl(&input, trajs.iter())?;

    let opts = RenderOptions::default();
    // Warm up (page in the vocabulary, fill caches) outside the timings.
    render_example(&trajs[0], &tok, &opts)?;

    let start = Instant::now();
    let mut tokens = 0usize;
    for _ in 0..REPEATS {
        for t in &trajs {
            tokens += render_example(t, &tok, &opts)?.len;
        }
    }
    let lego_1 = start.elapsed().as_secs_f64();

    let start = Instant::now();
    for _ in 0..REPEATS {
        render_all(&trajs, &tok, &opts, None, &lego_data::NoProgress)?;
    }
    let lego_all = start.elapsed().as_secs_f64();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());

    let reference = python::run_json(
        "render_bench.py",
        [
            tokenizer_path.as_os_str(),
            input.as_os_str(),
            REPEATS.to_string().as_ref(),
        ],
    )?;
    let ref_tokens = reference["tokens"].as_u64().unwrap_or(0) as usize;
    if ref_tokens != tokens {
        bail!("token counts differ: lego {tokens}, transformers {ref_tokens}");
    }
    let with_masks = python::f64_field(&reference, "with_masks_s");
    let ids_only = python::f64_field(&reference, "ids_only_s");

    let rate = |secs: f64| tokens as f64 / secs;
    println!(
        "render + tokenise: {} trajectories x {REPEATS}, {tokens} tokens",
        trajs.len()
    );
    println!("  {:<52} {:>12} {:>9}", "", "tokens/s", "vs ref");
    let row = |name: &str, secs: f64| {
        println!(
            "  {name:<52} {:>12.0} {:>8.1}x",
            rate(secs),
            with_masks / secs
        );
    };
    row(
        "transformers apply_chat_template + masks (reference)",
        with_masks,
    );
    row("transformers apply_chat_template, ids only", ids_only);
    row("lego render_example, 1 thread", lego_1);
    row(&format!("lego render_all, {threads} threads"), lego_all);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

/// Each example repeated into episodes of 1..=6 times its steps.
fn bench_set() -> Vec<Trajectory> {
    let mut set = Vec::new();
    for mut base in example_trajectories() {
        annotate_steps(&mut base);
        let head = base
            .messages
            .iter()
            .take_while(|m| m.role != Role::Assistant)
            .count();
        for times in 1..=6 {
            let mut t = base.clone();
            t.instance_id = format!("{}-x{times}", base.instance_id);
            for _ in 1..times {
                t.messages.extend(base.messages[head..].iter().cloned());
            }
            set.push(t);
        }
    }
    set
}
