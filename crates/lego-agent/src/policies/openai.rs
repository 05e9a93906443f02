//! The `openai` policy: any OpenAI-compatible chat-completions server (vLLM, SGLang, `lego
//! serve`, hosted APIs) through lego-openai. The server's native `tool_calls` are used as they
//! come; a server that returns only text (no tool-call parser) has its Hermes `<tool_call>`
//! blocks read by the loop. Transport failures are retried by the client with backoff; a 400
//! that says the prompt is too long ends the episode as `context`.

use std::sync::Arc;

use lego_openai::{ChatRequest, Client};
use serde_json::Value;

use crate::policy::{Context, Policy, PolicyError, Turn, Usage};

/// What the `openai` policy asks the server for.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OpenAiOptions {
    /// The model name the server knows.
    pub model: String,
    /// Sampling temperature (SWE-Lego evaluates at 0).
    pub temperature: Option<f64>,
    /// Nucleus sampling.
    pub top_p: Option<f64>,
    /// Sampling seed (the runner adds the rollout index, so rollouts differ).
    pub seed: Option<u64>,
    /// Most tokens per answer.
    pub max_tokens: Option<u32>,
    /// OpenAI's `tool_choice` (`"auto"` when unset and tools are offered).
    pub tool_choice: Option<Value>,
}

/// The `openai` policy for one episode; the client is shared by all episodes.
#[derive(Debug, Clone)]
pub struct OpenAiPolicy {
    client: Arc<Client>,
    options: OpenAiOptions,
}

impl OpenAiPolicy {
    /// A policy asking `client` with `options`.
    pub fn new(client: Arc<Client>, options: OpenAiOptions) -> Self {
        OpenAiPolicy { client, options }
    }
}

impl Policy for OpenAiPolicy {
    fn name(&self) -> &str {
        "openai"
    }

    fn model(&self) -> String {
        self.options.model.clone()
    }

    fn next(&mut self, context: &Context<'_>) -> Result<Turn, PolicyError> {
        let request =
            ChatRequest {
                model: self.options.model.clone(),
                messages: context.messages.to_vec(),
                tools: context.tools.to_vec(),
                tool_choice: self.options.tool_choice.clone().or_else(|| {
                    (!context.tools.is_empty()).then(|| Value::String("auto".to_owned()))
                }),
                temperature: self.options.temperature,
                top_p: self.options.top_p,
                seed: self.options.seed,
                max_tokens: self.options.max_tokens,
                ..ChatRequest::default()
            };
        match self.client.chat(&request) {
            Ok(response) => Ok(Turn {
                message: response.message,
                usage: response.usage.map(|u| Usage {
                    prompt_tokens: u.prompt_tokens,
                    completion_tokens: u.completion_tokens,
                }),
            }),
            Err(e) => {
                let text = crate::error::error_chain(&e);
                if e.status() == Some(400) && says_context_is_full(&text) {
                    Err(PolicyError::ContextFull(text))
                } else {
                    Err(PolicyError::Failed(text))
                }
            }
        }
    }
}

/// What vLLM, SGLang, OpenAI and `lego serve` say when a prompt does not fit.
fn says_context_is_full(text: &str) -> bool {
    let lower = text.to_lowercase();
    [
        "context length",
        "context window",
        "maximum context",
        "too long",
        "context_length",
    ]
    .iter()
    .any(|s| lower.contains(s))
}
