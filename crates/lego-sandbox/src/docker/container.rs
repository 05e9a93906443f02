//! Sandbox containers: one per episode, started from an environment image with limits and no
//! network, removed on drop.

use std::collections::HashMap;
use std::io::Read;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bollard::exec::{CreateExecOptions, StartExecResults};
use bollard::models::{ContainerCreateBody, HostConfig};
use bollard::query_parameters::{
    DownloadFromContainerOptions, RemoveContainerOptions, UploadToContainerOptions,
};
use futures_util::StreamExt;

use super::shell::DockerShell;
use super::{DockerBackend, DockerError, DockerResult, labels};
use crate::sandbox::ExecOptions;

/// Limits and settings of a sandbox container.
#[derive(Debug, Clone, PartialEq)]
pub struct SandboxConfig {
    /// CPUs the container may use (fractions allowed).
    pub cpus: f64,
    /// Memory limit in bytes; swap is limited to the same, so there is no swap.
    pub memory_bytes: i64,
    /// The most processes and threads the container may hold (a fork bomb stops there).
    pub pids_limit: i64,
    /// Network access; off for episodes (only image builds use the network).
    pub network: bool,
    /// The working directory of commands that name none.
    pub workdir: String,
    /// Environment of every command, `KEY=VALUE`.
    pub env: Vec<String>,
    /// The most output bytes an exec keeps (the rest is counted and dropped, never buffered).
    pub max_output: usize,
    /// A command of the persistent shell that prints more than this is killed.
    pub max_shell_output: u64,
    /// Labels added to the container besides lego's own (a run's id, to find its containers).
    pub labels: Vec<(String, String)>,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig {
            cpus: 1.0,
            memory_bytes: 2 << 30,
            pids_limit: 512,
            network: false,
            workdir: "/testbed".to_owned(),
            env: Vec::new(),
            max_output: 1 << 20,
            max_shell_output: 16 << 20,
            labels: Vec::new(),
        }
    }
}

/// What a command did.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct DockerExecOutput {
    /// The exit status; 124 or 137 after a timeout, 137 when killed for memory.
    pub exit_code: i64,
    /// stdout and stderr interleaved as they came, lossily UTF-8, at most `max_output` bytes.
    pub output: String,
    /// Output bytes dropped past `max_output`.
    pub dropped_bytes: u64,
    /// The timeout struck and the command was killed.
    pub timed_out: bool,
    /// The kernel killed a process of the command for exceeding the memory limit.
    pub oom_killed: bool,
    /// Wall time of the command as lego saw it.
    pub duration: Duration,
}

/// A running sandbox container. Dropping it removes the container.
#[derive(Debug)]
pub struct DockerSandbox {
    pub(super) backend: DockerBackend,
    image: String,
    pub(super) config: SandboxConfig,
    pub(super) id: String,
    /// OOM kills seen in the container's memory cgroup so far.
    oom_kills: AtomicU64,
    /// The persistent shell of the [`Sandbox`](crate::Sandbox) implementation, once started.
    pub(super) session: std::sync::Mutex<Option<super::sandbox::Session>>,
    /// The file helper of the [`Sandbox`](crate::Sandbox) implementation, once started.
    pub(super) files: std::sync::Mutex<Option<super::files::FileServer>>,
    /// The sandbox's lifetime: its events are emitted in it (see
    /// [`Sandbox::span`](crate::Sandbox::span)).
    pub(super) span: tracing::Span,
    /// When the current container started, for the seconds of the "stopped" event.
    started: Instant,
}

/// After the command's own timeout, how long lego waits before killing from outside.
const KILL_GRACE: Duration = Duration::from_secs(5);

impl DockerSandbox {
    /// Starts a container from `image` (a tag or id) running `sleep infinity`.
    pub fn start(
        backend: &DockerBackend,
        image: &str,
        config: SandboxConfig,
    ) -> DockerResult<Self> {
        let span = tracing::debug_span!(
            "sandbox",
            backend = "docker",
            id = tracing::field::Empty,
            image,
        );
        let _entered = span.enter();
        let started = Instant::now();
        let id = backend.block_on(create_and_start(backend, image, &config))?;
        span.record("id", short(&id));
        tracing::debug!(seconds = started.elapsed().as_secs_f64(), "sandbox started");
        drop(_entered);
        Ok(DockerSandbox {
            backend: backend.clone(),
            image: image.to_owned(),
            config,
            id,
            oom_kills: AtomicU64::new(0),
            session: std::sync::Mutex::new(None),
            files: std::sync::Mutex::new(None),
            span,
            started,
        })
    }

    /// The container's id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The image it was started from.
    pub fn image(&self) -> &str {
        &self.image
    }

