//! The local-process backend: a private copy of the repository, `bash` in process groups.

mod copy;
mod gc;
mod procs;
pub(crate) mod shell;

use std::ffi::OsString;
use std::fs;
use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::{Component, Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::time::{Duration, Instant};

use nix::sys::signal::Signal;

use crate::error::{Error, Result};
use crate::sandbox::{
    ExecOptions, ExecOutput, FileKind, Sandbox, ShellInput, ShellState, ShellUpdate, TESTBED,
    WaitOptions,
};
pub use gc::{LocalGcReport, gc_local};
use procs::{PidsCgroup, signal_all};
use shell::{Shell, ShellBuf, lock, spawn_reader, wait_until};

/// Resource limits and switches of a [`LocalSandbox`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalOptions {
    /// Address-space limit of every process (`RLIMIT_AS`); `None` for none.
    pub memory_bytes: Option<u64>,
    /// Largest file a process may write (`RLIMIT_FSIZE`); `None` for none.
    pub file_size_bytes: Option<u64>,
    /// Most processes at once: the `pids.max` of the sandbox's cgroup where one can be made,
    /// and `RLIMIT_NPROC` (per user, and ignored for root).
    pub max_processes: u32,
    /// Output of [`Sandbox::exec`] kept; the rest is counted and dropped.
    pub exec_output_bytes: usize,
    /// A shell command that prints more than this is killed (`yes` would run forever).
    pub shell_output_bytes: u64,
    /// Run commands in a private mount namespace where `/testbed` is the copy (`None`: when the
    /// machine allows it). Without it `/testbed` is rewritten in command text and output.
    pub namespace: Option<bool>,
}

impl Default for LocalOptions {
    fn default() -> Self {
        LocalOptions {
            memory_bytes: Some(4 << 30),
            file_size_bytes: Some(1 << 30),
            max_processes: 512,
            exec_output_bytes: 1 << 20,
            shell_output_bytes: 16 << 20,
            namespace: None,
        }
    }
}

/// A sandbox that is a private copy of a repository directory on this machine.
///
/// What holds (see the crate documentation for the whole list): paths of the file methods are
/// resolved (`..` and symbolic links) and refused outside the copy; every command runs in its
/// own process group and, where the machine allows, in a cgroup capping the number of processes;
/// timeouts and [`stop`](Sandbox::stop) kill all of them; drop removes the copy. Commands
/// themselves are not confined: they run as the calling user and can read and write what it can.
#[derive(Debug)]
pub struct LocalSandbox {
    source: PathBuf,
    options: LocalOptions,
    namespace: bool,
    token: String,
    state: Option<Live>,
    /// The sandbox's lifetime: its events are emitted in it (see [`Sandbox::span`]).
    span: tracing::Span,
}

/// What a started sandbox holds; `None` once stopped.
#[derive(Debug)]
struct Live {
    root: tempfile::TempDir,
    /// The copy of the repository, canonical.
    copy: PathBuf,
    cgroup: Option<PidsCgroup>,
    shell: Option<Shell>,
    seq: u64,
    /// When the copy was made, for the seconds of the "stopped" event.
    started: Instant,
}

impl LocalSandbox {
    /// Copies `repo` (a directory, `.git` included) into a fresh temporary directory.
    pub fn start(repo: impl AsRef<Path>, options: LocalOptions) -> Result<LocalSandbox> {
        let source = fs::canonicalize(repo.as_ref())
            .map_err(|e| Error::io("open repository", repo.as_ref(), e))?;
        if !source.is_dir() {
            return Err(Error::NotFound {
                path: source.display().to_string(),
            });
        }
        static SEQ: AtomicU64 = AtomicU64::new(0);
        let token = format!(
            "__LEGO_DONE_{}_{}__",
            std::process::id(),
            SEQ.fetch_add(1, Ordering::Relaxed)
        );
        let namespace = options.namespace.unwrap_or_else(namespace_available);
        let span = tracing::debug_span!(
            "sandbox",
            backend = "local",
            id = tracing::field::Empty,
            repo = %source.display(),
        );
        let mut sandbox = LocalSandbox {
            source,
            options,
            namespace,
            token,
            state: None,
            span,
        };
        let span = sandbox.span.clone();
        let _entered = span.enter();
        sandbox.state = Some(sandbox.setup()?);
        Ok(sandbox)
    }

