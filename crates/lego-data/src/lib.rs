//! `lego-data`: the formats of lego and the step from agent trajectories to training examples.
//!
//! - [`Task`] and [`Trajectory`] are the records everything else passes around: a SWE-bench
//!   instance (with SWE-smith's and lego's own fields) and an agent episode in OpenAI chat shape,
//!   with per-step metadata ([`StepMeta`]) and SWE-Lego's per-turn `turn_mask`.
//! - [`import_tiktoken`] builds a Hugging Face `tokenizer.json` from a tiktoken rank file, and
//!   [`Tokenizer`] encodes with it exactly as tiktoken does (no `tokenizers` crate).
//!
//! This crate deliberately links neither libtorch (`tch`), Docker (`bollard`) nor an async
//! runtime (`tokio`), and starts no process: it is the light crate any downstream user can take
//! alone.

mod error;
mod schema;
mod tokenizer;

pub use error::{Error, Result};
pub use schema::{
    FunctionCall, Message, Outcome, Role, StepError, StepMeta, Task, TaskSource, ToolCall,
    Trajectory,
};
pub use tokenizer::{Preset, Tokenizer, import_tiktoken, import_tiktoken_file};
