//! The four tools of an OpenHands CodeAct agent, as the OpenAI function schemas a policy sees.
//!
//! SWE-Lego's agent has exactly these tools. The key order of each schema is part of the
//! contract: chat templates dump the schemas in order into the system prompt, so the order
//! decides the tokens (`type`, `function{name, description, parameters{type, properties,
//! required}}`).
//!
//! The schemas live in `data/openhands_tools.json`, the one source that the bundled example
//! trajectories (`data/make_examples.py`) are written from too.

use serde_json::Value;

/// Names of the four OpenHands tools, in the order [`openhands_tools`] gives them.
pub const OPENHANDS_TOOL_NAMES: [&str; 4] =
    ["execute_bash", "str_replace_editor", "think", "finish"];

const SCHEMAS: &str = include_str!("../data/openhands_tools.json");

/// The OpenAI function schemas of `execute_bash`, `str_replace_editor`, `think` and `finish`.
/// The descriptions are lego's own, written after OpenHands' tool semantics.
pub fn openhands_tools() -> Vec<Value> {
    serde_json::from_str(SCHEMAS).expect("the bundled tool schemas are valid JSON")
}

#[cfg(test)]
mod tests;
