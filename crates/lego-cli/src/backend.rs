//! Choosing and starting sandboxes: the `--backend` flag of the commands that run things.

use std::path::Path;

use anyhow::{Context, Result};
use clap::ValueEnum;
use lego_sandbox::{
    BaseImageOptions, DockerBackend, DockerSandbox, EnvSpec, ImageRef, LocalOptions, LocalSandbox,
    Sandbox, SandboxConfig, build_env_image, ensure_base_image,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Backend {
    Local,
    Docker,
}

/// Starts sandboxes on one backend: for Docker, the engine connected and the base image made
/// once, and an environment image per repository (cached by content, so an unchanged
/// repository builds once).
#[derive(Clone)]
pub enum Starter {
    Local,
    Docker {
        docker: DockerBackend,
        base: ImageRef,
        install: Vec<String>,
    },
}

impl std::fmt::Debug for Starter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Starter::Local => f.write_str("Starter::Local"),
            Starter::Docker { base, install, .. } => f
                .debug_struct("Starter::Docker")
                .field("base", &base.tag)
                .field("install", install)
                .finish_non_exhaustive(),
        }
    }
}

impl Starter {
    /// `install`: Docker only, shell commands run in /testbed when an environment image is
    /// built.
    pub fn new(backend: Backend, install: Vec<String>) -> Result<Self> {
        match backend {
            Backend::Local => Ok(Starter::Local),
            Backend::Docker => {
                let docker = DockerBackend::connect().context("cannot reach the Docker engine")?;
                let base = ensure_base_image(&docker, &BaseImageOptions::default())
                    .context("cannot make the base image")?;
                Ok(Starter::Docker {
                    docker,
                    base,
                    install,
                })
            }
        }
    }

    /// A sandbox whose /testbed holds a copy of `repo`.
    pub fn start(&self, repo: &Path, name: Option<&str>) -> lego_sandbox::Result<Box<dyn Sandbox>> {
        match self {
            Starter::Local => Ok(Box::new(LocalSandbox::start(
                repo,
                LocalOptions::default(),
            )?)),
            Starter::Docker {
                docker,
                base,
                install,
            } => {
                let spec = EnvSpec {
                    repo_dir: repo.to_owned(),
                    name: name.map(str::to_owned),
                    install: install.clone(),
                };
                let env = build_env_image(docker, base, &spec)?;
                Ok(Box::new(DockerSandbox::start(
                    docker,
                    &env.tag,
                    SandboxConfig::default(),
                )?))
            }
        }
    }
}
