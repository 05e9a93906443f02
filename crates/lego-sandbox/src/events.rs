//! What the crate's `tracing` events share: short forms of long texts, and the exec event both
//! backends emit.
//!
//! Levels: `info` for what an operator wants by default (images built, base image bootstrapped,
//! garbage collected), `debug` for the lifecycle of sandboxes, tool calls, test runs,
//! validations and pool jobs, `trace` for whole command texts, arguments and outputs.

use std::time::Duration;

/// The first line of `text`, cut to 120 characters, with `…` where something was left out: a
/// command as a `debug` line shows it (an eval script is a page long; `trace` has it whole).
pub(crate) fn brief(text: &str) -> String {
    const MAX: usize = 120;
    let first = text.lines().next().unwrap_or_default();
    let mut out: String = first.chars().take(MAX).collect();
    if out.len() < text.trim_end().len() {
        out.push('…');
    }
    out
}

/// The event of one finished one-shot command, the same on every backend.
pub(crate) fn exec_done(
    command: &str,
    exit_code: Option<i64>,
    timed_out: bool,
    duration: Duration,
    output: &str,
    dropped_bytes: u64,
) {
    tracing::debug!(
        command = %brief(command),
        exit_code,
        timed_out,
        seconds = duration.as_secs_f64(),
        output_bytes = output.len(),
        dropped_bytes,
        "exec done"
    );
    tracing::trace!(command, output, "exec text");
}

/// The event of one [`Sandbox::shell_wait`](crate::Sandbox::shell_wait), the same on every backend.
pub(crate) fn shell_waited(waited: Duration, output: &str, state: &crate::sandbox::ShellState) {
    tracing::debug!(
        seconds = waited.as_secs_f64(),
        output_bytes = output.len(),
        state = ?state,
        "shell waited"
    );
    tracing::trace!(output, "shell output");
}

#[cfg(test)]
mod tests;
