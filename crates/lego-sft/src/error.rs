use std::path::PathBuf;

/// Everything that can go wrong in `lego-sft`.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A training config that is not TOML, has an unknown key, or a value out of range.
    #[error("config {path}: {message}")]
    Config { path: PathBuf, message: String },
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
    #[error("failed to {context}")]
    Json {
        context: String,
        #[source]
        source: serde_json::Error,
    },
    /// Training data that cannot be read, rendered, or used as configured.
    #[error("training data {path}: {message}")]
    Data { path: PathBuf, message: String },
    #[error("failed to load the training data {path}")]
    DataSource {
        path: PathBuf,
        #[source]
        source: lego_data::Error,
    },
    #[error("failed to {context}")]
    Model {
        context: String,
        #[source]
        source: lego_model::Error,
    },
    /// libtorch failed (reading or writing safetensors, allocating, a device error).
    #[error("failed to {context}")]
    Torch {
        context: String,
        #[source]
        source: tch::TchError,
    },
    /// A checkpoint that cannot continue this run.
    #[error("cannot resume from {path}: {message}")]
    Resume { path: PathBuf, message: String },
    #[error("failed to plot {path}: {message}")]
    Plot { path: PathBuf, message: String },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

pub(crate) fn torch(context: impl Into<String>) -> impl FnOnce(tch::TchError) -> Error {
    let context = context.into();
    move |source| Error::Torch { context, source }
}

pub(crate) fn model(context: impl Into<String>) -> impl FnOnce(lego_model::Error) -> Error {
    let context = context.into();
    move |source| Error::Model { context, source }
}
