//! `run_tests` on both backends, on a small real repository with a real test suite
//! (`python3 -m unittest`): SWE-bench's flow from a candidate patch to a graded report.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use lego_data::Task;
use lego_sandbox::{
    APPLY_PATCH_FAIL, DockerSandbox, LocalOptions, LocalSandbox, Resolution, RunOptions, Sandbox,
    SandboxConfig, run_tests, run_tests_repeatedly,
};
use serde_json::json;

const CALC: &str = "\"\"\"Arithmetic.\"\"\"\n\n\ndef add(a, b):\n    return a + b\n\n\n\
                    def sub(a, b):\n    # subtract b from a\n    return a + b\n";
const TEST_ADD: &str = "import unittest\n\nfrom calc import add\n\n\nclass T(unittest.TestCase):\n    \
                        def test_add(self):\n        self.assertEqual(add(2, 1), 3)\n";
const TEST_SUB: &str = "import unittest\n\nfrom calc import sub\n\n\nclass T(unittest.TestCase):\n    \
                        def test_sub(self):\n        self.assertEqual(sub(2, 1), 1)\n";

pub(crate) fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@e")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@e")
        .output()
        .unwrap();
    assert!(out.status.success(), "git {args:?}: {out:?}");
    String::from_utf8(out.stdout).unwrap()
}

/// The repository (buggy `sub`), its test patch (adds `test_sub`) and its gold patch.
pub(crate) fn make_repo(dir: &Path) -> (String, String, String) {
    std::fs::create_dir_all(dir.join("tests")).unwrap();
    std::fs::write(dir.join("calc.py"), CALC).unwrap();
    std::fs::write(dir.join("tests/__init__.py"), "").unwrap();
    std::fs::write(dir.join("tests/test_add.py"), TEST_ADD).unwrap();
    std::fs::write(dir.join(".gitignore"), "__pycache__/\n").unwrap();
    git(dir, &["init", "-q"]);
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-qm", "base"]);
    let base = git(dir, &["rev-parse", "HEAD"]).trim().to_owned();

    std::fs::write(dir.join("tests/test_sub.py"), TEST_SUB).unwrap();
    git(dir, &["add", "-N", "tests/test_sub.py"]);
    let test_patch = git(dir, &["diff"]);
    git(dir, &["rm", "-q", "--cached", "tests/test_sub.py"]);
    std::fs::remove_file(dir.join("tests/test_sub.py")).unwrap();

    std::fs::write(
        dir.join("calc.py"),
        CALC.replace("a + b\n", "a - b\n").replace(
            "def add(a, b):\n    return a - b",
            "def add(a, b):\n    return a + b",
        ),
    )
    .unwrap();
    let gold = git(dir, &["diff"]);
    git(dir, &["checkout", "--", "calc.py"]);
    (base, test_patch, gold)
}

pub(crate) fn task(base: &str, test_patch: &str, test_cmd: &str) -> Task {
    serde_json::from_value(json!({
        "instance_id": "demo__calc-1",
        "base_commit": base,
        "test_patch": test_patch,
        "test_cmd": test_cmd,
        "log_parser": "unittest",
        "FAIL_TO_PASS": ["test_sub (tests.test_sub.T.test_sub)"],
        "PASS_TO_PASS": ["test_add (tests.test_add.T.test_add)"],
    }))
    .unwrap()
}

#[test]
fn run_tests_applies_patches_runs_and_grades_in_a_local_sandbox() {
    let dir = tempfile::tempdir().unwrap();
    let (base, test_patch, gold) = make_repo(dir.path());
    let mut sandbox = LocalSandbox::start(dir.path(), LocalOptions::default()).unwrap();
    check_run_tests(&mut sandbox, &base, &test_patch, &gold);
    sandbox.stop().unwrap();
}

#[test]
fn run_tests_applies_patches_runs_and_grades_in_a_docker_sandbox() {
    let test = "run_tests_applies_patches_runs_and_grades_in_a_docker_sandbox";
    let dir = tempfile::tempdir().unwrap();
    let (base, test_patch, gold) = make_repo(dir.path());
    let Some((docker, image)) = crate::engine::env_image(test, dir.path(), "lego-it-run", &[])
    else {
        return;
    };
    let mut sandbox = DockerSandbox::start(&docker, &image.tag, SandboxConfig::default()).unwrap();
    check_run_tests(&mut sandbox, &base, &test_patch, &gold);
    sandbox.stop().unwrap();
}

