//! The Docker backend against a real engine.

use std::io::BufRead;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use lego_sandbox::{
    BaseImageOptions, DockerBackend, DockerSandbox, EnvSpec, ExecOptions, GcOptions, ImageRef,
    SandboxConfig, base_image_tag, build_env_image, ensure_base_image, gc,
};

fn require() -> bool {
    std::env::var_os("LEGO_REQUIRE_DOCKER").is_some_and(|v| v == "1")
}

fn skip(test: &str, why: &str) {
    assert!(!require(), "{test}: {why} (LEGO_REQUIRE_DOCKER=1)");
    eprintln!("SKIPPED {test}: {why}");
}

/// The engine and the shared base image, `None` (after saying why) where there is none.
fn base(test: &str) -> Option<(DockerBackend, ImageRef)> {
    static BASE: OnceLock<Result<(DockerBackend, ImageRef), String>> = OnceLock::new();
    let got = BASE.get_or_init(|| {
        let docker = DockerBackend::connect().map_err(|_| "no Docker engine answers".to_owned())?;
        let opts = BaseImageOptions::default();
        let have = docker.image_id(&base_image_tag(&opts)).unwrap().is_some();
        if !have
            && Command::new("debootstrap")
                .arg("--version")
                .output()
                .is_err()
        {
            return Err("no base image and no debootstrap to build it".to_owned());
        }
        let t = Instant::now();
        let image = ensure_base_image(&docker, &opts).unwrap();
        eprintln!(
            "base image {} ({}) in {:.1} s",
            image.tag,
            if image.built { "built" } else { "cached" },
            t.elapsed().as_secs_f64()
        );
        Ok((docker, image))
    });
    match got {
        Ok(pair) => Some(pair.clone()),
        Err(why) => {
            skip(test, why);
            None
        }
    }
}

fn opts(timeout_s: u64) -> ExecOptions {
    ExecOptions {
        timeout: Duration::from_secs(timeout_s),
        ..Default::default()
    }
}

/// Removes an image when the test ends, passed or not.
struct ImageGuard<'a>(&'a DockerBackend, String);

impl Drop for ImageGuard<'_> {
    fn drop(&mut self) {
        let docker = self.0.client().clone();
        let tag = self.1.clone();
        let _ = self.0.block_on(async move {
            docker
                .remove_image(
                    &tag,
                    Some(bollard::query_parameters::RemoveImageOptions {
                        force: true,
                        ..Default::default()
                    }),
                    None,
                )
                .await
        });
    }
}

fn git(dir: &Path, args: &[&str]) {
    let status = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .env("GIT_AUTHOR_NAME", "lego")
        .env("GIT_AUTHOR_EMAIL", "lego@example.invalid")
        .env("GIT_COMMITTER_NAME", "lego")
        .env("GIT_COMMITTER_EMAIL", "lego@example.invalid")
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "git {args:?}");
}

