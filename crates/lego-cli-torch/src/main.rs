//! `lego-torch`: the commands of `lego` that need libtorch (`lego model ...`, `lego sft ...`,
//! `lego agent run --policy local`).
//!
//! `lego` itself links no libtorch, so that every other command starts in milliseconds instead
//! of mapping the CUDA stack of the torch wheel; for these two command groups it runs this
//! binary, found next to itself, the way `cargo` runs `cargo-clippy`. Run directly it behaves
//! the same (`lego-torch model init ...`), and names itself `lego` in its help.

mod agent;
mod model;
mod sft;

use clap::{Parser, Subcommand};
use lego_cli::OutputArgs;

#[derive(Debug, Parser)]
#[command(
    name = "lego",
    bin_name = "lego",
    version,
    about = "Train software-engineering agents the SWE-Lego way (the libtorch commands)"
)]
struct Cli {
    #[command(flatten)]
    output: OutputArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Supervised fine-tuning.
    #[command(subcommand)]
    Sft(sft::Command),
    /// Qwen3 models: initialise, run, generate.
    #[command(subcommand)]
    Model(model::Command),
    /// The agent with the `local` policy (other policies run in `lego` itself).
    #[command(subcommand)]
    Agent(Box<lego_cli::agent::Command>),
}

fn main() {
    let cli = Cli::parse();
    lego_cli::init_output(&cli.output);
    lego_cli::finish(match cli.command {
        Command::Model(cmd) => model::run(cmd),
        Command::Sft(cmd) => sft::run(cmd),
        Command::Agent(cmd) => lego_cli::agent::run(*cmd, Some(&agent::local_policies)),
    })
}
