use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Subcommand;
use lego_data::{SanitizeMode, SanitizeOptions, sanitize_repo};

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Copy a repository at a base revision with nothing newer in it (no "Git hacking").
    ///
    /// squash: one commit holding the base tree; truncate: the base and its ancestors only;
    /// keep: the whole history (hack-inclusive, for measuring leaks). Prints a JSON report.
    Sanitize {
        /// The source repository (its work tree or `.git`; bare repositories too).
        #[arg(long)]
        repo: PathBuf,
        /// The base revision: a commit id, branch, tag or any `git rev-parse` expression.
        #[arg(long)]
        base: String,
        /// squash, truncate or keep.
        #[arg(long)]
        mode: SanitizeMode,
        /// The branch of the output (squash and truncate).
        #[arg(long, default_value = "main")]
        branch: String,
        /// The output repository: must not exist or be empty.
        #[arg(long)]
        out: PathBuf,
    },
}

pub fn run(cmd: Command) -> Result<()> {
    match cmd {
        Command::Sanitize {
            repo,
            base,
            mode,
            branch,
            out,
        } => {
            let opts = SanitizeOptions { mode, branch };
            let report = sanitize_repo(&repo, &base, &out, &opts).with_context(|| {
                format!("cannot sanitise {} at `{base}` ({mode})", repo.display())
            })?;
            eprintln!(
                "wrote {} ({mode}: {} commits, {} objects, {} files)",
                out.display(),
                report.commits,
                report.objects,
                report.files
            );
            println!("{}", serde_json::to_string(&report)?);
            Ok(())
        }
    }
}
