//! The four tools: outputs compared with snapshots of OpenHands' texts on the local backend, and
//! the same scripts on Docker giving the same observations.
//!
//! Each script is a function over `&mut dyn Sandbox` returning what it observed; the local test
//! checks it against the snapshot or the inline texts, the Docker test runs the same function
//! and compares with a local run. Where the backends must differ the comparison normalises
//! explicitly (see [`normalise`] and the editor's outside path).

use std::path::PathBuf;

use lego_data::StepError;
use lego_sandbox::{
    ExecOptions, LocalOptions, LocalSandbox, Observation, Sandbox, ToolState, tool_call,
};
use serde_json::{Value, json};

use crate::repo::repo;

fn call(sb: &mut dyn Sandbox, st: &mut ToolState, name: &str, args: Value) -> Observation {
    tool_call(sb, st, name, &args.to_string())
}

fn local(dir: &std::path::Path) -> LocalSandbox {
    LocalSandbox::start(dir, LocalOptions::default()).unwrap()
}

/// A Docker sandbox holding the fixture repository, `None` after a skip note.
#[cfg(feature = "docker")]
fn docker(test: &str, dir: &std::path::Path) -> Option<lego_sandbox::DockerSandbox> {
    let (engine, image) = crate::engine::env_image(test, dir, "lego-it-tools", &[])?;
    Some(
        lego_sandbox::DockerSandbox::start(
            &engine,
            &image.tag,
            lego_sandbox::SandboxConfig::default(),
        )
        .unwrap(),
    )
}

