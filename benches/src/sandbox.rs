//! The cost of the sandbox itself, Docker against local, in one run on the same repository:
//! starting one, the first `execute_bash` (it starts the shell) and then one round trip (`true`
//! in the warm shell), the first editor call (on Docker it starts the file helper) and then one
//! (`view` of 40 lines), one-shot `exec`, and stopping. Medians of `N` runs
//! (`LEGO_BENCH_N`, default 15), printed as a table with the ratio.
//!
//! Docker needs an engine and the base image (`cargo xtask bootstrap` makes it; without an
//! engine the table has the local column only); the environment image of the bench repository
//! is built on it once and cached.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use lego_sandbox::{
    BaseImageOptions, DockerBackend, DockerSandbox, EnvSpec, ExecOptions, LocalOptions,
    LocalSandbox, Sandbox, SandboxConfig, ToolState, build_env_image, ensure_base_image, tool_call,
};

const ROWS: [&str; 7] = [
    "start",
    "first execute_bash",
    "execute_bash round trip",
    "first editor call",
    "editor call (view)",
    "exec `true`",
    "stop",
];

/// A small Python repository, the same for both backends.
fn make_repo(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir.join("pkg"))?;
    std::fs::write(dir.join("pkg/__init__.py"), "")?;
    let body: String = (0..200)
        .map(|i| format!("def f{i}(x):\n    return x + {i}\n\n\n"))
        .collect();
    std::fs::write(dir.join("pkg/calc.py"), body)?;
    std::fs::write(dir.join("README.md"), "# bench\n")?;
    Ok(())
}

/// Times of each row, per run.
fn measure(
    n: usize,
    start: &mut dyn FnMut() -> Result<Box<dyn Sandbox>>,
) -> Result<Vec<Vec<Duration>>> {
    let mut times = vec![Vec::with_capacity(n); ROWS.len()];
    let bash = r#"{"command": "true"}"#;
    let view = r#"{"command": "view", "path": "/testbed/pkg/calc.py", "view_range": [1, 40]}"#;
    for _ in 0..n {
        let t = Instant::now();
        let mut sb = start()?;
        times[0].push(t.elapsed());
        let mut state = ToolState::default();
        // The first calls start the shell (and look up the interpreter) and, on Docker, the file
        // helper: shown apart from the steady-state round trips.
        for (row, name, args) in [
            (1, "execute_bash", bash),
            (2, "execute_bash", bash),
            (3, "str_replace_editor", view),
            (4, "str_replace_editor", view),
        ] {
            let t = Instant::now();
            let obs = tool_call(sb.as_mut(), &mut state, name, args);
            times[row].push(t.elapsed());
            anyhow::ensure!(obs.error.is_none(), "{name} failed: {}", obs.text);
        }
        let t = Instant::now();
        let out = sb.exec("true", &ExecOptions::default())?;
        times[5].push(t.elapsed());
        anyhow::ensure!(out.exit_code == Some(0), "exec failed: {}", out.output);
        let t = Instant::now();
        sb.stop()?;
        times[6].push(t.elapsed());
    }
    Ok(times)
}

fn median(times: &mut [Duration]) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1e3)
}

pub fn run() -> Result<()> {
    let n: usize = std::env::var("LEGO_BENCH_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(15)
        .max(1);
    let dir = tempfile::tempdir()?;
    let repo = dir.path().join("lego-bench");
    make_repo(&repo)?;

    let mut local = measure(n, &mut || {
        Ok(Box::new(LocalSandbox::start(&repo, LocalOptions::default())?) as Box<dyn Sandbox>)
    })?;

    let mut docker_times = match DockerBackend::connect() {
        Ok(docker) => {
            let base = ensure_base_image(&docker, &BaseImageOptions::default())
                .context("cannot make the sandbox base image")?;
            let image = build_env_image(&docker, &base, &EnvSpec::new(&repo))?;
            println!("sandbox: Docker image {}", image.tag);
            Some(measure(n, &mut || {
                Ok(Box::new(DockerSandbox::start(
                    &docker,
                    &image.tag,
                    SandboxConfig::default(),
                )?) as Box<dyn Sandbox>)
            })?)
        }
        Err(err) => {
            println!("sandbox: no Docker engine answers ({err}); local only");
            None
        }
    };

    println!("sandbox: the cost of the sandbox itself, median of {n}");
    println!(
        "{:<26} {:>10} {:>10} {:>13}",
        "", "local", "docker", "docker/local"
    );
    for (i, row) in ROWS.iter().enumerate() {
        let l = median(&mut local[i]);
        let (d, ratio) = match docker_times.as_mut() {
            Some(times) => {
                let d = median(&mut times[i]);
                let ratio = d.as_secs_f64() / l.as_secs_f64().max(1e-9);
                (ms(d), format!("{ratio:.1}x"))
            }
            None => ("-".to_owned(), "-".to_owned()),
        };
        println!("{row:<26} {:>10} {d:>10} {ratio:>13}", ms(l));
    }
    Ok(())
}
