use std::path::PathBuf;

/// Everything that can go wrong in `lego-data`.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("failed to read {path}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("failed to write {path}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A JSONL line that does not parse into the expected record.
    #[error("{path}:{line}: malformed record")]
    Malformed {
        path: PathBuf,
        line: usize,
        #[source]
        source: serde_json::Error,
    },
    /// A record that parses but breaks a rule of its format.
    #[error("{context}: {message}")]
    Invalid { context: String, message: String },
    #[error("tokenizer: {0}")]
    Tokenizer(String),
    #[error(transparent)]
    Json(#[from] serde_json::Error),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub(crate) fn invalid(context: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Invalid {
            context: context.into(),
            message: message.into(),
        }
    }
}
