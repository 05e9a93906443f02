use std::path::PathBuf;

/// Everything that can go wrong in `lego-data`.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file that could not be read.
    #[error("failed to read {path}")]
    Read {
        /// The path concerned.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A file or directory that could not be written.
    #[error("failed to write {path}")]
    Write {
        /// The path concerned.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A JSONL line that does not parse into the expected record.
    #[error("{path}:{line}: malformed record")]
    Malformed {
        /// The path concerned.
        path: PathBuf,
        /// The 1-based line number.
        line: usize,
        /// Why the line does not parse.
        #[source]
        source: serde_json::Error,
    },
    /// A record that parses but breaks a rule of its format.
    #[error("{context}: {message}")]
    Invalid {
        /// The record and where in it.
        context: String,
        /// The rule that was broken.
        message: String,
    },
    /// A tokenizer file or rank file that lego cannot use, and why.
    #[error("tokenizer: {0}")]
    Tokenizer(String),
    /// A path given as a repository that git cannot open.
    #[error("{path} is not a git repository")]
    NotARepository {
        /// The path concerned.
        path: PathBuf,
        /// The cause.
        #[source]
        source: BoxError,
    },
    /// A revision that does not name a commit of the repository.
    #[error("revision `{rev}` does not resolve to a commit in {repo}")]
    UnknownRevision {
        /// The revision as given.
        rev: String,
        /// The repository it was looked up in.
        repo: PathBuf,
        /// The cause, when git gave one.
        #[source]
        source: Option<BoxError>,
    },
    /// An output directory that already holds something: never merged into.
    #[error("output directory {path} exists and is not empty")]
    OutputNotEmpty {
        /// The output directory.
        path: PathBuf,
    },
    /// A git operation (reading or writing objects, refs, the index) that failed.
    #[error("{context}")]
    Git {
        /// What failed, with what it was doing it to.
        context: String,
        /// The cause.
        #[source]
        source: BoxError,
    },
    /// The `tokenizers` crate failed to load a file or to encode or decode.
    #[error("{context}")]
    Tokenizers {
        /// What failed, with what it was doing it to.
        context: String,
        /// The cause.
        #[source]
        source: BoxError,
    },
    /// JSON that does not parse into the expected shape.
    #[error(transparent)]
    Json(#[from] serde_json::Error),
}

/// A boxed cause from a dependency whose error types are not worth naming here (gix).
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// The result of every fallible function of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub(crate) fn invalid(context: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Invalid {
            context: context.into(),
            message: message.into(),
        }
    }
}
