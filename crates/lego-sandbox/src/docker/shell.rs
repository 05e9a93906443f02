//! A persistent interactive shell in a sandbox: `bash` on a tty, written to and read from.

use std::pin::Pin;
use std::time::Duration;

use bollard::container::LogOutput;
use bollard::exec::{CreateExecOptions, StartExecResults};
use futures_util::{Stream, StreamExt};
use tokio::io::{AsyncWrite, AsyncWriteExt};

use super::container::{SandboxConfig, short};
use super::{DockerBackend, DockerError, DockerResult};

pub(super) type Output =
    Pin<Box<dyn Stream<Item = Result<LogOutput, bollard::errors::Error>> + Send>>;
pub(super) type Input = Pin<Box<dyn AsyncWrite + Send>>;

/// `bash` on a tty inside a sandbox. What it prints is read with a timeout; Ctrl-C goes to the
/// foreground job as on a terminal. It ends when dropped (its stdin closes) or with the container.
pub struct DockerShell {
    backend: DockerBackend,
    container: String,
    output: Output,
    input: Input,
    closed: bool,
}

impl std::fmt::Debug for DockerShell {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DockerShell")
            .field("container", &short(&self.container))
            .field("closed", &self.closed)
            .finish_non_exhaustive()
    }
}

/// After output starts, `read_available` returns once the shell has been quiet this long.
const QUIET: Duration = Duration::from_millis(100);

impl DockerShell {
    pub(crate) fn open(
        backend: &DockerBackend,
        container: &str,
        config: &SandboxConfig,
    ) -> DockerResult<Self> {
        let mut env = config.env.clone();
        env.push("TERM=dumb".to_owned());
        let argv = ["bash", "--noprofile", "--norc", "-i"].map(str::to_owned);
        Self::open_with(backend, container, &config.workdir, env, argv.to_vec())
    }

    /// A tty exec of `argv` with `env` in `workdir`.
    pub(crate) fn open_with(
        backend: &DockerBackend,
        container: &str,
        workdir: &str,
        env: Vec<String>,
        argv: Vec<String>,
    ) -> DockerResult<Self> {
        let action = format!("open a shell in container {}", short(container));
        let options = CreateExecOptions {
            attach_stdin: Some(true),
            attach_stdout: Some(true),
            attach_stderr: Some(true),
            tty: Some(true),
            env: Some(env),
            working_dir: Some(workdir.to_owned()),
            cmd: Some(argv),
            ..Default::default()
        };
        let (output, input) = attached_exec(backend, container, options, &action)?;
        Ok(DockerShell {
            backend: backend.clone(),
            container: container.to_owned(),
            output,
            input,
            closed: false,
        })
    }

    /// Sends `bytes` to the shell's terminal, as typed.
    pub fn write(&mut self, bytes: &[u8]) -> DockerResult<()> {
        let input = &mut self.input;
        self.backend
            .block_on(async {
                input.write_all(bytes).await?;
                input.flush().await
            })
            .map_err(DockerError::io(format!(
                "write to the shell in container {}",
                short(&self.container)
            )))
    }

    /// What the shell printed: waits up to `timeout` for output to start, then takes all that
    /// follows until the shell is quiet for a moment (or `timeout` is spent). Empty when nothing
    /// came, or the shell has ended ([`DockerShell::is_closed`]).
    pub fn read_available(&mut self, timeout: Duration) -> DockerResult<Vec<u8>> {
        self.read_inner(timeout, None)
    }

    /// Reads until the output so far contains `marker` or `timeout` passes; returns the output
    /// and whether the marker came.
    pub fn read_until(
        &mut self,
        marker: &[u8],
        timeout: Duration,
    ) -> DockerResult<(Vec<u8>, bool)> {
        let out = self.read_inner(timeout, Some(marker))?;
        let found = contains(&out, marker);
        Ok((out, found))
    }

    fn read_inner(&mut self, timeout: Duration, marker: Option<&[u8]>) -> DockerResult<Vec<u8>> {
        if self.closed {
            return Ok(Vec::new());
        }
        let output = &mut self.output;
        let closed = &mut self.closed;
        let container = short(&self.container).to_owned();
        self.backend.block_on(async move {
            let deadline = tokio::time::Instant::now() + timeout;
            let mut got = Vec::new();
            loop {
                let wait_until = match marker {
                    // Waiting for a marker: only the deadline ends the wait.
                    Some(_) => deadline,
                    None if got.is_empty() => deadline,
                    None => deadline.min(tokio::time::Instant::now() + QUIET),
                };
                match tokio::time::timeout_at(wait_until, output.next()).await {
                    Ok(Some(Ok(chunk))) => {
                        got.extend_from_slice(&chunk.into_bytes());
                        if marker.is_some_and(|m| contains(&got, m)) {
                            break;
                        }
                    }
                    Ok(Some(Err(err))) => {
                        return Err(DockerError::engine(format!(
                            "read the shell in container {container}"
                        ))(err));
                    }
                    Ok(None) => {
                        *closed = true;
                        break;
                    }
                    Err(_) => break,
                }
            }
            Ok(got)
        })
    }

    /// One chunk of output, waiting up to `timeout` for it: empty when none came in time or the
    /// shell has ended ([`DockerShell::is_closed`] tells which).
    pub(crate) fn read_chunk(&mut self, timeout: Duration) -> DockerResult<Vec<u8>> {
        if self.closed {
            return Ok(Vec::new());
        }
        let output = &mut self.output;
        let closed = &mut self.closed;
        let container = short(&self.container).to_owned();
        self.backend.block_on(async move {
            match tokio::time::timeout(timeout, output.next()).await {
                Ok(Some(Ok(chunk))) => Ok(chunk.into_bytes().to_vec()),
                Ok(Some(Err(err))) => Err(DockerError::engine(format!(
                    "read the shell in container {container}"
                ))(err)),
                Ok(None) => {
                    *closed = true;
                    Ok(Vec::new())
                }
                Err(_) => Ok(Vec::new()),
            }
        })
    }

    /// Ctrl-C: the terminal sends SIGINT to the foreground job.
    pub fn interrupt(&mut self) -> DockerResult<()> {
        self.write(&[0x03])
    }

    /// Whether the shell has ended (it exited, or the container is gone).
    pub fn is_closed(&self) -> bool {
        self.closed
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || haystack.windows(needle.len()).any(|w| w == needle)
}

/// Starts an exec in `container` attached to its input and output streams: the one way the
/// shell and the file helper talk to a long-lived process in a container.
pub(super) fn attached_exec(
    backend: &DockerBackend,
    container: &str,
    options: CreateExecOptions<String>,
    action: &str,
) -> DockerResult<(Output, Input)> {
    backend.block_on(async {
        let docker = backend.client();
        let exec = docker
            .create_exec(container, options)
            .await
            .map_err(DockerError::engine(action.to_owned()))?;
        match docker
            .start_exec(&exec.id, None)
            .await
            .map_err(DockerError::engine(action.to_owned()))?
        {
            StartExecResults::Attached { output, input } => Ok((output, input)),
            StartExecResults::Detached => Err(DockerError::Failed {
                action: action.to_owned(),
                message: "the engine started the process detached".to_owned(),
            }),
        }
    })
}
