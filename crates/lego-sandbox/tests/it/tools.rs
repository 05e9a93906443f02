//! The four tools over the local backend: outputs compared with snapshots of OpenHands' texts.

use std::path::PathBuf;

use lego_data::StepError;
use lego_sandbox::{LocalOptions, LocalSandbox, Observation, ToolState, tool_call};
use serde_json::{Value, json};

use crate::repo::repo;

fn call(sb: &mut LocalSandbox, st: &mut ToolState, name: &str, args: Value) -> Observation {
    tool_call(sb, st, name, &args.to_string())
}

fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

/// Compares `actual` with `tests/data/{name}`; `LEGO_BLESS=1` rewrites the file instead.
fn check_snapshot(name: &str, actual: &str) {
    let path = data(name);
    if std::env::var("LEGO_BLESS").is_ok_and(|v| v == "1") {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap();
    assert!(
        expected == actual,
        "{name} differs from its snapshot:\n{actual}"
    );
}

#[test]
fn editor_outputs_match_openhands() {
    let dir = repo();
    let mut sb = LocalSandbox::start(dir.path(), LocalOptions::default()).unwrap();
    let mut st = ToolState::default();
    let calls = [
        json!({"command": "view", "path": "/testbed"}),
        json!({"command": "view", "path": "/testbed/pkg/calc.py"}),
        json!({"command": "view", "path": "/testbed/pkg/calc.py", "view_range": [2, 5]}),
        json!({"command": "view", "path": "/testbed/pkg/calc.py", "view_range": [9, 20]}),
        json!({"command": "view", "path": "/testbed/pkg/calc.py", "view_range": [0, 3]}),
        json!({"command": "view", "path": "/testbed/pkg", "view_range": [1, 2]}),
        json!({"command": "view", "path": "pkg/calc.py"}),
        json!({"command": "view", "path": "/testbed/nope.py"}),
        json!({"command": "view", "path": "/etc/passwd"}),
        json!({"command": "create", "path": "/testbed/pkg/calc.py", "file_text": "x"}),
        json!({"command": "create", "path": "/testbed/pkg/new.py", "file_text": "A = 1\nB = 2\n"}),
        json!({"command": "create", "path": "/testbed/pkg/other.py"}),
        json!({"command": "str_replace", "path": "/testbed/pkg/calc.py", "old_str": "return a / b"}),
        json!({"command": "str_replace", "path": "/testbed/pkg/util.py", "old_str": "    return x\n", "new_str": "    return 2 * x\n"}),
        json!({"command": "str_replace", "path": "/testbed/pkg/calc.py", "old_str": "return a - b", "new_str": "return a - b  # fixed"}),
        json!({"command": "str_replace", "path": "/testbed/pkg/calc.py", "old_str": "same", "new_str": "same"}),
        json!({"command": "str_replace", "path": "/testbed/pkg", "old_str": "a", "new_str": "b"}),
        json!({"command": "insert", "path": "/testbed/pkg/calc.py", "insert_line": 2, "new_str": "\n\ndef neg(a):\n    return -a"}),
        json!({"command": "insert", "path": "/testbed/pkg/calc.py", "insert_line": 99, "new_str": "x"}),
        json!({"command": "insert", "path": "/testbed/pkg/calc.py", "new_str": "x"}),
        json!({"command": "undo_edit", "path": "/testbed/pkg/calc.py"}),
        json!({"command": "undo_edit", "path": "/testbed/pkg/calc.py"}),
        json!({"command": "undo_edit", "path": "/testbed/pkg/calc.py"}),
        json!({"command": "delete", "path": "/testbed/pkg/calc.py"}),
    ];
    let mut transcript = String::new();
    for args in calls {
        let obs = call(&mut sb, &mut st, "str_replace_editor", args.clone());
        let error = obs.error.map_or("null", StepError::as_str);
        transcript += &format!("=== {args}\n--- error: {error}\n{}\n", obs.text);
    }
    check_snapshot("editor.txt", &transcript);
}

#[test]
fn think_finish_and_unknown_tools() {
    let dir = repo();
    let mut sb = LocalSandbox::start(dir.path(), LocalOptions::default()).unwrap();
    let mut st = ToolState::default();
    let obs = call(&mut sb, &mut st, "think", json!({"thought": "hmm"}));
    assert_eq!(obs.text, "Your thought has been logged.");
    assert_eq!(obs.error, None);
    let obs = call(&mut sb, &mut st, "finish", json!({"message": "done"}));
    assert!(obs.finished);
    let obs = call(&mut sb, &mut st, "browse", json!({}));
    assert_eq!(obs.error, Some(StepError::UnknownTool));
    let obs = tool_call(&mut sb, &mut st, "execute_bash", "{not json");
    assert_eq!(obs.error, Some(StepError::ToolCallParse));
}

#[test]
fn bash_outputs_match_openhands() {
    let dir = repo();
    let mut sb = LocalSandbox::start(dir.path(), LocalOptions::default()).unwrap();
    let mut st = ToolState::default();
    let bash = |sb: &mut LocalSandbox, st: &mut ToolState, args: Value| {
        let obs = call(sb, st, "execute_bash", args);
        // The interpreter line depends on the machine.
        let text: Vec<&str> = obs
            .text
            .lines()
            .filter(|l| !l.starts_with("[Python interpreter: "))
            .collect();
        (text.join("\n"), obs.error, obs.exit_code)
    };
    let (t, e, c) = bash(
        &mut sb,
        &mut st,
        json!({"command": "cd pkg && export FOO=bar && echo hi"}),
    );
    assert_eq!(
        t,
        "hi\n[The command completed with exit code 0.]\n[Current working directory: /testbed/pkg]\n[Command finished with exit code 0]"
    );
    assert_eq!((e, c), (None, Some(0)));
    let (t, _, c) = bash(
        &mut sb,
        &mut st,
        json!({"command": "echo $FOO; pwd; false"}),
    );
    assert_eq!(
        t,
        "bar\n/testbed/pkg\n[The command completed with exit code 1.]\n[Current working directory: /testbed/pkg]\n[Command finished with exit code 1]"
    );
    assert_eq!(c, Some(1));
    let (t, e, c) = bash(&mut sb, &mut st, json!({"command": "nosuchcommand"}));
    assert!(t.contains("nosuchcommand: command not found"), "{t}");
    assert_eq!((e, c), (Some(StepError::CommandNotFound), Some(127)));
    // A command that never ends: hard timeout, the shell refuses new commands, C-c ends it.
    let (t, e, c) = bash(
        &mut sb,
        &mut st,
        json!({"command": "echo start; sleep 1000002", "timeout": 1}),
    );
    assert_eq!(
        t,
        "start\n[The command timed out after 1.0 seconds. You may wait longer to see additional output by sending empty command '', send other commands to interact with the current process, send keys to interrupt/kill the command, or use the timeout parameter in execute_bash for future commands.]"
    );
    assert_eq!((e, c), (Some(StepError::CommandTimeout), Some(-1)));
    let (t, _, _) = bash(&mut sb, &mut st, json!({"command": "ls"}));
    assert!(t.starts_with("[Below is the output of the previous command.]\n\n[Your command \"ls\" is NOT executed. The previous command is still running"), "{t}");
    let (t, e, c) = bash(
        &mut sb,
        &mut st,
        json!({"command": "C-c", "is_input": "true"}),
    );
    assert!(
        t.starts_with("[Below is the output of the previous command.]\n"),
        "{t}"
    );
    assert!(
        t.contains("[The command completed with exit code 130.]"),
        "{t}"
    );
    assert_eq!((e, c), (None, Some(130)));
    let (t, _, _) = bash(&mut sb, &mut st, json!({"command": ""}));
    assert_eq!(
        t,
        "ERROR: No previous running command to retrieve logs from."
    );
    // Interactive input goes to the running command.
    let (t, _, c) = bash(
        &mut sb,
        &mut st,
        json!({"command": "printf 'name? '; read n; echo \"hi $n\"", "timeout": 1}),
    );
    assert!(t.starts_with("name?"), "{t}");
    assert_eq!(c, Some(-1));
    let (t, _, c) = bash(
        &mut sb,
        &mut st,
        json!({"command": "bob", "is_input": "true"}),
    );
    assert!(t.contains("hi bob"), "{t}");
    assert_eq!(c, Some(0));
    // Python errors are classified by lego-data.
    let (_, e, _) = bash(
        &mut sb,
        &mut st,
        json!({"command": "python3 -c 'import nosuchmodule'"}),
    );
    assert_eq!(e, Some(StepError::PythonImportError));
}
