//! [`Policy`]: whatever turns the conversation so far into the agent's next step.

use lego_data::{Message, Task};
use serde_json::Value;

/// What a policy sees when asked for the next step.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// The task (the scripted expert reads its gold patch; model policies only its messages).
    pub task: &'a Task,
    /// The OpenAI tool schemas offered.
    pub tools: &'a [Value],
    /// The conversation so far, system prompt first.
    pub messages: &'a [Message],
}

/// Tokens a model call used, as the server counts them (lego-data's type, so a step's
/// `StepMeta` holds it as is).
pub type Usage = lego_data::TokenUsage;

/// One step of a policy: the assistant message (tool calls native, or as Hermes text in its
/// content, which the loop parses) and what it cost.
#[derive(Debug, Clone, PartialEq)]
pub struct Turn {
    /// The assistant message.
    pub message: Message,
    /// Tokens used, when the policy counts them.
    pub usage: Option<Usage>,
}

/// Why a policy gave no step.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    /// The conversation no longer fits the model's context.
    #[error("the context is full: {0}")]
    ContextFull(String),
    /// Anything else (the server failed past its retries, the model produced nothing).
    #[error("{0}")]
    Failed(String),
}

/// A policy: the model (or script) that plays the agent. One value per episode; it may keep
/// state between steps.
pub trait Policy: Send {
    /// The name trajectories record in `extra.policy` (`scripted-expert`, `openai`, `local`).
    fn name(&self) -> &str;

    /// The model's name, for predictions' `model_name_or_path`.
    fn model(&self) -> String {
        self.name().to_owned()
    }

    /// The next assistant step.
    fn next(&mut self, context: &Context<'_>) -> Result<Turn, PolicyError>;
}
