//! `cargo xtask bench`: lego against the reference implementations, measured in one run on the
//! same inputs and machine, reported as ratios (the machines are noisy; absolute numbers across
//! runs mean little).
//!
//! - `data`: rendering + tokenisation of trajectories (lego-data) against transformers'
//!   `apply_chat_template` with the fast tokenizer, on the same template, tokenizer and data.
//! - `model`: Qwen3 prefill and greedy decode (lego-model) against transformers' forward and
//!   `generate`, on the same small model and CPU threads.

// Benchmarks start the reference implementation (python) by design.
#![allow(clippy::disallowed_methods)]

mod data;
mod model;

use anyhow::{Result, bail};

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let which: Vec<&str> = if args.is_empty() {
        vec!["data", "model"]
    } else {
        args.iter().map(String::as_str).collect()
    };
    for bench in which {
        match bench {
            "data" => data::run()?,
            "model" => model::run()?,
            other => bail!("unknown benchmark `{other}` (known: data, model)"),
        }
    }
    Ok(())
}
