//! `lego-sandbox`: where the agent's actions and the graders' commands run.
//!
//! - [`Sandbox`] is the seam every backend implements (see its documentation for the contract):
//!   one-shot commands with a timeout ([`Sandbox::exec`]), file access, one persistent
//!   interactive shell ([`Sandbox::shell_send`], [`Sandbox::shell_wait`]), [`Sandbox::reset`]
//!   and [`Sandbox::stop`]. Inside every sandbox the repository lives at [`TESTBED`].
//! - [`LocalSandbox`] is the backend without Docker: a private copy of the repository in a
//!   temporary directory, commands run by `bash` in their own process group with resource limits.
//!
//! This crate deliberately is the only one of the workspace that starts processes (hence the
//! `allow` below; `clippy.toml` disallows `Command::new` everywhere else). It does not build
//! images, parse test logs or talk to a model.

// lego-sandbox is THE crate allowed to start processes (ARCHITECTURE.md, "Invariants").
#![allow(clippy::disallowed_methods)]

mod error;
mod local;
mod sandbox;
mod tools;

pub use error::{Error, Result};
pub use local::{LocalOptions, LocalSandbox};
pub use sandbox::{
    ExecOptions, ExecOutput, FileKind, Sandbox, ShellInput, ShellState, ShellUpdate, TESTBED,
    WaitOptions,
};
pub use tools::{Observation, ToolState, tool_call};
