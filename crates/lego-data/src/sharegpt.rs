//! SWE-Lego's interchange shape: ShareGPT-like records whose assistant turns carry their tool
//! calls as Hermes text (`<tool_call>\n{"name": ..., "arguments": {...}}\n</tool_call>`) and
//! whose tool results are turns of their own.
//!
//! The Hermes text is written exactly as Qwen's chat template renders a tool call (Python
//! `json.dumps` style, see [`python_json`]), so a record exported here renders to the same
//! tokens as the trajectory it came from.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::pyjson::python_json;
use crate::schema::{FunctionCall, Message, Role, ToolCall, Trajectory};

/// The role name of tool results in exported records (OpenAI's, which SWE-Lego's records use as
/// far as we know). Import also accepts the names other ShareGPT writers use: `function`,
/// `observation` and `ipython` for tool results, `human` and `gpt` for user and assistant.
pub const SHAREGPT_TOOL_ROLE: &str = "tool";

/// One trajectory in SWE-Lego's ShareGPT-like shape.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShareGptRecord {
    /// The task the trajectory solved.
    pub instance_id: String,
    /// The turns, system first.
    pub messages: Vec<ShareGptMessage>,
    /// Fields of other tools, kept as they came.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One turn: `role` is `system`, `user`, `assistant` or `tool`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShareGptMessage {
    /// `system`, `user`, `assistant` or `tool`.
    pub role: String,
    /// The text, tool calls in Hermes form for an assistant.
    #[serde(default)]
    pub content: String,
    /// `true`: no loss on this assistant turn.
    #[serde(default)]
    pub turn_mask: bool,
}

/// Exports a trajectory: tool calls become Hermes blocks appended to the assistant content, and
/// a turn is masked when it was masked already or its step is an execution-time error.
pub fn to_sharegpt(traj: &Trajectory) -> ShareGptRecord {
    let messages = traj
        .messages
        .iter()
        .map(|m| {
            let role = match m.role {
                Role::System => "system",
                Role::User => "user",
                Role::Assistant => "assistant",
                Role::Tool => SHAREGPT_TOOL_ROLE,
            };
            let mut content = m.content.clone();
            for (i, call) in m.tool_calls.iter().enumerate() {
                if !content.is_empty() || i > 0 {
                    content.push('\n');
                }
                content.push_str("<tool_call>\n");
                content.push_str(&hermes_json(&call.function));
                content.push_str("\n</tool_call>");
            }
            let erred = m.step.as_ref().is_some_and(|s| s.error.is_some());
            ShareGptMessage {
                role: role.to_owned(),
                content,
                turn_mask: m.turn_mask || erred,
            }
        })
        .collect();
    ShareGptRecord {
        instance_id: traj.instance_id.clone(),
        messages,
        extra: Map::new(),
    }
}

/// Imports a record: Hermes blocks become `tool_calls` (ids `call_0`, `call_1`, ... numbering
/// every block of the trajectory, when the block has no `id`; arguments as compact JSON), the blocks and the `\n`
/// before each are cut from the content, and each tool turn answers the next unanswered call of
/// the assistant turn before it. A block that does not parse stays in the content, so that
/// [`annotate_steps`](crate::annotate_steps) can mark the step as a tool-call parse error.
/// `tools` become the trajectory's tools.
pub fn from_sharegpt(rec: &ShareGptRecord, tools: &[Value]) -> Result<Trajectory> {
    let mut messages = Vec::with_capacity(rec.messages.len());
    let mut next_id = 0usize;
    // Ids of the calls of the last assistant turn not yet answered, in order.
    let mut pending: std::collections::VecDeque<String> = Default::default();
    // After a turn whose calls did not parse, tool results answer nothing we can name.
    let mut unparsed = false;
    for (index, m) in rec.messages.iter().enumerate() {
        let context = || format!("{}: message {index}", rec.instance_id);
        let role = match m.role.as_str() {
            "system" => Role::System,
            "user" | "human" => Role::User,
            "assistant" | "gpt" => Role::Assistant,
            "tool" | "function" | "observation" | "ipython" => Role::Tool,
            other => return Err(Error::invalid(context(), format!("unknown role `{other}`"))),
        };
        let mut msg = Message::new(role, m.content.clone());
        msg.turn_mask = m.turn_mask && role == Role::Assistant;
        match role {
            Role::Assistant => {
                let parsed = parse_hermes(&m.content);
                pending.clear();
                unparsed = !parsed.calls.iter().all(Result::is_ok);
                if !unparsed {
                    msg.content = parsed.content;
                    for call in parsed.calls.into_iter().flatten() {
                        let id = call.id.unwrap_or_else(|| format!("call_{next_id}"));
                        next_id += 1;
                        pending.push_back(id.clone());
                        msg.tool_calls.push(ToolCall {
                            id,
                            kind: "function".to_owned(),
                            function: FunctionCall {
                                name: call.name,
                                arguments: call.arguments.to_string(),
                            },
                        });
                    }
                } else {
                    // Keep the text as the model wrote it: the step is a parse error. Its blocks
                    // still count, so later ids match a trajectory that numbered every call.
                    next_id += parsed.calls.len();
                }
            }
            Role::Tool => match pending.pop_front() {
                Some(id) => msg.tool_call_id = Some(id),
                None if unparsed => {}
                None => {
                    return Err(Error::invalid(
                        context(),
                        "tool result answers no tool call",
                    ));
                }
            },
            Role::System | Role::User => {
                pending.clear();
                unparsed = false;
            }
        }
        messages.push(msg);
    }
    Ok(Trajectory {
        instance_id: rec.instance_id.clone(),
        tools: tools.to_vec(),
        messages,
        outcome: None,
        final_patch: None,
        extra: Map::new(),
    })
}

