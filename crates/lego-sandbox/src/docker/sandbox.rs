//! [`Sandbox`] for [`DockerSandbox`]: the trait's contract over a container.
//!
//! One-shot commands are execs under `timeout`. Files move through a long-lived helper exec
//! (`files.rs`: `cat`/`base64`/`dd` in a `sh` loop, so modes, owners and symbolic links behave as
//! they do for a program in the container), or a small exec each where the helper cannot serve. The persistent
//! shell is `bash` on a tty exec, made to look like the local backend's pipe shell: the terminal
//! neither echoes nor rewrites newlines (`stty -echo -onlcr`), the shell's stdout and stderr go
//! through a pipe (a `cat` that ignores SIGINT), so commands see a pipe as the local ones do
//! (`ls` prints one name a line) while their stdin stays the terminal. Each command is uploaded
//! to a file and sourced by one line that then prints the same marker line as the local shell
//! (token, exit code, working directory), parsed by the same code. Ctrl-C and Ctrl-D are the
//! terminal's: SIGINT to the shell's process group, where the shell traps it (so the rest of the
//! line, the marker, still runs) and the command dies of it (exit code 130).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use base64::Engine as _;
use bollard::container::LogOutput;
use bollard::exec::{CreateExecOptions, StartExecResults};
use futures_util::StreamExt;
use tokio::io::AsyncWriteExt;

use super::container::{DockerSandbox, short};
use super::files::{FileServer, ReadAnswer, WriteAnswer};
use super::shell::DockerShell;
use super::{DockerError, DockerResult};
use crate::error::{Error, Result};
use crate::local::shell::{ShellBuf, render_output};
use crate::local::shell_quote;
use crate::sandbox::{
    ExecOptions, ExecOutput, FileKind, Sandbox, ShellInput, ShellState, ShellUpdate, WaitOptions,
};

/// The environment every command of the trait's methods gets, as on the local backend.
const ENV: &[(&str, &str)] = &[
    ("LANG", "C.UTF-8"),
    ("TERM", "dumb"),
    ("PYTHONUNBUFFERED", "1"),
    ("PAGER", "cat"),
    ("GIT_PAGER", "cat"),
];

/// Where the shell's commands are written to be sourced.
const CMD_DIR: &str = "/tmp/.lego-shell";
/// The longest base64 text of a command sent on the terminal's line (the line's limit is 4095
/// bytes; the rest of the line needs less than 300).
const INLINE_COMMAND: usize = 3600;

/// Starts the shell: a quiet terminal, output through a pipe, then a non-interactive `bash`
/// reading commands from the terminal (stderr is no terminal, so it is not interactive: no job
/// control, no prompts).
const SHELL_SCRIPT: &str = "stty -echo -onlcr 2>/dev/null\n\
exec > >(trap '' INT; exec cat) 2>&1\n\
export __LEGO_CAT=$!\n\
exec bash --noprofile --norc -s\n";

/// Kills everything the sandbox runs but its own machinery, like the local backend's cgroup:
/// not the container's init (pid 1) and main process (`sleep infinity`), not the roots of execs
/// (the shell `$1`, the file helper, this script: parent 0 in the container's pid namespace), not
/// the shell's output pipe (`$2`), not this script's children. What the shell's commands started
/// goes, orphans that init adopted (a fork bomb's) too. Repeated, so what forks meanwhile goes.
const KILL_TREE: &str = r#"shell=$1; keep=$2; me=$$
for i in 1 2 3 4 5 6 7 8 9 10; do
  pids=$(ps -e -o pid=,ppid=,args= | awk -v shell="$shell" -v keep="$keep" -v me="$me" '
    { parent[$1] = $2; a = $0; sub(/^ *[0-9]+ +[0-9]+ +/, "", a); args[$1] = a }
    END {
      for (p in parent) {
        if (p + 0 <= 1 || p + 0 == shell + 0 || p + 0 == keep + 0 || parent[p] + 0 == 0) continue
        if (parent[p] + 0 == 1 && args[p] == "sleep infinity") continue
        q = p; mine = 0
        while ((q in parent) && q + 0 > 1) { if (q + 0 == me + 0) { mine = 1; break }; q = parent[q] }
        if (!mine) print p
      }
    }')
  [ -z "$pids" ] && exit 0
  kill -KILL $pids 2>/dev/null
  sleep 0.05
done"#;

/// The persistent shell of a [`DockerSandbox`] used as a [`Sandbox`].
pub(crate) struct Session {
    shell: DockerShell,
    buf: ShellBuf,
    token: String,
    /// The shell's pid and its output pipe's, inside the container.
    pid: u32,
    cat: u32,
    running: bool,
    seq: u64,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("pid", &self.pid)
            .field("running", &self.running)
            .finish_non_exhaustive()
    }
}

