//! `lego-sandbox`: where commands of agents and tests run.
//!
//! - Docker backend (feature `docker`, on by default): images made without a registry
//!   ([`ensure_base_image`]: Debian by `debootstrap`, imported; [`build_env_image`]: one image
//!   per repository with it at `/testbed`, installed), both tagged and cached by content;
//!   [`DockerSandbox`], a container with CPU, memory and process limits and no network, with
//!   commands under a timeout, file transfer, reset and guaranteed removal; [`DockerShell`], a
//!   persistent interactive shell in one; [`gc`] and [`list`] for what lego left in the engine.
//!
//! The API is synchronous: the Docker backend holds its own tokio runtime. This crate does not
//! decide what an agent runs or how a test log is graded beyond running it.

// lego-sandbox is the one crate that starts processes (debootstrap, tar, git; ARCHITECTURE.md).
#![allow(clippy::disallowed_methods)]

#[cfg(feature = "docker")]
mod docker;

#[cfg(feature = "docker")]
pub use docker::{
    BaseImageOptions, ContainerEntry, DEFAULT_PACKAGES, DockerBackend, DockerError, DockerResult,
    DockerSandbox, DockerShell, EnvSpec, ExecOptions, ExecOutput, GcOptions, GcReport, ImageEntry,
    ImageRef, Listing, SandboxConfig, base_image_tag, build_env_image, detect_mirror,
    ensure_base_image, env_image_tag, gc, labels, list,
};
