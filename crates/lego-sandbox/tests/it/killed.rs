//! A pool run SIGKILLed halfway (a child process: this test binary run again with
//! `LEGO_KILLED_CHILD` set), then garbage collection: nothing of it is left.

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use lego_sandbox::{
    Error, LocalOptions, LocalSandbox, Pool, Sandbox, ShellInput, WaitOptions, gc_local,
};

use crate::repo::repo;

const JOBS: usize = 6;
const AT_ONCE: usize = 3;

/// Not a test by itself: the child of the tests below. Runs a pool whose jobs never end.
#[test]
fn killed_child_runs_a_pool() {
    let Ok(what) = std::env::var("LEGO_KILLED_CHILD") else {
        return;
    };
    let say = |line: String| {
        let mut out = std::io::stdout().lock();
        writeln!(out, "{line}").unwrap();
        out.flush().unwrap();
    };
    let factory = |_| -> lego_sandbox::Result<Box<dyn Sandbox>> {
        if let Some(repo) = what.strip_prefix("local:") {
            let sb = LocalSandbox::start(repo, LocalOptions::default())?;
            say(format!(
                "ROOT {}",
                sb.host_root().unwrap().parent().unwrap().display()
            ));
            return Ok(Box::new(sb));
        }
        #[cfg(feature = "docker")]
        if let Some(rest) = what.strip_prefix("docker:") {
            let (image, label) = rest.split_once(' ').unwrap();
            let docker = lego_sandbox::DockerBackend::connect()?;
            let config = lego_sandbox::SandboxConfig {
                labels: vec![("lego.test.run".to_owned(), label.to_owned())],
                ..Default::default()
            };
            let sb = lego_sandbox::DockerSandbox::start(&docker, image, config)?;
            say(format!("CONTAINER {}", sb.id()));
            return Ok(Box::new(sb));
        }
        panic!("unknown LEGO_KILLED_CHILD {what}");
    };
    Pool::new(AT_ONCE, factory).run(vec![(); JOBS], |sb, ()| {
        sb.shell_send(ShellInput::Command("sleep 1000 & sleep 1000".to_owned()))?;
        say("STARTED".to_owned());
        sb.shell_wait(&WaitOptions {
            no_output: Duration::from_secs(1000),
            deadline: Duration::from_secs(1000),
        })?;
        Ok::<_, Error>(())
    });
}

/// Starts the child, waits until `AT_ONCE` jobs run, SIGKILLs it; the lines it printed.
fn run_and_kill(what: &str) -> (u32, Vec<String>) {
    let mut child: Child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "killed::killed_child_runs_a_pool", "--nocapture"])
        .env("LEGO_KILLED_CHILD", what)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let pid = child.id();
    let stdout = BufReader::new(child.stdout.take().unwrap());
    let mut lines = Vec::new();
    let mut started = 0;
    for line in stdout.lines().map_while(Result::ok) {
        started += usize::from(line == "STARTED");
        lines.push(line);
        if started == AT_ONCE {
            break;
        }
    }
    // Give the shells a moment to start their sleeps.
    std::thread::sleep(Duration::from_millis(300));
    child.kill().unwrap(); // SIGKILL: no destructor runs
    child.wait().unwrap();
    assert_eq!(started, AT_ONCE, "the child died early: {lines:?}");
    (pid, lines)
}

fn with_prefix(lines: &[String], prefix: &str) -> Vec<String> {
    lines
        .iter()
        .filter_map(|l| l.strip_prefix(prefix).map(str::to_owned))
        .collect()
}

/// Processes started by local sandboxes of owner `pid` (they carry its token).
fn sandbox_processes(pid: u32) -> usize {
    let needle = format!("LEGO_SANDBOX=__LEGO_DONE_{pid}_");
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter(|e| {
            std::fs::read(e.path().join("environ"))
                .is_ok_and(|env| env.windows(needle.len()).any(|w| w == needle.as_bytes()))
        })
        .count()
}

#[test]
fn a_killed_local_pool_leaves_nothing_after_gc() {
    let dir = repo();
    let (pid, lines) = run_and_kill(&format!("local:{}", dir.path().display()));
    let roots: Vec<PathBuf> = with_prefix(&lines, "ROOT ")
        .into_iter()
        .map(PathBuf::from)
        .collect();
    assert_eq!(roots.len(), AT_ONCE, "{lines:?}");
    // What SIGKILL leaves: the directories and the commands' processes.
    assert!(
        roots.iter().all(|r| r.join("testbed").is_dir()),
        "{roots:?}"
    );
    assert!(
        sandbox_processes(pid) > 0,
        "no process was left to clean up"
    );
    let report = gc_local().unwrap();
    for root in &roots {
        assert!(!root.exists(), "{} was left", root.display());
        assert!(report.dirs.contains(root), "{report:?}");
    }
    assert!(report.processes > 0, "{report:?}");
    assert_eq!(sandbox_processes(pid), 0);
}

#[cfg(feature = "docker")]
#[test]
fn a_killed_docker_pool_leaves_nothing_after_gc() {
    let test = "a_killed_docker_pool_leaves_nothing_after_gc";
    let Some((docker, base)) = crate::engine::base(test) else {
        return;
    };
    let label = format!(
        "killed-{}-{:?}",
        std::process::id(),
        std::time::Instant::now()
    )
    .replace(' ', "");
    let (_, lines) = run_and_kill(&format!("docker:{} {label}", base.tag));
    let ids = with_prefix(&lines, "CONTAINER ");
    assert_eq!(ids.len(), AT_ONCE, "{lines:?}");
    let run = ("lego.test.run".to_owned(), label);
    let left = crate::pool::containers_labelled(&docker, &run);
    assert_eq!(
        left.len(),
        AT_ONCE,
        "what SIGKILL leaves: the running containers"
    );
    let report = lego_sandbox::gc(&docker, &lego_sandbox::GcOptions::default()).unwrap();
    for id in &ids {
        assert!(report.containers.contains(id), "{report:?}");
    }
    assert!(crate::pool::containers_labelled(&docker, &run).is_empty());
}
