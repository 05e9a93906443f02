//! The `lego` binary: the command-line contract of DESIGN.md over the library crates.
//!
//! Every command exits non-zero with a one-line error on bad input, naming the file, line or
//! instance; machine-readable output goes to stdout or the `--out` file, logs and progress to
//! stderr. The commands that need libtorch (`model`, `sft`) live in `lego-torch`, which this
//! binary runs for them, so that everything else starts without loading libtorch.

mod data;
mod eval;
mod export;
mod hf_dataset;
mod mine;
mod repo;
mod sandbox;
mod synth;
mod tokenizer;
mod tools;
mod torch;

use clap::{Parser, Subcommand};
use lego_cli::OutputArgs;

#[derive(Debug, Parser)]
#[command(
    name = "lego",
    version,
    about = "Train software-engineering agents the SWE-Lego way"
)]
struct Cli {
    #[command(flatten)]
    output: OutputArgs,
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
    /// Grading and evaluation the SWE-bench way.
    #[command(subcommand)]
    Eval(eval::Command),
    /// The agent: trajectories of a policy on tasks, graded.
    #[command(subcommand)]
    Agent(lego_cli::agent::Command),
    /// The agent's tools in a sandbox.
    #[command(subcommand)]
    Tools(tools::Command),
    /// Synthetic bugs: candidates made by rewriting Python syntax trees.
    #[command(subcommand)]
    Synth(synth::Command),
    /// Repositories: history sanitisation.
    #[command(subcommand)]
    Repo(repo::Command),
    /// Supervised fine-tuning (runs `lego-torch`).
    #[command(disable_help_flag = true)]
    Sft(torch::Args),
    /// Docker images and sandbox containers: build, list, clean up.
    #[command(subcommand)]
    Sandbox(sandbox::Command),
    /// Qwen3 models: initialise, run, generate (runs `lego-torch`).
    #[command(disable_help_flag = true)]
    Model(torch::Args),
}

fn main() {
    let cli = Cli::parse();
    lego_cli::init_output(&cli.output);
    lego_cli::finish(match cli.command {
        Command::Tokenizer(cmd) => tokenizer::run(cmd),
        Command::Data(cmd) => data::run(cmd),
        Command::Eval(cmd) => eval::run(cmd),
        Command::Agent(cmd) if cmd.needs_torch() => torch::run_as_given(),
        Command::Agent(cmd) => lego_cli::agent::run(cmd, None),
        Command::Tools(cmd) => tools::run(cmd),
        Command::Repo(cmd) => repo::run(cmd),
        Command::Synth(cmd) => synth::run(cmd),
        Command::Sandbox(cmd) => sandbox::run(cmd),
        Command::Model(args) => torch::run("model", &cli.output, args),
        Command::Sft(args) => torch::run("sft", &cli.output, args),
    })
}
