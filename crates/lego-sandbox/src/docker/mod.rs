//! The Docker backend: images built without a registry, and containers as sandboxes.
//!
//! [`DockerBackend`] is a connection to an engine plus the tokio runtime that drives it, so the
//! whole API is synchronous (the `Sandbox` trait is). Images: [`ensure_base_image`] makes a
//! Debian root filesystem with `debootstrap` and imports it; [`build_env_image`] puts a
//! repository at `/testbed` on top, installed. Both are tagged by a hash of what they are made
//! of, so asking again for an unchanged image costs one inspect. Containers: [`DockerSandbox`]
//! runs commands with limits, no network and a timeout, moves files in and out, resets by
//! recreating, and is removed on drop, and implements [`Sandbox`](crate::Sandbox) (`sandbox.rs`);
//! [`DockerShell`] is a persistent interactive `bash` in one.
//! [`gc`] removes what a killed process left behind, found by label.

mod base;
mod container;
mod env_image;
mod error;
mod files;
mod gc;
mod sandbox;
mod shell;

#[cfg(test)]
mod tests;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use bollard::Docker;
use tracing::Instrument;

pub use base::{
    BaseImageOptions, DEFAULT_PACKAGES, base_image_tag, detect_mirror, ensure_base_image,
};
pub use container::{DockerExecOutput, DockerSandbox, SandboxConfig};
pub use env_image::{EnvSpec, build_env_image, env_image_tag};
pub use error::{DockerError, DockerResult};
pub use gc::{ContainerEntry, GcOptions, GcReport, ImageEntry, Listing, gc, list};
pub use shell::DockerShell;

/// Label keys lego puts on every image and container it makes; `gc` and `ls` find them by these.
pub mod labels {
    /// `base`, `env` or `sandbox`.
    pub const KIND: &str = "lego.kind";
    /// The lego version that made the object.
    pub const VERSION: &str = "lego.version";
    /// The content hash an image is tagged by.
    pub const HASH: &str = "lego.hash";
    /// The repository an environment image holds.
    pub const REPO: &str = "lego.repo";
    /// The pid of the process that owns a sandbox container.
    pub const OWNER: &str = "lego.owner";
    /// The owner's start time (clock ticks since boot), so a reused pid is not mistaken for it.
    pub const OWNER_START: &str = "lego.owner.start";
    /// The host the owner runs on: pids mean nothing elsewhere (remote `DOCKER_HOST`).
    pub const OWNER_HOST: &str = "lego.owner.host";
}

/// An image lego made: its engine id and the content-hash tag it is known by.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ImageRef {
    /// `sha256:...` as the engine names it.
    pub id: String,
    /// `lego/base:HASH` or `lego/env:NAME-HASH`.
    pub tag: String,
    /// Whether this call built it (false: it was already there).
    pub built: bool,
}

/// A Docker engine and the runtime that talks to it; cheap to clone.
#[derive(Clone)]
pub struct DockerBackend {
    inner: Arc<Inner>,
}

struct Inner {
    runtime: tokio::runtime::Runtime,
    docker: Docker,
}

impl std::fmt::Debug for DockerBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DockerBackend")
            .field("api", &self.inner.docker.client_version())
            .finish_non_exhaustive()
    }
}

/// How long one request may take. Imports and builds stream for minutes; exec timeouts are
/// enforced by lego itself, not by this.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(3600);

impl DockerBackend {
    /// Connects to the engine `DOCKER_HOST` names (the local socket by default) and agrees on
    /// an API version with it; fails with [`DockerError::Unavailable`] when nothing answers.
    pub fn connect() -> DockerResult<Self> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("lego-docker")
            .enable_all()
            .build()
            .map_err(DockerError::io("start the async runtime for Docker"))?;
        let docker = Docker::connect_with_local_defaults()
            .map_err(DockerError::Unavailable)?
            .with_timeout(REQUEST_TIMEOUT);
        // bollard speaks a newer API than old engines (20.10 answers 1.41): agree on the lower.
        let docker = runtime
            .block_on(async {
                let docker =
                    tokio::time::timeout(Duration::from_secs(10), docker.negotiate_version())
                        .await
                        .map_err(|_| {
                            DockerError::Unavailable(bollard::errors::Error::RequestTimeoutError)
                        })?
                        .map_err(DockerError::Unavailable)?;
                docker.ping().await.map_err(DockerError::Unavailable)?;
                Ok::<_, DockerError>(docker)
            })
            .inspect_err(|e| tracing::debug!(error = %e, "no Docker engine answers"))?;
        tracing::debug!(api = %docker.client_version(), "connected to the Docker engine");
        Ok(DockerBackend {
            inner: Arc::new(Inner { runtime, docker }),
        })
    }

    /// The async client, for what the sync API does not cover.
    pub fn client(&self) -> &Docker {
        &self.inner.docker
    }

    /// Runs a future to completion on the backend's runtime. Safe to call from inside another
    /// runtime too (a `Drop` may run there): then it runs on a scoped thread. The future runs in
    /// the caller's current `tracing` span, on whatever thread polls it.
    pub fn block_on<F>(&self, future: F) -> F::Output
    where
        F: Future + Send,
        F::Output: Send,
    {
        // The span (and a scoped subscriber) are thread-local state of the caller: carry them
        // into the future explicitly, so that its events keep the sandbox's and the unit of
        // work's context on the scoped thread too.
        let future = future.instrument(tracing::Span::current());
        if tokio::runtime::Handle::try_current().is_ok() {
            let dispatch = tracing::dispatcher::get_default(Clone::clone);
            std::thread::scope(|scope| {
                let handle = scope.spawn(|| {
                    let _subscriber = tracing::dispatcher::set_default(&dispatch);
                    self.inner.runtime.block_on(future)
                });
                match handle.join() {
                    Ok(out) => out,
                    Err(panic) => std::panic::resume_unwind(panic),
                }
            })
        } else {
            self.inner.runtime.block_on(future)
        }
    }

    /// The id of an image by name or id, `None` when the engine has no such image.
    pub fn image_id(&self, name: &str) -> DockerResult<Option<String>> {
        self.block_on(image_id(self.client(), name))
    }
}

async fn image_id(docker: &Docker, name: &str) -> DockerResult<Option<String>> {
    match docker.inspect_image(name).await {
        Ok(image) => Ok(image.id),
        Err(err) if DockerError::is_not_found(&err) => Ok(None),
        Err(err) => Err(DockerError::engine(format!("inspect image {name}"))(err)),
    }
}

/// The first 16 hex digits of a SHA-256 over `parts`, each length-prefixed so that no two
/// different part lists hash alike.
pub(crate) fn content_hash<'a>(parts: impl IntoIterator<Item = &'a [u8]>) -> String {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update((part.len() as u64).to_le_bytes());
        hasher.update(part);
    }
    let digest = hasher.finalize();
    digest[..8].iter().map(|b| format!("{b:02x}")).collect()
}

/// Runs a host program to completion, failing with its stderr when it fails.
pub(crate) fn run_program(cmd: &mut std::process::Command) -> DockerResult<Vec<u8>> {
    let program = cmd.get_program().to_string_lossy().into_owned();
    let out = cmd
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|source| DockerError::Spawn {
            program: program.clone(),
            source,
        })?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let tail: String = stderr
            .lines()
            .rev()
            .take(8)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect::<Vec<_>>()
            .join(" | ");
        return Err(DockerError::Program {
            program,
            status: out.status.to_string(),
            stderr: tail,
        });
    }
    Ok(out.stdout)
}