    /// Runs `cmd` with `bash -c` under `timeout`, so the whole process group is killed when the
    /// timeout strikes; output past the cap is drained and counted, not kept.
    pub fn exec(&self, cmd: &str, opts: &ExecOptions) -> DockerResult<DockerExecOutput> {
        let _entered = self.span.enter();
        let out = self
            .backend
            .block_on(self.exec_async(cmd, opts))
            .inspect_err(|e| {
                tracing::debug!(command = %crate::events::brief(cmd), error = %e, "exec failed");
            })?;
        crate::events::exec_done(
            cmd,
            Some(out.exit_code),
            out.timed_out,
            out.duration,
            &out.output,
            out.dropped_bytes,
        );
        if out.oom_killed {
            tracing::debug!("the command was killed for memory");
        }
        Ok(out)
    }

    async fn exec_async(&self, cmd: &str, opts: &ExecOptions) -> DockerResult<DockerExecOutput> {
        let docker = self.backend.client();
        let secs = opts.timeout.as_secs_f64().max(0.1);
        let argv = vec![
            "timeout".to_owned(),
            "-k".to_owned(),
            "2".to_owned(),
            format!("{secs:.1}"),
            "bash".to_owned(),
            "-c".to_owned(),
            cmd.to_owned(),
        ];
        let mut env = self.config.env.clone();
        env.extend(opts.env.iter().map(|(k, v)| format!("{k}={v}")));
        let action = || format!("run a command in container {}", short(&self.id));
        let exec = docker
            .create_exec(
                &self.id,
                CreateExecOptions {
                    attach_stdout: Some(true),
                    attach_stderr: Some(true),
                    cmd: Some(argv),
                    env: Some(env),
                    working_dir: Some(
                        opts.cwd
                            .clone()
                            .unwrap_or_else(|| self.config.workdir.clone()),
                    ),
                    ..Default::default()
                },
            )
            .await
            .map_err(DockerError::engine(action()))?;
        let started = Instant::now();
        let mut sink = OutputSink::new(self.config.max_output);
        let mut killed_from_outside = false;
        if let StartExecResults::Attached { mut output, .. } = docker
            .start_exec(&exec.id, None)
            .await
            .map_err(DockerError::engine(action()))?
        {
            let deadline = tokio::time::Instant::now() + opts.timeout + KILL_GRACE;
            loop {
                match tokio::time::timeout_at(deadline, output.next()).await {
                    Ok(Some(Ok(chunk))) => sink.push(&chunk.into_bytes()),
                    Ok(Some(Err(err))) => return Err(DockerError::engine(action())(err)),
                    Ok(None) => break,
                    Err(_) => {
                        // `timeout` did not end it (a process escaped the group): kill every
                        // process but the container's init.
                        tracing::debug!(
                            "the command outlived its timeout; killing every process of the container"
                        );
                        killed_from_outside = true;
                        self.kill_all_processes().await;
                        break;
                    }
                }
            }
        }
        let duration = started.elapsed();
        let inspect = docker
            .inspect_exec(&exec.id)
            .await
            .map_err(DockerError::engine(action()))?;
        let exit_code = inspect.exit_code.unwrap_or(-1);
        let timed_out = killed_from_outside
            || exit_code == 124
            || (exit_code == 137 && duration >= opts.timeout);
        let oom_killed = exit_code == 137 && !timed_out && self.new_oom_kill().await;
        Ok(DockerExecOutput {
            exit_code,
            output: String::from_utf8_lossy(&sink.kept).into_owned(),
            dropped_bytes: sink.dropped,
            timed_out,
            oom_killed,
            duration,
        })
    }

    /// Whether the container's memory cgroup counted an OOM kill since the last look.
    async fn new_oom_kill(&self) -> bool {
        let count = match self
            .quick_exec("cat /sys/fs/cgroup/memory/memory.oom_control /sys/fs/cgroup/memory.events 2>/dev/null")
            .await
        {
            Some(text) => text
                .lines()
                .find_map(|l| l.strip_prefix("oom_kill "))
                .and_then(|n| n.trim().parse::<u64>().ok()),
            None => None,
        };
        match count {
            Some(now) => now > self.oom_kills.swap(now, Ordering::SeqCst),
            // No counter readable: the engine's own flag (set once for the container's life).
            None => self
                .backend
                .client()
                .inspect_container(&self.id, None)
                .await
                .ok()
                .and_then(|c| c.state)
                .and_then(|s| s.oom_killed)
                .unwrap_or(false),
        }
    }

