//! Progress of long jobs: the library reports units of work done, whoever runs the job draws it.
//!
//! Every long-running library function (mining, rendering a large file, export, training,
//! rollouts) takes a `&dyn Progress` and calls it as work completes; the `lego` binary passes
//! one that draws a live bar on a terminal or prints periodic lines into a pipe, a downstream
//! program passes its own or [`NoProgress`]. Libraries never print: what is not a count goes
//! through `tracing`.

/// Receives the progress of one job. Calls may come from several threads at once.
pub trait Progress: Send + Sync {
    /// The job has `total` units of work (called again if the total becomes known later).
    fn set_total(&self, total: u64);
    /// `done` units are complete already, before any counted now (a resumed run).
    fn set_position(&self, done: u64);
    /// `n` more units are complete.
    fn advance(&self, n: u64);
    /// A short status to show beside the count (the last loss, the unit in flight).
    fn set_message(&self, _message: &str) {}
}

/// Progress that goes nowhere, for callers that do not show any.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoProgress;

impl Progress for NoProgress {
    fn set_total(&self, _total: u64) {}
    fn set_position(&self, _done: u64) {}
    fn advance(&self, _n: u64) {}
}