/// The Hermes JSON of one call: `{"name": ..., "arguments": {...}}` in `json.dumps` style.
/// Arguments that are not JSON are written as they are, so a malformed call survives export.
fn hermes_json(call: &FunctionCall) -> String {
    match serde_json::from_str::<Value>(&call.arguments) {
        Ok(args) => {
            let mut obj = Map::new();
            obj.insert("name".to_owned(), Value::String(call.name.clone()));
            obj.insert("arguments".to_owned(), args);
            python_json(&Value::Object(obj))
        }
        Err(_) => format!(
            "{{\"name\": {}, \"arguments\": {}}}",
            python_json(&Value::String(call.name.clone())),
            call.arguments
        ),
    }
}

/// One Hermes block that parsed.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct HermesCall {
    pub id: Option<String>,
    pub name: String,
    pub arguments: Value,
}

/// Assistant text split into its prose and its Hermes tool-call blocks.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct HermesParse {
    /// The text without the blocks and the `\n` before each.
    pub content: String,
    /// One entry per `<tool_call>` opening, in order; `Err` says why it did not parse.
    pub calls: Vec<std::result::Result<HermesCall, String>>,
}

const OPEN: &str = "<tool_call>";
const CLOSE: &str = "</tool_call>";

pub(crate) fn parse_hermes(text: &str) -> HermesParse {
    let mut content = String::new();
    let mut calls = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find(OPEN) {
        let before = &rest[..start];
        content.push_str(before.strip_suffix('\n').unwrap_or(before));
        let after_open = &rest[start + OPEN.len()..];
        match after_open.find(CLOSE) {
            Some(end) => {
                calls.push(parse_block(&after_open[..end]));
                rest = &after_open[end + CLOSE.len()..];
            }
            None => {
                calls.push(Err("`<tool_call>` without `</tool_call>`".to_owned()));
                rest = "";
            }
        }
    }
    content.push_str(rest);
    HermesParse { content, calls }
}

fn parse_block(body: &str) -> std::result::Result<HermesCall, String> {
    let value: Value = serde_json::from_str(body.trim()).map_err(|e| e.to_string())?;
    let Value::Object(mut obj) = value else {
        return Err("tool call is not a JSON object".to_owned());
    };
    let name = match obj.remove("name") {
        Some(Value::String(name)) => name,
        _ => return Err("tool call has no string `name`".to_owned()),
    };
    let arguments = match obj.remove("arguments") {
        Some(args @ Value::Object(_)) => args,
        // Some writers put the arguments' JSON text in a string.
        Some(Value::String(s)) => match serde_json::from_str::<Value>(&s) {
            Ok(args @ Value::Object(_)) => args,
            _ => return Err("tool call `arguments` is not a JSON object".to_owned()),
        },
        None => Value::Object(Map::new()),
        Some(_) => return Err("tool call `arguments` is not a JSON object".to_owned()),
    };
    let id = match obj.remove("id") {
        Some(Value::String(id)) => Some(id),
        _ => None,
    };
    Ok(HermesCall {
        id,
        name,
        arguments,
    })
}

#[cfg(test)]
mod tests;
