use lego_data::Message;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::error::Failure;

/// One chat-completion request. Options left `None` (or empty) are not sent, so the server's
/// defaults apply.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ChatRequest {
    /// The model name the server serves.
    pub model: String,
    /// The conversation; sent as role, content, tool_calls, tool_call_id and name only.
    pub messages: Vec<Message>,
    /// OpenAI tool schemas (`{"type": "function", "function": {...}}`).
    pub tools: Vec<Value>,
    /// `"auto"`, `"none"`, `"required"` or a named function.
    pub tool_choice: Option<Value>,
    /// Sampling temperature.
    pub temperature: Option<f64>,
    /// Nucleus sampling mass.
    pub top_p: Option<f64>,
    /// Sampling seed, where the server supports one.
    pub seed: Option<u64>,
    /// The most tokens to generate.
    pub max_tokens: Option<u32>,
    /// Stop sequences.
    pub stop: Vec<String>,
    /// Server-specific fields added to the body as given (vLLM's `top_k`,
    /// `chat_template_kwargs`, ...); a key one of the fields above sets is ignored here.
    pub extra: Map<String, Value>,
}

/// The first choice of a chat completion.
#[derive(Debug, Clone, PartialEq)]
pub struct ChatResponse {
    /// The assistant message: its content (`null` reads as empty) and native tool calls, each with
    /// an id (`call_<n>` where the server gave none) and its arguments as JSON text.
    pub message: Message,
    /// Why generation stopped: `stop`, `length`, `tool_calls`, ...
    pub finish_reason: Option<String>,
    /// Token counts, where the server reported them.
    pub usage: Option<Usage>,
    /// The model that answered, as the server names it.
    pub model: Option<String>,
    /// How many HTTP requests it took (1 without retries).
    pub attempts: u32,
}

/// Token counts of one completion.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Usage {
    /// Tokens of the prompt.
    pub prompt_tokens: u64,
    /// Tokens generated.
    pub completion_tokens: u64,
    /// Their sum, as the server reports it.
    pub total_tokens: u64,
}

/// The JSON body of `request`: messages as OpenAI reads them (lego's `turn_mask` and `step` are
/// left out), options only where set, then the extra fields.
pub(crate) fn encode(request: &ChatRequest) -> Vec<u8> {
    let message = |m: &Message| {
        let mut out = json!({"role": m.role, "content": m.content});
        if !m.tool_calls.is_empty() {
            out["tool_calls"] = json!(m.tool_calls);
        }
        if let Some(id) = &m.tool_call_id {
            out["tool_call_id"] = json!(id);
        }
        if let Some(name) = &m.name {
            out["name"] = json!(name);
        }
        out
    };
    let messages: Vec<Value> = request.messages.iter().map(message).collect();
    let mut body = Map::new();
    body.insert("model".to_owned(), json!(request.model));
    body.insert("messages".to_owned(), json!(messages));
    let options = [
        ("tools", nonempty(&request.tools)),
        ("tool_choice", request.tool_choice.clone()),
        ("temperature", request.temperature.map(Value::from)),
        ("top_p", request.top_p.map(Value::from)),
        ("seed", request.seed.map(Value::from)),
        ("max_tokens", request.max_tokens.map(Value::from)),
        ("stop", nonempty(&request.stop)),
    ];
    for (key, value) in options {
        if let Some(value) = value {
            body.insert(key.to_owned(), value);
        }
    }
    for (key, value) in &request.extra {
        body.entry(key.clone()).or_insert_with(|| value.clone());
    }
    Value::Object(body).to_string().into_bytes()
}

fn nonempty<T: Serialize>(items: &[T]) -> Option<Value> {
    (!items.is_empty()).then(|| json!(items))
}

#[derive(Deserialize)]
struct WireResponse {
    model: Option<String>,
    #[serde(default)]
    choices: Vec<WireChoice>,
    usage: Option<Usage>,
}

#[derive(Deserialize)]
struct WireChoice {
    message: Map<String, Value>,
    finish_reason: Option<String>,
}

/// The first choice of the completion `body`, read as a lego-data [`Message`] (which takes
/// `content: null` as empty and object `arguments` as their JSON text); tool calls without an
/// id are named by `next_id`. `attempts` is left for the caller to fill in.
pub(crate) fn decode(
    body: &str,
    mut next_id: impl FnMut() -> String,
) -> Result<ChatResponse, Failure> {
    let response: WireResponse = parse(body)?;
    let choice = response
        .choices
        .into_iter()
        .next()
        .ok_or(Failure::NoChoices)?;
    // Only the fields an assistant reply has; `null` ones as absent.
    let field = |key| choice.message.get(key).filter(|v| !v.is_null()).cloned();
    let tool_calls = field("tool_calls").unwrap_or_else(|| json!([]));
    let reply = json!({"role": "assistant", "content": field("content"), "tool_calls": tool_calls});
    let mut message: Message = serde_json::from_value(reply).map_err(|source| Failure::Decode {
        body: cut(body),
        source,
    })?;
    for call in message.tool_calls.iter_mut().filter(|c| c.id.is_empty()) {
        call.id = next_id();
    }
    Ok(ChatResponse {
        message,
        finish_reason: choice.finish_reason,
        usage: response.usage,
        model: response.model,
        attempts: 0,
    })
}

/// `body` parsed as `T`.
pub(crate) fn parse<T: DeserializeOwned>(body: &str) -> Result<T, Failure> {
    serde_json::from_str(body).map_err(|source| Failure::Decode {
        body: cut(body),
        source,
    })
}

/// `text` cut to about 200 characters on a character boundary.
pub(crate) fn cut(text: &str) -> String {
    const MAX: usize = 200;
    let text = text.trim();
    match text.char_indices().nth(MAX) {
        Some((end, _)) => format!("{}...", &text[..end]),
        None => text.to_owned(),
    }
}