impl Session {
    fn closed(&self) -> bool {
        self.buf.eof || self.shell.is_closed()
    }

    /// Reads what comes within `timeout` into the buffer; false when nothing came.
    fn pump(&mut self, timeout: Duration) -> DockerResult<bool> {
        let chunk = self.shell.read_chunk(timeout)?;
        if self.shell.is_closed() {
            self.buf.eof = true;
        }
        if chunk.is_empty() {
            return Ok(false);
        }
        self.buf.feed(self.token.as_bytes(), &chunk);
        self.buf.last_output = Some(Instant::now());
        Ok(true)
    }
}

impl DockerSandbox {
    /// The shell, behind a mutex only so that the sandbox stays `Sync` (the streams are not).
    pub(super) fn session_mut(&mut self) -> &mut Option<Session> {
        self.session.get_mut().unwrap_or_else(|e| e.into_inner())
    }

    fn files_mut(&mut self) -> &mut Option<FileServer> {
        self.files.get_mut().unwrap_or_else(|e| e.into_inner())
    }

    /// Ends the shell and the file helper (the container is going or being replaced).
    pub(super) fn drop_helpers(&mut self) {
        *self.session_mut() = None;
        *self.files_mut() = None;
    }

    /// Runs `op` on the file helper, started on first use; `None` when it cannot serve (a path
    /// with a newline, a helper that died or failed: then it is dropped, restarted next time)
    /// and the caller takes the exec path.
    fn with_files<T>(
        &mut self,
        path: &str,
        op: impl FnOnce(&mut FileServer) -> DockerResult<T>,
    ) -> Option<T> {
        if !FileServer::can_send(path) {
            return None;
        }
        let (backend, id) = (self.backend.clone(), self.id.clone());
        let files = self.files_mut();
        if files.is_none() {
            *files = FileServer::open(&backend, &id)
                .inspect_err(|e| {
                    tracing::debug!(error = %e, "the file helper did not start; using execs");
                })
                .ok();
        }
        let server = files.as_mut()?;
        match op(server) {
            Ok(value) => Some(value),
            Err(e) => {
                tracing::debug!(path, error = %e, "the file helper failed; retrying with an exec");
                *files = None;
                None
            }
        }
    }

    fn check_live(&self) -> Result<()> {
        if self.id.is_empty() {
            Err(Error::Stopped)
        } else {
            Ok(())
        }
    }

    /// Runs `argv` (no shell, no timeout of its own) with optional stdin; returns exit code,
    /// stdout and stderr as bytes.
    fn run_raw(
        &self,
        argv: &[&str],
        stdin: Option<&[u8]>,
        what: &str,
    ) -> DockerResult<(i64, Vec<u8>, Vec<u8>)> {
        let action = || format!("{what} in container {}", short(&self.id));
        self.backend.block_on(async {
            let docker = self.backend.client();
            let exec = docker
                .create_exec(
                    &self.id,
                    CreateExecOptions {
                        attach_stdin: Some(stdin.is_some()),
                        attach_stdout: Some(true),
                        attach_stderr: Some(true),
                        cmd: Some(argv.iter().map(|a| (*a).to_owned()).collect()),
                        working_dir: Some(self.config.workdir.clone()),
                        ..Default::default()
                    },
                )
                .await
                .map_err(DockerError::engine(action()))?;
            let (mut out, mut err) = (Vec::new(), Vec::new());
            if let StartExecResults::Attached {
                mut output,
                mut input,
            } = docker
                .start_exec(&exec.id, None)
                .await
                .map_err(DockerError::engine(action()))?
            {
                if let Some(bytes) = stdin {
                    input
                        .write_all(bytes)
                        .await
                        .map_err(DockerError::io(action()))?;
                    input.shutdown().await.map_err(DockerError::io(action()))?;
                }
                while let Some(chunk) = output.next().await {
                    match chunk.map_err(DockerError::engine(action()))? {
                        LogOutput::StdErr { message } => err.extend_from_slice(&message),
                        other => out.extend_from_slice(&other.into_bytes()),
                    }
                }
            }
            let inspect = docker
                .inspect_exec(&exec.id)
                .await
                .map_err(DockerError::engine(action()))?;
            Ok((inspect.exit_code.unwrap_or(-1), out, err))
        })
    }