/// A tiny Python project: two modules and their tests, committed.
fn tiny_repo(dir: &Path) {
    let files = [
        (
            "pyproject.toml",
            "[build-system]\nrequires = [\"setuptools\"]\nbuild-backend = \"setuptools.build_meta\"\n\n[project]\nname = \"calc\"\nversion = \"0.1.0\"\n\n[tool.setuptools]\npackages = [\"calc\"]\n",
        ),
        (
            "calc/__init__.py",
            "from .ops import add, mul\nfrom .fmt import show\n",
        ),
        (
            "calc/ops.py",
            "def add(a, b):\n    return a + b\n\n\ndef mul(a, b):\n    return a * b\n",
        ),
        (
            "calc/fmt.py",
            "from .ops import add\n\n\ndef show(a, b):\n    return f\"{a} + {b} = {add(a, b)}\"\n",
        ),
        (
            "tests/test_ops.py",
            "from calc import add, mul\n\n\ndef test_add():\n    assert add(2, 3) == 5\n\n\ndef test_mul():\n    assert mul(2, 3) == 6\n",
        ),
        (
            "tests/test_fmt.py",
            "from calc import show\n\n\ndef test_show():\n    assert show(1, 2) == \"1 + 2 = 3\"\n",
        ),
    ];
    for (path, text) in files {
        let path = dir.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    git(dir, &["init", "-q"]);
    git(dir, &["add", "."]);
    git(dir, &["commit", "-q", "-m", "base"]);
}

#[test]
fn base_image_is_cached() {
    let Some((docker, first)) = base("base_image_is_cached") else {
        return;
    };
    let t = Instant::now();
    let again = ensure_base_image(&docker, &BaseImageOptions::default()).unwrap();
    let took = t.elapsed();
    assert!(!again.built);
    assert_eq!(again.id, first.id);
    assert!(took < Duration::from_secs(5), "a cached base took {took:?}");
}

#[test]
fn env_image_runs_pytest_offline() {
    let test = "env_image_runs_pytest_offline";
    let Some((docker, base)) = base(test) else {
        return;
    };
    let repo = tempfile::tempdir().unwrap();
    tiny_repo(repo.path());
    let spec = EnvSpec {
        repo_dir: repo.path().to_owned(),
        name: Some("calc".to_owned()),
        install: vec!["pip install --no-build-isolation --no-deps -e .".to_owned()],
    };
    let t = Instant::now();
    let env = build_env_image(&docker, &base, &spec).unwrap();
    let _guard = ImageGuard(&docker, env.tag.clone());
    eprintln!(
        "env image {} built in {:.1} s",
        env.tag,
        t.elapsed().as_secs_f64()
    );
    assert!(env.built);
    let t = Instant::now();
    let again = build_env_image(&docker, &base, &spec).unwrap();
    assert!(!again.built && again.id == env.id);
    assert!(t.elapsed() < Duration::from_secs(5));

    let t = Instant::now();
    let sandbox = DockerSandbox::start(&docker, &env.tag, SandboxConfig::default()).unwrap();
    eprintln!("container start {:.0} ms", t.elapsed().as_secs_f64() * 1e3);
    let t = Instant::now();
    let out = sandbox.exec("true", &opts(10)).unwrap();
    eprintln!("exec round trip {:.0} ms", t.elapsed().as_secs_f64() * 1e3);
    assert_eq!(out.exit_code, 0);

    let out = sandbox.exec("python3 -m pytest -q", &opts(60)).unwrap();
    assert_eq!(out.exit_code, 0, "{}", out.output);
    assert!(out.output.contains("3 passed"), "{}", out.output);
    // Installed: importable from anywhere, and the checkout is a git repository.
    let out = sandbox
        .exec("cd / && python3 -c 'import calc; print(calc.show(2, 2))' && git -C /testbed log --oneline | wc -l", &opts(20))
        .unwrap();
    assert_eq!(out.output, "2 + 2 = 4\n1\n", "{}", out.output);
    // No network in an episode.
    let out = sandbox
        .exec("pip download --no-cache-dir -d /tmp/dl six", &opts(60))
        .unwrap();
    assert_ne!(out.exit_code, 0, "{}", out.output);
}

#[test]
fn files_round_trip_and_reset_restores_the_image() {
    let Some((docker, base)) = base("files_round_trip_and_reset_restores_the_image") else {
        return;
    };
    let config = SandboxConfig {
        workdir: "/".to_owned(),
        ..Default::default()
    };
    let mut sandbox = DockerSandbox::start(&docker, &base.tag, config).unwrap();
    sandbox
        .write_file("/work/deep/dir/x.txt", b"hello\n")
        .unwrap();
    assert_eq!(
        sandbox.read_file("/work/deep/dir/x.txt").unwrap(),
        b"hello\n"
    );
    let out = sandbox.exec("cat /work/deep/dir/x.txt", &opts(10)).unwrap();
    assert_eq!(out.output, "hello\n");
    let missing = sandbox.read_file("/nope").unwrap_err();
    assert!(missing.to_string().contains("no file /nope"), "{missing}");
    let old = sandbox.id().to_owned();
    sandbox.reset().unwrap();
    assert_ne!(sandbox.id(), old);
    let out = sandbox
        .exec("test -e /work/deep/dir/x.txt", &opts(10))
        .unwrap();
    assert_eq!(out.exit_code, 1);
    let id = sandbox.id().to_owned();
    sandbox.stop().unwrap();
    assert!(
        docker
            .block_on(docker.client().inspect_container(&id, None))
            .is_err()
    );
}

#[test]
fn a_command_that_never_ends_times_out() {
    let Some((docker, base)) = base("a_command_that_never_ends_times_out") else {
        return;
    };
    let sandbox = DockerSandbox::start(&docker, &base.tag, SandboxConfig::default()).unwrap();
    let out = sandbox
        .exec("echo start; sleep infinity", &opts(2))
        .unwrap();
    assert!(out.timed_out, "{out:?}");
    assert!(out.duration < Duration::from_secs(6), "{out:?}");
    assert_eq!(out.output, "start\n");
    // A background child in the same group goes too, and the sandbox goes on.
    let out = sandbox
        .exec("(sleep 1000 &) ; sleep 1000", &opts(1))
        .unwrap();
    assert!(out.timed_out);
    let out = sandbox.exec("echo ok", &opts(10)).unwrap();
    assert_eq!(
        (out.exit_code, out.output.as_str(), out.timed_out),
        (0, "ok\n", false)
    );
}

#[test]
fn a_fork_bomb_is_stopped_by_the_pid_limit() {
    let Some((docker, base)) = base("a_fork_bomb_is_stopped_by_the_pid_limit") else {
        return;
    };
    let config = SandboxConfig {
        pids_limit: 64,
        ..Default::default()
    };
    let sandbox = DockerSandbox::start(&docker, &base.tag, config).unwrap();
    let out = sandbox
        .exec("bomb() { bomb | bomb & }; bomb; sleep 5", &opts(8))
        .unwrap();
    assert!(out.duration < Duration::from_secs(20), "{out:?}");
    // Once it is over the sandbox works again.
    let mut last = None;
    for _ in 0..10 {
        let ok = sandbox.exec("echo ok", &opts(10)).unwrap();
        if ok.output == "ok\n" {
            last = Some(ok);
            break;
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    assert!(
        last.is_some(),
        "the sandbox did not recover from a fork bomb"
    );
}

#[test]
fn a_memory_hog_is_oom_killed() {
    let Some((docker, base)) = base("a_memory_hog_is_oom_killed") else {
        return;
    };
    let config = SandboxConfig {
        memory_bytes: 128 << 20,
        ..Default::default()
    };
    let sandbox = DockerSandbox::start(&docker, &base.tag, config).unwrap();
    let out = sandbox
        .exec("python3 -c \"x = ' ' * (1 << 30)\"", &opts(60))
        .unwrap();
    assert_eq!(out.exit_code, 137, "{out:?}");
    assert!(out.oom_killed && !out.timed_out, "{out:?}");
    let out = sandbox.exec("echo ok", &opts(10)).unwrap();
    assert!(!out.oom_killed && out.output == "ok\n", "{out:?}");
}

#[test]
fn output_past_the_cap_is_counted_not_kept() {
    let Some((docker, base)) = base("output_past_the_cap_is_counted_not_kept") else {
        return;
    };
    let config = SandboxConfig {
        max_output: 1 << 16,
        ..Default::default()
    };
    let sandbox = DockerSandbox::start(&docker, &base.tag, config).unwrap();
    let out = sandbox
        .exec("head -c 50000000 /dev/zero | tr '\\0' x", &opts(60))
        .unwrap();
    assert_eq!(out.exit_code, 0);
    assert_eq!(out.output.len(), 1 << 16);
    assert_eq!(out.dropped_bytes, 50_000_000 - (1 << 16));
}

#[test]
fn the_shell_keeps_its_state_and_can_be_interrupted() {
    let Some((docker, base)) = base("the_shell_keeps_its_state_and_can_be_interrupted") else {
        return;
    };
    let sandbox = DockerSandbox::start(&docker, &base.tag, SandboxConfig::default()).unwrap();
    let mut shell = sandbox.shell().unwrap();
    shell.write(b"cd /tmp && export FOO=bar\n").unwrap();
    shell.read_available(Duration::from_secs(2)).unwrap();
    shell.write(b"echo \"[$PWD:$FOO]\"\n").unwrap();
    let (out, found) = shell
        .read_until(b"[/tmp:bar]", Duration::from_secs(10))
        .unwrap();
    assert!(found, "{}", String::from_utf8_lossy(&out));
    shell.write(b"sleep 1000\n").unwrap();
    std::thread::sleep(Duration::from_millis(300));
    shell.interrupt().unwrap();
    shell.write(b"echo \"after-$((40 + 2))\"\n").unwrap();
    let (out, found) = shell
        .read_until(b"after-42", Duration::from_secs(10))
        .unwrap();
    assert!(found, "{}", String::from_utf8_lossy(&out));
    assert!(!shell.is_closed());
}

#[test]
fn sandboxes_run_in_parallel_threads() {
    let Some((docker, base)) = base("sandboxes_run_in_parallel_threads") else {
        return;
    };
    let t = Instant::now();
    let outputs: Vec<String> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..4)
            .map(|i| {
                let (docker, tag) = (&docker, &base.tag);
                scope.spawn(move || {
                    let sandbox =
                        DockerSandbox::start(docker, tag, SandboxConfig::default()).unwrap();
                    let out = sandbox
                        .exec(&format!("sleep 1; echo {i}"), &opts(20))
                        .unwrap();
                    out.output
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(outputs, ["0\n", "1\n", "2\n", "3\n"]);
    // The four one-second commands overlapped.
    assert!(
        t.elapsed() < Duration::from_secs(4 + 3),
        "{:?}",
        t.elapsed()
    );
}

/// Not a test by itself: the child process of `gc_removes_sandboxes_of_dead_owners`.
#[test]
fn gc_child_holds_a_sandbox() {
    let Some(image) = std::env::var_os("LEGO_GC_CHILD_IMAGE") else {
        return;
    };
    let docker = DockerBackend::connect().unwrap();
    let sandbox =
        DockerSandbox::start(&docker, image.to_str().unwrap(), SandboxConfig::default()).unwrap();
    println!("CONTAINER {}", sandbox.id());
    loop {
        std::thread::sleep(Duration::from_secs(60));
    }
}

#[test]
fn gc_removes_sandboxes_of_dead_owners() {
    let Some((docker, base)) = base("gc_removes_sandboxes_of_dead_owners") else {
        return;
    };
    let mine = DockerSandbox::start(&docker, &base.tag, SandboxConfig::default()).unwrap();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "docker::gc_child_holds_a_sandbox", "--nocapture"])
        .env("LEGO_GC_CHILD_IMAGE", &base.tag)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let id = stdout
        .lines()
        .map_while(Result::ok)
        .find_map(|l| l.strip_prefix("CONTAINER ").map(str::to_owned));
    child.kill().unwrap(); // SIGKILL: no destructor runs
    child.wait().unwrap();
    let id = id.expect("the child started a sandbox");
    let inspect = |id: &str| docker.block_on(docker.client().inspect_container(id, None));
    assert!(
        inspect(&id).is_ok(),
        "the killed child's container should still be there"
    );
    let report = gc(&docker, &GcOptions::default()).unwrap();
    assert!(report.containers.contains(&id), "{report:?}");
    assert!(inspect(&id).is_err());
    // A sandbox whose owner lives is left alone.
    assert!(!report.containers.iter().any(|c| c == mine.id()));
    assert!(inspect(mine.id()).is_ok());
}
