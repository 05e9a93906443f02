//! `lego synth`: synthetic bugs (`lego_synth::candidates`). This module parses the flags and
//! reports.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Subcommand;
use lego_data::{SanitizeOptions, sanitized_copy};
use lego_synth::{CandidateOptions, candidates, select_modifiers};

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Bug candidates, not validated: every non-test Python function, method and class of the
    /// repository given procedural bugs (tree-sitter rewrites that still parse), one
    /// `{candidate_id, file, entity, modifier, bug_patch}` per line.
    Candidates {
        /// The repository (a work tree; with `--base`, a git repository).
        #[arg(long)]
        repo: PathBuf,
        /// Read the tree at this revision instead of the work tree.
        #[arg(long)]
        base: Option<String>,
        /// The candidates (JSONL), overwritten.
        #[arg(long)]
        out: PathBuf,
        /// Only these modifiers, comma-separated (default: all).
        #[arg(long, value_delimiter = ',')]
        modifiers: Option<Vec<String>>,
        /// At most this many candidates per entity.
        #[arg(long, default_value_t = 3)]
        max_per_entity: usize,
        /// The seed of every choice: the same tree and seed give the same candidates.
        #[arg(long, default_value_t = 0)]
        seed: u64,
    },
}

pub fn run(cmd: Command) -> Result<()> {
    match cmd {
        Command::Candidates {
            repo,
            base,
            out,
            modifiers,
            max_per_entity,
            seed,
        } => {
            // Checked before a copy is made, so a typo fails at once.
            select_modifiers(modifiers.as_deref())?;
            let copy = match &base {
                Some(base) => Some(
                    sanitized_copy(&repo, base, &SanitizeOptions::default())
                        .with_context(|| format!("cannot read {} at `{base}`", repo.display()))?,
                ),
                None => None,
            };
            let dir = copy.as_ref().map_or_else(|| repo.clone(), |c| c.path());
            let options = CandidateOptions {
                modifiers,
                max_per_entity,
                seed,
                ..CandidateOptions::default()
            };
            let found = candidates(&dir, &options)
                .with_context(|| format!("cannot make bug candidates in {}", repo.display()))?;
            let mut text = Vec::new();
            for c in &found {
                serde_json::to_writer(&mut text, c)?;
                text.write_all(b"\n")?;
            }
            std::fs::write(&out, text)
                .with_context(|| format!("cannot write {}", out.display()))?;
            tracing::info!("wrote {} bug candidates to {}", found.len(), out.display());
            Ok(())
        }
    }
}
