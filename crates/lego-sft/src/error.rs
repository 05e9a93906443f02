use std::path::PathBuf;

/// Everything that can go wrong in `lego-sft`.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A training config that is not TOML, has an unknown key, or a value out of range.
    #[error("config {path}: {message}")]
    Config {
        /// The config file (or the key, for values set in code).
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// A file that cannot be read.
    #[error("failed to read {path}")]
    Read {
        /// The file concerned.
        path: PathBuf,
        /// The underlying failure.
        #[source]
        source: std::io::Error,
    },
    /// A file or directory that cannot be written (checkpoint, metrics, plot).
    #[error("failed to write {path}")]
    Write {
        /// The file concerned.
        path: PathBuf,
        /// The underlying failure.
        #[source]
        source: std::io::Error,
    },
    /// JSON that cannot be parsed or written (trainer state, metrics).
    #[error("failed to {context}")]
    Json {
        /// What lego was doing.
        context: String,
        /// The underlying failure.
        #[source]
        source: serde_json::Error,
    },
    /// Training data that cannot be read, rendered, or used as configured.
    #[error("training data {path}: {message}")]
    Data {
        /// The data file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// The training data failed in lego-data (reading, rendering).
    #[error("failed to load the training data {path}")]
    DataSource {
        /// The file concerned.
        path: PathBuf,
        /// The underlying failure.
        #[source]
        source: lego_data::Error,
    },
    /// The model failed in lego-model (loading, a forward or backward pass, saving).
    #[error("failed to {context}")]
    Model {
        /// What lego was doing.
        context: String,
        /// The underlying failure.
        #[source]
        source: lego_model::Error,
    },
    /// libtorch failed (reading or writing safetensors, allocating, a device error).
    #[error("failed to {context}")]
    Torch {
        /// What lego was doing.
        context: String,
        /// The underlying failure.
        #[source]
        source: tch::TchError,
    },
    /// A checkpoint that cannot continue this run.
    #[error("cannot resume from {path}: {message}")]
    Resume {
        /// The checkpoint.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// The plot could not be drawn or encoded.
    #[error("failed to plot {path}: {message}")]
    Plot {
        /// The PNG being written.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}

/// lego-sft's result.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Wraps a libtorch error with what lego-sft was doing.
pub(crate) fn torch(context: impl Into<String>) -> impl FnOnce(tch::TchError) -> Error {
    let context = context.into();
    move |source| Error::Torch { context, source }
}

pub(crate) fn model(context: impl Into<String>) -> impl FnOnce(lego_model::Error) -> Error {
    let context = context.into();
    move |source| Error::Model { context, source }
}
