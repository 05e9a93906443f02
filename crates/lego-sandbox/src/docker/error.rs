use std::path::PathBuf;

/// Everything that can go wrong in the Docker backend.
///
/// Kept apart from the crate's own error so the Docker side can grow without touching it; the
/// crate error wraps it.
#[derive(Debug, thiserror::Error)]
pub enum DockerError {
    /// The engine did not answer at all: no socket, a daemon down, or an API it cannot speak.
    #[error("no Docker engine answers")]
    Unavailable(#[source] bollard::errors::Error),
    /// A request the engine refused or failed.
    #[error("failed to {action}")]
    Engine {
        /// What lego asked of the engine (`create a container from IMAGE`).
        action: String,
        /// The engine's or the client's error.
        #[source]
        source: bollard::errors::Error,
    },
    /// A streamed operation (import, build) that reported an error in its stream.
    #[error("failed to {action}: {message}")]
    Failed {
        /// What lego was doing (`build TAG`).
        action: String,
        /// What the stream, or lego's check of it, said went wrong.
        message: String,
    },
    /// A file asked of a container that is not there (or is not a regular file).
    #[error("no file {path} in container {container}")]
    NotFound {
        /// The container's short id.
        container: String,
        /// The path asked for, inside the container.
        path: String,
    },
    /// A host program (debootstrap, tar, git) that could not be started.
    #[error("failed to run {program}")]
    Spawn {
        /// The program's name.
        program: String,
        /// Why it could not start.
        #[source]
        source: std::io::Error,
    },
    /// A host program (debootstrap, tar, git) that ran and failed.
    #[error("{program} failed ({status}): {stderr}")]
    Program {
        /// The program's name.
        program: String,
        /// How it exited.
        status: String,
        /// The last lines of its standard error.
        stderr: String,
    },
    /// A host file lego needed (a repository file to hash, a root filesystem directory).
    #[error("failed to read {path}")]
    Read {
        /// The file or directory.
        path: PathBuf,
        /// Why it could not be read.
        #[source]
        source: std::io::Error,
    },
    /// Another host-side operation of the backend (a pipe, a temporary directory, an archive).
    #[error("failed to {action}")]
    Io {
        /// What lego was doing.
        action: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

/// The result of the Docker backend's operations.
pub type DockerResult<T, E = DockerError> = std::result::Result<T, E>;

impl DockerError {
    pub(crate) fn engine(action: impl Into<String>) -> impl FnOnce(bollard::errors::Error) -> Self {
        let action = action.into();
        move |source| DockerError::Engine { action, source }
    }

    pub(crate) fn io(action: impl Into<String>) -> impl FnOnce(std::io::Error) -> Self {
        let action = action.into();
        move |source| DockerError::Io { action, source }
    }

    /// Whether the engine answered 404 (no such image, container or path).
    pub(crate) fn is_not_found(err: &bollard::errors::Error) -> bool {
        matches!(
            err,
            bollard::errors::Error::DockerResponseServerError {
                status_code: 404,
                ..
            }
        )
    }
}
