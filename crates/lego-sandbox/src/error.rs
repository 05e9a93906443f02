use std::path::PathBuf;

/// Everything that can go wrong in `lego-sandbox`.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A path that resolves outside the sandbox's repository (local backend).
    #[error("path {path} is outside the sandbox (only {root} and below can be used)")]
    OutsideSandbox { path: String, root: String },
    #[error("no such file or directory: {path}")]
    NotFound { path: String },
    #[error("{path} is a directory")]
    IsDirectory { path: String },
    #[error("failed to {action} {path}")]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("failed to start {what}")]
    Spawn {
        what: String,
        #[source]
        source: std::io::Error,
    },
    /// A new command was sent while the shell's previous one still runs.
    #[error("the shell is still running its previous command")]
    ShellBusy,
    /// No command runs in the shell, so there is nothing to send input to.
    #[error("no command is running in the shell")]
    ShellIdle,
    #[error("the sandbox is stopped")]
    Stopped,
    /// The Docker engine failed a request of a [`DockerSandbox`](crate::DockerSandbox). Its
    /// message is the Docker error's own (`failed to ...`), which says what failed, so that an
    /// observation built from the message alone (the editor's `Ran into ...`) says it too.
    #[cfg(feature = "docker")]
    #[error(transparent)]
    Docker(#[from] crate::docker::DockerError),
    /// The backend cannot run here (no engine, a feature not compiled in).
    #[error("the {backend} backend is not available: {reason}")]
    Unavailable {
        backend: &'static str,
        reason: String,
    },
    /// A task names a log parser lego does not have.
    #[error("task {instance_id}: no log parser named {name}")]
    UnknownLogParser { instance_id: String, name: String },
    /// A task whose fields cannot be used to run or grade its tests.
    #[error("task {instance_id}: {message}")]
    InvalidTask {
        instance_id: String,
        message: String,
    },
    /// What a sandbox is made from could not be prepared (a [`Pool`](crate::Pool) factory's
    /// own work before it starts one, such as copying the repository at a commit).
    #[error("failed to prepare {what}")]
    Prepare {
        what: String,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync + 'static>,
    },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
        source: std::io::Error,
    ) -> Self {
        Error::Io {
            action,
            path: path.into(),
            source,
        }
    }
}