    /// Starts the shell and waits for its first marker, which carries its pid and its pipe's.
    fn open_session(&mut self) -> Result<()> {
        static SEQ: AtomicU64 = AtomicU64::new(0);
        *self.session_mut() = None;
        let token = format!(
            "__LEGO_DONE_{}_{}__",
            std::process::id(),
            SEQ.fetch_add(1, Ordering::Relaxed)
        );
        let mut env = self.config.env.clone();
        env.extend(ENV.iter().map(|(k, v)| format!("{k}={v}")));
        let argv = ["bash", "--noprofile", "--norc", "-c", SHELL_SCRIPT].map(str::to_owned);
        let mut shell = DockerShell::open_with(
            &self.backend,
            &self.id,
            &self.config.workdir,
            env,
            argv.to_vec(),
        )?;
        shell.write(
            format!("trap : INT; mkdir -p {CMD_DIR}; printf '\\n%s %s %s\\n' {token} \"$$\" \"$__LEGO_CAT\"\n")
                .as_bytes(),
        )?;
        let mut session = Session {
            shell,
            buf: ShellBuf::default(),
            token,
            pid: 0,
            cat: 0,
            running: false,
            seq: 0,
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while session.buf.done.is_none() && !session.closed() && Instant::now() < deadline {
            session.pump(Duration::from_millis(200))?;
        }
        let Some((pid, cat)) = session.buf.done.take() else {
            return Err(DockerError::Failed {
                action: format!("start a shell in container {}", short(&self.id)),
                message: "the shell did not answer".to_owned(),
            }
            .into());
        };
        session.pid = u32::try_from(pid).unwrap_or(0);
        session.cat = cat.trim().parse().unwrap_or(0);
        // Whatever the start printed is not output of a command.
        session.buf.take_output(session.token.as_bytes());
        *self.session_mut() = Some(session);
        Ok(())
    }

    /// SIGKILL to everything the sandbox runs but the shell and the container's machinery.
    fn kill_shell_children(&mut self) -> Result<()> {
        let Some(session) = self.session_mut().as_ref() else {
            return Ok(());
        };
        let (pid, cat) = (session.pid.to_string(), session.cat.to_string());
        self.run_raw(
            &["sh", "-c", KILL_TREE, "sh", &pid, &cat],
            None,
            "kill the shell's command",
        )?;
        Ok(())
    }
}

impl Sandbox for DockerSandbox {
    fn backend(&self) -> &'static str {
        "docker"
    }

    fn exec(&mut self, command: &str, options: &ExecOptions) -> Result<ExecOutput> {
        let span = self.span.clone();
        let _entered = span.enter();
        self.check_live()?;
        let mut options = options.clone();
        let mut env: Vec<(String, String)> = ENV
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        env.append(&mut options.env);
        options.env = env;
        let out = DockerSandbox::exec(self, command, &options)?;
        let mut output = out.output;
        if out.dropped_bytes > 0 {
            output += &format!(
                "\n[lego: output cut after {} bytes; {} more bytes were dropped]\n",
                output.len(),
                out.dropped_bytes
            );
        }
        Ok(ExecOutput {
            exit_code: if out.timed_out {
                None
            } else {
                i32::try_from(out.exit_code).ok()
            },
            output,
            timed_out: out.timed_out,
        })
    }

