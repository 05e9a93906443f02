//! The agent loop: one episode of a policy on a task in a sandbox.

use std::time::Instant;

use lego_data::{Message, Role, StepError, StepMeta, Task, openhands_tools};
use lego_sandbox::{Sandbox, TESTBED, ToolState, tool_call};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::parse::parse_hermes;
use crate::policy::{Context, Policy, PolicyError, Usage};
use crate::prompt::{NO_TOOL_CALL_PROMPT, SYSTEM_PROMPT, task_prompt};

/// How an episode runs.
#[derive(Debug, Clone, PartialEq)]
pub struct EpisodeOptions {
    /// Most assistant steps (SWE-Lego evaluates with 100).
    pub max_turns: usize,
    /// End the episode once a step's prompt and answer together reach this many tokens (as the
    /// policy counts them); `None`: only the policy's own limit ([`PolicyError::ContextFull`]).
    pub max_context_tokens: Option<u64>,
    /// Times a failed policy call is asked again before the episode ends with
    /// [`EndReason::PolicyError`] (the HTTP client retries transport failures on its own).
    pub policy_retries: u32,
    /// The system prompt.
    pub system_prompt: String,
}

impl Default for EpisodeOptions {
    fn default() -> Self {
        EpisodeOptions {
            max_turns: 100,
            max_context_tokens: None,
            policy_retries: 2,
            system_prompt: SYSTEM_PROMPT.to_owned(),
        }
    }
}

/// Why an episode ended (`extra.end` of a trajectory).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EndReason {
    /// The agent called `finish`.
    Finish,
    /// The step limit was reached.
    MaxTurns,
    /// The context budget was spent.
    Context,
    /// The policy failed past its retries.
    PolicyError,
    /// The sandbox stopped working.
    SandboxError,
}

impl EndReason {
    /// The snake_case name used in files.
    pub fn as_str(self) -> &'static str {
        match self {
            EndReason::Finish => "finish",
            EndReason::MaxTurns => "max_turns",
            EndReason::Context => "context",
            EndReason::PolicyError => "policy_error",
            EndReason::SandboxError => "sandbox_error",
        }
    }
}

/// What an episode produced.
#[derive(Debug, Clone, PartialEq)]
pub struct Episode {
    /// The tool schemas offered.
    pub tools: Vec<Value>,
    /// The conversation: system prompt, task, then assistant steps (each with its
    /// [`StepMeta`]) and their observations.
    pub messages: Vec<Message>,
    /// Why it ended.
    pub end: EndReason,
    /// What went wrong, for [`EndReason::PolicyError`] and [`EndReason::SandboxError`].
    pub end_detail: Option<String>,
    /// Assistant steps taken.
    pub turns: usize,
    /// Tokens used over all steps, when the policy counts them.
    pub usage: Usage,
    /// Seconds the episode took.
    pub duration_s: f64,
    /// Seconds spent waiting for the policy (the rest is the loop and the sandbox).
    pub policy_s: f64,
}

