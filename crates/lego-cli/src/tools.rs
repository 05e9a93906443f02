use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::Subcommand;
use lego_sandbox::{ToolState, tool_call};
use serde_json::{Value, json};

use crate::repo::SandboxRepo;
use lego_cli::sandbox_args::Backend;

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run tool calls in a fresh sandbox and write one observation per call (JSONL).
    Replay {
        /// Where the sandbox runs.
        #[arg(long, value_enum, default_value_t = Backend::Local)]
        backend: Backend,
        /// The repository to copy into the sandbox (it appears at /testbed), sanitised.
        #[command(flatten)]
        repo: SandboxRepo,
        /// Tool calls, one `{"name": ..., "arguments": {...} | "..."}` per line.
        #[arg(long)]
        actions: PathBuf,
        /// Observations, one `{"observation", "error", "exit_code", "duration_s"}` per line.
        #[arg(long)]
        out: PathBuf,
        /// Docker: a command run in /testbed when the environment image is built (repeatable;
        /// the image is cached by content, so an unchanged repository builds once).
        #[arg(long = "install", value_name = "CMD")]
        install: Vec<String>,
    },
}

pub fn run(cmd: Command) -> Result<()> {
    match cmd {
        Command::Replay {
            backend,
            repo,
            actions,
            out,
            install,
        } => replay(backend, &repo, &actions, &out, install),
    }
}

fn replay(
    backend: Backend,
    source: &SandboxRepo,
    actions: &Path,
    out: &Path,
    install: Vec<String>,
) -> Result<()> {
    let calls = read_actions(actions)?;
    let prepared = source.prepare()?;
    let repo = prepared.path();
    let mut sandbox = backend
        .starter(install)?
        .start(&repo, source.name().as_deref())
        .with_context(|| format!("failed to start a sandbox on {}", source.repo.display()))?;
    let mut state = ToolState::default();
    let mut lines = Vec::with_capacity(calls.len());
    for (name, arguments) in &calls {
        let obs = tool_call(sandbox.as_mut(), &mut state, name, arguments);
        lines.push(json!({
            "name": name,
            "observation": obs.text,
            "error": obs.error.map(|e| e.as_str()),
            "exit_code": obs.exit_code,
            "duration_s": obs.duration_s,
            "finished": obs.finished,
        }));
        if obs.finished {
            break;
        }
    }
    sandbox.stop().context("failed to stop the sandbox")?;
    let mut text = Vec::new();
    for line in &lines {
        serde_json::to_writer(&mut text, line)?;
        text.push(b'\n');
    }
    lego_data::write_atomic(out, &text)
        .with_context(|| format!("failed to write {}", out.display()))?;
    let errors = lines.iter().filter(|l| !l["error"].is_null()).count();
    tracing::info!(
        "replayed {} calls ({errors} error steps) into {}",
        lines.len(),
        out.display()
    );
    Ok(())
}

/// The calls of an actions file: name and arguments as JSON text.
fn read_actions(path: &Path) -> Result<Vec<(String, String)>> {
    let file =
        std::fs::File::open(path).with_context(|| format!("failed to open {}", path.display()))?;
    let mut calls = Vec::new();
    for (i, line) in BufReader::new(file).lines().enumerate() {
        let line = line.with_context(|| format!("failed to read {}", path.display()))?;
        if line.trim().is_empty() {
            continue;
        }
        let at = || format!("{}:{}", path.display(), i + 1);
        let value: Value =
            serde_json::from_str(&line).with_context(|| format!("{}: malformed action", at()))?;
        // OpenAI's `{"function": {...}}` wrapper is accepted too.
        let call = value.get("function").unwrap_or(&value);
        let Some(name) = call.get("name").and_then(Value::as_str) else {
            bail!("{}: the action has no \"name\"", at());
        };
        let arguments = match call.get("arguments") {
            Some(Value::String(s)) => s.clone(),
            Some(v @ Value::Object(_)) => v.to_string(),
            None => "{}".to_string(),
            Some(_) => bail!("{}: \"arguments\" must be an object or a JSON string", at()),
        };
        calls.push((name.to_string(), arguments));
    }
    Ok(calls)
}
