//! The `tracing` subscriber of the lego binaries: filters from `-v`/`-q` or `RUST_LOG`, a text
//! format that reads like a command's own output, JSON lines for collectors, all on stderr and
//! printed above any live progress bar.

use std::fmt;
use std::io::{IsTerminal, Write};
use std::sync::OnceLock;

use clap::{ArgAction, Args, ValueEnum};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::format::{FmtSpan, Writer};
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields, FormattedFields, MakeWriter};
use tracing_subscriber::prelude::*;
use tracing_subscriber::registry::LookupSpan;

/// The crates whose `info` events a user sees by default; everything else shows warnings only.
/// A new lego crate adds its name here.
const LEGO_TARGETS: &[&str] = &[
    "lego",
    "lego_cli",
    "lego_torch",
    "lego_data",
    "lego_sandbox",
    "lego_model",
    "lego_sft",
    "lego_synth",
    "lego_agent",
    "lego_openai",
    "lego_serve",
    "lego_verifier",
    "lego_tts",
];

/// The output flags every lego command takes.
#[derive(Debug, Clone, Default, Args)]
pub struct OutputArgs {
    /// More detail on stderr: -v debug, -vv trace (for lego's crates; RUST_LOG overrides).
    #[arg(short, long, action = ArgAction::Count, global = true)]
    pub verbose: u8,
    /// Errors only: no progress, no summaries (results still go to stdout and --out).
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// `text` for people, `json` for log collectors (one JSON object per line on stderr).
    #[arg(long, value_enum, default_value_t = LogFormat::Text, global = true)]
    pub log_format: LogFormat,
}

impl OutputArgs {
    /// The flags as arguments again, to hand on to another lego binary.
    pub fn to_args(&self) -> Vec<String> {
        let mut args = Vec::new();
        if self.verbose > 0 {
            args.push(format!("-{}", "v".repeat(usize::from(self.verbose))));
        }
        if self.quiet {
            args.push("--quiet".into());
        }
        if self.log_format == LogFormat::Json {
            args.push("--log-format=json".into());
        }
        args
    }
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Lines for people.
    #[default]
    Text,
    /// One JSON object per line (timestamp, level, target, fields, spans).
    Json,
}

/// What the progress bars need to know about the output, fixed once at start.
#[derive(Debug)]
pub(crate) struct Output {
    /// Bars are drawn live (text on a terminal, not quiet); otherwise progress is periodic lines.
    pub live: bool,
    /// No progress at all.
    pub quiet: bool,
    /// Logs are JSON: progress lines carry their numbers as fields.
    pub json: bool,
    /// Every live bar belongs to this, so a log line can hide them while it is printed.
    pub bars: indicatif::MultiProgress,
}

static OUTPUT: OnceLock<Output> = OnceLock::new();

/// The output settings; the defaults (periodic lines, not quiet) when [`init_output`] was not
/// called, as in a library user's program.
pub(crate) fn output() -> &'static Output {
    OUTPUT.get_or_init(|| Output {
        live: false,
        quiet: false,
        json: false,
        bars: indicatif::MultiProgress::with_draw_target(indicatif::ProgressDrawTarget::hidden()),
    })
}

/// Installs the subscriber for `args`; call once at the start of `main`.
pub fn init_output(args: &OutputArgs) {
    let terminal = std::io::stderr().is_terminal();
    let live = terminal && !args.quiet && args.log_format == LogFormat::Text;
    let bars = indicatif::MultiProgress::with_draw_target(if live {
        indicatif::ProgressDrawTarget::stderr()
    } else {
        indicatif::ProgressDrawTarget::hidden()
    });
    let _ = OUTPUT.set(Output {
        live,
        quiet: args.quiet,
        json: args.log_format == LogFormat::Json,
        bars,
    });

    let from_env = std::env::var("RUST_LOG")
        .ok()
        .filter(|v| !v.trim().is_empty());
    let filter = match &from_env {
        Some(directives) => EnvFilter::new(directives),
        None => EnvFilter::new(default_directives(args)),
    };
    // Span timings are for someone looking closely: with -v, or a RUST_LOG of their own.
    let span_events = if args.verbose > 0 || from_env.is_some() {
        FmtSpan::CLOSE
    } else {
        FmtSpan::NONE
    };
    let registry = tracing_subscriber::registry().with(filter);
    let result = match args.log_format {
        LogFormat::Text => registry
            .with(
                tracing_subscriber::fmt::layer()
                    .with_ansi(terminal)
                    .with_span_events(span_events)
                    .event_format(CliFormat {
                        ansi: terminal,
                        timestamps: args.verbose > 0,
                    })
                    .with_writer(AboveBars),
            )
            .try_init(),
        LogFormat::Json => registry
            .with(
                tracing_subscriber::fmt::layer()
                    .with_ansi(false)
                    .json()
                    .with_current_span(true)
                    .with_span_list(true)
                    .with_span_events(span_events)
                    .with_writer(AboveBars),
            )
            .try_init(),
    };
    // A second call (a test that runs main twice) keeps the first subscriber.
    let _ = result;
}

