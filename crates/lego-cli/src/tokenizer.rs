use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Subcommand;
use lego_data::Preset;

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Build a Hugging Face tokenizer.json from a tiktoken rank file.
    ImportTiktoken {
        /// The rank file (`base64-token rank` per line).
        #[arg(long)]
        ranks: PathBuf,
        /// Which model family's special and added tokens to add.
        #[arg(long, default_value = "qwen3")]
        preset: Preset,
        #[arg(long)]
        out: PathBuf,
    },
}

pub fn run(cmd: Command) -> Result<()> {
    match cmd {
        Command::ImportTiktoken { ranks, preset, out } => {
            let bytes = std::fs::read(&ranks)
                .with_context(|| format!("cannot read the rank file {}", ranks.display()))?;
            let json = lego_data::import_tiktoken(&bytes, preset)
                .with_context(|| format!("cannot import {}", ranks.display()))?;
            lego_data::write_atomic(&out, json.as_bytes())?;
            tracing::info!("wrote {}", out.display());
            Ok(())
        }
    }
}
