//! Runs a command and the agent's tools in a sandbox: the local backend (a private copy of a
//! repository, no Docker needed) on a small repository this program writes into a temporary
//! directory.
//!
//! `cargo run -p lego-examples --example sandbox_tools`
//!
//! With `RUST_LOG=lego_sandbox=debug` it also shows the sandbox's `tracing` spans and events
//! (with `trace`, the commands' whole texts and outputs).

use std::time::Duration;

use lego_sandbox::{ExecOptions, LocalOptions, LocalSandbox, Sandbox, ToolState, tool_call};

fn main() -> anyhow::Result<()> {
    // lego's libraries only emit events; a program chooses where they go.
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();

    let repo = tempfile::tempdir()?;
    std::fs::write(
        repo.path().join("greet.py"),
        "def greet(name):\n    return 'hello ' + name\n\n\nprint(greet('world'))\n",
    )?;

    // The sandbox works on its own copy, seen at /testbed inside; `repo` stays untouched.
    let mut sandbox = LocalSandbox::start(repo.path(), LocalOptions::default())?;

    // A one-shot command with a timeout: what graders use.
    let options = ExecOptions {
        timeout: Duration::from_secs(30),
        ..ExecOptions::default()
    };
    let out = sandbox.exec("python3 greet.py", &options)?;
    println!(
        "$ python3 greet.py  (exit {:?})\n{}",
        out.exit_code, out.output
    );

    // The agent's tools, called as a model calls them: a tool name and JSON arguments. The
    // state keeps the editor's undo history and the shell across the calls of one episode.
    let mut tools = ToolState::default();
    let calls = [
        (
            "str_replace_editor",
            r#"{"command": "str_replace", "path": "/testbed/greet.py",
                "old_str": "'hello ' + name", "new_str": "f'hello, {name}!'"}"#,
        ),
        (
            "execute_bash",
            r#"{"command": "cd /testbed && python3 greet.py"}"#,
        ),
    ];
    for (tool, arguments) in calls {
        let observation = tool_call(&mut sandbox, &mut tools, tool, arguments);
        println!(
            "[{tool}] error: {:?}\n{}\n",
            observation.error, observation.text
        );
    }

    // Stopping kills whatever the sandbox still runs and removes its copy (dropping does too).
    sandbox.stop()?;
    Ok(())
}