    async fn kill_all_processes(&self) {
        // Everything but init and the container's own `sleep infinity` (init would exit with it);
        // pkill spares itself, and the namespace's init ignores SIGKILL from inside.
        let _ = self
            .quick_exec("pkill -KILL -v -f '^sleep infinity$'")
            .await;
    }

    /// A short helper command's stdout, `None` when it could not run.
    async fn quick_exec(&self, cmd: &str) -> Option<String> {
        let docker = self.backend.client();
        let exec = docker
            .create_exec(
                &self.id,
                CreateExecOptions {
                    attach_stdout: Some(true),
                    cmd: Some(vec!["sh", "-c", cmd]),
                    ..Default::default()
                },
            )
            .await
            .ok()?;
        let mut text = Vec::new();
        if let Ok(StartExecResults::Attached { mut output, .. }) =
            docker.start_exec(&exec.id, None).await
        {
            let read = async {
                while let Some(Ok(chunk)) = output.next().await {
                    text.extend_from_slice(&chunk.into_bytes());
                }
            };
            tokio::time::timeout(Duration::from_secs(10), read)
                .await
                .ok()?;
        }
        Some(String::from_utf8_lossy(&text).into_owned())
    }

    /// The contents of the regular file at `path` (absolute, in the container).
    pub fn read_file(&self, path: &str) -> DockerResult<Vec<u8>> {
        let _entered = self.span.enter();
        tracing::trace!(path, "read file by archive");
        let not_found = || DockerError::NotFound {
            container: short(&self.id).to_owned(),
            path: path.to_owned(),
        };
        let archive = self.backend.block_on(async {
            let mut stream = self.backend.client().download_from_container(
                &self.id,
                Some(DownloadFromContainerOptions {
                    path: path.to_owned(),
                }),
            );
            let mut archive = Vec::new();
            while let Some(chunk) = stream.next().await {
                match chunk {
                    Ok(bytes) => archive.extend_from_slice(&bytes),
                    Err(err) if DockerError::is_not_found(&err) => return Err(not_found()),
                    Err(err) => return Err(DockerError::engine(format!("read {path}"))(err)),
                }
            }
            Ok(archive)
        })?;
        let mut tar = tar::Archive::new(archive.as_slice());
        let entries = tar
            .entries()
            .map_err(DockerError::io(format!("unpack {path}")))?;
        // The archive of one path: its first entry is the path itself.
        if let Some(entry) = entries.into_iter().next() {
            let mut entry = entry.map_err(DockerError::io(format!("unpack {path}")))?;
            if entry.header().entry_type().is_file() {
                let mut contents = Vec::new();
                entry
                    .read_to_end(&mut contents)
                    .map_err(DockerError::io(format!("unpack {path}")))?;
                return Ok(contents);
            }
        }
        Err(not_found())
    }

    /// Writes `contents` to `path` (absolute), making missing parent directories.
    pub fn write_file(&self, path: &str, contents: &[u8]) -> DockerResult<()> {
        let _entered = self.span.enter();
        tracing::trace!(path, bytes = contents.len(), "write file by archive");
        let rel = path.trim_start_matches('/');
        let mut header = tar::Header::new_gnu();
        header.set_size(contents.len() as u64);
        header.set_mode(0o644);
        header.set_mtime(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs()),
        );
        let mut tar = tar::Builder::new(Vec::new());
        let action = format!("write {path}");
        tar.append_data(&mut header, rel, contents)
            .map_err(DockerError::io(action.clone()))?;
        let archive = tar.into_inner().map_err(DockerError::io(action.clone()))?;
        self.backend.block_on(async {
            self.backend
                .client()
                .upload_to_container(
                    &self.id,
                    Some(UploadToContainerOptions {
                        path: "/".to_owned(),
                        ..Default::default()
                    }),
                    bollard::body_full(archive.into()),
                )
                .await
                .map_err(DockerError::engine(action))
        })
    }

    /// Back to the image's state: the container is removed and a fresh one started.
    pub fn reset(&mut self) -> DockerResult<()> {
        let span = self.span.clone();
        let _entered = span.enter();
        self.remove_now()?;
        let started = Instant::now();
        self.id =
            self.backend
                .block_on(create_and_start(&self.backend, &self.image, &self.config))?;
        self.started = started;
        self.span.record("id", short(&self.id));
        tracing::debug!(
            seconds = started.elapsed().as_secs_f64(),
            "sandbox reset: a fresh container started"
        );
        self.oom_kills.store(0, Ordering::SeqCst);
        Ok(())
    }

    /// Kills and removes the container now (dropping does the same, ignoring errors).
    pub fn stop(mut self) -> DockerResult<()> {
        self.remove_now()
    }

    /// Ends the helpers and removes the container, once (nothing to do when it is gone): what
    /// [`DockerSandbox::stop`], the trait's `stop`, `reset` and drop share.
    pub(super) fn remove_now(&mut self) -> DockerResult<()> {
        self.drop_helpers();
        if self.id.is_empty() {
            return Ok(());
        }
        let span = self.span.clone();
        let _entered = span.enter();
        let id = std::mem::take(&mut self.id);
        self.backend
            .block_on(remove(&self.backend, &id))
            .inspect(|()| {
                tracing::debug!(
                    seconds = self.started.elapsed().as_secs_f64(),
                    "sandbox stopped"
                );
            })
    }

    /// A persistent interactive `bash` in the sandbox (a tty exec): state such as the working
    /// directory and exported variables survives between writes.
    pub fn shell(&self) -> DockerResult<DockerShell> {
        DockerShell::open(&self.backend, &self.id, &self.config)
    }
}

