//! The persistent shell of the local backend: one `bash` reading command lines from a pipe.
//!
//! Each command is written to a file and sourced (`. FILE`), so `cd` and `export` persist and a
//! command with a syntax error cannot swallow what follows; the same line then prints a marker
//! line (`\nTOKEN EXIT_CODE PWD`) that the reader thread takes out of the output. The shell has
//! no terminal: its children read the same pipe (so text for a running command goes there), and
//! Ctrl-C is SIGINT sent to every process of the sandbox but the shell.

use std::io::{Read, Write};
use std::process::{Child, ChildStdin};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Output kept for one [`shell_wait`](crate::Sandbox::shell_wait): the first and the last
/// `KEEP` bytes of what arrived since the previous one; the middle is dropped (tools clip it
/// anyway).
const KEEP: usize = 256 * 1024;
/// A partial line longer than this is passed on as output (a marker line is short).
const MAX_LINE: usize = 4096;

#[derive(Debug, Default)]
pub(crate) struct ShellBuf {
    /// Output not yet returned.
    pub(crate) pending: Vec<u8>,
    /// Bytes dropped from the middle of `pending`.
    pub(crate) dropped: u64,
    /// The current line, not yet ended by `\n`.
    line: Vec<u8>,
    /// Bytes of output of the running command so far.
    pub(crate) command_bytes: u64,
    pub(crate) last_output: Option<Instant>,
    /// The end marker of the running command: exit code and working directory.
    pub(crate) done: Option<(i32, String)>,
    /// The shell's output pipe closed: the shell is gone.
    pub(crate) eof: bool,
}

impl ShellBuf {
    fn push_output(&mut self, bytes: &[u8]) {
        self.pending.extend_from_slice(bytes);
        if self.pending.len() > 2 * KEEP + KEEP / 2 {
            let cut = self.pending.len() - KEEP;
            self.dropped += (cut - KEEP) as u64;
            self.pending.drain(KEEP..cut);
        }
    }

    fn feed(&mut self, token: &[u8], data: &[u8]) {
        let mut rest = data;
        while !rest.is_empty() {
            match rest.iter().position(|&b| b == b'\n') {
                Some(i) => {
                    self.line.extend_from_slice(&rest[..=i]);
                    rest = &rest[i + 1..];
                    let line = std::mem::take(&mut self.line);
                    if line.starts_with(token) {
                        self.parse_marker(&line[token.len()..]);
                    } else {
                        self.command_bytes += line.len() as u64;
                        self.push_output(&line);
                    }
                }
                None => {
                    self.line.extend_from_slice(rest);
                    rest = &[];
                    if self.line.len() > MAX_LINE {
                        let line = std::mem::take(&mut self.line);
                        self.command_bytes += line.len() as u64;
                        self.push_output(&line);
                    }
                }
            }
        }
    }

    fn parse_marker(&mut self, rest: &[u8]) {
        let text = String::from_utf8_lossy(rest);
        let text = text.trim_end_matches('\n');
        let mut parts = text.trim_start().splitn(2, ' ');
        let code = parts.next().and_then(|c| c.parse().ok()).unwrap_or(-1);
        let cwd = parts.next().unwrap_or("").to_string();
        self.done = Some((code, cwd));
    }

    /// Takes the pending output, with the current partial line unless it may be the start of a
    /// marker.
    pub(crate) fn take_output(&mut self, token: &[u8]) -> (Vec<u8>, u64) {
        let n = self.line.len().min(token.len());
        if self.line[..n] != token[..n] {
            let line = std::mem::take(&mut self.line);
            self.command_bytes += line.len() as u64;
            self.push_output(&line);
        }
        (
            std::mem::take(&mut self.pending),
            std::mem::take(&mut self.dropped),
        )
    }
}

pub(crate) type Shared = Arc<(Mutex<ShellBuf>, Condvar)>;

pub(crate) fn lock(shared: &Shared) -> MutexGuard<'_, ShellBuf> {
    // A poisoned lock only means the reader thread panicked; the buffer is still usable.
    shared.0.lock().unwrap_or_else(|e| e.into_inner())
}

/// A running shell: the child, its stdin, and the thread reading its output.
#[derive(Debug)]
pub(crate) struct Shell {
    pub(crate) child: Child,
    pub(crate) stdin: ChildStdin,
    pub(crate) shared: Shared,
    pub(crate) reader: Option<JoinHandle<()>>,
    /// A command was sent and its marker not seen yet.
    pub(crate) running: bool,
    pub(crate) seq: u64,
}

impl Shell {
    pub(crate) fn pid(&self) -> i32 {
        i32::try_from(self.child.id()).unwrap_or(i32::MAX)
    }

    pub(crate) fn write(&mut self, text: &str) -> std::io::Result<()> {
        self.stdin.write_all(text.as_bytes())?;
        self.stdin.flush()
    }
}

/// Starts the thread that moves the shell's output into `shared`.
pub(crate) fn spawn_reader(
    mut out: impl Read + Send + 'static,
    shared: Shared,
    token: Vec<u8>,
) -> JoinHandle<()> {
    std::thread::spawn(move || {
        let mut chunk = vec![0u8; 64 * 1024];
        loop {
            let n = match out.read(&mut chunk) {
                Ok(0) | Err(_) => 0,
                Ok(n) => n,
            };
            let mut buf = lock(&shared);
            if n == 0 {
                buf.eof = true;
                shared.1.notify_all();
                return;
            }
            buf.feed(&token, &chunk[..n]);
            buf.last_output = Some(Instant::now());
            shared.1.notify_all();
        }
    })
}

/// Waits on `shared` until `stop` says so or `timeout` passes.
pub(crate) fn wait_until(
    shared: &Shared,
    timeout: Duration,
    mut stop: impl FnMut(&ShellBuf) -> bool,
) -> MutexGuard<'_, ShellBuf> {
    let deadline = Instant::now() + timeout;
    let mut buf = lock(shared);
    loop {
        if stop(&buf) {
            return buf;
        }
        let now = Instant::now();
        if now >= deadline {
            return buf;
        }
        let step = (deadline - now).min(Duration::from_millis(50));
        buf = shared
            .1
            .wait_timeout(buf, step)
            .map(|(g, _)| g)
            .unwrap_or_else(|e| e.into_inner().0);
    }
}
