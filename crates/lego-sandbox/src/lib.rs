//! `lego-sandbox`: where the agent's actions and the graders' commands run.
//!
//! - [`Sandbox`] is the seam every backend implements (see its documentation for the contract):
//!   one-shot commands with a timeout ([`Sandbox::exec`]), file access, one persistent
//!   interactive shell ([`Sandbox::shell_send`], [`Sandbox::shell_wait`]), [`Sandbox::reset`]
//!   and [`Sandbox::stop`]. Inside every sandbox the repository lives at [`TESTBED`].
//! - [`LocalSandbox`] is the backend without Docker: a private copy of the repository in a
//!   temporary directory, commands run by `bash` in their own process group with resource limits.
//! - Docker (feature `docker`, on by default): images made without a registry
//!   ([`ensure_base_image`]: Debian by `debootstrap`, imported; [`build_env_image`]: one image
//!   per repository with it at `/testbed`, installed), both tagged and cached by content;
//!   [`DockerSandbox`], a container with CPU, memory and process limits and no network, with
//!   commands under a timeout, file transfer, reset and guaranteed removal; [`DockerShell`], a
//!   persistent interactive shell in one; [`gc`] and [`list`] for what lego left in the engine.
//!   The API is synchronous: the Docker backend holds its own tokio runtime. `DockerSandbox`
//!   implements [`Sandbox`] with the same observable behaviour as the local backend (the tests
//!   in `tests/it/tools.rs` run the same scripts on both and compare).
//! - [`Pool`]: many sandboxes at once with a concurrency bound (threads), one fresh sandbox per
//!   job from a factory, results in input order, a failing or panicking job reported in its slot
//!   ([`JobError`]) while the others go on, every sandbox stopped; [`Pool::run_with_progress`]
//!   reports ended jobs to a [`lego_data::Progress`].
//! - [`Starter`]: sandboxes for repositories on a backend chosen at run time ([`BackendKind`]),
//!   the Docker engine, base image and per-repository environment images made once and cached.
//! - [`gc_local`]: what SIGKILLed local sandboxes leave (their `$TMPDIR/lego-sandbox-PID-*`
//!   directories, processes and cgroups), removed once the owner is dead; `lego sandbox gc` runs
//!   it with the Docker [`gc`].
//!
//! - Tools: [`tool_call`] runs one of the agent's four tools (`execute_bash`,
//!   `str_replace_editor`, `think`, `finish`) over any `&mut dyn Sandbox` with OpenHands' texts
//!   (openhands-aci 0.3's editor, OpenHands' `BashSession` and `CmdOutputObservation`), keeping
//!   per-episode [`ToolState`] (undo history, whether a command still runs); each
//!   [`Observation`] carries its step error from [`lego_data::classify_step`].
//! - Grading (`grading/`): SWE-bench's log parsers ([`LogParser`], chosen per task by
//!   [`parser_for_task`]), its grading rules and per-instance report ([`grade`], [`Grade`],
//!   [`InstanceReport`]), matched against the `swebench` package itself by the parity tests;
//!   [`run_tests`] applies a candidate patch and a task's test patch in any sandbox, runs its
//!   tests between SWE-bench's log markers with a timeout, and grades the log; [`validate`]
//!   runs a task candidate's tests before and after its code patch (repeatedly where asked,
//!   dropping flaky tests) and derives FAIL_TO_PASS and PASS_TO_PASS, or says why the candidate
//!   is rejected.
//!
//! - [`synthetic_pytest_log`]: a made-up pytest log of any size, for benchmarks
//!   (`cargo bench -p lego-sandbox`: the parsers and the grading, with criterion's reports in
//!   `target/criterion`).
//!
//! ## Logs
//!
//! The crate never prints; it emits `tracing` events and spans, and the program installs a
//! subscriber (`RUST_LOG=lego_sandbox=debug` with `tracing-subscriber`'s `EnvFilter`). Spans:
//! `sandbox` (backend, id, image or repository: the sandbox's lifetime, in which its backend
//! emits), with `tool_call`, `run_tests` and `validate` as its children, and `pool` with one
//! `pool_job` per job around the job's sandbox; `base_image`, `env_image`, `docker_gc` and
//! `local_gc`. `info`: images bootstrapped or built, what gc removed. `debug`: sandboxes started,
//! reset and stopped (with seconds), commands run (cut to their first line), shell commands,
//! file-helper fallbacks, each failed way of applying a patch, grades, validation verdicts and
//! why, pool jobs. `trace`: whole command texts, outputs, tool arguments and observations, image
//! build output. The Docker backend's futures run in the caller's span, and `Pool`'s workers
//! report to the caller's subscriber.
//!
//! ## Implementing a backend
//!
//! A backend implements the eleven required methods of [`Sandbox`] (and, to give its events a
//! span, [`Sandbox::span`]); the tools need nothing else. Keep:
//! the repository at `/testbed`, commands started there by `bash` with stdout and stderr in one
//! stream; [`Sandbox::exec`] independent of the shell, killing everything the command started on
//! timeout (`timed_out: true`, `exit_code: None`); one persistent shell whose `cd`/`export`
//! persist, that refuses a [`ShellInput::Command`] with [`Error::ShellBusy`] while one runs,
//! sends [`ShellInput::Text`] to the running command's stdin and [`ShellInput::Interrupt`] as
//! SIGINT to it (exit code 130 from bash), and whose [`Sandbox::shell_wait`] returns new output
//! only (without the backend's markers) with [`ShellState::Completed`] carrying the exit code and
//! the working directory; [`Sandbox::reset`] to the clean environment; idempotent
//! [`Sandbox::stop`], also on drop. The tests in `tests/it/tools.rs` run the same scripts on any
//! backend.
//!
//! ## The Docker backend's shell
//!
//! `bash` on a tty exec made to look like the local pipe shell: no echo, no `\r\n`, stdout and
//! stderr through a pipe (commands see a pipe, as locally: `ls` prints one name a line), each
//! command sourced from a file and followed by the same marker line, parsed by the same code.
//! Short commands are written to that file over the terminal (no engine request: one round trip
//! is a write and a read on the open exec); longer ones are uploaded. Differences that remain:
//! the commands' stdin is the terminal (so `read -p` prompts show, and a [`ShellInput::Text`]
//! line longer than 4095 bytes is cut by the terminal); [`ShellInput::Eof`] is a real Ctrl-D;
//! [`Sandbox::shell_kill`] kills every process of the container but the shell and lego's own
//! (init, the main process, the file helper), as the local backend kills its cgroup; the file
//! methods see the whole container, not only `/testbed` (the container is the boundary). File
//! methods go through one long-lived helper exec per sandbox (an exec costs tens of milliseconds
//! on an engine; a request to the helper a few), with a plain exec as the fallback.
//!
//! ## The local backend's limits
//!
//! What holds: file methods resolve `..` and symbolic links and refuse anything outside the copy;
//! commands run in their own process group, and where the machine allows (root with cgroup v1's
//! `pids` controller) in a per-sandbox cgroup whose `pids.max` stops fork bombs, even as root;
//! timeouts, interrupts, reset and stop kill the group and the cgroup's members; `RLIMIT_AS`
//! (4 GiB) turns memory hogs into `MemoryError`; `RLIMIT_FSIZE` (1 GiB) caps written files;
//! exec output is capped (1 MiB kept) and a shell command printing more than 16 MiB is killed.
//! `/testbed` is real where `unshare -m` works (a private mount namespace bind-mounts the copy
//! there); elsewhere `/testbed` is rewritten in command text and the copy's path rewritten back in
//! output, which misses paths built at run time (`"/test" + "bed"`).
//! What does not hold: commands are not confined (they run as the calling user and can read or
//! write anything it can; only the editor is held to the copy); `RLIMIT_NPROC` is per user and
//! ignored for root, so without the cgroup a fork bomb is only stopped by killing its group; a
//! process that leaves its group (`setsid`) is found only through the cgroup; there is no
//! network isolation and no CPU limit; the shell has no terminal (programs see a pipe: no `read
//! -p` prompts, no colours), and Ctrl-C also reaches the command's background jobs.
//!
//! This crate deliberately is the only one of the workspace that starts processes (hence the
//! `allow` below; `clippy.toml` disallows `Command::new` everywhere else). It does not talk to
//! a model.

