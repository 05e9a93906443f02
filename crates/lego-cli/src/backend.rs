//! The `--backend` flag of the commands that run things in sandboxes.

use clap::ValueEnum;
use lego_sandbox::BackendKind;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Backend {
    Local,
    Docker,
}

impl From<Backend> for BackendKind {
    fn from(backend: Backend) -> Self {
        match backend {
            Backend::Local => BackendKind::Local,
            Backend::Docker => BackendKind::Docker,
        }
    }
}
