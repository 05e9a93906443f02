//! `lego-data`: the formats of lego and the step from agent trajectories to training examples.
//!
//! - [`Task`] and [`Trajectory`] are the records everything else passes around: a SWE-bench
//!   instance (with SWE-smith's and lego's own fields) and an agent episode in OpenAI chat shape,
//!   with per-step metadata ([`StepMeta`]) and SWE-Lego's per-turn `turn_mask`.
//! - JSONL I/O: [`read_jsonl`] and [`jsonl_records`] with line-numbered errors, atomic
//!   [`write_jsonl`]/[`write_atomic`], and [`JsonlAppender`] with [`completed_ids`] so long runs
//!   resume after a crash.
//! - Step errors: [`classify_step`] decides whether a step was an execution-time error (a
//!   [`StepError`]) and [`annotate_steps`] marks a whole trajectory, for error masking in SFT.
//! - Tools: [`openhands_tools`], the OpenAI schemas of OpenHands' four CodeAct tools.
//! - Interchange: [`to_sharegpt`]/[`from_sharegpt`] convert to and from SWE-Lego's ShareGPT-like
//!   records with Hermes tool-call text, written in Python `json.dumps` style by [`python_json`].
//! - Tokenizer: [`import_tiktoken`] builds a Hugging Face `tokenizer.json` from a tiktoken rank
//!   file; [`Tokenizer`] loads any `tokenizer.json` and encodes it on lego's own encoder
//!   (tiktoken's algorithm) where that reproduces the file exactly, on the `tokenizers` crate
//!   otherwise ([`Backend`]).
//! - Rendering: [`render_chat`] writes a trajectory in the Qwen3 chat format with the byte ranges
//!   that carry loss, [`render_example`]/[`render_all`] tokenise it into an [`Example`] with
//!   labels, masking error steps; [`data_stats`] summarises a rendered set.
//! - Curriculum: [`assign_tiers`] cuts a set into difficulty tiers by length, [`stage_plan`]
//!   orders the stages the trainer follows.
//! - Repositories: [`sanitize_repo`] copies a repository at a base commit with nothing newer in
//!   it ([`SanitizeMode::Squash`]: one commit; [`SanitizeMode::Truncate`]: the base's ancestry;
//!   [`SanitizeMode::Keep`]: everything, for measuring leaks), on `gix` without a network client,
//!   async runtime or checkout filters.
//! - Mining: [`PullRequest`] (GitHub's shape plus the issues it resolves), [`diff_commits`]
//!   (a `git apply`-able diff between two commits, on gix with a Myers line diff of our own),
//!   [`split_patch`] into code and test patch by [`TestPatterns`], and [`candidate_task`], the
//!   task a pull request would make after the filters ([`Rejection`] says why not).
//! - Progress: [`Progress`], what long jobs report their units of work to ([`NoProgress`]
//!   discards them); drawing is the caller's business.
//! - Examples: [`example_trajectories`], a handful of hand-written episodes bundled for tests,
//!   demos and benches.
//!
//! This crate deliberately links neither libtorch (`tch`), Docker (`bollard`) nor an async
//! runtime (`tokio`), and starts no process: it is the light crate any downstream user can take
//! alone. It does not run tests or validate mined tasks (that needs a sandbox: `lego-sandbox`'s
//! `validate`).

#![warn(missing_docs)]

mod curriculum;
mod error;
mod examples;
mod jsonl;
mod mine;
mod progress;
mod pyjson;
mod render;
mod rng;
mod sanitize;
mod schema;
mod sharegpt;
mod stats;
mod step_error;
mod tokenizer;
mod tool_schemas;

pub use curriculum::{Length, Stage, assign_tiers, difficulty, stage_plan};
pub use error::{Error, Result};
pub use examples::example_trajectories;
pub use jsonl::{
    CompleteRecords, JsonlAppender, ReadOptions, ReadReport, ResumeState, SkippedLine,
    complete_records, completed_ids, jsonl_records, read_jsonl, resume_state, write_atomic,
    write_jsonl,
};
pub use mine::{
    DEFAULT_TEST_PATTERNS, FileDiff, GitRef, LinkedIssue, MineOptions, PullRequest, Rejection,
    RepoRef, SplitPatch, TestPatterns, candidate_task, diff_commits, diff_text, instance_id,
    problem_statement, repo_name, split_patch,
};
pub use progress::{NoProgress, Progress};
pub use pyjson::python_json;
pub use render::{
    ChatText, Example, IGNORE_INDEX, Overlong, RenderOptions, Rendered, TurnCounts, render_all,
    render_chat, render_example,
};
pub use rng::Rng;
pub use sanitize::{
    SQUASH_AUTHOR, SQUASH_MESSAGE, SanitizeMode, SanitizeOptions, SanitizeReport, SanitizedCopy,
    sanitize_repo, sanitized_copy,
};
pub use schema::{
    FunctionCall, Message, Outcome, Role, StepError, StepMeta, Task, TaskSource, TokenUsage,
    ToolCall, Trajectory,
};
pub use sharegpt::{
    SHAREGPT_TOOL_ROLE, ShareGptMessage, ShareGptRecord, from_sharegpt, to_sharegpt,
};
pub use stats::{Bucket, DataStats, TierStats, data_stats};
pub use step_error::{annotate_steps, classify_step};
pub use tokenizer::{Backend, Preset, Tokenizer, import_tiktoken, import_tiktoken_file};
pub use tool_schemas::{OPENHANDS_TOOL_NAMES, openhands_tools};
