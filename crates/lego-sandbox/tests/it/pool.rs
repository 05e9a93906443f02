//! The pool on a real project: `six`'s test suite in 8 sandboxes at once, on each backend, and
//! nothing left behind afterwards.

use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use lego_sandbox::{ExecOptions, ExecOutput, LocalOptions, LocalSandbox, Pool, Sandbox};

use crate::pypi;

const JOBS: usize = 8;

fn check_runs(results: Vec<Result<ExecOutput, lego_sandbox::JobError<lego_sandbox::Error>>>) {
    assert_eq!(results.len(), JOBS);
    for (i, result) in results.into_iter().enumerate() {
        let out = result.unwrap_or_else(|e| panic!("job {i}: {e:?}"));
        assert_eq!(out.exit_code, Some(0), "job {i}: {}", out.output);
        let summary = out.output.lines().last().unwrap_or_default().to_owned();
        assert!(
            summary.contains(" passed") && !summary.contains("failed"),
            "job {i}: {summary}"
        );
    }
}

/// Processes whose working directory or command line is under one of `roots`.
fn processes_under(roots: &[PathBuf]) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        let cwd = std::fs::read_link(entry.path().join("cwd")).unwrap_or_default();
        let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
        let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
        for root in roots {
            if cwd.starts_with(root) || cmdline.contains(&*root.to_string_lossy()) {
                found.push(format!("{name}: {cmdline}"));
            }
        }
    }
    found
}

#[test]
fn pool_runs_a_real_test_suite_in_8_local_sandboxes() {
    let test = "pool_runs_a_real_test_suite_in_8_local_sandboxes";
    let Some((project, venv)) = pypi::project(test) else {
        return;
    };
    let roots = Mutex::new(Vec::new());
    let pool = Pool::new(JOBS, |_| {
        let sb = LocalSandbox::start(&project, LocalOptions::default())?;
        let root = sb.host_root().unwrap().parent().unwrap().to_owned();
        roots.lock().unwrap().push(root);
        Ok(Box::new(sb) as Box<dyn Sandbox>)
    });
    let path = format!(
        "{}:{}",
        venv.join("bin").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let options = ExecOptions {
        timeout: Duration::from_secs(120),
        env: vec![("PATH".to_owned(), path)],
        ..Default::default()
    };
    let t = Instant::now();
    let results = pool.run(vec![(); JOBS], |sb, ()| {
        sb.exec(pypi::TEST_COMMAND, &options)
    });
    eprintln!(
        "{JOBS} x {} {} test suite on local: {:.1} s",
        pypi::NAME,
        pypi::VERSION,
        t.elapsed().as_secs_f64()
    );
    check_runs(results);
    let roots = roots.into_inner().unwrap();
    assert_eq!(roots.len(), JOBS);
    for root in &roots {
        assert!(!root.exists(), "{} was left", root.display());
    }
    let left = processes_under(&roots);
    assert!(left.is_empty(), "{left:?}");
}

#[cfg(feature = "docker")]
#[test]
fn pool_runs_a_real_test_suite_in_8_docker_sandboxes() {
    use lego_sandbox::{DockerSandbox, SandboxConfig};

    let test = "pool_runs_a_real_test_suite_in_8_docker_sandboxes";
    let Some((project, _)) = pypi::project(test) else {
        return;
    };
    let Some((docker, image)) = crate::engine::env_image(
        test,
        &project,
        pypi::NAME,
        &["pip install --no-build-isolation --no-deps ."],
    ) else {
        return;
    };
    let run_label = (
        "lego.test.run".to_owned(),
        format!("pool-{}-{:?}", std::process::id(), Instant::now()),
    );
    let config = SandboxConfig {
        labels: vec![run_label.clone()],
        ..Default::default()
    };
    let pool = Pool::new(JOBS, |_| {
        Ok(
            Box::new(DockerSandbox::start(&docker, &image.tag, config.clone())?)
                as Box<dyn Sandbox>,
        )
    });
    let options = ExecOptions {
        timeout: Duration::from_secs(120),
        ..Default::default()
    };
    let t = Instant::now();
    // From / the suite imports the installed package, not the checkout.
    let results = pool.run(vec![(); JOBS], |sb, ()| {
        let installed = sb.exec(
            "cd / && python3 -c 'import six, sys; sys.exit(six.__file__.startswith(\"/testbed\"))'",
            &options,
        )?;
        assert_eq!(installed.exit_code, Some(0), "{}", installed.output);
        sb.exec(pypi::TEST_COMMAND, &options)
    });
    eprintln!(
        "{JOBS} x {} {} test suite on docker: {:.1} s",
        pypi::NAME,
        pypi::VERSION,
        t.elapsed().as_secs_f64()
    );
    check_runs(results);
    assert!(
        containers_labelled(&docker, &run_label).is_empty(),
        "containers left"
    );
}

/// The ids of containers (running or not) with the label `key=value`.
#[cfg(feature = "docker")]
pub fn containers_labelled(
    docker: &lego_sandbox::DockerBackend,
    (key, value): &(String, String),
) -> Vec<String> {
    use std::collections::HashMap;
    let filters = HashMap::from([("label".to_owned(), vec![format!("{key}={value}")])]);
    let list = docker
        .block_on(docker.client().list_containers(Some(
            bollard::query_parameters::ListContainersOptions {
                all: true,
                filters: Some(filters),
                ..Default::default()
            },
        )))
        .unwrap();
    list.into_iter().filter_map(|c| c.id).collect()
}