    /// The host directory holding the copy of the repository (for tests and diagnostics).
    pub fn host_root(&self) -> Option<&Path> {
        self.state.as_ref().map(|s| s.copy.as_path())
    }

    /// The process group of the persistent shell, when one runs (for tests and diagnostics).
    pub fn shell_pgid(&self) -> Option<i32> {
        self.state.as_ref()?.shell.as_ref().map(Shell::pid)
    }

    /// Whether commands see the copy at a real `/testbed` (a private mount namespace).
    pub fn uses_namespace(&self) -> bool {
        self.namespace
    }

    fn setup(&self) -> Result<Live> {
        let started = Instant::now();
        let pid = std::process::id();
        let root = tempfile::Builder::new()
            .prefix(&format!("{}{pid}-", gc::DIR_PREFIX))
            .tempdir()
            .map_err(|e| Error::io("create", std::env::temp_dir(), e))?;
        // Who owns it, for `gc_local` after a SIGKILL (see `gc.rs`).
        let owner = root.path().join(gc::OWNER_FILE);
        let start = crate::owner::process_start(pid).unwrap_or_default();
        fs::write(&owner, format!("{pid} {start} {}\n", self.token))
            .map_err(|e| Error::io("write", &owner, e))?;
        let copy = root.path().join("testbed");
        copy::copy_tree(&self.source, &copy)?;
        for dir in ["home", "tmp", "cmd"] {
            let d = root.path().join(dir);
            fs::create_dir(&d).map_err(|e| Error::io("create", &d, e))?;
        }
        let copy = fs::canonicalize(&copy).map_err(|e| Error::io("open", &copy, e))?;
        let cgroup = PidsCgroup::create(self.options.max_processes);
        // The directory's name is what `gc_local` and an operator looking in $TMPDIR see.
        let id = root
            .path()
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        self.span.record("id", id.as_str());
        tracing::debug!(
            seconds = started.elapsed().as_secs_f64(),
            namespace = self.namespace,
            pids_cgroup = cgroup.is_some(),
            "sandbox started"
        );
        Ok(Live {
            root,
            copy,
            cgroup,
            shell: None,
            seq: 0,
            started,
        })
    }

    fn live(&mut self) -> Result<&mut Live> {
        self.state.as_mut().ok_or(Error::Stopped)
    }

    /// The host path of a sandbox path, refused when it resolves outside the copy.
    fn host_path(&mut self, path: &str) -> Result<PathBuf> {
        let copy = self.live()?.copy.clone();
        resolve(&copy, path)
    }

    /// Shell text run before every command: join the cgroup, mount `/testbed`, set limits.
    fn preamble(&self, live: &Live) -> String {
        let mut s = String::new();
        if let Some(cg) = &live.cgroup {
            s += &format!("echo $$ > {} 2>/dev/null\n", quote(&cg.procs_file()));
        }
        if self.namespace {
            s += &format!(
                "mount --bind {} {TESTBED} || {{ echo 'lego: cannot mount {TESTBED}' >&2; exit 97; }}\n",
                quote(&live.copy)
            );
        }
        // bash counts both limits in KiB.
        if let Some(b) = self.options.memory_bytes {
            s += &format!("ulimit -S -H -v {} 2>/dev/null\n", b / 1024);
        }
        if let Some(b) = self.options.file_size_bytes {
            s += &format!("ulimit -S -H -f {} 2>/dev/null\n", b / 1024);
        }
        s += &format!(
            "ulimit -S -H -u {} 2>/dev/null\n",
            self.options.max_processes
        );
        s += &format!("cd {} || exit 98\n", self.testbed_dir(live));
        s
    }