#![warn(missing_docs)]
// lego-sandbox is THE crate allowed to start processes (ARCHITECTURE.md, "Invariants").
#![allow(clippy::disallowed_methods)]

#[cfg(feature = "docker")]
mod docker;
mod error;
mod events;
mod grading;
mod local;
mod owner;
mod pool;
mod sandbox;
mod starter;
mod tools;

#[cfg(feature = "docker")]
pub use docker::{
    BaseImageOptions, ContainerEntry, DEFAULT_PACKAGES, DockerBackend, DockerError,
    DockerExecOutput, DockerResult, DockerSandbox, DockerShell, EnvSpec, GcOptions, GcReport,
    ImageEntry, ImageRef, Listing, SandboxConfig, base_image_tag, build_env_image, detect_mirror,
    ensure_base_image, env_image_tag, gc, labels, list,
};
pub use error::{Error, Result};
pub use grading::*;
pub use local::{LocalGcReport, LocalOptions, LocalSandbox, gc_local};
pub use pool::{JobError, Pool};
pub use sandbox::{
    ExecOptions, ExecOutput, FileKind, Sandbox, ShellInput, ShellState, ShellUpdate, TESTBED,
    WaitOptions,
};
pub use starter::{BackendKind, Starter};
pub use tools::{Observation, ToolState, tool_call};
