//! `lego-agent`: the agent that produces trajectories, and the harness that grades patches.
//!
//! - [`run_episode`]: the loop. A system prompt and a task message in OpenHands' CodeAct style
//!   ([`SYSTEM_PROMPT`], [`task_prompt`]), the four tool schemas of lego-data offered in OpenAI
//!   function shape; each step a [`Policy`]'s assistant message whose tool calls (native, or
//!   Hermes `<tool_call>` blocks in its text, read by [`parse_hermes`]) run through
//!   lego-sandbox's tools, each observation a `tool` message with its call's id, each step's
//!   `StepMeta` holding its error kind, exit code and duration. Replies that cannot be parsed
//!   or call no tool are kept, labelled `tool_call_parse`, and answered, so error masking has
//!   the right turns to mask. The episode ends at `finish`, at the turn limit, when the context
//!   budget is spent, when the policy fails past its retries, or when the sandbox breaks
//!   ([`EndReason`]).
//! - Policies: [`OpenAiPolicy`] (any OpenAI-compatible server, through lego-openai; native tool
//!   calls or Hermes text), [`ScriptedExpert`] (knows the gold patch, works like a careful
//!   agent, makes seeded mistakes; the default teacher where no model can be reached, and
//!   labelled so). The `local` policy (a lego-model checkpoint) is the crate
//!   `lego-agent-local`: a cargo feature here would be unified into every build that also
//!   builds `lego-torch`, and link libtorch into `lego`.
//! - [`final_patch`] (SWE-bench's `model_patch`: the diff against the base, new files in, test
//!   files out) and [`outcome`] (resolved, semi-resolved, unresolved, error).
//! - [`TaskRepo`] and [`setup_task`]: a task's sanitised repository, and for a synthetic task
//!   its buggy tree committed as the only commit.
//! - Runners, library functions with options structs, `tracing` spans and a
//!   [`lego_data::Progress`]: [`run_rollouts`] (one graded trajectory per task and rollout,
//!   in parallel sandboxes, appended as each ends, resumable, with SWE-bench predictions) and
//!   [`run_eval`] (swebench's `run_evaluation` on lego's sandboxes: per-instance logs and
//!   reports, and a [`RunReport`]), and [`mine_tasks`] (real tasks from merged pull requests:
//!   lego-data's filters, then validation in sandboxes, appended as each ends, resumable).
//!
//! It does not start processes or talk to Docker itself (lego-sandbox does), and it holds no
//! model: model policies reach one over HTTP.

#![warn(missing_docs)]

mod env;
mod episode;
mod error;
mod eval;
mod mine;
mod parse;
mod patch;
mod policies;
mod policy;
mod prompt;
mod rollouts;

pub use env::{Repos, TaskRepo, bug_patch, setup_task};
pub use episode::{EndReason, Episode, EpisodeOptions, run_episode};
pub use error::{Error, Result};
pub use eval::{
    EvalOptions, Prediction, RunReport, instance_dir, read_predictions, run_eval, run_report,
};
pub use mine::{MiningOptions, MiningReport, mine_tasks};
pub use parse::{ParsedReply, parse_hermes};
pub use patch::{code_changes, final_patch, outcome};
pub use policies::openai::{OpenAiOptions, OpenAiPolicy};
pub use policies::scripted::{ExpertOptions, ScriptedExpert, episode_seed};
pub use policy::{Context, Policy, PolicyError, Turn, Usage};
pub use prompt::{NO_TOOL_CALL_PROMPT, SYSTEM_PROMPT, task_prompt};
pub use rollouts::{
    PolicyMaker, RolloutOptions, RolloutReport, prediction, rollout_in, run_rollouts,
};
