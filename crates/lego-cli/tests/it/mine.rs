//! `lego data mine` on a repository with real history: `six` (a small, pure-Python PyPI project
//! whose source distributions ship its tests), one commit per release from 1.12.0 to 1.16.0,
//! and pull-request records for the steps between them, with issue text written here.
//!
//! What the releases hold (checked by hand before choosing them, and by these tests every run):
//! 1.13.0 adds `six.moves.collections_abc` and makes `with_metaclass` work with `typing`
//! (its new tests fail on 1.12.0); 1.14.0 adds `six.assertNotRegex` and points
//! `six.moves._dummy_thread` at `_thread` on Python 3.9+ (their tests fail on 1.13.0); 1.15.0
//! and 1.16.0 change no test. The source distributions are fetched with pip on first use
//! (pinned by SHA-256) and cached under lego's cache directory, with a virtualenv holding
//! pytest for the local backend, so the second run needs no network.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use lego_data::{SanitizeMode, SanitizeOptions, Task, sanitize_repo};
use lego_sandbox::{LocalOptions, LocalSandbox, Resolution, RunOptions, Sandbox, run_tests};
use serde_json::{Value, json};

use crate::{read_lines, stderr};

const PYTEST: &str = "pytest==8.3.3";
const RELEASES: [(&str, &str); 5] = [
    (
        "1.12.0",
        "d16a0141ec1a18405cd4ce8b4613101da75da0e9a7aec5bdd4fa804d0e0eba73",
    ),
    (
        "1.13.0",
        "30f610279e8b2578cab6db20741130331735c781b56053c59c4076da27f06b66",
    ),
    (
        "1.14.0",
        "236bdbdce46e6e6a3d61a337c0f8b763ca1e8717c03b369e87a7ec7ce1319c0a",
    ),
    (
        "1.15.0",
        "30639c035cdb23534cd4aa2dd52c3bf48f06e5f4a941509c8bafd8ce11080259",
    ),
    (
        "1.16.0",
        "1e61c37477a1626458e36f7b1d82aa5c9b094fa4802892072e49de9c60c4c926",
    ),
];
/// `python3 -m` so that `six` is imported from /testbed, whatever else is installed.
pub(crate) const TEST_CMD: &str = "python3 -m pytest -rA -p no:cacheprovider test_six.py";

/// lego's per-user cache, as `cargo xtask bootstrap` finds it.
pub(crate) fn cache() -> PathBuf {
    let base = if let Some(dir) = std::env::var_os("LEGO_CACHE").filter(|v| !v.is_empty()) {
        PathBuf::from(dir)
    } else if let Some(dir) = std::env::var_os("XDG_CACHE_HOME").filter(|v| !v.is_empty()) {
        PathBuf::from(dir).join("lego")
    } else {
        PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cache/lego")
    };
    base.join("test-pypi")
}

pub(crate) fn run(cmd: &mut Command) -> Result<String, String> {
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("{cmd:?}: {e}"))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(format!(
            "{cmd:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
                .lines()
                .last()
                .unwrap_or("")
        ))
    }
}

/// The bootstrap's python where there is one, else the host's.
pub(crate) fn python() -> PathBuf {
    std::env::var_os("LEGO_PYTHON")
        .filter(|v| !v.is_empty())
        .map_or_else(|| PathBuf::from("python3"), PathBuf::from)
}

/// Makes `dest` with `make` (into a temporary sibling, then renamed) unless it exists, so
/// parallel tests never see half of one.
pub(crate) fn cached(
    dest: &Path,
    make: impl FnOnce(&Path) -> Result<(), String>,
) -> Result<(), String> {
    if dest.exists() {
        return Ok(());
    }
    std::fs::create_dir_all(cache()).map_err(|e| e.to_string())?;
    let tmp = tempfile::tempdir_in(cache()).map_err(|e| e.to_string())?;
    let work = tmp.path().join("out");
    make(&work)?;
    if std::fs::rename(&work, dest).is_err() && !dest.exists() {
        return Err(format!("cannot move {} into place", dest.display()));
    }
    Ok(())
}

