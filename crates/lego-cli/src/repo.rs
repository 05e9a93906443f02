use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::Subcommand;
use lego_cli::sandbox_args::HistoryArgs;
use lego_data::{SanitizeMode, SanitizeOptions, SanitizedCopy, sanitize_repo, sanitized_copy};

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
            tracing::info!(
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

/// The repository a sandbox is made from, and how much of its history the sandbox gets.
/// Sandboxes hold a sanitised copy by default (no "Git hacking"); `--hack-inclusive` keeps the
/// whole history, for measuring how much leaking matters.
#[derive(Debug, clap::Args)]
pub struct SandboxRepo {
    /// The repository (work tree or `.git`).
    #[arg(long)]
    pub repo: PathBuf,
    /// The commit the sandbox starts from: a commit id, branch, tag or `git rev-parse`
    /// expression.
    #[arg(long, default_value = "HEAD")]
    pub base: String,
    #[command(flatten)]
    pub history: HistoryArgs,
}

impl SandboxRepo {
    /// The source directory's name, for image tags and labels (the copy's is a temporary one).
    pub fn name(&self) -> Option<String> {
        let dir = self.repo.canonicalize().ok()?;
        Some(dir.file_name()?.to_string_lossy().into_owned())
    }

    /// The directory the sandbox is built from: a sanitised copy (removed when dropped), or the
    /// directory itself when it is not a git repository (no history, nothing to leak).
    pub fn prepare(&self) -> Result<PreparedRepo> {
        let is_git = self.repo.join(".git").exists() || self.repo.join("HEAD").is_file();
        if !is_git {
            if !self.repo.is_dir() {
                bail!("--repo {} is not a directory", self.repo.display());
            }
            if self.base != "HEAD" {
                bail!(
                    "--base {}: {} is not a git repository",
                    self.base,
                    self.repo.display()
                );
            }
            return Ok(PreparedRepo::Plain(self.repo.clone()));
        }
        let mode = self.history.mode();
        let options = SanitizeOptions {
            mode,
            ..SanitizeOptions::default()
        };
        let copy = sanitized_copy(&self.repo, &self.base, &options).with_context(|| {
            format!(
                "cannot prepare {} at `{}` ({} history)",
                self.repo.display(),
                self.base,
                mode
            )
        })?;
        Ok(PreparedRepo::Sanitized(copy))
    }
}

/// What [`SandboxRepo::prepare`] made.
#[derive(Debug)]
pub enum PreparedRepo {
    Sanitized(SanitizedCopy),
    Plain(PathBuf),
}

impl PreparedRepo {
    pub fn path(&self) -> PathBuf {
        match self {
            PreparedRepo::Sanitized(copy) => copy.path(),
            PreparedRepo::Plain(dir) => dir.clone(),
        }
    }
}
