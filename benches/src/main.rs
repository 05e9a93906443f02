//! `cargo xtask bench`: lego against the reference implementations, measured in one run on the
//! same inputs and machine, reported as ratios (the machines are noisy; absolute numbers across
//! runs mean little).
//!
//! - `data`: rendering + tokenisation of trajectories (lego-data) against transformers'
//!   `apply_chat_template` with the fast tokenizer, on the same template, tokenizer and data.
//! - `model`: Qwen3 prefill and greedy decode (lego-model) against transformers' forward and
//!   `generate`, on the same small model and CPU threads; then checkpoint load time and peak
//!   RSS against `from_pretrained`, each load in a process of its own. `model --long`: one
//!   forward and backward at 32k and 128k tokens (YaRN, activation checkpointing) instead.
//! - `sft`: training tokens/s of lego-sft (packed, and padded) against a plain PyTorch +
//!   transformers training loop, on the same tiny model, examples, step plan and CPU threads.
//! - `sanitize`: history sanitisation (squash, truncate) of a repository of thousands of commits
//!   against `git` doing the same by hand (SWE-smith's re-init; clone + reflog expire + gc).
//! - `grading`: reading, parsing and grading test logs (lego-sandbox) against the `swebench`
//!   package's `get_eval_report`, on real logs and one large synthetic pytest log.
//! - `sandbox`: the sandbox's own cost, Docker against local: start, one `execute_bash` round
//!   trip, one editor call, one `exec`, stop (`cargo xtask bench sandbox`).
//! - `agent`: the agent loop's own cost per turn on each backend (policy time excluded), and
//!   graded episodes per hour with one and two jobs (`cargo xtask bench agent`).

// Benchmarks start the reference implementations (python, git) by design.
#![allow(clippy::disallowed_methods)]

mod agent;
mod data;
mod grading;
mod model;
mod python;
mod sandbox;
mod sanitize;
mod sft;

use anyhow::{Result, bail};

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    // The measurements that need a clean process of their own (peak RSS) re-run this binary.
    if let Some(mode) = args
        .first()
        .and_then(|a| a.strip_prefix(model::CHILD_PREFIX))
    {
        return model::child_main(mode, &args[1..]);
    }
    let long = args.iter().any(|a| a == "--long");
    let args: Vec<String> = args.into_iter().filter(|a| a != "--long").collect();
    let which: Vec<&str> = if args.is_empty() {
        vec![
            "data", "model", "sft", "sanitize", "grading", "sandbox", "agent",
        ]
    } else {
        args.iter().map(String::as_str).collect()
    };
    for bench in which {
        match bench {
            "data" => data::run()?,
            "model" if long => model::run_long()?,
            "model" => model::run()?,
            "sft" => sft::run()?,
            "sanitize" => sanitize::run()?,
            "grading" => grading::run()?,
            "sandbox" => sandbox::run()?,
            "agent" => agent::run()?,
            other => bail!(
                "unknown benchmark `{other}` (known: data, model, sft, sanitize, grading, sandbox, agent)"
            ),
        }
    }
    Ok(())
}
