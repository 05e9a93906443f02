//! `ci` and `bench`: each bootstraps first, then runs under the bootstrap environment.

use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::bootstrap::{self, BootEnv};
use crate::cmd::{self, workspace_root};

/// Absences the layering of ARCHITECTURE.md promises: `(crate, dependency it must never link)`.
const FORBIDDEN_LINKS: &[(&str, &str)] = &[
    ("lego-data", "tch"),
    ("lego-data", "bollard"),
    ("lego-data", "tokio"),
    ("lego-synth", "tch"),
    ("lego-model", "bollard"),
];

pub fn ci(args: &[String]) -> Result<()> {
    if let Some(arg) = args.first() {
        bail!("`cargo xtask ci` takes no arguments, got `{arg}`");
    }
    let env = bootstrap::run()?;
    cmd::run(cmd::cargo().args(["fmt", "--all", "--", "--check"]))?;
    cmd::run(with_env(
        cmd::cargo().args([
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ]),
        &env,
    ))?;
    check_layering(&env)?;
    // Doc tests first, so the last summary CI reads is the one of the whole suite.
    cmd::run(with_env(
        cmd::cargo().args(["test", "--workspace", "--doc"]),
        &env,
    ))?;
    let mut tests = if has_nextest() {
        let mut c = cmd::cargo();
        c.args(["nextest", "run", "--workspace", "--no-fail-fast"]);
        c
    } else {
        eprintln!("ci: cargo-nextest not found, running cargo test");
        let mut c = cmd::cargo();
        c.args(["test", "--workspace", "--no-fail-fast"]);
        c
    };
    // Under CI a test that cannot find what the bootstrap makes fails instead of skipping.
    tests.env("LEGO_REQUIRE_BOOTSTRAP", "1");
    // Where an engine is configured, a broken one fails the Docker tests instead of skipping them.
    if crate::sandbox_image::engine_configured() {
        eprintln!("ci: a Docker engine is configured; the Docker tests must run");
        tests.env("LEGO_REQUIRE_DOCKER", "1");
    }
    cmd::run(with_env(&mut tests, &env))?;
    eprintln!("ci: all checks passed");
    Ok(())
}

fn with_env<'a>(cmd: &'a mut Command, env: &BootEnv) -> &'a mut Command {
    env.apply(cmd);
    cmd
}

fn has_nextest() -> bool {
    cmd::cargo()
        .args(["nextest", "--version"])
        .output()
        .is_ok_and(|out| out.status.success())
}

/// Proves each absence with `cargo tree -i`: the inverted tree of a dependency a crate must not
/// link is empty.
fn check_layering(env: &BootEnv) -> Result<()> {
    for (krate, dep) in FORBIDDEN_LINKS {
        if !workspace_root().join("crates").join(krate).exists() {
            eprintln!("layering: {krate} does not exist yet; nothing to check for {dep}");
            continue;
        }
        let out = with_env(
            cmd::cargo().args([
                "tree",
                "--edges",
                "normal",
                "--package",
                krate,
                "--invert",
                dep,
            ]),
            env,
        )
        .output()
        .context("could not run cargo tree")?;
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        let absent_from_lockfile = stderr.contains("did not match any packages");
        if out.status.success() && stdout.trim().is_empty() || absent_from_lockfile {
            eprintln!("layering: {krate} does not link {dep}");
        } else if out.status.success() {
            bail!("layering broken: {krate} links {dep}:\n{stdout}");
        } else {
            bail!(
                "cargo tree failed checking {krate} -> {dep}: {}",
                stderr.trim()
            );
        }
    }
    Ok(())
}

pub fn bench(args: &[String]) -> Result<()> {
    let env = bootstrap::run()?;
    let mut c = cmd::cargo();
    c.args([
        "run",
        "--quiet",
        "--release",
        "--package",
        "lego-benches",
        "--",
    ])
    .args(args);
    cmd::run(with_env(&mut c, &env))
}