fn default_directives(args: &OutputArgs) -> String {
    let level = match (args.quiet, args.verbose) {
        (true, _) => return "error".into(),
        (false, 0) => "info",
        (false, 1) => "debug",
        (false, _) => "trace",
    };
    let mut directives = vec!["warn".to_owned()];
    directives.extend(LEGO_TARGETS.iter().map(|t| format!("{t}={level}")));
    directives.join(",")
}

/// Reports the error that ends a command: through the subscriber (so `--log-format json` gets a
/// JSON object), or straight to stderr when none is installed.
pub(crate) fn report_error(message: &str) {
    if tracing::dispatcher::has_been_set() {
        tracing::error!(target: "lego", "{message}");
    } else {
        eprintln!("error: {message}");
    }
}

/// Writes each log line in one piece to stderr, with the live bars hidden meanwhile.
#[derive(Debug, Clone, Copy)]
struct AboveBars;

/// One log line, buffered until the formatter is done with it.
#[derive(Debug, Default)]
struct LineBuffer(Vec<u8>);

impl Write for LineBuffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for LineBuffer {
    fn drop(&mut self) {
        if self.0.is_empty() {
            return;
        }
        output().bars.suspend(|| {
            // Nothing sensible is left to do when stderr itself fails.
            let _ = std::io::stderr().lock().write_all(&self.0);
        });
    }
}

impl<'a> MakeWriter<'a> for AboveBars {
    type Writer = LineBuffer;

    fn make_writer(&'a self) -> Self::Writer {
        LineBuffer::default()
    }
}

/// The text format: `info` plain, as the command's own report (`rendered 7 of 7 ...`);
/// `warning: ` and `error: ` as compilers write them; `debug`/`trace` with level and target.
/// Events inside spans name them first (`pr{id=six-1}:sandbox{backend=local}: ...`).
#[derive(Debug, Clone, Copy)]
struct CliFormat {
    ansi: bool,
    timestamps: bool,
}

impl CliFormat {
    fn paint(&self, writer: &mut Writer<'_>, code: &str, text: &str) -> fmt::Result {
        if self.ansi {
            write!(writer, "\x1b[{code}m{text}\x1b[0m")
        } else {
            write!(writer, "{text}")
        }
    }
}

impl<S, N> FormatEvent<S, N> for CliFormat
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let meta = event.metadata();
        if self.timestamps {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap_or_default();
            let secs = now.as_secs();
            let (h, m, s) = ((secs / 3600) % 24, (secs / 60) % 60, secs % 60);
            let millis = now.subsec_millis();
            self.paint(
                &mut writer,
                "2",
                &format!("{h:02}:{m:02}:{s:02}.{millis:03} "),
            )?;
        }
        match *meta.level() {
            Level::ERROR => self.paint(&mut writer, "1;31", "error: ")?,
            Level::WARN => self.paint(&mut writer, "1;33", "warning: ")?,
            Level::INFO => {}
            Level::DEBUG => self.paint(&mut writer, "34", &format!("debug {}: ", meta.target()))?,
            Level::TRACE => self.paint(&mut writer, "35", &format!("trace {}: ", meta.target()))?,
        }
        if let Some(scope) = ctx.event_scope() {
            let mut any = false;
            for span in scope.from_root() {
                self.paint(&mut writer, "1", span.name())?;
                let extensions = span.extensions();
                if let Some(fields) = extensions.get::<FormattedFields<N>>()
                    && !fields.is_empty()
                {
                    write!(writer, "{{{fields}}}")?;
                }
                write!(writer, ":")?;
                any = true;
            }
            if any {
                write!(writer, " ")?;
            }
        }
        ctx.field_format().format_fields(writer.by_ref(), event)?;
        writeln!(writer)
    }
}