/// The source distributions, checked against their pins.
fn sdists() -> Result<PathBuf, String> {
    let dest = cache().join("six-sdists");
    cached(&dest, |work| {
        std::fs::create_dir_all(work).map_err(|e| e.to_string())?;
        for (version, sha) in RELEASES {
            run(Command::new(python())
                .args(["-m", "pip", "download", "--quiet", "--no-deps"])
                .args(["--no-binary", ":all:", &format!("six=={version}"), "-d"])
                .arg(work))?;
            let archive = work.join(format!("six-{version}.tar.gz"));
            let sum = run(Command::new("sha256sum").arg(&archive))?;
            if !sum.starts_with(sha) {
                return Err(format!(
                    "{} has SHA-256 {sum}, not {sha}",
                    archive.display()
                ));
            }
        }
        Ok(())
    })?;
    Ok(dest)
}

/// A virtualenv with pytest, for the local backend (the host's python has none).
pub(crate) fn venv() -> Result<PathBuf, String> {
    let dest = cache().join("venv-pytest");
    cached(&dest, |work| {
        run(Command::new(python()).args(["-m", "venv"]).arg(work))?;
        run(Command::new(work.join("bin/pip")).args(["install", "--quiet", PYTEST]))?;
        Ok(())
    })?;
    Ok(dest)
}

pub(crate) fn git(dir: &Path, args: &[&str]) -> String {
    run(Command::new("git")
        .current_dir(dir)
        .args(args)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", "Benjamin Peterson")
        .env("GIT_AUTHOR_EMAIL", "benjamin@python.org")
        .env("GIT_COMMITTER_NAME", "Benjamin Peterson")
        .env("GIT_COMMITTER_EMAIL", "benjamin@python.org"))
    .unwrap()
}

/// The history repository at `dir`: one commit per release, each the whole unpacked source
/// distribution (fixed dates, so the same commits, and cached Docker images, every run).
/// Returns the commits in release order.
fn history(sdists: &Path, dir: &Path) -> Vec<String> {
    std::fs::create_dir_all(dir).unwrap();
    git(dir, &["init", "-q", "-b", "master"]);
    let mut commits = Vec::new();
    for (i, (version, _)) in RELEASES.iter().enumerate() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.file_name().unwrap() == ".git" {
                continue;
            }
            if path.is_dir() {
                std::fs::remove_dir_all(&path).unwrap();
            } else {
                std::fs::remove_file(&path).unwrap();
            }
        }
        run(Command::new("tar")
            .args(["--no-same-owner", "--strip-components=1", "-xzf"])
            .arg(sdists.join(format!("six-{version}.tar.gz")))
            .arg("-C")
            .arg(dir))
        .unwrap();
        git(dir, &["add", "-A"]);
        let date = format!("2020-01-{:02}T00:00:00Z", i + 1);
        run(Command::new("git")
            .current_dir(dir)
            .args(["commit", "-q", "-m", &format!("six {version}")])
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_AUTHOR_NAME", "Benjamin Peterson")
            .env("GIT_AUTHOR_EMAIL", "benjamin@python.org")
            .env("GIT_COMMITTER_NAME", "Benjamin Peterson")
            .env("GIT_COMMITTER_EMAIL", "benjamin@python.org")
            .env("GIT_AUTHOR_DATE", &date)
            .env("GIT_COMMITTER_DATE", &date))
        .unwrap();
        commits.push(git(dir, &["rev-parse", "HEAD"]).trim().to_owned());
    }
    commits
}

