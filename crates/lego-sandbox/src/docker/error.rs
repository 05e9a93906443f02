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
        action: String,
        #[source]
        source: bollard::errors::Error,
    },
    /// A streamed operation (import, build) that reported an error in its stream.
    #[error("failed to {action}: {message}")]
    Failed { action: String, message: String },
    /// A file asked of a container that is not there (or is not a regular file).
    #[error("no file {path} in container {container}")]
    NotFound { container: String, path: String },
    #[error("failed to run {program}")]
    Spawn {
        program: String,
        #[source]
        source: std::io::Error,
    },
    /// A host program (debootstrap, tar, git) that ran and failed.
    #[error("{program} failed ({status}): {stderr}")]
    Program {
        program: String,
        status: String,
        stderr: String,
    },
    #[error("failed to read {path}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("failed to {action}")]
    Io {
        action: String,
        #[source]
        source: std::io::Error,
    },
}

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
