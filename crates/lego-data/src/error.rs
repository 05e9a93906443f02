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
    /// A path given as a repository that git cannot open.
    #[error("{path} is not a git repository")]
    NotARepository {
        path: PathBuf,
        #[source]
        source: BoxError,
    },
    /// A revision that does not name a commit of the repository.
    #[error("revision `{rev}` does not resolve to a commit in {repo}")]
    UnknownRevision {
        rev: String,
        repo: PathBuf,
        #[source]
        source: Option<BoxError>,
    },
    /// An output directory that already holds something: never merged into.
    #[error("output directory {path} exists and is not empty")]
    OutputNotEmpty { path: PathBuf },
    /// A git operation (reading or writing objects, refs, the index) that failed.
    #[error("{context}")]
    Git {
        context: String,
        #[source]
        source: BoxError,
    },
    /// The `tokenizers` crate failed to load a file or to encode or decode.
    #[error("{context}")]
    Tokenizers {
        context: String,
        #[source]
        source: BoxError,
    },
    #[error(transparent)]
    Json(#[from] serde_json::Error),
}

/// A boxed cause from a dependency whose error types are not worth naming here (gix).
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub(crate) fn invalid(context: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Invalid {
            context: context.into(),
            message: message.into(),
        }
    }
}
