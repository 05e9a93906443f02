//! Classifying the execution-time error of an agent step.
//!
//! SWE-Lego's refined SFT keeps error steps in the context but gives them no loss, so the
//! model is not taught to make them. An error step is one whose action failed through a fault of
//! the action itself; a command that runs and reports bad news (a failing test, `grep` finding
//! nothing, `ls` of a missing file) is a normal step: reproducing the bug is part of the job.
//!
//! The rules of [`classify_step`], in priority order (the first that matches wins):
//!
//! | # | class | when |
//! |---|-------|------|
//! | 1 | [`ToolCallParse`](StepError::ToolCallParse) | the call could not be parsed at all (`call` is `None`: a malformed Hermes `<tool_call>` block, or none), or its `arguments` is not a JSON object |
//! | 2 | [`UnknownTool`](StepError::UnknownTool) | the name is not a function name of `tools` (of the four OpenHands tools when `tools` is empty) |
//! | 3 | [`InvalidArguments`](StepError::InvalidArguments) | against the tool's JSON schema: a required parameter is missing, a value has the wrong JSON type, or is not in the parameter's `enum`; for `str_replace_editor` also a parameter its `command` needs (`file_text` for `create`, `old_str` for `str_replace`, `insert_line` and `new_str` for `insert`), or an observation `ERROR: ... Parameter ... is required for command` |
//! | 4 | [`EditorError`](StepError::EditorError) | a `str_replace_editor` observation that begins with `ERROR:` |
//! | 5 | [`CommandTimeout`](StepError::CommandTimeout) | the observation holds OpenHands' hard-timeout note `[The command timed out after ...` or a line starting `Command timed out` (whatever the exit code; 124 and -1 come with it). The soft note "no new output after N seconds" is **not** an error: the command still runs and waiting is a normal step |
//! | 6 | [`CommandNotFound`](StepError::CommandNotFound) | exit code 127, or a shell line `bash: foo: command not found` / `bash: line 1: foo: command not found` / `sh: 1: foo: not found` |
//! | 7 | [`PythonSyntaxError`](StepError::PythonSyntaxError) | the command is not a test run, exited non-zero, printed a traceback (or a `File "...", line N` frame), and the last exception line of its output is `SyntaxError:`, `IndentationError:` or `TabError:` |
//! | 8 | [`PythonImportError`](StepError::PythonImportError) | as 7, with `ModuleNotFoundError:` or `ImportError:` last |
//! | - | none | anything else, in particular a test run that fails, even one whose collected test module raises `ImportError`/`SyntaxError` (pytest's `ERROR collecting`): the test command did what it was asked and its failure is information about the code under test, often the very bug being reproduced (a FAIL_TO_PASS test importing a name the fix will add) |
//!
//! Rules 5 to 8 apply to every tool but `str_replace_editor`, `think` and `finish`. A command is
//! a test run when its text runs `pytest`, `py.test`, `tox`, `nox`, `unittest`, a `runtests`
//! script or `manage.py test`, or its output has pytest's or unittest's markers (`test session
//! starts`, `ERROR collecting`, `short test summary info`, `FAILED ` lines, `E   ` assertion
//! lines, `Ran N tests`).

use std::sync::LazyLock;

use regex::Regex;
use serde_json::{Map, Value};

use crate::schema::{FunctionCall, Message, Role, StepError, StepMeta, Trajectory};
use crate::sharegpt::parse_hermes;
use crate::tool_schemas::openhands_tools;

