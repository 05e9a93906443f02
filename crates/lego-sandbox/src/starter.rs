//! [`Starter`]: sandboxes for repositories on a backend chosen at run time, for the programs
//! that run many jobs (mining, rollouts, evaluation) and let the user pick the backend.

use std::path::Path;

#[cfg(not(feature = "docker"))]
use crate::error::Error;
use crate::error::Result;
use crate::local::{LocalOptions, LocalSandbox};
use crate::sandbox::Sandbox;

/// The backends a [`Starter`] can start sandboxes on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BackendKind {
    /// [`LocalSandbox`]: a private copy, commands as local processes.
    Local,
    /// [`DockerSandbox`](crate::DockerSandbox): a container of the repository's environment
    /// image (feature `docker`).
    Docker,
}

impl BackendKind {
    /// `local` or `docker`.
    pub fn as_str(self) -> &'static str {
        match self {
            BackendKind::Local => "local",
            BackendKind::Docker => "docker",
        }
    }
}

impl std::fmt::Display for BackendKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for BackendKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "local" => Ok(BackendKind::Local),
            "docker" => Ok(BackendKind::Docker),
            other => Err(format!("unknown backend {other:?} (local or docker)")),
        }
    }
}

/// Starts sandboxes on one backend. For Docker, the engine is connected and the base image
/// made once, at [`Starter::new`], and each repository gets an environment image cached by
/// content, so an unchanged repository is built once however many sandboxes start from it.
/// Cheap to clone and shareable between a [`Pool`](crate::Pool)'s threads.
#[derive(Clone)]
pub struct Starter {
    inner: Inner,
}

#[derive(Clone)]
enum Inner {
    Local(LocalOptions),
    #[cfg(feature = "docker")]
    Docker {
        docker: crate::docker::DockerBackend,
        base: crate::docker::ImageRef,
        install: Vec<String>,
        config: crate::docker::SandboxConfig,
    },
}

impl std::fmt::Debug for Starter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.inner {
            Inner::Local(options) => f.debug_tuple("Starter::Local").field(options).finish(),
            #[cfg(feature = "docker")]
            Inner::Docker { base, install, .. } => f
                .debug_struct("Starter::Docker")
                .field("base", &base.tag)
                .field("install", install)
                .finish_non_exhaustive(),
        }
    }
}

impl Starter {
    /// A starter for `kind`. `install`: Docker only, shell commands run in `/testbed` when an
    /// environment image is built (the local backend uses the machine's own tools).
    pub fn new(kind: BackendKind, install: Vec<String>) -> Result<Self> {
        match kind {
            BackendKind::Local => Ok(Starter::local(LocalOptions::default())),
            #[cfg(feature = "docker")]
            BackendKind::Docker => {
                use crate::docker::{BaseImageOptions, DockerBackend, ensure_base_image};
                let docker = DockerBackend::connect()?;
                let base = ensure_base_image(&docker, &BaseImageOptions::default())?;
                Ok(Starter {
                    inner: Inner::Docker {
                        docker,
                        base,
                        install,
                        config: Default::default(),
                    },
                })
            }
            #[cfg(not(feature = "docker"))]
            BackendKind::Docker => {
                let _ = install;
                Err(Error::Unavailable {
                    backend: "docker",
                    reason: "lego-sandbox was built without its `docker` feature".to_owned(),
                })
            }
        }
    }

    /// A starter of local sandboxes with `options`.
    pub fn local(options: LocalOptions) -> Self {
        Starter {
            inner: Inner::Local(options),
        }
    }

    /// The backend it starts sandboxes on.
    pub fn kind(&self) -> BackendKind {
        match &self.inner {
            Inner::Local(_) => BackendKind::Local,
            #[cfg(feature = "docker")]
            Inner::Docker { .. } => BackendKind::Docker,
        }
    }

    /// A sandbox whose `/testbed` holds a copy of the repository `repo` (a directory on this
    /// machine). `name` names the Docker environment image (the repository's `owner/name`).
    /// The local backend resets from `repo`, so it must outlive the sandbox.
    pub fn start(&self, repo: &Path, name: Option<&str>) -> Result<Box<dyn Sandbox>> {
        match &self.inner {
            Inner::Local(options) => Ok(Box::new(LocalSandbox::start(repo, options.clone())?)),
            #[cfg(feature = "docker")]
            Inner::Docker {
                docker,
                base,
                install,
                config,
            } => {
                use crate::docker::{DockerSandbox, EnvSpec, build_env_image};
                let spec = EnvSpec {
                    repo_dir: repo.to_owned(),
                    name: name.map(str::to_owned),
                    install: install.clone(),
                };
                let env = build_env_image(docker, base, &spec)?;
                Ok(Box::new(DockerSandbox::start(
                    docker,
                    &env.tag,
                    config.clone(),
                )?))
            }
        }
    }
}
