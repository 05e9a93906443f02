//! The `lego` binary: the command-line contract of DESIGN.md over the library crates.
//!
//! Every command exits non-zero with a one-line error on bad input, naming the file, line or
//! instance; machine-readable output goes to stdout or the `--out` file, progress to stderr.

mod backend;
mod data;
mod eval;
mod export;
mod hf_dataset;
mod mine;
mod model;
mod repo;
mod sandbox;
mod sft;
mod tokenizer;
mod tools;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "lego",
    version,
    about = "Train software-engineering agents the SWE-Lego way"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Tokenizer files.
    #[command(subcommand)]
    Tokenizer(tokenizer::Command),
    /// Tasks, trajectories and training examples.
    #[command(subcommand)]
    Data(data::Command),
    /// Grading the SWE-bench way.
    #[command(subcommand)]
    Eval(eval::Command),
    /// The agent's tools in a sandbox.
    #[command(subcommand)]
    Tools(tools::Command),
    /// Repositories: history sanitisation.
    #[command(subcommand)]
    Repo(repo::Command),
    /// Supervised fine-tuning.
    #[command(subcommand)]
    Sft(sft::Command),
    /// Docker images and sandbox containers: build, list, clean up.
    #[command(subcommand)]
    Sandbox(sandbox::Command),
    /// Qwen3 models: initialise, run, generate.
    #[command(subcommand)]
    Model(model::Command),
}

fn main() {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Tokenizer(cmd) => tokenizer::run(cmd),
        Command::Data(cmd) => data::run(cmd),
        Command::Eval(cmd) => eval::run(cmd),
        Command::Tools(cmd) => tools::run(cmd),
        Command::Repo(cmd) => repo::run(cmd),
        Command::Sandbox(cmd) => sandbox::run(cmd),
        Command::Model(cmd) => model::run(cmd),
        Command::Sft(cmd) => sft::run(cmd),
    };
    if let Err(err) = result {
        // One line: the chain of causes, outermost first.
        let chain: Vec<String> = err.chain().map(ToString::to_string).collect();
        eprintln!("error: {}", chain.join(": "));
        std::process::exit(1);
    }
}