/// Pull-request records in GitHub's shape for the four release steps: two that make tasks, one
/// that changes no test, one that resolves no issue.
fn pull_requests(commits: &[String]) -> String {
    let issue = |number: u64, title: &str, body: &str| json!({"number": number, "title": title, "body": body});
    let steps = [
        (
            1,
            "Release 1.13.0",
            vec![
                issue(
                    101,
                    "six.moves has no collections_abc",
                    "On Python 3 `collections.abc` holds the abstract base classes, on Python 2 \
                     `collections`. Code supporting both needs an alias such as \
                     `from six.moves import collections_abc`.",
                ),
                issue(
                    102,
                    "with_metaclass breaks with typing.Generic",
                    "`class C(six.with_metaclass(Meta, typing.Generic[T]))` raises \
                     `TypeError: type() doesn't support MRO entry resolution` on Python 3.7+.",
                ),
            ],
        ),
        (
            2,
            "Add six.assertNotRegex",
            vec![issue(
                288,
                "assertNotRegex is missing",
                "six has assertRegex and assertRaisesRegex wrappers but no assertNotRegex \
                 (assertNotRegexpMatches on Python 2). Also `six.moves._dummy_thread` fails to \
                 import on Python 3.9+.",
            )],
        ),
        (
            3,
            "Optimize ensure_str and ensure_binary",
            vec![issue(
                330,
                "ensure_str is slow",
                "six.ensure_str does more work than needed for str input.",
            )],
        ),
        (4, "Python 3.10 support", vec![]),
    ];
    let mut lines = String::new();
    for (i, (number, title, issues)) in steps.into_iter().enumerate() {
        let record = json!({
            "number": number,
            "title": title,
            "body": null,
            "state": "closed",
            "base": {"sha": commits[i], "ref": "master", "repo": {"full_name": "benjaminp/six"}},
            "merge_commit_sha": commits[i + 1],
            "created_at": format!("2020-02-{:02}T00:00:00Z", i + 1),
            "issues": issues,
        });
        lines.push_str(&record.to_string());
        lines.push('\n');
    }
    lines
}

/// The repository, its commits, the PR file and the pytest virtualenv in `dir`, or `None`
/// after saying why `test` skips.
pub(crate) fn setup(test: &str, dir: &Path) -> Option<(PathBuf, Vec<String>, PathBuf, PathBuf)> {
    let got = sdists().and_then(|s| Ok((s, venv()?)));
    let (sdists, venv) = match got {
        Ok(pair) => pair,
        Err(why) => {
            lego_testkit::skip_or_fail(
                test,
                &format!("cannot fetch six from PyPI: {why}"),
                "LEGO_REQUIRE_BOOTSTRAP",
            );
            return None;
        }
    };
    let repo = dir.join("six");
    let commits = history(&sdists, &repo);
    let prs = dir.join("prs.jsonl");
    std::fs::write(&prs, pull_requests(&commits)).unwrap();
    Some((repo, commits, prs, venv))
}

