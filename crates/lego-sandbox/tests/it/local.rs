//! The local backend through the `Sandbox` trait.

use std::time::{Duration, Instant};

use lego_sandbox::{
    Error, ExecOptions, LocalOptions, LocalSandbox, Sandbox, ShellInput, ShellState, WaitOptions,
};

use crate::repo::{CALC, repo};

fn sandbox() -> (tempfile::TempDir, LocalSandbox) {
    let dir = repo();
    let sb = LocalSandbox::start(dir.path(), LocalOptions::default()).unwrap();
    (dir, sb)
}

fn exec(sb: &mut LocalSandbox, cmd: &str, secs: u64) -> lego_sandbox::ExecOutput {
    let opts = ExecOptions {
        timeout: Duration::from_secs(secs),
        ..ExecOptions::default()
    };
    sb.exec(cmd, &opts).unwrap()
}

fn run(sb: &mut LocalSandbox, cmd: &str) -> (String, ShellState) {
    sb.shell_send(ShellInput::Command(cmd.into())).unwrap();
    let u = sb
        .shell_wait(&WaitOptions {
            no_output: Duration::from_secs(10),
            deadline: Duration::from_secs(30),
        })
        .unwrap();
    (u.output, u.state)
}

#[test]
fn exec_runs_in_testbed_with_exit_code_and_interleaved_output() {
    let (_dir, mut sb) = sandbox();
    let out = exec(
        &mut sb,
        "pwd; echo out; echo err >&2; cat /testbed/pkg/calc.py | head -1; exit 3",
        30,
    );
    assert_eq!(out.exit_code, Some(3));
    assert!(!out.timed_out);
    assert_eq!(out.output, "/testbed\nout\nerr\ndef add(a, b):\n");
    let out = exec(
        &mut sb,
        "git status --porcelain && git log --oneline | wc -l",
        30,
    );
    assert_eq!(out.output.trim(), "1", "{out:?}");
}

#[test]
fn exec_timeout_kills_the_whole_group() {
    let (_dir, mut sb) = sandbox();
    let start = Instant::now();
    let out = exec(
        &mut sb,
        "(sleep 1000001 &) ; sleep 1000001 & echo started; wait",
        1,
    );
    assert!(out.timed_out, "{out:?}");
    assert_eq!(out.exit_code, None);
    assert!(start.elapsed() < Duration::from_secs(10));
    assert!(out.output.contains("started"));
    let left = exec(&mut sb, "pgrep -f 'sleep 1000001' | wc -l", 10);
    assert_eq!(left.output.trim(), "0", "a sleep survived its timeout");
}

#[test]
fn files_map_testbed_and_refuse_escapes() {
    let (_dir, mut sb) = sandbox();
    assert_eq!(
        sb.read_file("/testbed/pkg/calc.py").unwrap(),
        CALC.as_bytes()
    );
    sb.write_file("/testbed/new/dir/x.txt", b"hi").unwrap();
    assert_eq!(exec(&mut sb, "cat new/dir/x.txt", 10).output, "hi");
    std::os::unix::fs::symlink("/etc", sb.host_root().unwrap().join("etc")).unwrap();
    for bad in [
        "/etc/passwd",
        "/testbed/../etc/passwd",
        "/testbed/etc/passwd",
        "relative.txt",
    ] {
        assert!(
            matches!(sb.read_file(bad), Err(Error::OutsideSandbox { .. })),
            "{bad}"
        );
        assert!(
            matches!(sb.write_file(bad, b"x"), Err(Error::OutsideSandbox { .. })),
            "{bad}"
        );
    }
    assert!(matches!(
        sb.read_file("/testbed/nope"),
        Err(Error::NotFound { .. })
    ));
}

#[test]
fn shell_keeps_cwd_and_env_and_survives_a_command_that_never_ends() {
    let (_dir, mut sb) = sandbox();
    let (out, state) = run(&mut sb, "cd pkg && export FOO=bar");
    assert_eq!(out.trim(), "");
    assert_eq!(
        state,
        ShellState::Completed {
            exit_code: 0,
            cwd: "/testbed/pkg".into()
        }
    );
    let (out, _) = run(&mut sb, "pwd; echo $FOO");
    assert_eq!(out.trim(), "/testbed/pkg\nbar");
    sb.shell_send(ShellInput::Command("echo begin; sleep 1000000".into()))
        .unwrap();
    let u = sb
        .shell_wait(&WaitOptions {
            no_output: Duration::from_millis(500),
            deadline: Duration::from_secs(5),
        })
        .unwrap();
    assert_eq!(u.state, ShellState::Running);
    assert_eq!(u.output.trim(), "begin");
    assert!(matches!(
        sb.shell_send(ShellInput::Command("ls".into())),
        Err(Error::ShellBusy)
    ));
    sb.shell_send(ShellInput::Interrupt).unwrap();
    let (_, state) = (
        String::new(),
        sb.shell_wait(&WaitOptions {
            no_output: Duration::from_secs(5),
            deadline: Duration::from_secs(5),
        })
        .unwrap()
        .state,
    );
    assert!(
        matches!(state, ShellState::Completed { exit_code: 130, .. }),
        "{state:?}"
    );
    let (out, _) = run(&mut sb, "pwd; echo $FOO");
    assert_eq!(out.trim(), "/testbed/pkg\nbar");
}

#[test]
fn reset_restores_the_repository_and_stop_leaves_nothing() {
    let (_dir, mut sb) = sandbox();
    sb.write_file("/testbed/pkg/calc.py", b"broken").unwrap();
    run(&mut sb, "sleep 1000000 &");
    sb.reset().unwrap();
    assert_eq!(
        sb.read_file("/testbed/pkg/calc.py").unwrap(),
        CALC.as_bytes()
    );
    let (out, _) = run(&mut sb, "sleep 1000000 & echo $$");
    let pgid: i32 = out.trim().parse().unwrap();
    assert_eq!(Some(pgid), sb.shell_pgid());
    let root = sb.host_root().unwrap().parent().unwrap().to_path_buf();
    assert!(root.exists());
    drop(sb);
    assert!(!root.exists(), "temp dir left behind");
    assert_eq!(
        live_members(pgid),
        Vec::<i32>::new(),
        "process group {pgid} survived the drop"
    );
}

/// Live (not zombie) processes of process group `pgid`, read from `/proc`.
pub fn live_members(pgid: i32) -> Vec<i32> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        let rest: Vec<&str> = stat
            .rsplit_once(')')
            .unwrap()
            .1
            .split_whitespace()
            .collect();
        if rest[0] != "Z" && rest[2] == pgid.to_string() {
            found.push(pid);
        }
    }
    found
}
