use std::time::Instant;

use anyhow::{Context, Result};
use clap::Subcommand;
use lego_sandbox::{BaseImageOptions, DockerBackend, EnvSpec, GcOptions};

use crate::repo::SandboxRepo;

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Build the environment image of a repository (and the base image first if missing).
    Build {
        /// The repository, sanitised at the commit tasks start from.
        #[command(flatten)]
        repo: SandboxRepo,
        /// Its name in tags and labels (default: the directory name).
        #[arg(long)]
        name: Option<String>,
        /// A shell command run in /testbed at build time (repeatable, in order).
        #[arg(long = "install", value_name = "CMD")]
        install: Vec<String>,
        /// The Debian mirror for the base image (default: the one apt uses here).
        #[arg(long)]
        mirror: Option<String>,
    },
    /// List lego's images and sandbox containers.
    Ls {
        /// One JSON object `{images, containers}` instead of tables.
        #[arg(long)]
        json: bool,
    },
    /// Remove what sandboxes of dead processes left: containers (by label), and local sandboxes'
    /// temporary directories, processes and cgroups.
    Gc {
        /// Also remove lego's images no container uses (rebuilt on demand).
        #[arg(long)]
        images: bool,
    },
}

pub fn run(cmd: Command) -> Result<()> {
    let connect = || DockerBackend::connect().context("cannot reach the Docker engine");
    match cmd {
        Command::Build {
            repo,
            name,
            install,
            mirror,
        } => {
            let prepared = repo.prepare()?;
            let docker = connect()?;
            let t = Instant::now();
            let base = lego_sandbox::ensure_base_image(
                &docker,
                &BaseImageOptions {
                    mirror,
                    ..Default::default()
                },
            )
            .context("cannot make the base image")?;
            tracing::info!(
                "base {} {} ({:.1} s)",
                base.tag,
                if base.built { "built" } else { "cached" },
                t.elapsed().as_secs_f64()
            );
            let t = Instant::now();
            let spec = EnvSpec {
                repo_dir: prepared.path(),
                name: name.or_else(|| repo.name()),
                install,
            };
            let env = lego_sandbox::build_env_image(&docker, &base, &spec)
                .with_context(|| format!("cannot build the image of {}", repo.repo.display()))?;
            tracing::info!(
                "env {} {} ({:.1} s)",
                env.tag,
                if env.built { "built" } else { "cached" },
                t.elapsed().as_secs_f64()
            );
            println!("{}", serde_json::to_string(&env)?);
            Ok(())
        }
        Command::Ls { json } => {
            let docker = connect()?;
            let listing = lego_sandbox::list(&docker)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&listing)?);
                return Ok(());
            }
            println!(
                "{:<6} {:<12} {:>8}  {:<40} REPO",
                "KIND", "IMAGE ID", "SIZE", "TAG"
            );
            for i in &listing.images {
                println!(
                    "{:<6} {:<12} {:>6}MB  {:<40} {}",
                    i.kind,
                    short(i.id.trim_start_matches("sha256:")),
                    i.size_bytes >> 20,
                    i.tags.first().map_or("<none>", String::as_str),
                    i.repo.as_deref().unwrap_or("-"),
                );
            }
            println!();
            println!(
                "{:<12} {:<8} {:>8} {:<6} IMAGE",
                "CONTAINER", "STATE", "OWNER", "ALIVE"
            );
            for c in &listing.containers {
                println!(
                    "{:<12} {:<8} {:>8} {:<6} {}",
                    short(&c.id),
                    c.state,
                    c.owner_pid
                        .map_or_else(|| "-".to_owned(), |p| p.to_string()),
                    if c.owner_alive { "yes" } else { "no" },
                    c.image,
                );
            }
            Ok(())
        }
        Command::Gc { images } => {
            // Local sandboxes first: they need no engine.
            let local = lego_sandbox::gc_local().context("cannot clean up local sandboxes")?;
            tracing::info!(
                "removed {} local sandbox dir(s), killed {} process(es)",
                local.dirs.len(),
                local.processes
            );
            let docker = match connect() {
                Ok(docker) => docker,
                Err(err) => {
                    tracing::warn!(
                        "no Docker engine: {err:#}; only local sandboxes were collected"
                    );
                    println!("{}", serde_json::json!({ "local": local }));
                    return Ok(());
                }
            };
            let report = lego_sandbox::gc(&docker, &GcOptions { images })?;
            tracing::info!(
                "removed {} container(s), {} image(s)",
                report.containers.len(),
                report.images.len()
            );
            println!(
                "{}",
                serde_json::json!({
                    "local": local,
                    "containers": report.containers,
                    "images": report.images,
                })
            );
            Ok(())
        }
    }
}

fn short(id: &str) -> &str {
    &id[..id.len().min(12)]
}
