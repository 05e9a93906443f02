use std::path::PathBuf;

/// Everything that can go wrong in `lego-model`.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("failed to read {path}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A `config.json` that is not JSON at all.
    #[error("failed to parse {origin} as JSON")]
    Json {
        origin: String,
        #[source]
        source: serde_json::Error,
    },
    /// A config field that is missing, of the wrong type, or out of range.
    #[error("{origin}: field `{field}`: {message}")]
    Invalid {
        origin: String,
        field: String,
        message: String,
    },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
