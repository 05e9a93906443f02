//! Finding and killing every process of a sandbox: its process groups and its cgroup.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use nix::sys::signal::{Signal, kill, killpg};
use nix::unistd::Pid;

/// A cgroup (v1 `pids` controller) that caps the number of processes of one sandbox and lists
/// them all, even those that left their process group. Created where the machine lets us (root
/// with a writable `/sys/fs/cgroup/pids`), absent elsewhere.
#[derive(Debug)]
pub(crate) struct PidsCgroup {
    dir: PathBuf,
}

impl PidsCgroup {
    pub(crate) fn create(max_processes: u32) -> Option<PidsCgroup> {
        static SEQ: AtomicU64 = AtomicU64::new(0);
        let base = Path::new("/sys/fs/cgroup/pids");
        if !base.join("cgroup.procs").exists() {
            return None;
        }
        let name = format!(
            "lego-sandbox-{}-{}",
            std::process::id(),
            SEQ.fetch_add(1, Ordering::Relaxed)
        );
        let dir = base.join(name);
        fs::create_dir(&dir).ok()?;
        let cgroup = PidsCgroup { dir };
        fs::write(cgroup.dir.join("pids.max"), max_processes.to_string()).ok()?;
        Some(cgroup)
    }

    /// The file a process writes its pid into to join (`echo $$ > FILE` in bash).
    pub(crate) fn procs_file(&self) -> PathBuf {
        self.dir.join("cgroup.procs")
    }

    pub(crate) fn members(&self) -> Vec<i32> {
        fs::read_to_string(self.procs_file())
            .unwrap_or_default()
            .lines()
            .filter_map(|l| l.trim().parse().ok())
            .collect()
    }
}

impl Drop for PidsCgroup {
    fn drop(&mut self) {
        for _ in 0..100 {
            let members = self.members();
            if members.is_empty() {
                break;
            }
            for pid in members {
                let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        let _ = fs::remove_dir(&self.dir);
    }
}

/// The live (not zombie) processes whose process group is `pgid`, from `/proc`.
pub(crate) fn group_members(pgid: i32) -> Vec<i32> {
    let Ok(entries) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter(|pid| {
            let Ok(stat) = fs::read_to_string(format!("/proc/{pid}/stat")) else {
                return false;
            };
            // The command name may hold spaces and parentheses: fields start after the last ')'.
            let Some(rest) = stat.rsplit_once(')').map(|(_, r)| r) else {
                return false;
            };
            let mut fields = rest.split_whitespace();
            let state = fields.next();
            let _ppid = fields.next();
            let pgrp = fields.next().and_then(|f| f.parse::<i32>().ok());
            state != Some("Z") && pgrp == Some(pgid)
        })
        .collect()
}

/// Sends `signal` to every process of the sandbox (process group `pgid` and the cgroup's members)
/// except `spare`, repeating SIGKILL until none is left (a fork bomb keeps forking while it
/// dies). Returns whether something was signalled.
pub(crate) fn signal_all(
    pgid: i32,
    cgroup: Option<&PidsCgroup>,
    spare: Option<i32>,
    signal: Signal,
) -> bool {
    let mut any = false;
    let rounds = if signal == Signal::SIGKILL { 200 } else { 1 };
    for _ in 0..rounds {
        if spare.is_none() {
            let _ = killpg(Pid::from_raw(pgid), signal);
        }
        let mut targets = group_members(pgid);
        if let Some(cg) = cgroup {
            targets.extend(cg.members());
        }
        targets.retain(|p| Some(*p) != spare);
        if targets.is_empty() {
            break;
        }
        any = true;
        for pid in targets {
            let _ = kill(Pid::from_raw(pid), signal);
        }
        if rounds > 1 {
            std::thread::sleep(Duration::from_millis(2));
        }
    }
    any
}
