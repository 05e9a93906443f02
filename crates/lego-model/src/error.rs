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
    #[error("failed to write {path}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A `config.json` or checkpoint index that is not JSON at all.
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
    /// A tensor the model needs that no checkpoint file holds.
    #[error("checkpoint {path}: missing tensor `{name}`")]
    MissingTensor { name: String, path: PathBuf },
    /// A checkpoint tensor whose shape is not the one the config implies.
    #[error(
        "checkpoint {path}: tensor `{name}` has shape {found:?}, the config implies {expected:?}"
    )]
    TensorShape {
        name: String,
        path: PathBuf,
        expected: Vec<i64>,
        found: Vec<i64>,
    },
    /// An input of the wrong shape or kind (token ids, positions, labels, prompts).
    #[error("bad input: {0}")]
    Input(String),
    /// libtorch failed (reading or writing safetensors, allocating, a device error).
    #[error("failed to {context}")]
    Torch {
        context: String,
        #[source]
        source: tch::TchError,
    },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Wraps a libtorch error with what lego was doing.
pub(crate) fn torch(context: impl Into<String>) -> impl FnOnce(tch::TchError) -> Error {
    let context = context.into();
    move |source| Error::Torch { context, source }
}
