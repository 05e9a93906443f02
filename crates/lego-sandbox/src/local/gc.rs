//! What a killed owner leaves of local sandboxes, and removing it.
//!
//! A `LocalSandbox` whose process is SIGKILLed runs no destructor, so it leaves: its temporary
//! directory (`$TMPDIR/lego-sandbox-PID-XXXXXX`: the copy of the repository, home, tmp), the
//! processes its commands started (reparented to init, still running: a `sleep` in the shell, a
//! server), and, where it made one, its cgroup (`/sys/fs/cgroup/pids/lego-sandbox-PID-N`).
//! Every sandbox writes an `owner` file (pid, start time, token) into its directory, and every
//! process it starts carries the token in `LEGO_SANDBOX`: [`gc_local`] finds the directories
//! whose owner is gone, kills the processes carrying their tokens (and the members of their
//! cgroups), and removes both.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use crate::error::{Error, Result};
use crate::owner::{owner_alive, process_start};

/// The prefix of every local sandbox's temporary directory (then `PID-`).
pub(crate) const DIR_PREFIX: &str = "lego-sandbox-";
/// The file in a sandbox's directory naming its owner: `PID START TOKEN`.
pub(crate) const OWNER_FILE: &str = "owner";
const CGROUP_BASE: &str = "/sys/fs/cgroup/pids";

/// What [`gc_local`] removed.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct LocalGcReport {
    /// Sandbox directories removed.
    pub dirs: Vec<PathBuf>,
    /// Processes killed.
    pub processes: usize,
    /// Cgroups removed.
    pub cgroups: usize,
}

struct Owner {
    pid: u32,
    start: Option<String>,
    token: Option<String>,
}

fn read_owner(dir: &Path) -> Option<Owner> {
    if let Ok(text) = fs::read_to_string(dir.join(OWNER_FILE)) {
        let mut parts = text.split_whitespace();
        let pid = parts.next()?.parse().ok()?;
        return Some(Owner {
            pid,
            start: parts.next().map(str::to_owned),
            token: parts.next().map(str::to_owned),
        });
    }
    // A directory whose owner died before writing the file: the pid is in its name.
    let name = dir.file_name()?.to_str()?.strip_prefix(DIR_PREFIX)?;
    let pid = name.split('-').next()?.parse().ok()?;
    Some(Owner {
        pid,
        start: None,
        token: None,
    })
}

/// Removes what local sandboxes of dead owners left on this machine (in this user's temporary
/// directory): their processes, cgroups and directories. Sandboxes of live processes are left
/// alone.
pub fn gc_local() -> Result<LocalGcReport> {
    let span = tracing::info_span!("local_gc");
    let _entered = span.enter();
    let mut report = LocalGcReport::default();
    let tmp = std::env::temp_dir();
    let entries = fs::read_dir(&tmp).map_err(|e| Error::io("list", &tmp, e))?;
    let mut tokens = Vec::new();
    let mut dead_dirs = Vec::new();
    for entry in entries.flatten() {
        let path = entry.path();
        let is_ours = entry
            .file_name()
            .to_str()
            .is_some_and(|n| n.starts_with(DIR_PREFIX));
        if !is_ours || !path.is_dir() {
            continue;
        }
        let Some(owner) = read_owner(&path) else {
            continue;
        };
        if owner_alive(owner.pid, owner.start.as_deref()) {
            continue;
        }
        tokens.extend(owner.token.map(|t| format!("LEGO_SANDBOX={t}\0")));
        dead_dirs.push(path);
    }
    report.processes += kill_matching(|environ| {
        tokens
            .iter()
            .any(|t| environ.windows(t.len()).any(|w| w == t.as_bytes()))
    });
    report.cgroups += remove_dead_cgroups(&mut report.processes);
    for dir in dead_dirs {
        match fs::remove_dir_all(&dir) {
            Ok(()) => {
                tracing::info!(dir = %dir.display(), "removed a local sandbox whose owner is gone");
                report.dirs.push(dir);
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(Error::io("remove", dir, e)),
        }
    }
    tracing::info!(
        dirs = report.dirs.len(),
        processes = report.processes,
        cgroups = report.cgroups,
        "local sandboxes garbage collected"
    );
    Ok(report)
}

/// SIGKILLs, until none is left, the processes whose environment `matches`; how many.
fn kill_matching(matches: impl Fn(&[u8]) -> bool) -> usize {
    let me = std::process::id();
    let mut killed = std::collections::HashSet::new();
    for _ in 0..50 {
        let Ok(entries) = fs::read_dir("/proc") else {
            break;
        };
        let targets: Vec<i32> = entries
            .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
            .filter(|&pid| u32::try_from(pid).is_ok_and(|p| p != me))
            .filter(|pid| {
                fs::read(format!("/proc/{pid}/environ")).is_ok_and(|environ| matches(&environ))
            })
            .filter(|pid| !is_zombie(*pid))
            .collect();
        if targets.is_empty() {
            break;
        }
        for pid in targets {
            if kill(Pid::from_raw(pid), Signal::SIGKILL).is_ok() {
                killed.insert(pid);
            }
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    killed.len()
}

fn is_zombie(pid: i32) -> bool {
    fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        stat.rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z'))
    })
}

/// Empties and removes the cgroups of dead owners; how many.
fn remove_dead_cgroups(killed: &mut usize) -> usize {
    let Ok(entries) = fs::read_dir(CGROUP_BASE) else {
        return 0;
    };
    let mut removed = 0;
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(pid) = name
            .strip_prefix(DIR_PREFIX)
            .and_then(|r| r.split('-').next())
            .and_then(|p| p.parse::<u32>().ok())
        else {
            continue;
        };
        if process_start(pid).is_some() {
            continue;
        }
        let dir = entry.path();
        for _ in 0..100 {
            let members: Vec<i32> = fs::read_to_string(dir.join("cgroup.procs"))
                .unwrap_or_default()
                .lines()
                .filter_map(|l| l.trim().parse().ok())
                .collect();
            if members.is_empty() {
                break;
            }
            for pid in members {
                if kill(Pid::from_raw(pid), Signal::SIGKILL).is_ok() {
                    *killed += 1;
                }
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        if fs::remove_dir(&dir).is_ok() {
            removed += 1;
        }
    }
    removed
}
