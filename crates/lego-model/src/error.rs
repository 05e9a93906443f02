use std::path::PathBuf;

/// Everything that can go wrong in `lego-model`.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file that cannot be read (config, index, shard).
    #[error("failed to read {path}")]
    Read {
        /// The file concerned.
        path: PathBuf,
        /// The underlying failure.
        #[source]
        source: std::io::Error,
    },
    /// A file that cannot be written (a checkpoint being saved).
    #[error("failed to write {path}")]
    Write {
        /// The file concerned.
        path: PathBuf,
        /// The underlying failure.
        #[source]
        source: std::io::Error,
    },
    /// A `config.json` or checkpoint index that is not JSON at all.
    #[error("failed to parse {origin} as JSON")]
    Json {
        /// What was being read (a file, or a description).
        origin: String,
        /// The underlying failure.
        #[source]
        source: serde_json::Error,
    },
    /// A config field that is missing, of the wrong type, or out of range.
    #[error("{origin}: field `{field}`: {message}")]
    Invalid {
        /// What was being read (a file, or a description).
        origin: String,
        /// The field at fault.
        field: String,
        /// What is wrong with it.
        message: String,
    },
    /// A tensor the model needs that no checkpoint file holds.
    #[error("checkpoint {path}: missing tensor `{name}`")]
    MissingTensor {
        /// The tensor, by its Hugging Face key.
        name: String,
        /// The checkpoint file (or shard index) that lacks it.
        path: PathBuf,
    },
    /// A checkpoint tensor whose shape is not the one the config implies.
    #[error(
        "checkpoint {path}: tensor `{name}` has shape {found:?}, the config implies {expected:?}"
    )]
    TensorShape {
        /// The tensor, by its Hugging Face key.
        name: String,
        /// The file concerned.
        path: PathBuf,
        /// The shape the config implies.
        expected: Vec<i64>,
        /// The shape the checkpoint holds.
        found: Vec<i64>,
    },
    /// An input of the wrong shape or kind (token ids, positions, labels, prompts).
    #[error("bad input: {0}")]
    Input(String),
    /// libtorch failed (reading or writing safetensors, allocating, a device error).
    #[error("failed to {context}")]
    Torch {
        /// What lego was doing.
        context: String,
        /// The underlying failure.
        #[source]
        source: tch::TchError,
    },
}

/// lego-model's result.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Wraps a libtorch error with what lego was doing.
pub(crate) fn torch(context: impl Into<String>) -> impl FnOnce(tch::TchError) -> Error {
    let context = context.into();
    move |source| Error::Torch { context, source }
}