    fn testbed_dir(&self, live: &Live) -> String {
        if self.namespace {
            TESTBED.to_string()
        } else {
            quote(&live.copy)
        }
    }

    /// A `bash` command line, inside the private mount namespace when there is one.
    fn bash(&self, live: &Live) -> Command {
        let mut cmd = if self.namespace {
            let mut c = Command::new("unshare");
            c.args(["-m", "--propagation", "private", "bash"]);
            c
        } else {
            Command::new("bash")
        };
        cmd.args(["--noprofile", "--norc"]);
        let path = std::env::var_os("PATH")
            .unwrap_or_else(|| OsString::from("/usr/local/bin:/usr/bin:/bin"));
        cmd.env_clear()
            .env("PATH", path)
            .env("HOME", live.root.path().join("home"))
            .env("TMPDIR", live.root.path().join("tmp"))
            .env("LANG", "C.UTF-8")
            .env("TERM", "dumb")
            .env("PYTHONUNBUFFERED", "1")
            .env("PAGER", "cat")
            .env("GIT_PAGER", "cat")
            .env("LEGO_SANDBOX", &self.token)
            .current_dir(&live.copy)
            .process_group(0);
        cmd
    }

    /// Command text as the host must see it: `/testbed` rewritten without a namespace.
    fn inbound(&self, live: &Live, text: &str) -> String {
        if self.namespace {
            text.to_string()
        } else {
            rewrite_testbed(text, &live.copy.display().to_string())
        }
    }

    /// Output as the agent must see it: the copy's host path shown as `/testbed`.
    fn outbound(&self, live: &Live, text: String) -> String {
        if self.namespace {
            text
        } else {
            text.replace(&live.copy.display().to_string(), TESTBED)
        }
    }

    fn start_shell(&mut self) -> Result<()> {
        let live = self.state.as_ref().ok_or(Error::Stopped)?;
        let mut cmd = self.bash(live);
        let (reader, writer) = std::io::pipe().map_err(|e| Error::io("create pipe", "bash", e))?;
        let writer2 = writer
            .try_clone()
            .map_err(|e| Error::io("create pipe", "bash", e))?;
        cmd.stdin(Stdio::piped()).stdout(writer).stderr(writer2);
        let mut child = cmd.spawn().map_err(|e| Error::Spawn {
            what: "bash".into(),
            source: e,
        })?;
        drop(cmd); // closes our copies of the pipe's write end
        let stdin = child.stdin.take().ok_or_else(|| Error::Spawn {
            what: "bash".into(),
            source: std::io::Error::other("no stdin"),
        })?;
        let shared = Arc::new((Mutex::new(ShellBuf::default()), Condvar::new()));
        let handle = spawn_reader(reader, shared.clone(), self.token.clone().into_bytes());
        let mut shell = Shell {
            child,
            stdin,
            shared,
            reader: Some(handle),
            running: false,
            seq: 0,
        };
        let init = format!(
            "{}printf '\\n%s %s %s\\n' {} 0 \"$PWD\"\n",
            self.preamble(live),
            self.token
        );
        shell
            .write(&init)
            .map_err(|e| Error::io("write to", "bash", e))?;
        let buf = wait_until(&shell.shared, Duration::from_secs(20), |b| {
            b.done.is_some() || b.eof
        });
        let ok = buf.done.is_some();
        let early = String::from_utf8_lossy(&buf.pending).into_owned();
        drop(buf);
        if !ok {
            kill_shell(&mut shell, None);
            return Err(Error::Spawn {
                what: "the sandbox shell".into(),
                source: std::io::Error::other(early.trim().to_string()),
            });
        }
        {
            let mut buf = lock(&shell.shared);
            buf.done = None;
            buf.pending.clear();
        }
        self.live()?.shell = Some(shell);
        Ok(())
    }

    fn stop_shell(&mut self) {
        if let Some(live) = self.state.as_mut()
            && let Some(mut shell) = live.shell.take()
        {
            kill_shell(&mut shell, live.cgroup.as_ref());
        }
    }
}

