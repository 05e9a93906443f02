//! `ci` and `bench`: each bootstraps first, then runs under the bootstrap environment.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::bootstrap::{self, BootEnv};
use crate::cmd::{self, workspace_root};

/// Absences the layering of ARCHITECTURE.md promises: `(crate, dependency it must never link)`.
const FORBIDDEN_LINKS: &[(&str, &str)] = &[
    // `lego` starts without loading libtorch; `lego-torch` holds the commands that need it.
    ("lego-cli", "tch"),
    ("lego-data", "tch"),
    ("lego-data", "bollard"),
    ("lego-data", "tokio"),
    // A blocking HTTP client: callers need no async runtime.
    ("lego-openai", "tokio"),
    ("lego-synth", "tch"),
    // The agent loop and its HTTP policy build without libtorch.
    ("lego-agent", "tch"),
    ("lego-model", "bollard"),
];

/// The `lego` binary of a whole-workspace build loads no libtorch. `cargo tree -p lego-cli`
/// cannot see this: cargo unifies the features of every package one build selects, so a feature
/// that `lego-torch` turns on in a shared dependency would link libtorch into `lego` too.
fn check_lego_binary() -> Result<()> {
    let lego = workspace_root().join("target/debug/lego");
    let out = std::process::Command::new("ldd")
        .arg(&lego)
        .output()
        .with_context(|| format!("cannot run ldd on {}", lego.display()))?;
    let libraries = String::from_utf8_lossy(&out.stdout);
    if let Some(line) = libraries.lines().find(|l| l.contains("libtorch")) {
        bail!("{} links libtorch ({})", lego.display(), line.trim());
    }
    eprintln!("layering: {} links no libtorch", lego.display());
    Ok(())
}

pub fn ci(args: &[String]) -> Result<()> {
    if let Some(arg) = args.first() {
        bail!("`cargo xtask ci` takes no arguments, got `{arg}`");
    }
    let mut phases = Phases::default();
    let result = run_ci(&mut phases);
    // The times are printed whether or not a phase failed: a slow failure is worth seeing too.
    phases.print();
    // After the test phase, failed or not: the report is this run's, and slow tests matter most
    // when a run fails on time.
    if phases.0.iter().any(|(name, _)| *name == "tests") {
        print_slowest_tests(&workspace_root().join("target/nextest/ci/junit.xml"), 10);
    }
    if result.is_ok() {
        eprintln!("ci: all checks passed");
    }
    result
}

fn run_ci(phases: &mut Phases) -> Result<()> {
    let env = phases.time("bootstrap", bootstrap::run)?;
    phases.time("format", || {
        cmd::run(cmd::cargo().args(["fmt", "--all", "--", "--check"]))
    })?;
    phases.time("lint (clippy)", || {
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
        ))
    })?;
    phases.time("layering", || check_layering(&env))?;
    // rustdoc reuses the dependencies clippy checked; every public item is documented and every
    // intra-doc link resolves.
    phases.time("docs", || {
        cmd::run(
            with_env(cmd::cargo().args(["doc", "--workspace", "--no-deps"]), &env)
                .env("RUSTDOCFLAGS", "-D warnings"),
        )
    })?;
    // One dev-profile build serves the examples, the doc tests and the test suite.
    phases.time("build (tests, examples)", || {
        cmd::run(with_env(
            cmd::cargo().args([
                "build",
                "--workspace",
                "--lib",
                "--bins",
                "--tests",
                "--examples",
            ]),
            &env,
        ))
    })?;
    phases.time("lego links no libtorch", check_lego_binary)?;
    phases.time("examples", || run_examples(&env))?;
    phases.time("doc tests", || {
        cmd::run(with_env(
            cmd::cargo().args(["test", "--workspace", "--doc"]),
            &env,
        ))
    })?;
    let mut tests = if has_nextest() {
        let mut c = cmd::cargo();
        c.args(["nextest", "run", "--workspace", "--profile", "ci"]);
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
    // The test phase last, so the last summary CI reads is the one of the whole suite.
    phases.time("tests", || cmd::run(with_env(&mut tests, &env)))
}

/// Wall-clock time of each phase of a run.
#[derive(Debug, Default)]
struct Phases(Vec<(&'static str, Duration)>);

impl Phases {
    fn time<T>(&mut self, name: &'static str, phase: impl FnOnce() -> Result<T>) -> Result<T> {
        eprintln!("ci: == {name} ==");
        let start = Instant::now();
        let result = phase();
        self.0.push((name, start.elapsed()));
        result.with_context(|| format!("ci phase `{name}` failed"))
    }

    fn print(&self) {
        let total: Duration = self.0.iter().map(|(_, d)| *d).sum();
        eprintln!("ci: phase times");
        for (name, took) in &self.0 {
            eprintln!("  {name:<26} {:>8.1} s", took.as_secs_f64());
        }
        eprintln!("  {:<26} {:>8.1} s", "total", total.as_secs_f64());
    }
}

/// Builds nothing new (the build phase made them) and runs every example of the `examples`
/// crate with no arguments: each makes what it needs and finishes in seconds.
fn run_examples(env: &BootEnv) -> Result<()> {
    let dir = workspace_root().join("examples").join("examples");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .with_context(|| format!("cannot list {}", dir.display()))?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name.strip_suffix(".rs").map(str::to_owned)
        })
        .collect();
    names.sort();
    for name in names {
        cmd::run(with_env(
            cmd::cargo().args([
                "run",
                "--quiet",
                "--package",
                "lego-examples",
                "--example",
                &name,
            ]),
            env,
        ))?;
    }
    Ok(())
}

/// The `limit` slowest tests of the JUnit report nextest wrote, slowest first.
fn print_slowest_tests(junit: &Path, limit: usize) {
    let Ok(xml) = std::fs::read_to_string(junit) else {
        eprintln!("ci: no JUnit report at {}; no test times", junit.display());
        return;
    };
    let mut times = junit_test_times(&xml);
    times.sort_by(|a, b| b.1.total_cmp(&a.1));
    eprintln!("ci: the {limit} slowest tests");
    for (name, secs) in times.iter().take(limit) {
        eprintln!("  {secs:>8.1} s  {name}");
    }
}

/// `(binary::test, seconds)` for each `<testcase>` of a JUnit report. The report is nextest's
/// own, one element per line, so a scan for its attributes is enough.
fn junit_test_times(xml: &str) -> Vec<(String, f64)> {
    let attr = |tag: &str, key: &str| -> Option<String> {
        let start = tag.find(&format!(" {key}=\""))? + key.len() + 3;
        let len = tag[start..].find('"')?;
        Some(tag[start..start + len].to_owned())
    };
    xml.split("<testcase")
        .skip(1)
        .filter_map(|rest| {
            let tag = &rest[..rest.find('>')?];
            let name = attr(tag, "name")?;
            let class = attr(tag, "classname").unwrap_or_default();
            let secs = attr(tag, "time")?.parse().ok()?;
            Some((format!("{class} {name}"), secs))
        })
        .collect()
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
    c.args(["run", "--release", "--package", "lego-benches", "--"])
        .args(args);
    cmd::run(with_env(&mut c, &env))
}
