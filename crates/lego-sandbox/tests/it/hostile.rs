//! Hostile commands end with a clear observation, and the episode goes on.

use std::time::{Duration, Instant};

use lego_data::StepError;
use lego_sandbox::{LocalOptions, LocalSandbox, Observation, ToolState, tool_call};
use serde_json::{Value, json};

use crate::repo::repo;

fn bash(sb: &mut LocalSandbox, st: &mut ToolState, args: Value) -> Observation {
    tool_call(sb, st, "execute_bash", &args.to_string())
}

fn still_works(sb: &mut LocalSandbox, st: &mut ToolState) {
    let obs = bash(sb, st, json!({"command": "echo alive"}));
    assert!(
        obs.text
            .starts_with("alive\n[The command completed with exit code 0.]"),
        "{}",
        obs.text
    );
}

#[test]
fn fork_bomb_is_contained() {
    let dir = repo();
    let options = LocalOptions {
        max_processes: 64,
        ..LocalOptions::default()
    };
    let mut sb = LocalSandbox::start(dir.path(), options).unwrap();
    let mut st = ToolState::default();
    let obs = bash(
        &mut sb,
        &mut st,
        json!({"command": ":(){ :|:& };:", "timeout": 3}),
    );
    // Either the bomb's forks fail and it ends, or it hits the timeout; then C-c kills it all.
    if obs.exit_code == Some(-1) {
        assert_eq!(obs.error, Some(StepError::CommandTimeout), "{}", obs.text);
        let obs = bash(
            &mut sb,
            &mut st,
            json!({"command": "C-c", "is_input": "true"}),
        );
        assert!(
            obs.text.contains("[The command completed with exit code"),
            "{}",
            obs.text
        );
    }
    std::thread::sleep(Duration::from_millis(200));
    still_works(&mut sb, &mut st);
}

#[test]
fn memory_hog_gets_memory_error() {
    let dir = repo();
    let mut sb = LocalSandbox::start(dir.path(), LocalOptions::default()).unwrap();
    let mut st = ToolState::default();
    let obs = bash(
        &mut sb,
        &mut st,
        json!({"command": "python3 -c \"x=' '*10**11\""}),
    );
    assert!(obs.text.contains("MemoryError"), "{}", obs.text);
    assert_eq!(obs.exit_code, Some(1));
    still_works(&mut sb, &mut st);
}

#[test]
fn endless_output_is_cut_and_killed() {
    let dir = repo();
    let options = LocalOptions {
        shell_output_bytes: 4 << 20,
        ..LocalOptions::default()
    };
    let mut sb = LocalSandbox::start(dir.path(), options).unwrap();
    let mut st = ToolState::default();
    let start = Instant::now();
    let obs = bash(&mut sb, &mut st, json!({"command": "yes"}));
    assert!(start.elapsed() < Duration::from_secs(60));
    assert!(
        obs.text
            .contains("[... Observation truncated due to length ...]"),
        "{}",
        &obs.text[..200]
    );
    assert!(obs.text.contains("and was killed.]"));
    assert!(obs.text.chars().count() < 31_000);
    still_works(&mut sb, &mut st);
}

#[test]
fn sleep_forever_times_out_softly_and_hard() {
    let dir = repo();
    let mut sb = LocalSandbox::start(dir.path(), LocalOptions::default()).unwrap();
    let mut st = ToolState::default();
    let obs = bash(&mut sb, &mut st, json!({"command": "sleep 1000003"}));
    assert!(obs.text.ends_with("[The command has no new output after 10 seconds. You may wait longer to see additional output by sending empty command '', send other commands to interact with the current process, send keys to interrupt/kill the command, or use the timeout parameter in execute_bash for future commands.]"), "{}", obs.text);
    assert_eq!((obs.error, obs.exit_code), (None, Some(-1)));
    let obs = bash(&mut sb, &mut st, json!({"command": "", "timeout": 1}));
    assert_eq!(obs.error, Some(StepError::CommandTimeout), "{}", obs.text);
    let obs = bash(
        &mut sb,
        &mut st,
        json!({"command": "C-c", "is_input": "true"}),
    );
    assert!(obs.text.contains("exit code 130"), "{}", obs.text);
    still_works(&mut sb, &mut st);
}

#[test]
fn editor_refuses_paths_outside_the_repository_but_cat_is_fine() {
    let dir = repo();
    let mut sb = LocalSandbox::start(dir.path(), LocalOptions::default()).unwrap();
    let mut st = ToolState::default();
    for path in ["/etc/passwd", "/testbed/../etc/passwd", "/tmp/x.py"] {
        let obs = tool_call(
            &mut sb,
            &mut st,
            "str_replace_editor",
            &json!({"command": "create", "path": path, "file_text": "x"}).to_string(),
        );
        assert!(
            obs.text.starts_with("ERROR:\nInvalid `path` parameter"),
            "{}",
            obs.text
        );
        assert_eq!(obs.error, Some(StepError::EditorError));
    }
    assert!(!std::path::Path::new("/tmp/x.py").exists());
    let obs = bash(
        &mut sb,
        &mut st,
        json!({"command": "cat /etc/passwd | head -1"}),
    );
    assert!(obs.text.starts_with("root:"), "{}", obs.text);
}
