//! The flags of the commands that run things in sandboxes: the backend, the history a
//! sandbox's repository keeps, and where the tasks' repositories are.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::ValueEnum;
use lego_agent::Repos;
use lego_data::SanitizeMode;
use lego_sandbox::{BackendKind, Starter};

/// `--backend`: where sandboxes run.

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Backend {
    /// Local processes in a private copy.
    Local,
    /// Containers of the repository's environment image.
    Docker,
}

impl Backend {
    /// Starts the backend: the Docker engine connected and its base image made (`install`:
    /// Docker only, commands run when an environment image is built).
    pub fn starter(self, install: Vec<String>) -> Result<Starter> {
        let kind = BackendKind::from(self);
        Starter::new(kind, install)
            .with_context(|| format!("cannot start sandboxes on the {kind} backend"))
    }
}

impl From<Backend> for BackendKind {
    fn from(backend: Backend) -> Self {
        match backend {
            Backend::Local => BackendKind::Local,
            Backend::Docker => BackendKind::Docker,
        }
    }
}

/// What a sandbox's `.git` holds of the history before its base commit.
#[derive(Debug, Clone, clap::Args)]
pub struct HistoryArgs {
    /// `truncate`: the base and its ancestors, same commit ids (so a task's `base_commit` names
    /// the sandbox's HEAD); `squash`: one new commit holding the base tree (SWE-smith's re-init).
    #[arg(long, default_value = "truncate", value_parser = history_mode)]
    pub history: SanitizeMode,
    /// Keep the whole history, future commits included (hack-inclusive, for measuring leaks).
    #[arg(long)]
    pub hack_inclusive: bool,
}

impl HistoryArgs {
    /// The sanitisation mode the flags ask for (keep when hack-inclusive).
    pub fn mode(&self) -> SanitizeMode {
        if self.hack_inclusive {
            SanitizeMode::Keep
        } else {
            self.history
        }
    }
}

fn history_mode(s: &str) -> Result<SanitizeMode, String> {
    match s.parse()? {
        SanitizeMode::Keep => Err("use --hack-inclusive to keep the whole history".to_owned()),
        mode => Ok(mode),
    }
}

/// Where the tasks' repositories are: `--repo DIR` (all tasks) or `--repos ROOT` (one
/// `owner__name` directory per task repository).
#[derive(Debug, clap::Args)]
#[group(required = true, multiple = false)]
pub struct ReposArgs {
    /// The repository of every task (each task starts at its base_commit).
    #[arg(long)]
    repo: Option<PathBuf>,
    /// A directory holding one repository per task `repo`, named `owner__name`.
    #[arg(long)]
    repos: Option<PathBuf>,
}

impl ReposArgs {
    /// The repositories, checked to be directories.
    pub fn repos(&self) -> Result<Repos> {
        match (&self.repo, &self.repos) {
            (Some(dir), _) if !dir.is_dir() => bail!("--repo {} is not a directory", dir.display()),
            (Some(dir), _) => Ok(Repos::One(dir.clone())),
            (None, Some(root)) if !root.is_dir() => {
                bail!("--repos {} is not a directory", root.display())
            }
            (None, Some(root)) => Ok(Repos::PerRepo(root.clone())),
            (None, None) => bail!("give --repo DIR or --repos ROOT"),
        }
    }
}
