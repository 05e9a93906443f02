//! Hostile commands end with a clear observation, and the episode goes on: each script runs over
//! `&mut dyn Sandbox`, on the local backend and (where an engine answers) on Docker.

use std::time::{Duration, Instant};

use lego_data::StepError;
use lego_sandbox::{LocalOptions, LocalSandbox, Observation, Sandbox, ToolState, tool_call};
use serde_json::{Value, json};

use crate::repo::repo;

fn bash(sb: &mut dyn Sandbox, st: &mut ToolState, args: Value) -> Observation {
    tool_call(sb, st, "execute_bash", &args.to_string())
}

fn still_works(sb: &mut dyn Sandbox, st: &mut ToolState) {
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
    fork_bomb(&mut LocalSandbox::start(dir.path(), options).unwrap());
}

fn fork_bomb(sb: &mut dyn Sandbox) {
    let mut st = ToolState::default();
    let sb = &mut *sb;
    let obs = bash(
        sb,
        &mut st,
        json!({"command": ":(){ :|:& };:", "timeout": 3}),
    );
    // Either the bomb's forks fail and it ends, or it hits the timeout; then C-c kills it all.
    if obs.exit_code == Some(-1) {
        assert_eq!(obs.error, Some(StepError::CommandTimeout), "{}", obs.text);
        let obs = bash(sb, &mut st, json!({"command": "C-c", "is_input": "true"}));
        assert!(
            obs.text.contains("[The command completed with exit code"),
            "{}",
            obs.text
        );
    }
    // What the bomb left in the background (it ignores Ctrl-C) goes with shell_kill; a first
    // command takes what it printed meanwhile.
    sb.shell_kill().unwrap();
    std::thread::sleep(Duration::from_millis(200));
    bash(sb, &mut st, json!({"command": "true"}));
    still_works(sb, &mut st);
}

#[test]
fn memory_hog_gets_memory_error() {
    let dir = repo();
    let mut sb = LocalSandbox::start(dir.path(), LocalOptions::default()).unwrap();
    let obs = memory_hog(&mut sb);
    assert!(obs.text.contains("MemoryError"), "{}", obs.text);
    assert_eq!(obs.exit_code, Some(1));
}

/// Asks for 100 GB; returns the observation, after checking the shell still works.
fn memory_hog(sb: &mut dyn Sandbox) -> Observation {
    let mut st = ToolState::default();
    let obs = bash(
        sb,
        &mut st,
        json!({"command": "python3 -c \"x=' '*10**11\""}),
    );
    still_works(sb, &mut st);
    obs
}

#[test]
fn endless_output_is_cut_and_killed() {
    let dir = repo();
    let options = LocalOptions {
        shell_output_bytes: 4 << 20,
        ..LocalOptions::default()
    };
    endless_output(&mut LocalSandbox::start(dir.path(), options).unwrap());
}

fn endless_output(sb: &mut dyn Sandbox) {
    let mut st = ToolState::default();
    let start = Instant::now();
    let obs = bash(sb, &mut st, json!({"command": "yes"}));
    assert!(start.elapsed() < Duration::from_secs(60));
    assert!(
        obs.text
            .contains("[... Observation truncated due to length ...]"),
        "{}",
        &obs.text[..200]
    );
    assert!(obs.text.contains("and was killed.]"));
    assert!(obs.text.chars().count() < 31_000);
    still_works(sb, &mut st);
}

#[test]
fn sleep_forever_times_out_softly_and_hard() {
    let dir = repo();
    sleep_forever(&mut LocalSandbox::start(dir.path(), LocalOptions::default()).unwrap());
}

