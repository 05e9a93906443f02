//! The [`Sandbox`] trait: the seam between the tools and graders and the backends that run them.

use std::time::Duration;

use crate::error::Result;

/// Where the repository lives inside every sandbox, on every backend (SWE-bench's convention).
pub const TESTBED: &str = "/testbed";

/// A place where an agent episode or a test run happens: a private, resettable copy of one
/// environment (a repository at `/testbed` with what its tests need), one-shot commands, file
/// access, and one persistent interactive shell.
///
/// The trait is synchronous (a backend may run threads inside, or an async runtime of its own),
/// object-safe (`&mut dyn Sandbox`) and `Send`, so a pool can move sandboxes to worker threads.
///
/// Paths given to and returned by a sandbox are paths *inside* it: absolute, under
/// [`TESTBED`] for the repository. A backend that cannot show the agent the whole of its
/// file system (the local one) refuses paths that resolve outside the repository, after
/// resolving `..` and symbolic links, with [`Error::OutsideSandbox`](crate::Error::OutsideSandbox).
///
/// Contract every backend keeps:
/// - Commands start in `/testbed` unless told otherwise, with `bash`, stdout and stderr
///   interleaved in one stream, and with the backend's resource limits (documented per backend).
/// - A timeout or [`stop`](Sandbox::stop) kills the command with everything it started.
/// - [`stop`](Sandbox::stop) is idempotent, and dropping a sandbox stops it: no process,
///   container or temporary directory outlives it.
/// - After `stop`, every other method returns [`Error::Stopped`](crate::Error::Stopped).
pub trait Sandbox: Send {
    /// A short name of the backend, `"local"` or `"docker"`, for logs and reports.
    fn backend(&self) -> &'static str;

    /// Runs one command to its end (or its timeout) in a fresh `bash -c`, independent of the
    /// interactive shell: what graders and validation use.
    fn exec(&mut self, command: &str, options: &ExecOptions) -> Result<ExecOutput>;

    /// The bytes of a file, [`Error::NotFound`](crate::Error::NotFound) when there is none.
    fn read_file(&mut self, path: &str) -> Result<Vec<u8>>;

    /// Creates or replaces a file with `contents`, creating missing parent directories.
    fn write_file(&mut self, path: &str, contents: &[u8]) -> Result<()>;

    /// What is at `path`: `None` when nothing is.
    fn file_kind(&mut self, path: &str) -> Result<Option<FileKind>>;

    /// Sends input to the persistent shell, started on first use in `/testbed`. Its working
    /// directory and exported variables persist from one command to the next.
    /// [`ShellInput::Command`] is refused with [`Error::ShellBusy`](crate::Error::ShellBusy)
    /// while a command is still running; the other inputs go to the running command.
    fn shell_send(&mut self, input: ShellInput) -> Result<()>;

    /// Waits for the shell and returns the output produced since the previous call, when the
    /// running command ends, when it has printed nothing new for `options.no_output`, or at
    /// `options.deadline`, whichever comes first. Returns at once when no command is running.
    fn shell_wait(&mut self, options: &WaitOptions) -> Result<ShellUpdate>;

    /// Kills the running command of the shell and everything the shell's commands started,
    /// background jobs of earlier commands included (a fork bomb's leftovers, a server); the
    /// shell itself, with its working directory and variables, survives.
    fn shell_kill(&mut self) -> Result<()>;

    /// Returns to the environment's clean state: the repository as it was at the start, no
    /// process left running, a fresh shell.
    fn reset(&mut self) -> Result<()>;

    /// Kills everything the sandbox runs and releases what it holds. Idempotent.
    fn stop(&mut self) -> Result<()>;

    /// The `tracing` span of the sandbox's lifetime (backend, id, image): the backend's own
    /// events are emitted in it, and the units of work done in the sandbox (a tool call, a test
    /// run, a validation) are made its children. A backend without one returns
    /// [`Span::none`](tracing::Span::none).
    fn span(&self) -> tracing::Span {
        tracing::Span::none()
    }
}

/// How [`Sandbox::exec`] runs a command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecOptions {
    /// Wall-clock limit; the command and all it started are killed when it passes.
    pub timeout: Duration,
    /// Working directory inside the sandbox; `None` is `/testbed`.
    pub cwd: Option<String>,
    /// Variables added to the command's environment.
    pub env: Vec<(String, String)>,
}

impl Default for ExecOptions {
    fn default() -> Self {
        ExecOptions {
            timeout: Duration::from_secs(300),
            cwd: None,
            env: Vec::new(),
        }
    }
}

/// The end of a one-shot command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecOutput {
    /// The exit status; `None` when it was killed by a signal (a timeout among them).
    pub exit_code: Option<i32>,
    /// Stdout and stderr interleaved, as UTF-8 (invalid bytes replaced), cut at the backend's
    /// output cap with a note saying so.
    pub output: String,
    /// Whether the timeout killed it.
    pub timed_out: bool,
}

/// What [`Sandbox::file_kind`] finds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// A regular file (or a symbolic link to one).
    File,
    /// A directory (or a symbolic link to one).
    Dir,
    /// Anything else: a device, a socket, a fifo.
    Other,
}

/// Input for the persistent shell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShellInput {
    /// A new command line (may hold several lines); runs in the shell itself, so `cd` and
    /// `export` persist.
    Command(String),
    /// Text for the running command's standard input, sent as is (add `\n` to end a line).
    Text(String),
    /// Ctrl-C: SIGINT to the running command (not to the shell).
    Interrupt,
    /// Ctrl-D: end of input. A backend without a terminal may treat it as an interrupt.
    Eof,
}

/// When [`Sandbox::shell_wait`] gives up waiting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WaitOptions {
    /// Return when the running command printed nothing new for this long (OpenHands' soft
    /// timeout, 10 s).
    pub no_output: Duration,
    /// Return at the latest after this long.
    pub deadline: Duration,
}

/// What the shell did since the previous [`Sandbox::shell_wait`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShellUpdate {
    /// The new output, stdout and stderr interleaved, without the backend's own markers.
    pub output: String,
    /// Whether the command is still running, or how it ended.
    pub state: ShellState,
}

/// The state of the persistent shell's current command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShellState {
    /// Nothing runs; the previous command (if any) ended earlier.
    Idle,
    /// The command still runs.
    Running,
    /// The command ended with this exit code; `cwd` is the shell's working directory after it.
    Completed {
        /// The command's exit code (130 after an interrupt).
        exit_code: i32,
        /// The shell's working directory after the command, inside the sandbox.
        cwd: String,
    },
    /// The shell itself died (the command ran `exit`, or was killed with it); the next command
    /// starts a fresh shell in `/testbed`.
    ShellExited,
}
