//! The bootstrap's Docker step: the base sandbox image, made where an engine answers.
//!
//! Through lego-sandbox itself (the same `ensure_base_image` as `lego sandbox build`), so the
//! image the tests and the CLI look for is exactly this one. Cached by content: when the tag
//! exists this costs one inspect. Without an engine it says so and the bootstrap goes on (the
//! Docker tests then skip, or fail under `LEGO_REQUIRE_DOCKER=1`).

use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result};
use lego_sandbox::{BaseImageOptions, DockerBackend, base_image_tag, ensure_base_image};

use crate::cmd;

/// Makes the base image unless it is there; `Ok(false)` when no engine answers.
pub fn ensure(log: &Path, verbose: bool) -> Result<bool> {
    let Ok(docker) = DockerBackend::connect() else {
        if verbose {
            eprintln!("bootstrap: no Docker engine answers; the Docker backend's tests will skip");
        }
        return Ok(false);
    };
    let opts = BaseImageOptions::default();
    let tag = base_image_tag(&opts);
    if docker.image_id(&tag)?.is_some() {
        if verbose {
            eprintln!("bootstrap: sandbox base image {tag} is up to date");
        }
        return Ok(true);
    }
    ensure_debootstrap(log)?;
    eprintln!("bootstrap: building the sandbox base image {tag} with debootstrap (about a minute)");
    let image = ensure_base_image(&docker, &opts).context("cannot make the sandbox base image")?;
    eprintln!("bootstrap: sandbox base image {} ({})", image.tag, image.id);
    Ok(true)
}

/// Installs `debootstrap` with apt when it is missing and we are root.
fn ensure_debootstrap(log: &Path) -> Result<()> {
    if Command::new("debootstrap")
        .arg("--version")
        .output()
        .is_ok()
    {
        return Ok(());
    }
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.trim_ascii() == b"0");
    if !root {
        anyhow::bail!(
            "debootstrap is needed to build the sandbox base image: install it (apt-get install debootstrap) or run as root"
        );
    }
    eprintln!("bootstrap: installing debootstrap with apt (under a minute)");
    cmd::run_logged(Command::new("apt-get").arg("update"), log)?;
    cmd::run_logged(
        Command::new("apt-get")
            .args(["install", "-y", "--no-install-recommends", "debootstrap"])
            .env("DEBIAN_FRONTEND", "noninteractive"),
        log,
    )
}

/// Whether this machine has a Docker engine to talk to: then CI requires the Docker tests.
pub fn engine_configured() -> bool {
    std::env::var_os("DOCKER_HOST").is_some_and(|v| !v.is_empty())
        || std::path::Path::new("/var/run/docker.sock").exists()
}
