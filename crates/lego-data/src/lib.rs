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
//! - Examples: [`example_trajectories`], a handful of hand-written episodes bundled for tests,
//!   demos and benches.
//!
//! This crate deliberately links neither libtorch (`tch`), Docker (`bollard`) nor an async
//! runtime (`tokio`), and starts no process: it is the light crate any downstream user can take
//! alone.

mod error;
mod examples;
mod jsonl;
mod pyjson;
mod schema;
mod sharegpt;
mod step_error;
mod tool_schemas;

pub use error::{Error, Result};
pub use examples::example_trajectories;
pub use jsonl::{
    JsonlAppender, ReadOptions, ReadReport, ResumeState, SkippedLine, completed_ids, jsonl_records,
    read_jsonl, resume_state, write_atomic, write_jsonl,
};
pub use pyjson::python_json;
pub use schema::{
    FunctionCall, Message, Outcome, Role, StepError, StepMeta, Task, TaskSource, ToolCall,
    Trajectory,
};
pub use sharegpt::{
    SHAREGPT_TOOL_ROLE, ShareGptMessage, ShareGptRecord, from_sharegpt, to_sharegpt,
};
pub use step_error::{annotate_steps, classify_step};
pub use tool_schemas::{OPENHANDS_TOOL_NAMES, openhands_tools};
