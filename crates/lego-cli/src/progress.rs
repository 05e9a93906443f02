//! Progress as a person or a log reader wants it: a live bar on a terminal, a plain line every
//! few seconds anywhere else.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::logging::output;

/// How often the plain progress line is written when no live bar can be drawn; overridden by
/// `LEGO_PROGRESS_INTERVAL` (seconds), which tests set to see every step.
const LINE_INTERVAL: Duration = Duration::from_secs(10);

/// A [`lego_data::Progress`] for one job of a command, named by what it counts
/// (`pull requests`, `steps`, `trajectories`).
#[derive(Debug)]
pub struct ProgressBar {
    what: String,
    mode: Mode,
}

#[derive(Debug)]
enum Mode {
    /// A live bar (text on a terminal).
    Live(indicatif::ProgressBar),
    /// A line through the log every [`LINE_INTERVAL`], and one at the end.
    Lines(Lines),
    /// `-q`: nothing.
    Hidden,
}

#[derive(Debug)]
struct LastLine {
    at: Instant,
    done: u64,
    message: String,
}

#[derive(Debug)]
struct Lines {
    total: AtomicU64,
    done: AtomicU64,
    /// Units done before this process started (a resumed run): not part of the rate.
    resumed: AtomicU64,
    start: Instant,
    interval: Duration,
    /// When the last line was written, at what count, and the message to show.
    last: Mutex<LastLine>,
}

impl ProgressBar {
    /// A new bar for a job counting `what` (plural noun, shown after the numbers).
    pub fn new(what: &str) -> Self {
        let out = output();
        let mode = if out.quiet {
            Mode::Hidden
        } else if out.live {
            // Added to the shared MultiProgress before anything is drawn, so that every frame
            // goes through it and log lines can hide it.
            let bar = out.bars.add(indicatif::ProgressBar::with_draw_target(
                None,
                indicatif::ProgressDrawTarget::hidden(),
            ));
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{spinner:.green} [{elapsed_precise}] [{wide_bar:.cyan/blue}] {human_pos}/{human_len} {prefix} ({rate}, ETA {eta}) {msg}",
                )
                .expect("the template is valid")
                .with_key(
                    "rate",
                    |state: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                        let _ = write!(w, "{:.1}/s", state.per_sec());
                    },
                )
                .progress_chars("=> "),
            );
            bar.set_prefix(what.to_owned());
            bar.enable_steady_tick(Duration::from_millis(200));
            Mode::Live(bar)
        } else {
            let interval = std::env::var("LEGO_PROGRESS_INTERVAL")
                .ok()
                .and_then(|v| v.parse::<f64>().ok())
                .filter(|s| s.is_finite() && *s >= 0.0)
                .map_or(LINE_INTERVAL, Duration::from_secs_f64);
            let now = Instant::now();
            Mode::Lines(Lines {
                total: AtomicU64::new(0),
                done: AtomicU64::new(0),
                resumed: AtomicU64::new(0),
                start: now,
                interval,
                last: Mutex::new(LastLine {
                    at: now,
                    done: 0,
                    message: String::new(),
                }),
            })
        };
        Self {
            what: what.to_owned(),
            mode,
        }
    }

    /// Ends the bar: a live one is cleared (the command prints its own summary next), a plain
    /// one writes its last line unless it just did.
    pub fn finish(&self) {
        match &self.mode {
            Mode::Live(bar) => bar.finish_and_clear(),
            Mode::Lines(lines) => {
                let done = lines.done.load(Ordering::SeqCst);
                let mut last = lines.last.lock().unwrap_or_else(|e| e.into_inner());
                if last.done != done {
                    last.at = Instant::now();
                    last.done = done;
                    self.line(lines, done, &last.message);
                }
            }
            Mode::Hidden => {}
        }
    }

    fn line(&self, lines: &Lines, done: u64, message: &str) {
        let total = lines.total.load(Ordering::SeqCst);
        let fresh = done.saturating_sub(lines.resumed.load(Ordering::SeqCst));
        let secs = lines.start.elapsed().as_secs_f64();
        let rate = if secs > 0.0 { fresh as f64 / secs } else { 0.0 };
        let left = total.saturating_sub(done);
        let eta = if rate > 0.0 && total > 0 {
            format!(", ETA {}", human_duration(left as f64 / rate))
        } else {
            String::new()
        };
        let percent = if total > 0 {
            format!(" ({:.0}%)", 100.0 * done as f64 / total as f64)
        } else {
            String::new()
        };
        let suffix = if message.is_empty() {
            String::new()
        } else {
            format!(" {message}")
        };
        let text = format!(
            "{} {done}/{total}{percent} {rate:.2}/s{eta}{suffix}",
            self.what
        );
        // The numbers as fields for log collectors; a person reads them in the line. No parent
        // span: the line is about the whole job, not the unit of work that happened to end it.
        if output().json {
            tracing::info!(target: "lego::progress", parent: None, done, total, rate, "{text}");
        } else {
            tracing::info!(target: "lego::progress", parent: None, "{text}");
        }
    }
}

impl Drop for ProgressBar {
    fn drop(&mut self) {
        if let Mode::Live(bar) = &self.mode
            && !bar.is_finished()
        {
            bar.finish_and_clear();
        }
    }
}

impl lego_data::Progress for ProgressBar {
    fn set_total(&self, total: u64) {
        match &self.mode {
            Mode::Live(bar) => bar.set_length(total),
            Mode::Lines(lines) => {
                lines.total.store(total, Ordering::SeqCst);
            }
            Mode::Hidden => {}
        }
    }

    fn set_position(&self, done: u64) {
        match &self.mode {
            Mode::Live(bar) => {
                bar.set_position(done);
                // The rate and ETA count what this run does, not what an earlier one did.
                bar.reset_eta();
            }
            Mode::Lines(lines) => {
                lines.done.store(done, Ordering::SeqCst);
                lines.resumed.store(done, Ordering::SeqCst);
            }
            Mode::Hidden => {}
        }
    }

    fn advance(&self, n: u64) {
        match &self.mode {
            Mode::Live(bar) => bar.inc(n),
            Mode::Lines(lines) => {
                let done = lines.done.fetch_add(n, Ordering::SeqCst) + n;
                let total = lines.total.load(Ordering::SeqCst);
                let mut last = lines.last.lock().unwrap_or_else(|e| e.into_inner());
                if last.at.elapsed() >= lines.interval || (total > 0 && done >= total) {
                    last.at = Instant::now();
                    last.done = done;
                    self.line(lines, done, &last.message);
                }
            }
            Mode::Hidden => {}
        }
    }

    fn set_message(&self, message: &str) {
        match &self.mode {
            Mode::Live(bar) => bar.set_message(message.to_owned()),
            Mode::Lines(lines) => {
                lines.last.lock().unwrap_or_else(|e| e.into_inner()).message = message.to_owned();
            }
            Mode::Hidden => {}
        }
    }
}

/// `75s` -> `1m15s`, as a person reads an ETA.
fn human_duration(secs: f64) -> String {
    let secs = secs.round() as u64;
    match secs {
        0..60 => format!("{secs}s"),
        60..3600 => format!("{}m{:02}s", secs / 60, secs % 60),
        _ => format!("{}h{:02}m", secs / 3600, (secs / 60) % 60),
    }
}

#[cfg(test)]
mod tests;