    fn read_file(&mut self, path: &str) -> Result<Vec<u8>> {
        let span = self.span.clone();
        let _entered = span.enter();
        self.check_live()?;
        match self.with_files(path, |f| f.read(path)) {
            Some(ReadAnswer::Contents(bytes)) => return Ok(bytes),
            Some(ReadAnswer::Dir) => return Err(Error::IsDirectory { path: path.into() }),
            Some(ReadAnswer::Missing) => return Err(Error::NotFound { path: path.into() }),
            // The exec path says why.
            Some(ReadAnswer::Unreadable) | None => {}
        }
        let script = r#"[ -d "$1" ] && exit 21; [ -e "$1" ] || exit 22; exec cat -- "$1""#;
        let (code, out, err) =
            self.run_raw(&["sh", "-c", script, "sh", path], None, "read a file")?;
        match code {
            0 => Ok(out),
            21 => Err(Error::IsDirectory { path: path.into() }),
            22 => Err(Error::NotFound { path: path.into() }),
            _ => Err(DockerError::Failed {
                action: format!("read {path}"),
                message: String::from_utf8_lossy(&err).trim().to_owned(),
            }
            .into()),
        }
    }

    fn write_file(&mut self, path: &str, contents: &[u8]) -> Result<()> {
        let span = self.span.clone();
        let _entered = span.enter();
        self.check_live()?;
        match self.with_files(path, |f| f.write(path, contents)) {
            Some(WriteAnswer::Written) => return Ok(()),
            Some(WriteAnswer::Dir) => return Err(Error::IsDirectory { path: path.into() }),
            // The exec path tries again and says why.
            Some(WriteAnswer::Failed) | None => {}
        }
        let script =
            r#"[ -d "$1" ] && exit 21; mkdir -p -- "$(dirname -- "$1")" && exec cat > "$1""#;
        let (code, _, err) = self.run_raw(
            &["sh", "-c", script, "sh", path],
            Some(contents),
            "write a file",
        )?;
        match code {
            0 => Ok(()),
            21 => Err(Error::IsDirectory { path: path.into() }),
            _ => Err(DockerError::Failed {
                action: format!("write {path}"),
                message: String::from_utf8_lossy(&err).trim().to_owned(),
            }
            .into()),
        }
    }

    fn file_kind(&mut self, path: &str) -> Result<Option<FileKind>> {
        let span = self.span.clone();
        let _entered = span.enter();
        self.check_live()?;
        if let Some(kind) = self.with_files(path, |f| f.kind(path)) {
            return Ok(match kind.as_slice() {
                b"d" => Some(FileKind::Dir),
                b"f" => Some(FileKind::File),
                b"o" => Some(FileKind::Other),
                _ => None,
            });
        }
        let script = r#"if [ -d "$1" ]; then echo d; elif [ -f "$1" ]; then echo f; elif [ -e "$1" ]; then echo o; fi"#;
        let (_, out, _) = self.run_raw(&["sh", "-c", script, "sh", path], None, "stat a file")?;
        Ok(match out.trim_ascii() {
            b"d" => Some(FileKind::Dir),
            b"f" => Some(FileKind::File),
            b"o" => Some(FileKind::Other),
            _ => None,
        })
    }

    fn shell_send(&mut self, input: ShellInput) -> Result<()> {
        let span = self.span.clone();
        let _entered = span.enter();
        self.check_live()?;
        let alive = self.session_mut().as_ref().is_some_and(|s| !s.closed());
        if !alive {
            if matches!(input, ShellInput::Command(_)) {
                self.open_session()?;
            } else {
                return Err(Error::ShellIdle);
            }
        }
        let session = self.session_mut().as_mut().ok_or(Error::ShellIdle)?;
        match input {
            ShellInput::Command(command) => {
                if session.running {
                    return Err(Error::ShellBusy);
                }
                tracing::debug!(command = %crate::events::brief(&command), "shell command sent");
                tracing::trace!(command, "shell command text");
                session.seq += 1;
                let file = format!("{CMD_DIR}/shell-{}.sh", session.seq);
                let token = session.token.clone();
                let quoted = shell_quote(&file);
                // A short command travels on the terminal's line, base64 so that no byte of it
                // means anything to the terminal, and is written to the file there: no request
                // to the engine. A long one (a canonical-mode line holds 4095 bytes) is uploaded.
                let encoded = base64::engine::general_purpose::STANDARD.encode(command.as_bytes());
                let write = if encoded.len() <= INLINE_COMMAND {
                    format!(
                        "{{ [ -d {CMD_DIR} ] || mkdir -p {CMD_DIR}; }} && printf %s '{encoded}' | base64 -d >| {quoted} && "
                    )
                } else {
                    DockerSandbox::write_file(self, &file, command.as_bytes())?;
                    String::new()
                };
                let session = self.session_mut().as_mut().ok_or(Error::ShellIdle)?;
                session.buf.done = None;
                session.buf.command_bytes = 0;
                session.buf.pending.clear();
                session.buf.last_output = Some(Instant::now());
                let line = format!(
                    "{write}. {quoted}; __lego_rc=$?; printf '\\n%s %s %s\\n' {token} \"$__lego_rc\" \"$PWD\"\n"
                );
                session.running = true;
                session.shell.write(line.as_bytes())?;
            }
            ShellInput::Text(text) => {
                if !session.running {
                    return Err(Error::ShellIdle);
                }
                session.shell.write(text.as_bytes())?;
            }
            ShellInput::Interrupt => {
                if !session.running {
                    return Err(Error::ShellIdle);
                }
                tracing::debug!("shell interrupted");
                session.shell.interrupt()?;
            }
            ShellInput::Eof => {
                if !session.running {
                    return Err(Error::ShellIdle);
                }
                session.shell.write(&[0x04])?;
            }
        }
        Ok(())
    }