fn kill_shell(shell: &mut Shell, cgroup: Option<&PidsCgroup>) {
    signal_all(shell.pid(), cgroup, None, Signal::SIGKILL);
    let _ = shell.child.kill();
    let _ = shell.child.wait();
    // The reader ends at EOF; a process that escaped both the group and the cgroup could hold the
    // pipe open, so it is not joined.
    drop(shell.reader.take());
}

impl Sandbox for LocalSandbox {
    fn backend(&self) -> &'static str {
        "local"
    }

    fn span(&self) -> tracing::Span {
        self.span.clone()
    }

    fn exec(&mut self, command: &str, options: &ExecOptions) -> Result<ExecOutput> {
        let span = self.span.clone();
        let _entered = span.enter();
        let live = self.state.as_mut().ok_or(Error::Stopped)?;
        live.seq += 1;
        let script_path = live.root.path().join(format!("cmd/exec-{}.sh", live.seq));
        let live = self.state.as_ref().ok_or(Error::Stopped)?;
        let mut script = self.preamble(live);
        if let Some(cwd) = &options.cwd {
            script += &format!(
                "cd -- {} || exit 1\n",
                shell_quote(&self.inbound(live, cwd))
            );
        }
        for (k, v) in &options.env {
            script += &format!("export {k}={}\n", shell_quote(&self.inbound(live, v)));
        }
        script += &self.inbound(live, command);
        script.push('\n');
        fs::write(&script_path, script).map_err(|e| Error::io("write", &script_path, e))?;
        let mut cmd = self.bash(live);
        cmd.arg(&script_path);
        let (mut reader, writer) =
            std::io::pipe().map_err(|e| Error::io("create pipe", "bash", e))?;
        let writer2 = writer
            .try_clone()
            .map_err(|e| Error::io("create pipe", "bash", e))?;
        cmd.stdin(Stdio::null()).stdout(writer).stderr(writer2);
        let mut child = cmd
            .spawn()
            .map_err(|e| Error::Spawn {
                what: "bash".into(),
                source: e,
            })
            .inspect_err(|e| tracing::debug!(error = %e, "exec failed"))?;
        drop(cmd);
        let pgid = i32::try_from(child.id()).unwrap_or(i32::MAX);
        let cap = self.options.exec_output_bytes;
        let captured = Arc::new(Mutex::new((Vec::new(), 0u64, false)));
        let sink = captured.clone();
        std::thread::spawn(move || {
            let mut chunk = vec![0u8; 64 * 1024];
            loop {
                let n = reader.read(&mut chunk).unwrap_or(0);
                let mut c = sink.lock().unwrap_or_else(|e| e.into_inner());
                if n == 0 {
                    c.2 = true;
                    return;
                }
                let room = cap.saturating_sub(c.0.len()).min(n);
                c.0.extend_from_slice(&chunk[..room]);
                c.1 += (n - room) as u64;
            }
        });
        let started = Instant::now();
        let mut timed_out = false;
        let status = loop {
            match child.try_wait() {
                Ok(Some(status)) => break Some(status),
                Ok(None) => {}
                Err(_) => break None,
            }
            if started.elapsed() >= options.timeout {
                timed_out = true;
                signal_all(pgid, None, None, Signal::SIGKILL);
                break child.wait().ok();
            }
            let waited = started.elapsed();
            std::thread::sleep(if waited < Duration::from_millis(50) {
                Duration::from_millis(1)
            } else {
                Duration::from_millis(10)
            });
        };
        // What the command left running in its group ends with it.
        signal_all(pgid, None, None, Signal::SIGKILL);
        let deadline = Instant::now() + Duration::from_secs(2);
        while !captured.lock().unwrap_or_else(|e| e.into_inner()).2 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(2));
        }
        let (bytes, dropped) = {
            let c = captured.lock().unwrap_or_else(|e| e.into_inner());
            (c.0.clone(), c.1)
        };
        let _ = fs::remove_file(&script_path);
        let mut output = String::from_utf8_lossy(&bytes).into_owned();
        if dropped > 0 {
            output += &format!(
                "\n[lego: output cut after {} bytes; {dropped} more bytes were dropped]\n",
                bytes.len()
            );
        }
        let live = self.state.as_ref().ok_or(Error::Stopped)?;
        let exit_code = if timed_out {
            None
        } else {
            status.and_then(|s| s.code())
        };
        crate::events::exec_done(
            command,
            exit_code.map(i64::from),
            timed_out,
            started.elapsed(),
            &output,
            dropped,
        );
        Ok(ExecOutput {
            exit_code,
            output: self.outbound(live, output),
            timed_out,
        })
    }

    fn read_file(&mut self, path: &str) -> Result<Vec<u8>> {
        let span = self.span.clone();
        let _entered = span.enter();
        tracing::trace!(path, "read file");
        let host = self.host_path(path)?;
        if host.is_dir() {
            return Err(Error::IsDirectory { path: path.into() });
        }
        fs::read(&host).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => Error::NotFound { path: path.into() },
            _ => Error::io("read", host, e),
        })
    }

    fn write_file(&mut self, path: &str, contents: &[u8]) -> Result<()> {
        let span = self.span.clone();
        let _entered = span.enter();
        tracing::trace!(path, bytes = contents.len(), "write file");
        let host = self.host_path(path)?;
        if host.is_dir() {
            return Err(Error::IsDirectory { path: path.into() });
        }
        if let Some(parent) = host.parent() {
            fs::create_dir_all(parent).map_err(|e| Error::io("create", parent, e))?;
        }
        fs::write(&host, contents).map_err(|e| Error::io("write", host, e))
    }

    fn file_kind(&mut self, path: &str) -> Result<Option<FileKind>> {
        let host = self.host_path(path)?;
        Ok(fs::metadata(&host).ok().map(|m| {
            if m.is_dir() {
                FileKind::Dir
            } else if m.is_file() {
                FileKind::File
            } else {
                FileKind::Other
            }
        }))
    }

    fn shell_send(&mut self, input: ShellInput) -> Result<()> {
        let span = self.span.clone();
        let _entered = span.enter();
        let alive = match self.live()?.shell.as_mut() {
            Some(shell) => !lock(&shell.shared).eof,
            None => false,
        };
        if !alive {
            if matches!(input, ShellInput::Command(_)) {
                self.stop_shell();
                self.start_shell()?;
            } else {
                return Err(Error::ShellIdle);
            }
        }
        let token = self.token.clone();
        let live = self.state.as_ref().ok_or(Error::Stopped)?;
        let text = match &input {
            ShellInput::Command(c) | ShellInput::Text(c) => self.inbound(live, c),
            ShellInput::Interrupt | ShellInput::Eof => String::new(),
        };
        let live = self.live()?;
        let cmd_dir = live.root.path().join("cmd");
        let cgroup = live.cgroup.as_ref();
        let shell = live.shell.as_mut().ok_or(Error::ShellIdle)?;
        match input {
            ShellInput::Command(command) => {
                if shell.running {
                    return Err(Error::ShellBusy);
                }
                tracing::debug!(command = %crate::events::brief(&command), "shell command sent");
                tracing::trace!(command, "shell command text");
                shell.seq += 1;
                let file = cmd_dir.join(format!("shell-{}.sh", shell.seq));
                fs::write(&file, &text).map_err(|e| Error::io("write", &file, e))?;
                {
                    let mut buf = lock(&shell.shared);
                    buf.done = None;
                    buf.command_bytes = 0;
                    buf.pending.clear();
                    buf.last_output = Some(Instant::now());
                }
                // One line: bash reads it whole before running it, so a command that reads
                // stdin cannot swallow the marker.
                let line = format!(
                    ". {}; __lego_rc=$?; printf '\\n%s %s %s\\n' {token} \"$__lego_rc\" \"$PWD\"\n",
                    quote(&file)
                );
                shell.running = true;
                shell
                    .write(&line)
                    .map_err(|e| Error::io("write to", "bash", e))?;
            }
            ShellInput::Text(_) => {
                if !shell.running {
                    return Err(Error::ShellIdle);
                }
                shell
                    .write(&text)
                    .map_err(|e| Error::io("write to", "bash", e))?;
            }
            ShellInput::Interrupt | ShellInput::Eof => {
                if !shell.running {
                    return Err(Error::ShellIdle);
                }
                tracing::debug!(input = ?input, "shell interrupted");
                signal_all(shell.pid(), cgroup, Some(shell.pid()), Signal::SIGINT);
            }
        }
        Ok(())
    }

    fn shell_wait(&mut self, options: &WaitOptions) -> Result<ShellUpdate> {
        let span = self.span.clone();
        let _entered = span.enter();
        let token = self.token.clone().into_bytes();
        let cap = self.options.shell_output_bytes;
        let live = self.live()?;
        let cgroup = live.cgroup.as_ref();
        let Some(shell) = live.shell.as_mut() else {
            return Ok(ShellUpdate {
                output: String::new(),
                state: ShellState::Idle,
            });
        };
        if !shell.running {
            let (bytes, _) = lock(&shell.shared).take_output(&token);
            let exited = lock(&shell.shared).eof;
            return Ok(ShellUpdate {
                output: String::from_utf8_lossy(&bytes).into_owned(),
                state: if exited {
                    ShellState::ShellExited
                } else {
                    ShellState::Idle
                },
            });
        }
        let start = Instant::now();
        let buf = wait_until(&shell.shared, options.deadline, |b| {
            let since = b.last_output.map_or(start, |t| t.max(start));
            b.done.is_some()
                || b.eof
                || b.command_bytes > cap
                || since.elapsed() >= options.no_output
        });
        let flooded = buf.done.is_none() && !buf.eof && buf.command_bytes > cap;
        drop(buf);
        let mut note = String::new();
        if flooded {
            tracing::debug!(
                limit_bytes = cap,
                "shell command printed past the limit; killed"
            );
            signal_all(shell.pid(), cgroup, Some(shell.pid()), Signal::SIGKILL);
            drop(wait_until(&shell.shared, Duration::from_secs(5), |b| {
                b.done.is_some() || b.eof
            }));
            note = format!("\n[lego: the command printed more than {cap} bytes and was killed.]");
        }
        let mut buf = lock(&shell.shared);
        let (bytes, dropped) = buf.take_output(&token);
        let done = buf.done.take();
        let eof = buf.eof;
        drop(buf);
        let mut output = shell::render_output(&bytes, dropped);
        output += &note;
        let state = match (done, eof) {
            (Some((exit_code, cwd)), _) => {
                shell.running = false;
                ShellState::Completed { exit_code, cwd }
            }
            (None, true) => {
                shell.running = false;
                ShellState::ShellExited
            }
            (None, false) => ShellState::Running,
        };
        let exited = state == ShellState::ShellExited;
        let live = self.state.as_ref().ok_or(Error::Stopped)?;
        let output = self.outbound(live, output);
        let state = match state {
            ShellState::Completed { exit_code, cwd } => ShellState::Completed {
                exit_code,
                cwd: self.outbound(live, cwd),
            },
            s => s,
        };
        crate::events::shell_waited(start.elapsed(), &output, &state);
        if exited {
            self.stop_shell();
        }
        Ok(ShellUpdate { output, state })
    }

    fn shell_kill(&mut self) -> Result<()> {
        let span = self.span.clone();
        let _entered = span.enter();
        let live = self.live()?;
        let cgroup = live.cgroup.as_ref();
        if let Some(shell) = live.shell.as_mut() {
            tracing::debug!("killing what the shell runs");
            signal_all(shell.pid(), cgroup, Some(shell.pid()), Signal::SIGKILL);
        }
        Ok(())
    }

    fn reset(&mut self) -> Result<()> {
        let span = self.span.clone();
        let _entered = span.enter();
        tracing::debug!("sandbox reset");
        self.live()?;
        self.stop()?;
        self.state = Some(self.setup()?);
        Ok(())
    }

    fn stop(&mut self) -> Result<()> {
        let span = self.span.clone();
        let _entered = span.enter();
        self.stop_shell();
        if let Some(live) = self.state.take() {
            tracing::debug!(
                seconds = live.started.elapsed().as_secs_f64(),
                "sandbox stopped"
            );
            // The cgroup's drop kills what is left in it; the temp dir's drop removes the copy.
            drop(live.cgroup);
            let path = live.root.path().to_path_buf();
            live.root
                .close()
                .map_err(|e| Error::io("remove", path, e))?;
        }
        Ok(())
    }
}

