//! The agent's four tools over any [`Sandbox`], with OpenHands' semantics and messages.

mod bash;
mod editor;

use std::collections::HashMap;
use std::time::Instant;

use lego_data::{FunctionCall, StepError, classify_step};
use serde_json::{Map, Value};

use crate::sandbox::Sandbox;

/// What one tool call gives back.
#[derive(Debug, Clone, PartialEq)]
pub struct Observation {
    /// The text the model sees (`ERROR:`-prefixed where OpenHands prefixes it).
    pub text: String,
    /// The step's execution-time error, by [`lego_data::classify_step`].
    pub error: Option<StepError>,
    /// The command's exit code (`execute_bash`); -1 while it still runs, as in OpenHands.
    pub exit_code: Option<i64>,
    /// Wall-clock seconds the call took.
    pub duration_s: f64,
    /// Whether the call was `finish`: the episode is over.
    pub finished: bool,
}

/// What the tools remember across the calls of one episode: the editor's undo history and
/// whether the shell's last command still runs.
#[derive(Debug, Default)]
pub struct ToolState {
    history: HashMap<String, Vec<String>>,
    bash: bash::BashState,
}

/// Runs one tool call (`arguments` is the JSON object text of an OpenAI tool call) and returns
/// its observation. Never fails: a bad call or a sandbox failure is an observation, as the model
/// would see it.
///
/// The call is a `tool_call` span (at `debug`) in the sandbox's [`span`](Sandbox::span), ending
/// with an event that says how it went; `trace` adds the arguments and the observation's text.
pub fn tool_call(
    sandbox: &mut dyn Sandbox,
    state: &mut ToolState,
    name: &str,
    arguments: &str,
) -> Observation {
    let span = tracing::debug_span!(parent: &sandbox.span(), "tool_call", tool = name);
    let _entered = span.enter();
    tracing::trace!(arguments, "tool call arguments");
    let started = Instant::now();
    let (text, exit_code, finished) = match serde_json::from_str::<Value>(arguments) {
        Ok(Value::Object(args)) => dispatch(sandbox, state, name, &args),
        _ => (
            format!(
                "ERROR:\nFailed to parse tool call arguments: {arguments}. The arguments must be a JSON object."
            ),
            None,
            false,
        ),
    };
    let call = FunctionCall {
        name: name.to_string(),
        arguments: arguments.to_string(),
    };
    let error = classify_step(&[], Some(&call), &text, exit_code);
    let duration_s = started.elapsed().as_secs_f64();
    tracing::debug!(
        error = error.map(StepError::as_str),
        exit_code,
        seconds = duration_s,
        finished,
        observation_chars = text.chars().count(),
        "tool call done"
    );
    tracing::trace!(observation = text, "tool call observation");
    Observation {
        text,
        error,
        exit_code,
        duration_s,
        finished,
    }
}

fn dispatch(
    sandbox: &mut dyn Sandbox,
    state: &mut ToolState,
    name: &str,
    args: &Map<String, Value>,
) -> (String, Option<i64>, bool) {
    match name {
        "execute_bash" => {
            let (text, code) = bash::run(sandbox, &mut state.bash, args);
            (text, code, false)
        }
        "str_replace_editor" => (editor::run(sandbox, &mut state.history, args), None, false),
        // OpenHands' AgentThinkObservation.
        "think" => ("Your thought has been logged.".to_string(), None, false),
        // The episode ends; the model sees nothing after it.
        "finish" => (String::new(), None, true),
        other => (
            format!(
                "ERROR:\nTool {other} is not registered. (arguments: {}). Please check the tool name and retry with an existing tool.",
                Value::Object(args.clone())
            ),
            None,
            false,
        ),
    }
}

/// A missing required argument, as OpenHands' function-calling layer words it.
fn missing(name: &str, tool: &str) -> String {
    format!("ERROR:\nMissing required argument \"{name}\" in tool call {tool}")
}

#[cfg(test)]
mod tests;
