//! `execute_bash`: OpenHands' persistent shell tool (`BashSession` of OpenHands 0.3x with its
//! `CmdOutputObservation`), over [`Sandbox::shell_send`]/[`Sandbox::shell_wait`].

use std::time::Duration;

use serde_json::{Map, Value};

use crate::sandbox::{ExecOptions, Sandbox, ShellInput, ShellState, WaitOptions};

/// Seconds without new output after which the tool returns and lets the command run on.
const NO_CHANGE_TIMEOUT_SECONDS: u64 = 10;
/// When no `timeout` is given, the longest one call waits (a command printing a line every few
/// seconds forever never hits the soft timeout). Not in OpenHands, which would wait forever.
const BACKSTOP_SECONDS: f64 = 1800.0;
/// Observation characters kept, half from the head and half from the tail (OpenHands'
/// `MAX_CMD_OUTPUT_SIZE`).
const MAX_CMD_OUTPUT_SIZE: usize = 30_000;
const TIMEOUT_MESSAGE_TEMPLATE: &str = "You may wait longer to see additional output by sending empty command '', send other commands to interact with the current process, send keys to interrupt/kill the command, or use the timeout parameter in execute_bash for future commands.";
const CONTINUE_PREFIX: &str = "[Below is the output of the previous command.]\n";

/// Whether the previous command still runs, and the interpreter line, looked up once.
#[derive(Debug, Default)]
pub(crate) struct BashState {
    running: bool,
    python: Option<Option<String>>,
}

/// Runs one `execute_bash` call: the observation text and the exit code (-1 while running).
pub(crate) fn run(
    sandbox: &mut dyn Sandbox,
    state: &mut BashState,
    args: &Map<String, Value>,
) -> (String, Option<i64>) {
    let command = match args.get("command") {
        Some(Value::String(command)) => command.as_str(),
        None | Some(Value::Null) => return (super::missing("command", "execute_bash"), None),
        // Present but not text: say so, rather than that it is missing.
        Some(other) => {
            return (
                format!(
                    "ERROR:\nInvalid value for argument \"command\" in tool call execute_bash: expected a string, got {other}"
                ),
                None,
            );
        }
    };
    let is_input = match args.get("is_input") {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s.eq_ignore_ascii_case("true"),
        _ => false,
    };
    let timeout = match args.get("timeout") {
        Some(Value::Number(n)) => n.as_f64(),
        Some(Value::String(s)) => s.trim().parse().ok(),
        _ => None,
    }
    .filter(|t| *t > 0.0);
    let trimmed = command.trim();
    if trimmed.is_empty() && !state.running {
        return (
            "ERROR: No previous running command to retrieve logs from.".into(),
            Some(-1),
        );
    }
    if is_input && !state.running {
        return (
            "ERROR: No previous running command to interact with.".into(),
            Some(-1),
        );
    }
    let continuing = state.running;
    if state.running && !is_input && !trimmed.is_empty() {
        let waited = sandbox.shell_wait(&WaitOptions {
            no_output: Duration::ZERO,
            deadline: Duration::from_millis(100),
        });
        let output = waited.map(|u| u.output).unwrap_or_default();
        let text = format!(
            "{CONTINUE_PREFIX}{}\n[Your command \"{trimmed}\" is NOT executed. The previous command is still running - You CANNOT send new commands until the previous command is completed. By setting `is_input` to `true`, you can interact with the current process: {TIMEOUT_MESSAGE_TEMPLATE}]",
            clean(&output)
        );
        return (text, Some(-1));
    }
    let input = if is_input {
        match trimmed {
            "C-c" | "C-z" => Some(ShellInput::Interrupt),
            "C-d" => Some(ShellInput::Eof),
            _ => Some(ShellInput::Text(format!("{command}\n"))),
        }
    } else if trimmed.is_empty() {
        None
    } else {
        Some(ShellInput::Command(command.to_string()))
    };
    if let Some(input) = input
        && let Err(e) = sandbox.shell_send(input)
    {
        return (format!("ERROR: {e}"), Some(-1));
    }
    let deadline = timeout.unwrap_or(BACKSTOP_SECONDS);
    let options = WaitOptions {
        no_output: if timeout.is_some() {
            Duration::from_secs_f64(deadline + 1.0)
        } else {
            Duration::from_secs(NO_CHANGE_TIMEOUT_SECONDS)
        },
        deadline: Duration::from_secs_f64(deadline),
    };
    let update = match sandbox.shell_wait(&options) {
        Ok(u) => u,
        Err(e) => return (format!("ERROR: {e}"), Some(-1)),
    };
    let prefix = if continuing { CONTINUE_PREFIX } else { "" };
    let content = clean(&update.output);
    match update.state {
        ShellState::Completed { exit_code, cwd } => {
            state.running = false;
            let python = python(sandbox, state);
            let mut text = format!(
                "{prefix}{content}\n[The command completed with exit code {exit_code}.]\n[Current working directory: {cwd}]"
            );
            if let Some(p) = python {
                text += &format!("\n[Python interpreter: {p}]");
            }
            text += &format!("\n[Command finished with exit code {exit_code}]");
            (text, Some(i64::from(exit_code)))
        }
        ShellState::Running => {
            state.running = true;
            let note = match timeout {
                Some(t) => format!("[The command timed out after {} seconds. ", py_float(t)),
                None => format!(
                    "[The command has no new output after {NO_CHANGE_TIMEOUT_SECONDS} seconds. "
                ),
            };
            (
                format!("{prefix}{content}\n{note}{TIMEOUT_MESSAGE_TEMPLATE}]"),
                Some(-1),
            )
        }
        ShellState::ShellExited | ShellState::Idle => {
            state.running = false;
            (
                format!(
                    "{prefix}{content}\n[The shell exited. The next command starts a fresh shell in /testbed.]"
                ),
                Some(-1),
            )
        }
    }
}

/// The interpreter `which python` finds in the sandbox, looked up once per episode.
fn python(sandbox: &mut dyn Sandbox, state: &mut BashState) -> Option<String> {
    state
        .python
        .get_or_insert_with(|| {
            let out = sandbox
                .exec("command -v python || true", &ExecOptions::default())
                .ok()?;
            let p = out.output.trim().to_string();
            (!p.is_empty()).then_some(p)
        })
        .clone()
}

/// Output without the blank lines around it, clipped in the middle past
/// [`MAX_CMD_OUTPUT_SIZE`] characters.
fn clean(output: &str) -> String {
    let text = &unname_command_file(output);
    let text = text.trim_start_matches(['\n', '\r']).trim_end();
    let chars = text.chars().count();
    if chars <= MAX_CMD_OUTPUT_SIZE {
        return text.to_string();
    }
    let half = MAX_CMD_OUTPUT_SIZE / 2;
    let head: String = text.chars().take(half).collect();
    let tail: String = text.chars().skip(chars - half).collect();
    format!("{head}\n[... Observation truncated due to length ...]\n{tail}")
}

/// Bash's own errors as an agent's shell shows them: the backends run each command by sourcing
/// a file (`/tmp/.../shell-5.sh`), which bash names in its errors where a terminal's shell says
/// `bash` (`bash: line 1: pyhton3: command not found`). Only the file's name goes: the line
/// numbers are the command's own.
fn unname_command_file(output: &str) -> String {
    static SOURCED: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r"(?m)^/\S*/shell-\d+\.sh: line ").expect("a valid pattern")
    });
    SOURCED.replace_all(output, "bash: line ").into_owned()
}

/// A number as Python's `str(float(x))` writes it.
fn py_float(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e16 {
        format!("{x:.1}")
    } else {
        format!("{x}")
    }
}