/// The execution-time error of one tool call, or `None` for a normal step; see the module
/// documentation for the rules. `call` is `None` when the model's tool call could not be parsed
/// at all; `exit_code` is the command's, when known (else it is read from OpenHands'
/// `[The command completed with exit code N.]` note).
pub fn classify_step(
    tools: &[Value],
    call: Option<&FunctionCall>,
    observation: &str,
    exit_code: Option<i64>,
) -> Option<StepError> {
    let Some(call) = call else {
        return Some(StepError::ToolCallParse);
    };
    let Ok(Value::Object(args)) = serde_json::from_str::<Value>(&call.arguments) else {
        return Some(StepError::ToolCallParse);
    };
    let default_tools;
    let tools = if tools.is_empty() {
        default_tools = openhands_tools();
        &default_tools[..]
    } else {
        tools
    };
    let Some(schema) = tools
        .iter()
        .find(|t| tool_name(t) == Some(call.name.as_str()))
    else {
        return Some(StepError::UnknownTool);
    };
    let editor = call.name == "str_replace_editor";
    if !arguments_valid(schema, &args) || (editor && !editor_arguments_valid(&args)) {
        return Some(StepError::InvalidArguments);
    }
    let trimmed = observation.trim_start();
    if editor {
        if trimmed.starts_with("ERROR:") {
            if MISSING_PARAM.is_match(trimmed) {
                return Some(StepError::InvalidArguments);
            }
            return Some(StepError::EditorError);
        }
        return None;
    }
    if call.name == "think" || call.name == "finish" {
        return None;
    }
    if TIMEOUT.is_match(observation) {
        return Some(StepError::CommandTimeout);
    }
    let exit_code = exit_code.or_else(|| exit_of(observation));
    if exit_code == Some(127) || NOT_FOUND.is_match(observation) {
        return Some(StepError::CommandNotFound);
    }
    if exit_code == Some(0) || !TRACEBACK.is_match(observation) {
        return None;
    }
    let command = args.get("command").and_then(Value::as_str).unwrap_or("");
    if TEST_COMMAND.is_match(command) || TEST_OUTPUT.is_match(observation) {
        return None;
    }
    let last = EXCEPTION_LINE.captures_iter(observation).last()?;
    match &last[1] {
        "SyntaxError" | "IndentationError" | "TabError" => Some(StepError::PythonSyntaxError),
        "ModuleNotFoundError" | "ImportError" => Some(StepError::PythonImportError),
        _ => None,
    }
}

/// Sets `step.error` of every assistant message that has none, by classifying its tool calls
/// with the `tool` messages that answer them (matched by `tool_call_id`, else by order). A step
/// with several calls is an error when any call is (the first one's class wins). An assistant
/// message without `tool_calls` whose content holds a `<tool_call>` block that does not parse is
/// a [`ToolCallParse`](StepError::ToolCallParse) error. Existing `exit_code`/`duration_s` are
/// kept.
pub fn annotate_steps(traj: &mut Trajectory) {
    let tools = traj.tools.clone();
    for i in 0..traj.messages.len() {
        let msg = &traj.messages[i];
        if msg.role != Role::Assistant || msg.step.as_ref().is_some_and(|s| s.error.is_some()) {
            continue;
        }
        let results: Vec<&Message> = traj.messages[i + 1..]
            .iter()
            .take_while(|m| m.role == Role::Tool)
            .collect();
        let step_exit = msg.step.as_ref().and_then(|s| s.exit_code);
        let error = if msg.tool_calls.is_empty() {
            classify_text_calls(&tools, &msg.content, &results, step_exit)
        } else {
            let single = msg.tool_calls.len() == 1;
            msg.tool_calls.iter().enumerate().find_map(|(k, call)| {
                let result = results
                    .iter()
                    .find(|r| r.tool_call_id.as_deref() == Some(call.id.as_str()))
                    .or_else(|| results.get(k));
                let observation = result.map_or("", |r| r.content.as_str());
                let exit = exit_of(observation).or(if single { step_exit } else { None });
                classify_step(&tools, Some(&call.function), observation, exit)
            })
        };
        let step = traj.messages[i].step.get_or_insert_with(StepMeta::default);
        step.error = error;
    }
}

/// Classifies an assistant message whose calls are still Hermes text in its content.
fn classify_text_calls(
    tools: &[Value],
    content: &str,
    results: &[&Message],
    step_exit: Option<i64>,
) -> Option<StepError> {
    if !content.contains("<tool_call>") {
        return None;
    }
    let parsed = parse_hermes(content);
    if parsed.calls.iter().any(Result::is_err) {
        return Some(StepError::ToolCallParse);
    }
    let single = parsed.calls.len() == 1;
    parsed.calls.iter().enumerate().find_map(|(k, call)| {
        let call = call.as_ref().ok()?;
        let function = FunctionCall {
            name: call.name.clone(),
            arguments: call.arguments.to_string(),
        };
        let observation = results.get(k).map_or("", |r| r.content.as_str());
        let exit = exit_of(observation).or(if single { step_exit } else { None });
        classify_step(tools, Some(&function), observation, exit)
    })
}

