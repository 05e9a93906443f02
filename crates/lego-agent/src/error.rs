use std::path::PathBuf;

/// What can go wrong in lego-agent's runners (an episode itself never fails: what goes wrong in
/// it is recorded as its end reason).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Reading or writing a data file failed.
    #[error(transparent)]
    Data(#[from] lego_data::Error),
    /// A sandbox could not be started or failed outside an episode.
    #[error(transparent)]
    Sandbox(#[from] lego_sandbox::Error),
    /// A task cannot be run as given.
    #[error("task {instance_id}: {message}")]
    Task {
        /// The task.
        instance_id: String,
        /// What is wrong with it.
        message: String,
    },
    /// The policy never gave a first step (a server that is down, a model that cannot load):
    /// the rollout is not recorded, so a rerun tries it again.
    #[error("task {instance_id}: the policy never answered: {message}")]
    PolicyUnavailable {
        /// The task.
        instance_id: String,
        /// The policy's error.
        message: String,
    },
    /// A file could not be written.
    #[error("failed to write {path}")]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// An input file holds something the runner cannot use.
    #[error("{location}: {message}")]
    Input {
        /// `file:line` or the file.
        location: String,
        /// What is wrong.
        message: String,
    },
}

/// lego-agent's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// An error and its causes on one line, outermost first: what a trajectory's `end_detail` and a
/// runner's failure list say.
pub(crate) fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let parts: Vec<String> = std::iter::successors(Some(e), |e| e.source())
        .map(ToString::to_string)
        .collect();
    parts.join(": ")
}