/// The gold patch resolves, no patch leaves it unresolved, a fuzzy patch applies through
/// `patch`, a patch that applies nowhere and a timeout are errors: the same on every backend.
fn check_run_tests(sandbox: &mut dyn Sandbox, base: &str, test_patch: &str, gold: &str) {
    assert!(
        gold.contains("-    return a + b\n+    return a - b"),
        "{gold}"
    );
    let task = task(
        base,
        test_patch,
        "python3 -m unittest -v tests.test_add tests.test_sub",
    );
    let options = RunOptions {
        timeout: Duration::from_secs(120),
        ..RunOptions::default()
    };

    // The gold patch resolves the task.
    let run = run_tests(sandbox, &task, Some(gold), &options).unwrap();
    assert_eq!(run.patch_applied, Some(true), "{}", run.apply_log);
    assert_eq!(run.grade.resolution, Some(Resolution::Full), "{}", run.log);
    assert!(run.grade.report.resolved);
    assert!(run.log.contains(">>>>> Test Exit Code: 0"), "{}", run.log);
    // The test files are back at the base commit after the run (the patch's new file stays
    // untracked, as in SWE-bench), and the candidate patch is still applied.
    assert_eq!(
        String::from_utf8(sandbox.read_file("/testbed/calc.py").unwrap()).unwrap(),
        CALC.replace("    return a + b\n", "    return a - b\n")
            .replacen("return a - b", "return a + b", 1)
    );

    // Without a candidate the FAIL_TO_PASS test fails: unresolved, not an error.
    sandbox.reset().unwrap();
    let run = run_tests(sandbox, &task, None, &options).unwrap();
    assert_eq!(run.patch_applied, None);
    assert_eq!(run.grade.resolution, Some(Resolution::No), "{}", run.log);
    let status = &run.grade.report.tests_status.as_ref().unwrap();
    assert_eq!(
        status.fail_to_pass.failure,
        ["test_sub (tests.test_sub.T.test_sub)"]
    );
    assert_eq!(
        status.pass_to_pass.success,
        ["test_add (tests.test_add.T.test_add)"]
    );
    assert!(run.log.contains(">>>>> Test Exit Code: 1"), "{}", run.log);

    // A patch whose first context line no longer matches: every `git apply` refuses it, and
    // `patch --fuzz=5` applies it, as in SWE-bench's chain.
    sandbox.reset().unwrap();
    let fuzzy = gold.replace(" def sub(a, b):", " def sub(a, b):  # changed");
    assert_ne!(fuzzy, gold);
    let run = run_tests(sandbox, &task, Some(&fuzzy), &options).unwrap();
    assert_eq!(run.patch_applied, Some(true), "{}", run.apply_log);
    assert!(
        run.apply_log.contains("+ patch --batch"),
        "{}",
        run.apply_log
    );
    assert_eq!(run.grade.resolution, Some(Resolution::Full), "{}", run.log);

    // A patch that applies nowhere is an error: no resolution, no tests_status.
    sandbox.reset().unwrap();
    let bad = gold.replace("return a + b", "return a * b * c");
    let run = run_tests(sandbox, &task, Some(&bad), &options).unwrap();
    assert_eq!(run.patch_applied, Some(false), "{}", run.apply_log);
    assert!(run.log.starts_with(APPLY_PATCH_FAIL));
    assert_eq!(run.grade.resolution, None);
    assert!(!run.grade.report.patch_successfully_applied);
    assert!(run.grade.report.tests_status.is_none());

    // Tests that run past the timeout are an error too.
    sandbox.reset().unwrap();
    let slow = self::task(base, test_patch, "sleep 30");
    let quick = RunOptions {
        timeout: Duration::from_secs(1),
        ..RunOptions::default()
    };
    let run = run_tests(sandbox, &slow, Some(gold), &quick).unwrap();
    assert!(run.timed_out);
    assert!(run.log.contains(">>>>> Tests Timed Out"), "{}", run.log);
    assert_eq!(run.grade.resolution, None);
    assert_eq!(
        run.grade.report.infra_failure_reason.as_deref(),
        Some("tests_timed_out")
    );
}

/// Commits `tests/test_flip.py`, a test that passes on odd runs and fails on even ones: it
/// counts in the file `$FLIP_COUNTER`, outside the sandbox, which reset does not restore.
pub fn commit_flaky_test(dir: &Path) {
    let flaky = "import os\nimport unittest\n\n\nclass T(unittest.TestCase):\n    \
                 def test_flip(self):\n        path = os.environ['FLIP_COUNTER']\n        \
                 n = int(open(path).read()) if os.path.exists(path) else 0\n        \
                 open(path, 'w').write(str(n + 1))\n        self.assertEqual(n % 2, 0)\n";
    std::fs::write(dir.join("tests/test_flip.py"), flaky).unwrap();
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-qm", "a flaky test"]);
}

/// A test that passes on odd runs and fails on even ones (it counts in a file outside the
/// sandbox, which reset does not restore): repeated runs find it flaky and keep the others.
#[test]
fn repeated_runs_drop_a_flaky_test() {
    let dir = tempfile::tempdir().unwrap();
    let (base, test_patch, gold) = make_repo(dir.path());
    commit_flaky_test(dir.path());
    let task = task(
        &base,
        &test_patch,
        "python3 -m unittest -v tests.test_add tests.test_sub tests.test_flip",
    );
    let counter = tempfile::tempdir().unwrap();
    let options = RunOptions {
        timeout: Duration::from_secs(120),
        env: vec![(
            "FLIP_COUNTER".to_owned(),
            counter.path().join("n").display().to_string(),
        )],
        ..RunOptions::default()
    };
    let mut sandbox = LocalSandbox::start(dir.path(), LocalOptions::default()).unwrap();
    let (runs, stability) =
        run_tests_repeatedly(&mut sandbox, &task, Some(&gold), &options, 3).unwrap();
    assert_eq!(runs.len(), 3);
    assert_eq!(stability.flaky, ["test_flip (tests.test_flip.T.test_flip)"]);
    let stable: Vec<&str> = stability.stable.keys().map(String::as_str).collect();
    assert_eq!(
        stable,
        [
            "test_add (tests.test_add.T.test_add)",
            "test_sub (tests.test_sub.T.test_sub)"
        ]
    );
}