fn exit_of(observation: &str) -> Option<i64> {
    EXIT_NOTE
        .captures_iter(observation)
        .last()
        .and_then(|c| c[1].parse().ok())
}

/// The function name of a tool schema: OpenAI's `{"function": {"name"}}` or a flat `{"name"}`.
fn tool_name(tool: &Value) -> Option<&str> {
    tool.get("function")
        .unwrap_or(tool)
        .get("name")
        .and_then(Value::as_str)
}

fn arguments_valid(tool: &Value, args: &Map<String, Value>) -> bool {
    let Some(params) = tool.get("function").unwrap_or(tool).get("parameters") else {
        return true;
    };
    let required = params.get("required").and_then(Value::as_array);
    if required
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .any(|r| !args.contains_key(r))
    {
        return false;
    }
    let Some(props) = params.get("properties").and_then(Value::as_object) else {
        return true;
    };
    args.iter()
        .all(|(k, v)| props.get(k).is_none_or(|schema| value_valid(schema, v)))
}

fn value_valid(schema: &Value, v: &Value) -> bool {
    if let Some(allowed) = schema.get("enum").and_then(Value::as_array)
        && !allowed.contains(v)
    {
        return false;
    }
    let type_ok = match schema.get("type") {
        Some(Value::String(t)) => type_matches(t, v),
        Some(Value::Array(ts)) => ts
            .iter()
            .filter_map(Value::as_str)
            .any(|t| type_matches(t, v)),
        _ => true,
    };
    let items_ok = match (schema.get("items"), v) {
        (Some(items), Value::Array(vs)) => vs.iter().all(|x| value_valid(items, x)),
        _ => true,
    };
    type_ok && items_ok
}

fn type_matches(t: &str, v: &Value) -> bool {
    match t {
        "string" => v.is_string(),
        "integer" => v.is_i64() || v.is_u64() || v.as_f64().is_some_and(|f| f.fract() == 0.0),
        "number" => v.is_number(),
        "boolean" => v.is_boolean(),
        "array" => v.is_array(),
        "object" => v.is_object(),
        "null" => v.is_null(),
        _ => true,
    }
}

/// The parameters `str_replace_editor` needs for each command beyond `command` and `path`.
fn editor_arguments_valid(args: &Map<String, Value>) -> bool {
    let needs: &[&str] = match args.get("command").and_then(Value::as_str) {
        Some("create") => &["file_text"],
        Some("str_replace") => &["old_str"],
        Some("insert") => &["insert_line", "new_str"],
        _ => &[],
    };
    needs.iter().all(|p| args.contains_key(*p))
}

fn re(pattern: &str) -> Regex {
    Regex::new(pattern).expect("the step-error patterns are valid regexes")
}

static MISSING_PARAM: LazyLock<Regex> = LazyLock::new(|| re(r"Parameter `[^`]+` is required"));
static TIMEOUT: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?m)\[The command timed out after|^\[?Command timed out"));
static EXIT_NOTE: LazyLock<Regex> =
    LazyLock::new(|| re(r"\[The command completed with exit code (-?\d+)\.\]"));
static NOT_FOUND: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?m)^(?:/(?:usr/)?bin/)?(?:ba|z|da)?sh: (?:line \d+: )?[^\n:]+: command not found\s*$|^(?:/(?:usr/)?bin/)?sh: \d+: [^\n:]+: not found\s*$",
    )
});
static TRACEBACK: LazyLock<Regex> = LazyLock::new(|| {
    re(r#"(?m)^Traceback \(most recent call last\):|^\s*File "[^"\n]+", line \d+"#)
});
static EXCEPTION_LINE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?m)^(?:[A-Za-z_]\w*\.)*([A-Z]\w*(?:Error|Exception|Warning|Interrupt|Exit|Iteration))(?::.*)?\s*$",
    )
});
static TEST_COMMAND: LazyLock<Regex> = LazyLock::new(|| {
    re(r"\b(?:py\.?test|tox|nox|unittest)\b|\bruntests(?:\.py)?\b|manage\.py\s+test\b")
});
static TEST_OUTPUT: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?m)^=+ (?:test session starts|ERRORS|FAILURES|short test summary info) =+\s*$|ERROR collecting|^FAILED |^E   |^Ran \d+ tests? in ",
    )
});

#[cfg(test)]
mod tests;