/// What differs between backends for reasons outside the tools: the interpreter line (where
/// `python` is on each machine; the base image has only `python3`), and the file a shell command
/// is sourced from, which bash names in its own error messages (a host temporary directory for
/// the local backend, `/tmp/.lego-shell` in a container).
fn normalise(text: &str) -> String {
    text.lines()
        .filter(|l| !l.starts_with("[Python interpreter: "))
        .map(|l| match l.find("/shell-") {
            Some(i) if l[i..].contains(".sh: line ") && l.starts_with('/') => {
                let rest = &l[i..];
                let after = &rest[rest.find(".sh: ").unwrap() + 5..];
                format!("SHELL_FILE: {after}")
            }
            _ => l.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("\n")
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

/// The editor's calls; `(call, observation)` with its step-error class.
fn editor_script(sb: &mut dyn Sandbox) -> Vec<(Value, String)> {
    let mut st = ToolState::default();
    let calls = [
        json!({"command": "view", "path": "/testbed"}),
        json!({"command": "view", "path": "/testbed/pkg/calc.py"}),
        json!({"command": "view", "path": "/testbed/pkg/calc.py", "view_range": [2, 5]}),
        json!({"command": "view", "path": "/testbed/pkg/calc.py", "view_range": [9, 20]}),
        json!({"command": "view", "path": "/testbed/pkg/calc.py", "view_range": [0, 3]}),
        json!({"command": "view", "path": "/testbed/pkg", "view_range": [1, 2]}),
        json!({"command": "view", "path": "pkg/calc.py"}),
        json!({"command": "view", "path": "./pkg//nope.py"}),
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
    calls
        .into_iter()
        .map(|args| {
            let obs = call(sb, &mut st, "str_replace_editor", args.clone());
            let error = obs.error.map_or("null", StepError::as_str);
            let text = format!("--- error: {error}\n{}\n", obs.text);
            (args, text)
        })
        .collect()
}

fn transcript(entries: &[(Value, String)]) -> String {
    entries
        .iter()
        .map(|(args, text)| format!("=== {args}\n{text}"))
        .collect()
}

#[test]
fn editor_outputs_match_openhands() {
    let dir = repo();
    let mut sb = local(dir.path());
    check_snapshot("editor.txt", &transcript(&editor_script(&mut sb)));
}

#[cfg(feature = "docker")]
#[test]
fn editor_outputs_are_the_same_on_docker() {
    let test = "editor_outputs_are_the_same_on_docker";
    let dir = repo();
    let Some(mut docker) = docker(test, dir.path()) else {
        return;
    };
    let expected = editor_script(&mut local(dir.path()));
    let actual = editor_script(&mut docker);
    assert_eq!(actual.len(), expected.len());
    for ((args, want), (_, got)) in expected.iter().zip(&actual) {
        if args["path"] == "/etc/passwd" {
            // The local backend holds the editor to its copy of the repository; a container is
            // its own boundary, so the editor sees the container's whole file system.
            assert!(want.contains("outside the repository"), "{want}");
            assert!(
                got.starts_with("--- error: null\nHere's the result of running `cat -n` on /etc/passwd:\n     1\troot:"),
                "{got}"
            );
            continue;
        }
        assert_eq!(got, want, "{args}");
    }
}

fn think_finish_script(sb: &mut dyn Sandbox) {
    let mut st = ToolState::default();
    let obs = call(sb, &mut st, "think", json!({"thought": "hmm"}));
    assert_eq!(obs.text, "Your thought has been logged.");
    assert_eq!(obs.error, None);
    let obs = call(sb, &mut st, "finish", json!({"message": "done"}));
    assert!(obs.finished);
    let obs = call(sb, &mut st, "browse", json!({}));
    assert_eq!(obs.error, Some(StepError::UnknownTool));
    let obs = tool_call(sb, &mut st, "execute_bash", "{not json");
    assert_eq!(obs.error, Some(StepError::ToolCallParse));
}

#[test]
fn think_finish_and_unknown_tools() {
    let dir = repo();
    think_finish_script(&mut local(dir.path()));
}

#[cfg(feature = "docker")]
#[test]
fn think_finish_and_unknown_tools_on_docker() {
    let dir = repo();
    if let Some(mut sb) = docker("think_finish_and_unknown_tools_on_docker", dir.path()) {
        think_finish_script(&mut sb);
    }
}

type Seen = (String, Option<StepError>, Option<i64>);

/// The `execute_bash` script: state across calls, errors, a command that never ends, Ctrl-C,
/// interactive input. Returns each observation, normalised.
fn bash_script(sb: &mut dyn Sandbox) -> Vec<Seen> {
    let mut st = ToolState::default();
    let calls = [
        json!({"command": "cd pkg && export FOO=bar && echo hi"}),
        json!({"command": "echo $FOO; pwd; false"}),
        json!({"command": "nosuchcommand"}),
        json!({"command": "echo start; sleep 1000002", "timeout": 1}),
        json!({"command": "ls"}),
        json!({"command": "C-c", "is_input": "true"}),
        json!({"command": ""}),
        json!({"command": "printf 'name? '; read n; echo \"hi $n\"", "timeout": 1}),
        json!({"command": "bob", "is_input": "true"}),
        json!({"command": "python3 -c 'import nosuchmodule'"}),
        json!({"command": "cd /testbed && ls && echo $FOO && for i in 1 2 3; do echo line $i; done"}),
        json!({"command": "echo 'multi\nline' && (exit 3)"}),
        // Where the Docker shell writes its commands can go; a syntax error is reported.
        json!({"command": "rm -rf /tmp/.lego-shell\nif then"}),
        json!({"command": "echo still here"}),
        // Longer than a terminal line: the Docker backend uploads it.
        json!({"command": format!("X={}; echo ${{#X}}", "a".repeat(5000))}),
        // The shell can exit; the next command gets a fresh one in /testbed.
        json!({"command": "cd pkg; exit 3"}),
        json!({"command": "pwd; echo \"[$FOO]\""}),
    ];
    calls
        .into_iter()
        .map(|args| {
            let obs = call(sb, &mut st, "execute_bash", args);
            (normalise(&obs.text), obs.error, obs.exit_code)
        })
        .collect()
}

/// What the local run of [`bash_script`] must show: OpenHands' texts.
fn check_bash(seen: &[Seen]) {
    let timeout_note = "You may wait longer to see additional output by sending empty command '', send other commands to interact with the current process, send keys to interrupt/kill the command, or use the timeout parameter in execute_bash for future commands.";
    assert_eq!(
        seen[0],
        (
            "hi\n[The command completed with exit code 0.]\n[Current working directory: /testbed/pkg]\n[Command finished with exit code 0]".to_owned(),
            None,
            Some(0)
        )
    );
    assert_eq!(
        seen[1],
        (
            "bar\n/testbed/pkg\n[The command completed with exit code 1.]\n[Current working directory: /testbed/pkg]\n[Command finished with exit code 1]".to_owned(),
            None,
            Some(1)
        )
    );
    let (t, e, c) = &seen[2];
    assert!(t.contains("nosuchcommand: command not found"), "{t}");
    assert_eq!((*e, *c), (Some(StepError::CommandNotFound), Some(127)));
    // A command that never ends: hard timeout, the shell refuses new commands, C-c ends it.
    assert_eq!(
        seen[3],
        (
            format!("start\n[The command timed out after 1.0 seconds. {timeout_note}]"),
            Some(StepError::CommandTimeout),
            Some(-1)
        )
    );
    let t = &seen[4].0;
    assert!(t.starts_with("[Below is the output of the previous command.]\n\n[Your command \"ls\" is NOT executed. The previous command is still running"), "{t}");
    let (t, e, c) = &seen[5];
    assert!(
        t.starts_with("[Below is the output of the previous command.]\n"),
        "{t}"
    );
    assert!(
        t.contains("[The command completed with exit code 130.]"),
        "{t}"
    );
    assert_eq!((*e, *c), (None, Some(130)));
    assert_eq!(
        seen[6].0,
        "ERROR: No previous running command to retrieve logs from."
    );
    // Interactive input goes to the running command.
    let (t, _, c) = &seen[7];
    assert!(t.starts_with("name?"), "{t}");
    assert_eq!(*c, Some(-1));
    let (t, _, c) = &seen[8];
    assert!(t.contains("hi bob"), "{t}");
    assert_eq!(*c, Some(0));
    // Python errors are classified by lego-data.
    assert_eq!(seen[9].1, Some(StepError::PythonImportError));
    assert_eq!(
        seen[10].0,
        "README.md\npkg\ntests\nbar\nline 1\nline 2\nline 3\n[The command completed with exit code 0.]\n[Current working directory: /testbed]\n[Command finished with exit code 0]"
    );
    assert_eq!(seen[11].2, Some(3));
    let (t, _, c) = &seen[12];
    assert!(
        t.starts_with("bash: line 2: syntax error near unexpected token `then'"),
        "{t}"
    );
    assert_eq!(*c, Some(2));
    assert!(seen[13].0.starts_with("still here\n"), "{}", seen[13].0);
    assert!(seen[14].0.starts_with("5000\n"), "{}", seen[14].0);
    assert_eq!(
        seen[15].0,
        "\n[The shell exited. The next command starts a fresh shell in /testbed.]"
    );
    assert!(seen[16].0.starts_with("/testbed\n[]\n"), "{}", seen[16].0);
}

/// Reset: files, processes and the shell back to the environment's clean state.
fn reset_script(sb: &mut dyn Sandbox) -> Vec<String> {
    let o = ExecOptions::default();
    let mut st = ToolState::default();
    call(
        sb,
        &mut st,
        "execute_bash",
        json!({"command": "cd pkg && export X=1"}),
    );
    sb.write_file("/testbed/pkg/calc.py", b"broken\n").unwrap();
    sb.write_file("/testbed/extra.txt", b"x").unwrap();
    sb.reset().unwrap();
    let mut st = ToolState::default();
    let obs = call(
        sb,
        &mut st,
        "execute_bash",
        json!({"command": "pwd; echo \"[$X]\"; git status --short; head -1 pkg/calc.py"}),
    );
    let stopped = {
        sb.stop().unwrap();
        sb.stop().unwrap();
        format!("{:?}", sb.exec("true", &o).map_err(|e| e.to_string()))
    };
    vec![normalise(&obs.text), stopped]
}

#[test]
fn reset_and_stop_on_local() {
    let dir = repo();
    let seen = reset_script(&mut local(dir.path()));
    assert!(
        seen[0].starts_with("/testbed\n[]\ndef add(a, b):\n"),
        "{seen:?}"
    );
    assert_eq!(seen[1], "Err(\"the sandbox is stopped\")");
}

#[cfg(feature = "docker")]
#[test]
fn reset_and_stop_are_the_same_on_docker() {
    let dir = repo();
    let Some(mut docker) = docker("reset_and_stop_are_the_same_on_docker", dir.path()) else {
        return;
    };
    assert_eq!(
        reset_script(&mut docker),
        reset_script(&mut local(dir.path()))
    );
}

#[test]
fn bash_outputs_match_openhands() {
    let dir = repo();
    check_bash(&bash_script(&mut local(dir.path())));
}

#[cfg(feature = "docker")]
#[test]
fn bash_outputs_are_the_same_on_docker() {
    let test = "bash_outputs_are_the_same_on_docker";
    let dir = repo();
    let Some(mut docker) = docker(test, dir.path()) else {
        return;
    };
    let expected = bash_script(&mut local(dir.path()));
    let actual = bash_script(&mut docker);
    for (i, (want, got)) in expected.iter().zip(&actual).enumerate() {
        assert_eq!(got, want, "call {i}");
    }
    check_bash(&actual);
}

/// The file methods of the trait: contents (binary, empty, large), modes kept on rewrite,
/// directories, missing files, links, names with spaces. What each call gave, as text.
fn files_script(sb: &mut dyn Sandbox) -> Vec<String> {
    let mut seen = Vec::new();
    let mut note = |what: &str, r: String| seen.push(format!("{what}: {r}"));
    let binary: Vec<u8> = (0..=255u8).cycle().take(3000).collect();
    let large: Vec<u8> = (0..(1 << 20))
        .map(|i: u32| b"abcdefgh\n"[(i % 9) as usize])
        .collect();
    let o = ExecOptions::default();
    for (path, contents) in [
        ("/testbed/bin.dat", binary.as_slice()),
        ("/testbed/empty.txt", b"".as_slice()),
        ("/testbed/large.txt", large.as_slice()),
        ("/testbed/new dir/with space.txt", b"spaced\n".as_slice()),
    ] {
        note(
            path,
            format!(
                "{:?}",
                sb.write_file(path, contents).map_err(|e| e.to_string())
            ),
        );
        let back = sb.read_file(path).unwrap();
        note(path, format!("round trip {}", back == contents));
        note(path, format!("{:?}", sb.file_kind(path).unwrap()));
    }
    sb.exec(
        "chmod 755 /testbed/pkg/calc.py && ln -s pkg/calc.py /testbed/link.py",
        &o,
    )
    .unwrap();
    sb.write_file("/testbed/pkg/calc.py", b"x = 1\n").unwrap();
    let mode = sb.exec("stat -c %a /testbed/pkg/calc.py", &o).unwrap();
    note("mode after rewrite", mode.output);
    note(
        "through a link",
        format!(
            "{:?}",
            sb.read_file("/testbed/link.py").map(String::from_utf8)
        ),
    );
    for path in [
        "/testbed/pkg",
        "/testbed/nope.txt",
        "/testbed/nope/deeper.txt",
    ] {
        note(
            path,
            format!("read {:?}", sb.read_file(path).map_err(|e| e.to_string())),
        );
        note(path, format!("kind {:?}", sb.file_kind(path).unwrap()));
    }
    note(
        "write over a dir",
        format!(
            "{:?}",
            sb.write_file("/testbed/pkg", b"x")
                .map_err(|e| e.to_string())
        ),
    );
    seen
}

#[test]
fn file_methods_on_local() {
    let dir = repo();
    let seen = files_script(&mut local(dir.path()));
    assert!(
        seen.iter().all(|s| !s.contains("round trip false")),
        "{seen:#?}"
    );
    assert!(
        seen.contains(&"mode after rewrite: 755\n".to_owned()),
        "{seen:#?}"
    );
}

#[cfg(feature = "docker")]
#[test]
fn file_methods_are_the_same_on_docker() {
    let test = "file_methods_are_the_same_on_docker";
    let dir = repo();
    let Some(mut docker) = docker(test, dir.path()) else {
        return;
    };
    let expected = files_script(&mut local(dir.path()));
    let actual = files_script(&mut docker);
    assert_eq!(actual, expected);
    // The calls went through the file helper; killed, it is replaced and the calls still work.
    let o = ExecOptions::default();
    let helper = docker.exec("pgrep -f 'lego-[w]rite'", &o).unwrap();
    assert_eq!(helper.exit_code, 0, "no file helper runs");
    docker.exec("pkill -f 'lego-[w]rite'", &o).unwrap();
    for _ in 0..2 {
        assert_eq!(docker.read_file("/testbed/empty.txt").unwrap(), b"");
        docker.write_file("/testbed/again.txt", b"again").unwrap();
        assert_eq!(docker.read_file("/testbed/again.txt").unwrap(), b"again");
    }
    // A name with a newline takes the exec path.
    docker.write_file("/testbed/a\nb", b"nl").unwrap();
    assert_eq!(docker.read_file("/testbed/a\nb").unwrap(), b"nl");
}