impl Drop for LocalSandbox {
    fn drop(&mut self) {
        let _ = self.stop();
    }
}

/// Whether this machine lets an unprivileged-looking `unshare -m` bind-mount `/testbed`; probed
/// once per process. `LEGO_SANDBOX_NAMESPACE=0` turns it off.
fn namespace_available() -> bool {
    static AVAILABLE: OnceLock<bool> = OnceLock::new();
    *AVAILABLE.get_or_init(|| {
        if std::env::var("LEGO_SANDBOX_NAMESPACE").is_ok_and(|v| v == "0") {
            return false;
        }
        if fs::create_dir_all(TESTBED).is_err() {
            return false;
        }
        let probe = std::env::temp_dir();
        Command::new("unshare")
            .args(["-m", "--propagation", "private", "mount", "--bind"])
            .arg(&probe)
            .arg(TESTBED)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    })
}

/// Resolves a sandbox path to a host path under `copy`, or refuses it: only `/testbed` and
/// below, after removing `.`/`..` and following symbolic links of the parts that exist.
pub(crate) fn resolve(copy: &Path, path: &str) -> Result<PathBuf> {
    let outside = || Error::OutsideSandbox {
        path: path.to_string(),
        root: TESTBED.to_string(),
    };
    let rel = Path::new(path)
        .strip_prefix(TESTBED)
        .map_err(|_| outside())?;
    let mut host = copy.to_path_buf();
    for part in rel.components() {
        match part {
            Component::Normal(p) => host.push(p),
            Component::CurDir => {}
            Component::ParentDir => {
                if host == copy || !host.pop() {
                    return Err(outside());
                }
            }
            Component::RootDir | Component::Prefix(_) => return Err(outside()),
        }
    }
    // Follow links in the longest existing prefix, then check where it lands.
    let mut existing = host.clone();
    let mut tail = Vec::new();
    while fs::symlink_metadata(&existing).is_err() {
        match existing.file_name() {
            Some(name) => tail.push(name.to_os_string()),
            None => return Err(outside()),
        }
        if !existing.pop() {
            return Err(outside());
        }
    }
    let mut resolved = fs::canonicalize(&existing).map_err(|_| outside())?;
    if !resolved.starts_with(copy) {
        return Err(outside());
    }
    for name in tail.into_iter().rev() {
        resolved.push(name);
    }
    Ok(resolved)
}

/// Rewrites `/testbed` where it starts a path (not `/testbed2`, not `x/testbed`) to `host`.
pub(crate) fn rewrite_testbed(text: &str, host: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find(TESTBED) {
        let before = out.chars().last().or_else(|| rest[..i].chars().last());
        let before = if i > 0 {
            rest[..i].chars().last()
        } else {
            before
        };
        let after = rest[i + TESTBED.len()..].chars().next();
        let starts =
            before.is_none_or(|c| !(c.is_alphanumeric() || c == '_' || c == '/' || c == '.'));
        let ends = after.is_none_or(|c| !(c.is_alphanumeric() || c == '_' || c == '-' || c == '.'));
        out.push_str(&rest[..i]);
        out.push_str(if starts && ends { host } else { TESTBED });
        rest = &rest[i + TESTBED.len()..];
    }
    out.push_str(rest);
    out
}

fn quote(path: &Path) -> String {
    shell_quote(&path.display().to_string())
}

/// Single-quotes a string for bash.
pub(crate) fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests;
