//! Reading tool calls out of a model's text: Hermes' `<tool_call>` blocks, which Qwen models
//! write and which servers without a tool-call parser return as plain text.

use lego_data::ToolCall;
use serde_json::Value;

const OPEN: &str = "<tool_call>";
const CLOSE: &str = "</tool_call>";

/// An assistant reply read for tool calls.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedReply {
    /// The text before the first `<tool_call>` (trailing whitespace removed: the chat template
    /// puts a newline between content and calls). The whole reply when a block is malformed.
    pub content: String,
    /// The calls, in order; empty when a block is malformed.
    pub calls: Vec<ToolCall>,
    /// What the model is told when a block is malformed (`ERROR:`-prefixed), else `None`.
    pub error: Option<String>,
}

/// Reads the Hermes tool calls of `text`. Each block must hold one JSON object with a string
/// `name` and an `arguments` object (a JSON string holding one is accepted, a missing one is
/// `{}`). Calls get the ids `next_id` returns. A malformed or unclosed block makes the whole
/// reply a parse failure: its calls are not run, the reply is kept as written, and `error`
/// says what is wrong, so the step can be labelled and the model corrected.
pub fn parse_hermes(text: &str, mut next_id: impl FnMut() -> String) -> ParsedReply {
    let Some(first) = text.find(OPEN) else {
        // A closing tag without an opening one is a broken call too.
        if text.contains(CLOSE) {
            return failed(text, "found </tool_call> without a matching <tool_call>");
        }
        return ParsedReply {
            content: text.to_owned(),
            calls: Vec::new(),
            error: None,
        };
    };
    let mut calls = Vec::new();
    let mut rest = &text[first..];
    while let Some(start) = rest.find(OPEN) {
        let after = &rest[start + OPEN.len()..];
        let Some(end) = after.find(CLOSE) else {
            return failed(text, "a <tool_call> is not closed with </tool_call>");
        };
        match read_call(&after[..end]) {
            Ok((name, arguments)) => calls.push(ToolCall::new(next_id(), name, arguments)),
            Err(why) => return failed(text, &why),
        }
        rest = &after[end + CLOSE.len()..];
    }
    ParsedReply {
        content: text[..first].trim_end().to_owned(),
        calls,
        error: None,
    }
}

/// The name and the arguments' JSON text of one block's body.
fn read_call(body: &str) -> Result<(String, String), String> {
    let value: Value = serde_json::from_str(body.trim())
        .map_err(|e| format!("the tool call is not valid JSON ({e})"))?;
    let Value::Object(mut call) = value else {
        return Err("the tool call is not a JSON object".to_owned());
    };
    let name = match call.remove("name") {
        Some(Value::String(name)) if !name.is_empty() => name,
        _ => return Err("the tool call has no \"name\" string".to_owned()),
    };
    let arguments = match call.remove("arguments") {
        None | Some(Value::Null) => "{}".to_owned(),
        Some(Value::Object(args)) => Value::Object(args).to_string(),
        Some(Value::String(s)) => match serde_json::from_str::<Value>(&s) {
            Ok(Value::Object(_)) => s,
            _ => return Err("the tool call's \"arguments\" is not a JSON object".to_owned()),
        },
        Some(_) => return Err("the tool call's \"arguments\" is not a JSON object".to_owned()),
    };
    Ok((name, arguments))
}

fn failed(text: &str, why: &str) -> ParsedReply {
    ParsedReply {
        content: text.to_owned(),
        calls: Vec::new(),
        error: Some(format!(
            "ERROR:\nFailed to parse the tool call: {why}. Write each tool call as a JSON object \
             {{\"name\": <function-name>, \"arguments\": <args-json-object>}} between <tool_call> \
             and </tool_call>."
        )),
    }
}

#[cfg(test)]
mod tests;
