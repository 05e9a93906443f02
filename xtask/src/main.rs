//! `cargo xtask`: the project's automation (rust-analyzer's xtask pattern).
//!
//! - `bootstrap`: the cached virtualenv (torch for tch, the reference implementations), the Qwen
//!   tokenizer built by lego itself, the sandbox base image where a Docker engine answers, and the
//!   environment that makes them visible.
//! - `ci`: format, lint, layering invariants and every test, on a fresh machine (the Docker tests
//!   required wherever an engine is configured).
//! - `demo`: the main job on built-in defaults: render the bundled trajectories, then train a tiny
//!   Qwen3 on them and show the loss curve.
//! - `bench`: lego against the reference implementations, in one run.
//! - `env`: prints the bootstrap environment as shell `export` lines.

// xtask is automation: it runs cargo, python and pip by design.
#![allow(clippy::disallowed_methods)]

mod bootstrap;
mod cmd;
mod demo;
mod sandbox_image;
mod tasks;

use anyhow::{Result, bail};

const USAGE: &str = "usage: cargo xtask <bootstrap|ci|demo|bench|env>";

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(task) = args.first() else {
        bail!("{USAGE}");
    };
    let rest = &args[1..];
    match task.as_str() {
        "bootstrap" => bootstrap::run().map(|_| ()),
        "env" => {
            let env = bootstrap::run_quiet()?;
            for (key, value) in env.vars() {
                println!("export {key}={}", shell_quote(&value));
            }
            Ok(())
        }
        "ci" => tasks::ci(rest),
        "demo" => demo::run(rest),
        "bench" => tasks::bench(rest),
        "-h" | "--help" | "help" => {
            println!("{USAGE}");
            Ok(())
        }
        other => bail!("unknown task `{other}`; {USAGE}"),
    }
}

fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}