impl Drop for DockerSandbox {
    fn drop(&mut self) {
        let container = self.id.clone();
        if let Err(error) = self.remove_now() {
            // Nobody else sees this error: the container stays until `lego sandbox gc`.
            let _entered = self.span.enter();
            tracing::warn!(
                container = short(&container),
                %error,
                "failed to remove the sandbox container; `lego sandbox gc` removes it"
            );
        }
    }
}

async fn create_and_start(
    backend: &DockerBackend,
    image: &str,
    config: &SandboxConfig,
) -> DockerResult<String> {
    let docker = backend.client();
    let mut container_labels = HashMap::from([
        (labels::KIND.to_owned(), "sandbox".to_owned()),
        (
            labels::VERSION.to_owned(),
            env!("CARGO_PKG_VERSION").to_owned(),
        ),
        (labels::OWNER.to_owned(), std::process::id().to_string()),
        (
            labels::OWNER_START.to_owned(),
            super::gc::process_start(std::process::id()).unwrap_or_default(),
        ),
        (labels::OWNER_HOST.to_owned(), super::gc::hostname()),
    ]);
    container_labels.extend(config.labels.iter().cloned());
    let body = ContainerCreateBody {
        image: Some(image.to_owned()),
        cmd: Some(vec!["sleep".to_owned(), "infinity".to_owned()]),
        working_dir: Some(config.workdir.clone()),
        env: Some(config.env.clone()),
        labels: Some(container_labels),
        network_disabled: Some(!config.network),
        host_config: Some(HostConfig {
            nano_cpus: Some((config.cpus * 1e9) as i64),
            memory: Some(config.memory_bytes),
            memory_swap: Some(config.memory_bytes),
            pids_limit: Some(config.pids_limit),
            network_mode: Some(if config.network { "bridge" } else { "none" }.to_owned()),
            auto_remove: Some(false),
            // A real init reaps the zombies commands leave and forwards signals.
            init: Some(true),
            ..Default::default()
        }),
        ..Default::default()
    };
    let created = docker
        .create_container(
            None::<bollard::query_parameters::CreateContainerOptions>,
            body,
        )
        .await
        .map_err(DockerError::engine(format!(
            "create a container from {image}"
        )))?;
    if let Err(err) = docker
        .start_container(
            &created.id,
            None::<bollard::query_parameters::StartContainerOptions>,
        )
        .await
    {
        let _ = remove(backend, &created.id).await;
        return Err(DockerError::engine(format!(
            "start a container from {image}"
        ))(err));
    }
    Ok(created.id)
}

pub(crate) async fn remove(backend: &DockerBackend, id: &str) -> DockerResult<()> {
    match backend
        .client()
        .remove_container(
            id,
            Some(RemoveContainerOptions {
                force: true,
                v: true,
                ..Default::default()
            }),
        )
        .await
    {
        Ok(()) => Ok(()),
        Err(err) if DockerError::is_not_found(&err) => Ok(()),
        Err(err) => Err(DockerError::engine(format!(
            "remove container {}",
            short(id)
        ))(err)),
    }
}

pub(crate) fn short(id: &str) -> &str {
    &id[..id.len().min(12)]
}

/// Keeps the first `cap` bytes of a stream and counts the rest.
pub(crate) struct OutputSink {
    pub(crate) kept: Vec<u8>,
    pub(crate) dropped: u64,
    cap: usize,
}

impl OutputSink {
    pub(crate) fn new(cap: usize) -> Self {
        OutputSink {
            kept: Vec::new(),
            dropped: 0,
            cap,
        }
    }

    pub(crate) fn push(&mut self, bytes: &[u8]) {
        let room = self.cap.saturating_sub(self.kept.len());
        let take = room.min(bytes.len());
        self.kept.extend_from_slice(&bytes[..take]);
        self.dropped += (bytes.len() - take) as u64;
    }
}
