//! What every lego binary shares: the output flags, the log subscriber, progress, and the exit.
//!
//! - [`OutputArgs`]: `-v`/`-vv` (debug, trace for lego's crates), `-q` (errors only, no
//!   progress), `--log-format text|json`; `RUST_LOG` replaces the level filter when set.
//! - [`init_output`] installs the `tracing` subscriber: everything goes to stderr, stdout stays
//!   for machine-readable results. Text for people (info lines plain, as a command's own
//!   report; warnings and errors prefixed; debug and trace with their target and spans), JSON
//!   for log collectors (one object per line, spans included).
//! - [`ProgressBar`]: a [`lego_data::Progress`] that draws a live bar with done/total, rate and
//!   ETA on a terminal (log lines are printed above it, never through it) and writes a plain
//!   line every few seconds otherwise (a pipe, a file, CI, `--log-format json`).
//! - [`finish`] ends a command: its error as one line, exit code 1.
//!
//! The `lego` binary (no libtorch) and `lego-torch` (the model and training commands, which
//! `lego` runs for `lego model` and `lego sft`) both start from here, so they look alike.

#![warn(missing_docs)]

pub mod agent;
mod logging;
mod progress;
pub mod sandbox_args;

pub use logging::{LogFormat, OutputArgs, init_output};
pub use progress::ProgressBar;

/// Ends the process after a command: nothing on success, the error and its causes as one line
/// (outermost first) and exit code 1 on failure.
pub fn finish(result: anyhow::Result<()>) -> ! {
    match result {
        Ok(()) => std::process::exit(0),
        Err(err) => {
            let chain: Vec<String> = err.chain().map(ToString::to_string).collect();
            logging::report_error(&chain.join(": "));
            std::process::exit(1);
        }
    }
}