    fn shell_wait(&mut self, options: &WaitOptions) -> Result<ShellUpdate> {
        let span = self.span.clone();
        let _entered = span.enter();
        self.check_live()?;
        let cap = self.config.max_shell_output;
        let Some(session) = self.session_mut().as_mut() else {
            return Ok(ShellUpdate {
                output: String::new(),
                state: ShellState::Idle,
            });
        };
        if !session.running {
            let (bytes, dropped) = session.buf.take_output(session.token.as_bytes());
            return Ok(ShellUpdate {
                output: render_output(&bytes, dropped),
                state: if session.closed() {
                    ShellState::ShellExited
                } else {
                    ShellState::Idle
                },
            });
        }
        let start = Instant::now();
        loop {
            let b = &session.buf;
            if b.done.is_some() || session.closed() || b.command_bytes > cap {
                break;
            }
            let since = b.last_output.map_or(start, |t| t.max(start));
            let (elapsed, quiet) = (start.elapsed(), since.elapsed());
            if elapsed >= options.deadline || quiet >= options.no_output {
                break;
            }
            let wait = (options.deadline - elapsed)
                .min(options.no_output - quiet)
                .min(Duration::from_millis(500));
            session.pump(wait)?;
        }
        let flooded =
            session.buf.done.is_none() && !session.closed() && session.buf.command_bytes > cap;
        let mut note = String::new();
        if flooded {
            tracing::debug!(
                limit_bytes = cap,
                "shell command printed past the limit; killed"
            );
            self.kill_shell_children()?;
            let session = self.session_mut().as_mut().ok_or(Error::ShellIdle)?;
            let deadline = Instant::now() + Duration::from_secs(5);
            while session.buf.done.is_none() && !session.closed() && Instant::now() < deadline {
                session.pump(Duration::from_millis(100))?;
            }
            note = format!("\n[lego: the command printed more than {cap} bytes and was killed.]");
        }
        let session = self.session_mut().as_mut().ok_or(Error::ShellIdle)?;
        let (bytes, dropped) = session.buf.take_output(session.token.as_bytes());
        let mut output = render_output(&bytes, dropped);
        output += &note;
        let state = match (session.buf.done.take(), session.closed()) {
            (Some((exit_code, cwd)), _) => {
                session.running = false;
                ShellState::Completed { exit_code, cwd }
            }
            (None, true) => {
                session.running = false;
                ShellState::ShellExited
            }
            (None, false) => ShellState::Running,
        };
        crate::events::shell_waited(start.elapsed(), &output, &state);
        if state == ShellState::ShellExited {
            *self.session_mut() = None;
        }
        Ok(ShellUpdate { output, state })
    }

    fn shell_kill(&mut self) -> Result<()> {
        let span = self.span.clone();
        let _entered = span.enter();
        self.check_live()?;
        if self.session_mut().is_some() {
            tracing::debug!("killing what the shell runs");
            self.kill_shell_children()?;
        }
        Ok(())
    }

    fn reset(&mut self) -> Result<()> {
        let span = self.span.clone();
        let _entered = span.enter();
        self.check_live()?;
        DockerSandbox::reset(self)?;
        Ok(())
    }

    fn stop(&mut self) -> Result<()> {
        self.remove_now()?;
        Ok(())
    }

    fn span(&self) -> tracing::Span {
        self.span.clone()
    }
}
