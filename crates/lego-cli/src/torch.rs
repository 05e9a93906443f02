//! `lego model ...` and `lego sft ...`: run by `lego-torch`, the binary next to this one that
//! links libtorch (cargo runs `cargo-clippy` the same way).

use std::ffi::OsString;
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use lego_cli::OutputArgs;

/// The name of the binary that holds the libtorch commands.
const TORCH_BINARY: &str = "lego-torch";

/// Everything after `lego model` or `lego sft`, handed on untouched (`--help` included).
#[derive(Debug, clap::Args)]
pub struct Args {
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, num_args = 0..)]
    args: Vec<OsString>,
}

/// Replaces this process with `lego-torch GROUP ARGS...`, the output flags handed on.
pub fn run(group: &str, output: &OutputArgs, args: Args) -> Result<()> {
    let binary = torch_binary()?;
    // Only lego-sandbox starts processes, except for this: the CLI running its own second
    // binary, as cargo runs its subcommands.
    #[allow(clippy::disallowed_methods)]
    let mut command = std::process::Command::new(&binary);
    command.args(output.to_args()).arg(group).args(&args.args);
    exec(command, &binary)
}

/// Replaces this process with `lego-torch` and this process's own arguments, for a command
/// `lego` parsed and found to need libtorch (`lego agent run --policy local`).
pub fn run_as_given() -> Result<()> {
    let binary = torch_binary()?;
    // As in `run`: the CLI running its own second binary.
    #[allow(clippy::disallowed_methods)]
    let mut command = std::process::Command::new(&binary);
    command.args(std::env::args_os().skip(1));
    exec(command, &binary)
}

#[cfg(unix)]
fn exec(mut command: std::process::Command, binary: &std::path::Path) -> Result<()> {
    use std::os::unix::process::CommandExt;
    // exec returns only when it failed.
    let err = command.exec();
    Err(err).with_context(|| format!("cannot run {}", binary.display()))
}

#[cfg(not(unix))]
fn exec(mut command: std::process::Command, binary: &std::path::Path) -> Result<()> {
    let status = command
        .status()
        .with_context(|| format!("cannot run {}", binary.display()))?;
    std::process::exit(status.code().unwrap_or(1));
}

/// `lego-torch` next to this executable (as cargo builds and installs them), or on `PATH`.
fn torch_binary() -> Result<PathBuf> {
    let name = format!("{TORCH_BINARY}{}", std::env::consts::EXE_SUFFIX);
    let me = std::env::current_exe().context("cannot find the lego executable")?;
    if let Some(dir) = me.parent() {
        let beside = dir.join(&name);
        if beside.is_file() {
            return Ok(beside);
        }
    }
    if let Some(path) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&path) {
            let candidate = dir.join(&name);
            if candidate.is_file() {
                return Ok(candidate);
            }
        }
    }
    bail!(
        "the model and training commands need `{name}`, which is not next to {} nor on PATH \
         (build it with `cargo build -p lego-cli-torch`)",
        me.display()
    )
}