fn sleep_forever(sb: &mut dyn Sandbox) {
    let mut st = ToolState::default();
    let obs = bash(sb, &mut st, json!({"command": "sleep 1000003"}));
    assert!(obs.text.ends_with("[The command has no new output after 10 seconds. You may wait longer to see additional output by sending empty command '', send other commands to interact with the current process, send keys to interrupt/kill the command, or use the timeout parameter in execute_bash for future commands.]"), "{}", obs.text);
    assert_eq!((obs.error, obs.exit_code), (None, Some(-1)));
    let obs = bash(sb, &mut st, json!({"command": "", "timeout": 1}));
    assert_eq!(obs.error, Some(StepError::CommandTimeout), "{}", obs.text);
    let obs = bash(sb, &mut st, json!({"command": "C-c", "is_input": "true"}));
    assert!(obs.text.contains("exit code 130"), "{}", obs.text);
    still_works(sb, &mut st);
    // shell_kill ends a command that ignores Ctrl-C; the shell and its state survive.
    let obs = bash(
        sb,
        &mut st,
        json!({"command": "export KEPT=1; trap '' INT; sleep 1000004", "timeout": 1}),
    );
    assert_eq!(obs.exit_code, Some(-1), "{}", obs.text);
    sb.shell_kill().unwrap();
    let obs = bash(sb, &mut st, json!({"command": ""}));
    assert!(
        obs.text.contains("[The command completed with exit code"),
        "{}",
        obs.text
    );
    let obs = bash(sb, &mut st, json!({"command": "trap - INT; echo $KEPT"}));
    assert!(obs.text.starts_with("1\n"), "{}", obs.text);
    // A background job of an earlier command goes with shell_kill too.
    let obs = bash(sb, &mut st, json!({"command": "sleep 1000005 &"}));
    assert_eq!(obs.exit_code, Some(0), "{}", obs.text);
    let running = "pgrep -f 'sleep 100000[5]' >/dev/null && echo running || echo gone";
    let obs = bash(sb, &mut st, json!({ "command": running }));
    assert!(obs.text.starts_with("running\n"), "{}", obs.text);
    sb.shell_kill().unwrap();
    let obs = bash(sb, &mut st, json!({ "command": running }));
    // bash may first report the killed job (`... Killed  sleep 1000005`).
    assert!(obs.text.contains("gone\n"), "{}", obs.text);
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

/// The same scripts in containers, with the container's limits in place of the local ones.
#[cfg(feature = "docker")]
mod docker {
    use lego_sandbox::{DockerSandbox, SandboxConfig};

    use super::*;

    fn start(test: &str, dir: &std::path::Path, config: SandboxConfig) -> Option<DockerSandbox> {
        let (engine, image) = crate::engine::env_image(test, dir, "lego-it-tools", &[])?;
        Some(DockerSandbox::start(&engine, &image.tag, config).unwrap())
    }

    #[test]
    fn fork_bomb_is_contained_on_docker() {
        let dir = repo();
        let config = SandboxConfig {
            pids_limit: 64,
            ..Default::default()
        };
        if let Some(mut sb) = start("fork_bomb_is_contained_on_docker", dir.path(), config) {
            fork_bomb(&mut sb);
        }
    }

    #[test]
    fn memory_hog_is_killed_on_docker() {
        let dir = repo();
        let config = SandboxConfig {
            memory_bytes: 256 << 20,
            ..Default::default()
        };
        if let Some(mut sb) = start("memory_hog_is_killed_on_docker", dir.path(), config) {
            // No address-space limit in a container: the allocation succeeds lazily or the
            // kernel's OOM killer ends it (137); either way the command ends and the shell lives.
            let obs = memory_hog(&mut sb);
            assert!(
                obs.text.contains("MemoryError") || obs.exit_code == Some(137),
                "{}",
                obs.text
            );
        }
    }

    #[test]
    fn endless_output_is_cut_and_killed_on_docker() {
        let dir = repo();
        let config = SandboxConfig {
            max_shell_output: 4 << 20,
            ..Default::default()
        };
        let test = "endless_output_is_cut_and_killed_on_docker";
        if let Some(mut sb) = start(test, dir.path(), config) {
            endless_output(&mut sb);
        }
    }

    #[test]
    fn sleep_forever_times_out_softly_and_hard_on_docker() {
        let dir = repo();
        let test = "sleep_forever_times_out_softly_and_hard_on_docker";
        if let Some(mut sb) = start(test, dir.path(), SandboxConfig::default()) {
            sleep_forever(&mut sb);
        }
    }
}