/// `PATH` with the pytest virtualenv first.
pub(crate) fn path_with(venv: &Path) -> String {
    format!(
        "{}:{}",
        venv.join("bin").display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

pub(crate) fn mine(path: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lego"))
        .args(["data", "mine"])
        .args(args)
        .env("PATH", path)
        .output()
        .unwrap()
}

fn by_id(lines: &[Value]) -> std::collections::BTreeMap<String, Value> {
    lines
        .iter()
        .map(|l| (l["instance_id"].as_str().unwrap().to_owned(), l.clone()))
        .collect()
}

/// The tasks and rejections of a mining run hold what the release history holds.
fn check_mined(out: &Path, rejected: &Path, test_cmd: &str) -> Vec<Task> {
    let tasks: Vec<Task> = read_lines(out)
        .into_iter()
        .map(|v| serde_json::from_value(v).unwrap())
        .collect();
    let ids: Vec<&str> = tasks.iter().map(|t| t.instance_id.as_str()).collect();
    let mut sorted = ids.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, ["benjaminp__six-1", "benjaminp__six-2"]);
    for task in &tasks {
        assert!(
            task.pass_to_pass.len() > 100,
            "{}: {:?}",
            task.instance_id,
            task.pass_to_pass.len()
        );
        assert!(task.patch.contains("diff --git a/six.py b/six.py"));
        assert_eq!(lego_sandbox::patch_files(&task.test_patch), ["test_six.py"]);
        assert_eq!(task.repo, "benjaminp/six");
        assert_eq!(task.test_cmd.as_deref(), Some(test_cmd));
    }
    let f2p = |id: &str| -> Vec<String> {
        tasks
            .iter()
            .find(|t| t.instance_id == id)
            .unwrap()
            .fail_to_pass
            .clone()
    };
    // The tests the releases added or fixed; the ndbm case depends on how python was built.
    let mut one: Vec<String> = f2p("benjaminp__six-1")
        .into_iter()
        .filter(|t| !t.contains("dbm_ndbm"))
        .collect();
    one.sort();
    assert_eq!(
        one,
        [
            "test_six.py::test_move_items[collections_abc]",
            "test_six.py::test_with_metaclass_pep_560",
            "test_six.py::test_with_metaclass_typing",
        ]
    );
    let mut two = f2p("benjaminp__six-2");
    two.sort();
    assert_eq!(
        two,
        [
            "test_six.py::test_assertNotRegex",
            "test_six.py::test_move_items[_dummy_thread]",
        ]
    );
    let task2 = tasks
        .iter()
        .find(|t| t.instance_id == "benjaminp__six-2")
        .unwrap();
    assert!(
        task2
            .problem_statement
            .starts_with("assertNotRegex is missing\n")
    );
    assert_eq!(task2.extra["issue_numbers"], json!([288]));

    let rejections = by_id(&read_lines(rejected));
    assert_eq!(rejections.len(), 2, "{rejections:?}");
    assert_eq!(rejections["benjaminp__six-3"]["reason"], "no_test_change");
    assert_eq!(rejections["benjaminp__six-4"]["reason"], "no_linked_issue");
    tasks
}

/// Grades each task again with `run_tests`, in a fresh sandbox from `start`: the gold patch
/// resolves it, the empty patch does not, and every FAIL_TO_PASS test fails without the patch.
fn regrade(
    repo: &Path,
    tasks: &[Task],
    options: &RunOptions,
    start: &dyn Fn(&Path) -> Box<dyn Sandbox>,
) {
    for task in tasks {
        let dir = tempfile::tempdir().unwrap();
        let copy = dir.path().join("six");
        let sanitize = SanitizeOptions {
            mode: SanitizeMode::Truncate,
            ..SanitizeOptions::default()
        };
        sanitize_repo(repo, &task.base_commit, &copy, &sanitize).unwrap();
        let mut sandbox = start(&copy);
        let gold = run_tests(sandbox.as_mut(), task, Some(&task.patch), options).unwrap();
        assert_eq!(gold.patch_applied, Some(true), "{}", gold.apply_log);
        assert_eq!(
            gold.grade.resolution,
            Some(Resolution::Full),
            "{}: {}",
            task.instance_id,
            gold.log
        );
        sandbox.reset().unwrap();
        let empty = run_tests(sandbox.as_mut(), task, None, options).unwrap();
        assert_eq!(
            empty.grade.resolution,
            Some(Resolution::No),
            "{}",
            task.instance_id
        );
        let status = empty.grade.report.tests_status.as_ref().unwrap();
        let mut failing = status.fail_to_pass.failure.clone();
        failing.sort();
        let mut expected = task.fail_to_pass.clone();
        expected.sort();
        assert_eq!(failing, expected, "{}", task.instance_id);
        assert!(status.pass_to_pass.failure.is_empty());
        sandbox.stop().unwrap();
    }
}

#[test]
fn mine_real_history_on_the_local_backend() {
    let test = "mine_real_history_on_the_local_backend";
    let dir = tempfile::tempdir().unwrap();
    let Some((repo, _, prs, venv)) = setup(test, dir.path()) else {
        return;
    };
    let out = dir.path().join("tasks.jsonl");
    let path = path_with(&venv);
    let t = Instant::now();
    let result = mine(
        &path,
        &[
            "--repo",
            repo.to_str().unwrap(),
            "--prs",
            prs.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--test-cmd",
            TEST_CMD,
            "--jobs",
            "2",
            "--timeout",
            "300",
        ],
    );
    eprintln!("mined on local in {:.1} s", t.elapsed().as_secs_f64());
    let err = stderr(&result);
    assert!(result.status.success(), "{err}");
    // One line per pull request with its verdict, and (stderr is a pipe here) the plain
    // progress line at the end.
    for n in 1..=4 {
        assert!(
            err.lines()
                .any(|l| l.starts_with(&format!("benjaminp__six-{n}: "))),
            "{n}: {err}"
        );
    }
    assert!(err.contains("pull requests 4/4 (100%)"), "{err}");
    let rejected = dir.path().join("tasks.jsonl.rejected");
    let tasks = check_mined(&out, &rejected, TEST_CMD);
    let options = RunOptions {
        timeout: Duration::from_secs(300),
        env: vec![("PATH".to_owned(), path)],
        ..RunOptions::default()
    };
    regrade(&repo, &tasks, &options, &|copy| {
        Box::new(LocalSandbox::start(copy, LocalOptions::default()).unwrap())
    });
}

#[test]
fn mine_real_history_on_the_docker_backend() {
    use lego_sandbox::{
        BaseImageOptions, DockerBackend, DockerSandbox, EnvSpec, SandboxConfig, base_image_tag,
        build_env_image, ensure_base_image,
    };

    let test = "mine_real_history_on_the_docker_backend";
    let Ok(docker) = DockerBackend::connect() else {
        lego_testkit::skip_or_fail(test, "no Docker engine answers", "LEGO_REQUIRE_DOCKER");
        return;
    };
    let opts = BaseImageOptions::default();
    if docker.image_id(&base_image_tag(&opts)).unwrap().is_none() {
        lego_testkit::skip_or_fail(
            test,
            "the sandbox base image is missing (`cargo xtask bootstrap` makes it)",
            "LEGO_REQUIRE_DOCKER",
        );
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let Some((repo, _, prs, _)) = setup(test, dir.path()) else {
        return;
    };
    let out = dir.path().join("tasks.jsonl");
    let t = Instant::now();
    let result = mine(
        &std::env::var("PATH").unwrap_or_default(),
        &[
            "--backend",
            "docker",
            "--repo",
            repo.to_str().unwrap(),
            "--prs",
            prs.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--test-cmd",
            TEST_CMD,
            "--jobs",
            "2",
            "--timeout",
            "300",
        ],
    );
    eprintln!("mined on docker in {:.1} s", t.elapsed().as_secs_f64());
    assert!(result.status.success(), "{}", stderr(&result));
    let rejected = dir.path().join("tasks.jsonl.rejected");
    let tasks = check_mined(&out, &rejected, TEST_CMD);
    let base = ensure_base_image(&docker, &opts).unwrap();
    let options = RunOptions {
        timeout: Duration::from_secs(300),
        ..RunOptions::default()
    };
    regrade(&repo, &tasks, &options, &|copy| {
        let spec = EnvSpec {
            repo_dir: copy.to_owned(),
            name: Some("benjaminp/six".to_owned()),
            install: Vec::new(),
        };
        let env = build_env_image(&docker, &base, &spec).unwrap();
        Box::new(DockerSandbox::start(&docker, &env.tag, SandboxConfig::default()).unwrap())
    });
}

/// An interrupted run (here: stopped after one pull request by `--limit`) resumes without
/// redoing anything finished, accepted or rejected: the test command counts its runs in a file
/// outside the sandbox.
#[test]
fn mine_resumes_without_redoing_finished_pull_requests() {
    let test = "mine_resumes_without_redoing_finished_pull_requests";
    let dir = tempfile::tempdir().unwrap();
    let Some((repo, _, prs, venv)) = setup(test, dir.path()) else {
        return;
    };
    let counter = dir.path().join("runs.log");
    let test_cmd = format!("echo run >> {}; {TEST_CMD}", counter.display());
    let out = dir.path().join("tasks.jsonl");
    let path = path_with(&venv);
    let go = |extra: &[&str]| {
        let mut args = vec![
            "--repo",
            repo.to_str().unwrap(),
            "--prs",
            prs.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--test-cmd",
            &test_cmd,
        ];
        args.extend(extra);
        let result = mine(&path, &args);
        assert!(result.status.success(), "{}", stderr(&result));
        stderr(&result)
    };
    let runs = || {
        std::fs::read_to_string(&counter)
            .unwrap_or_default()
            .lines()
            .count()
    };
    let rejected = dir.path().join("tasks.jsonl.rejected");

    let err = go(&["--limit", "1"]);
    assert!(
        err.lines()
            .any(|l| l.starts_with("benjaminp__six-1: accepted")),
        "{err}"
    );
    assert!(err.contains("pull requests 1/1 (100%)"), "{err}");
    assert_eq!(runs(), 2, "one validation: before and after");
    assert_eq!(read_lines(&out).len(), 1);
    assert!(!rejected.exists() || read_lines(&rejected).is_empty());

    // The rest: the first pull request is not validated again.
    let err = go(&["--jobs", "2"]);
    assert!(
        err.contains("resuming: 1 of 4 pull requests already done"),
        "{err}"
    );
    assert!(!err.contains("benjaminp__six-1"), "{err}");
    assert_eq!(runs(), 4, "one more validation: {err}");
    check_mined(&out, &rejected, &test_cmd);

    // Everything done: nothing runs, nothing is written.
    let before = std::fs::read(&out).unwrap();
    let err = go(&[]);
    assert!(
        err.contains("resuming: 4 of 4 pull requests already done"),
        "{err}"
    );
    assert_eq!(runs(), 4);
    assert_eq!(std::fs::read(&out).unwrap(), before);
}

#[test]
fn mine_bad_input_is_a_one_line_error_naming_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    std::fs::create_dir(&repo).unwrap();
    let prs = dir.path().join("prs.jsonl");
    let out = dir.path().join("tasks.jsonl");
    let check = |text: &str, needle: &str| {
        std::fs::write(&prs, text).unwrap();
        let result = crate::lego(&[
            "data",
            "mine",
            "--repo",
            repo.to_str().unwrap(),
            "--prs",
            prs.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ]);
        assert_eq!(result.status.code(), Some(1));
        let err = stderr(&result);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains(needle), "{err}");
    };
    let good = r#"{"number": 1, "base": {"sha": "abc"}, "merge_commit_sha": "def"}"#;
    check(
        &format!("{good}\n{{\"number\": 2,\n"),
        "prs.jsonl:2: malformed record",
    );
    check(
        &format!("{good}\n\n{{\"number\": 2}}\n"),
        "prs.jsonl:3: not a pull request: missing field `base`",
    );
    check(
        &format!("{good}\n{good}\n"),
        "prs.jsonl:2: pull request 1 already appears on line 1",
    );
    assert!(!out.exists(), "nothing is written on bad input");
}