/// Runs `policy` on `task` in `sandbox` (its `/testbed` ready) until the episode ends; never
/// fails: what goes wrong ends the episode with a reason.
///
/// Each step: the policy's assistant message; its tool calls (native, else Hermes blocks in its
/// text) run in order through lego-sandbox's tools, each observation a `tool` message with the
/// call's id; the step's [`StepMeta`] holds the first error of its calls, the last exit code and
/// the time the calls took. A reply whose tool call cannot be parsed, or that calls no tool, is
/// kept as written, labelled [`StepError::ToolCallParse`] and answered by a user turn saying
/// what to do. Several calls in one step run in order, as OpenHands runs them; `finish` ends
/// the episode at once.
pub fn run_episode(
    sandbox: &mut dyn Sandbox,
    task: &Task,
    policy: &mut dyn Policy,
    options: &EpisodeOptions,
) -> Episode {
    let span = tracing::debug_span!(parent: &sandbox.span(), "episode", instance_id = %task.instance_id, policy = policy.name());
    let _entered = span.enter();
    let started = Instant::now();
    let tools = openhands_tools();
    let mut messages = vec![
        Message::new(Role::System, options.system_prompt.clone()),
        Message::new(Role::User, task_prompt(task)),
    ];
    let mut state = ToolState::default();
    let mut usage = Usage::default();
    let mut policy_s = 0.0;
    let mut turns = 0;
    let mut next_call = 0usize;
    let (end, end_detail) = loop {
        if turns >= options.max_turns {
            break (EndReason::MaxTurns, None);
        }
        let asked = Instant::now();
        let reply = ask(policy, task, &tools, &messages, options.policy_retries);
        policy_s += asked.elapsed().as_secs_f64();
        let turn = match reply {
            Ok(turn) => turn,
            Err(PolicyError::ContextFull(why)) => break (EndReason::Context, Some(why)),
            Err(PolicyError::Failed(why)) => break (EndReason::PolicyError, Some(why)),
        };
        turns += 1;
        let turn_usage = turn.usage;
        let step_usage = turn.usage.unwrap_or_default();
        usage.add(step_usage);
        let mut message = turn.message;
        message.role = Role::Assistant;
        let mut id = || {
            next_call += 1;
            format!("call_{next_call}")
        };
        if message.tool_calls.is_empty() {
            let parsed = parse_hermes(&message.content, &mut id);
            let correction = match (&parsed.error, parsed.calls.is_empty()) {
                (Some(error), _) => Some(error.clone()),
                (None, true) => Some(NO_TOOL_CALL_PROMPT.to_owned()),
                (None, false) => None,
            };
            if let Some(correction) = correction {
                tracing::debug!(turn = turns, "step without a runnable tool call");
                message.step = Some(StepMeta {
                    error: Some(StepError::ToolCallParse),
                    exit_code: None,
                    duration_s: Some(0.0),
                    usage: turn_usage,
                });
                messages.push(message);
                messages.push(Message::new(Role::User, correction));
                if context_spent(options, step_usage) {
                    break (EndReason::Context, None);
                }
                continue;
            }
            message.content = parsed.content;
            message.tool_calls = parsed.calls;
        }
        for call in &mut message.tool_calls {
            if call.id.is_empty() {
                call.id = id();
            }
        }

        let calls = message.tool_calls.clone();
        let step_index = messages.len();
        messages.push(message);
        let mut meta = StepMeta {
            duration_s: Some(0.0),
            usage: turn_usage,
            ..StepMeta::default()
        };
        let mut finished = false;
        let mut broken = None;
        for call in &calls {
            let obs = tool_call(
                sandbox,
                &mut state,
                &call.function.name,
                &call.function.arguments,
            );
            meta.error = meta.error.or(obs.error);
            meta.exit_code = obs.exit_code.or(meta.exit_code);
            meta.duration_s = Some(meta.duration_s.unwrap_or(0.0) + obs.duration_s);
            if obs.finished {
                finished = true;
                break;
            }
            let mut observation = Message::tool_result(Some(&call.id), obs.text.clone());
            observation.name = Some(call.function.name.clone());
            messages.push(observation);
            if obs.text.starts_with("ERROR")
                && let Err(why) = sandbox.file_kind(TESTBED)
            {
                // The tools turn a sandbox failure into an observation; a sandbox that cannot
                // even look at /testbed any more is gone, not a mistake of the agent.
                broken = Some(why.to_string());
                break;
            }
        }
        messages[step_index].step = Some(meta);
        if let Some(why) = broken {
            break (EndReason::SandboxError, Some(why));
        }
        if finished {
            break (EndReason::Finish, None);
        }
        if context_spent(options, step_usage) {
            break (EndReason::Context, None);
        }
    };
    let duration_s = started.elapsed().as_secs_f64();
    tracing::debug!(
        end = end.as_str(),
        turns,
        seconds = duration_s,
        policy_seconds = policy_s,
        "episode ended"
    );
    Episode {
        tools,
        messages,
        end,
        end_detail,
        turns,
        usage,
        duration_s,
        policy_s,
    }
}

fn ask(
    policy: &mut dyn Policy,
    task: &Task,
    tools: &[Value],
    messages: &[Message],
    retries: u32,
) -> Result<crate::policy::Turn, PolicyError> {
    let context = Context {
        task,
        tools,
        messages,
    };
    let mut attempt = 0;
    loop {
        match policy.next(&context) {
            Err(PolicyError::Failed(why)) if attempt < retries => {
                attempt += 1;
                tracing::warn!(attempt, "the policy failed, asking again: {why}");
            }
            other => return other,
        }
    }
}

fn context_spent(options: &EpisodeOptions, step: Usage) -> bool {
    options
        .max_context_tokens
        .is_some_and(|max| step.prompt_tokens + step.completion_tokens >= max)
}
