use std::path::PathBuf;

/// Everything that can go wrong in `lego-sandbox`.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A path that resolves outside the sandbox's repository (local backend).
    #[error("path {path} is outside the sandbox (only {root} and below can be used)")]
    OutsideSandbox {
        /// The path asked for.
        path: String,
        /// What may be used instead (`/testbed`).
        root: String,
    },
    /// Nothing is at a path inside the sandbox.
    #[error("no such file or directory: {path}")]
    NotFound {
        /// The path, inside the sandbox.
        path: String,
    },
    /// A file operation on a path that is a directory.
    #[error("{path} is a directory")]
    IsDirectory {
        /// The path, inside the sandbox.
        path: String,
    },
    /// A host file operation of the local backend (its copy, its scripts, its cgroup).
    #[error("failed to {action} {path}")]
    Io {
        /// What was being done (`write`, `remove`).
        action: &'static str,
        /// The host path.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A process of the local backend (`bash`, its shell) that could not be started.
    #[error("failed to start {what}")]
    Spawn {
        /// What was being started.
        what: String,
        /// Why it could not start.
        #[source]
        source: std::io::Error,
    },
    /// A new command was sent while the shell's previous one still runs.
    #[error("the shell is still running its previous command")]
    ShellBusy,
    /// No command runs in the shell, so there is nothing to send input to.
    #[error("no command is running in the shell")]
    ShellIdle,
    /// A method other than `stop` called after [`Sandbox::stop`](crate::Sandbox::stop).
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
        /// The backend's name (`docker`).
        backend: &'static str,
        /// Why it cannot run.
        reason: String,
    },
    /// A task names a log parser lego does not have.
    #[error("task {instance_id}: no log parser named {name}")]
    UnknownLogParser {
        /// The task's id.
        instance_id: String,
        /// The parser name it gives.
        name: String,
    },
    /// A task whose fields cannot be used to run or grade its tests.
    #[error("task {instance_id}: {message}")]
    InvalidTask {
        /// The task's id.
        instance_id: String,
        /// Which field is wrong and how.
        message: String,
    },
    /// What a sandbox is made from could not be prepared (a [`Pool`](crate::Pool) factory's
    /// own work before it starts one, such as copying the repository at a commit).
    #[error("failed to prepare {what}")]
    Prepare {
        /// What was being prepared.
        what: String,
        /// The preparation's own error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync + 'static>,
    },
}

/// The result of the crate's operations.
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