/// What the sandbox's git can show: by default nothing after the base (truncated history), with
/// `--history squash` one new commit, and with `--hack-inclusive` every later release too. The
/// test command records `git log --all` of the sandbox; validation works in all three.
#[test]
fn mine_sanitises_the_sandbox_history_unless_hack_inclusive() {
    let test = "mine_sanitises_the_sandbox_history_unless_hack_inclusive";
    let dir = tempfile::tempdir().unwrap();
    let Some((repo, _, prs, venv)) = setup(test, dir.path()) else {
        return;
    };
    let path = path_with(&venv);
    let history = |name: &str, extra: &[&str]| -> Vec<String> {
        let log = dir.path().join(format!("{name}.log"));
        let out = dir.path().join(format!("{name}.jsonl"));
        let test_cmd = format!("git log --all --format=%s > {}; {TEST_CMD}", log.display());
        let mut args = vec![
            "--repo",
            repo.to_str().unwrap(),
            "--prs",
            prs.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--test-cmd",
            &test_cmd,
            "--limit",
            "1",
        ];
        args.extend(extra);
        let result = mine(&path, &args);
        assert!(result.status.success(), "{}", stderr(&result));
        assert!(
            stderr(&result).contains("benjaminp__six-1: accepted"),
            "{name}: {}",
            stderr(&result)
        );
        std::fs::read_to_string(&log)
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect()
    };
    // Pull request 1 starts from 1.12.0, the first release.
    assert_eq!(history("truncate", &[]), ["six 1.12.0"]);
    assert_eq!(
        history("squash", &["--history", "squash"]),
        ["Initial commit"]
    );
    assert_eq!(
        history("keep", &["--hack-inclusive"]),
        [
            "six 1.16.0",
            "six 1.15.0",
            "six 1.14.0",
            "six 1.13.0",
            "six 1.12.0"
        ]
    );
}
