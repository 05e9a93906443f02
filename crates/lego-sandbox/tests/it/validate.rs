//! `validate` on the local backend: FAIL_TO_PASS and PASS_TO_PASS from real test runs before and
//! after a code patch, the rejections, and flaky tests left out.

use std::time::Duration;

use lego_data::Rejection;
use lego_sandbox::{
    LocalOptions, LocalSandbox, Resolution, RunOptions, Sandbox, ValidateOptions, run_tests,
    validate,
};

use crate::run::{commit_flaky_test, git, make_repo, task};

const BOTH: &str = "python3 -m unittest -v tests.test_add tests.test_sub";
const F2P: &str = "test_sub (tests.test_sub.T.test_sub)";
const P2P: &str = "test_add (tests.test_add.T.test_add)";

fn options() -> ValidateOptions {
    ValidateOptions {
        run: RunOptions {
            timeout: Duration::from_secs(120),
            ..RunOptions::default()
        },
        ..ValidateOptions::default()
    }
}

#[test]
fn validation_finds_fail_to_pass_and_pass_to_pass_and_the_gold_patch_resolves() {
    let dir = tempfile::tempdir().unwrap();
    let (base, test_patch, gold) = make_repo(dir.path());
    let mut candidate = task(&base, &test_patch, BOTH);
    candidate.fail_to_pass.clear();
    candidate.pass_to_pass.clear();
    candidate.patch = gold.clone();
    let mut sandbox = LocalSandbox::start(dir.path(), LocalOptions::default()).unwrap();
    let v = validate(&mut sandbox, &candidate, &options()).unwrap();
    assert_eq!(v.rejection, None, "{}\n{}", v.before_log, v.after_log);
    assert_eq!(v.fail_to_pass, [F2P]);
    assert_eq!(v.pass_to_pass, [P2P]);
    assert!(v.flaky.is_empty());

    // The validated task grades as SWE-bench would: gold resolves, no patch does not.
    let task = v.apply_to(&candidate);
    sandbox.reset().unwrap();
    let run = run_tests(&mut sandbox, &task, Some(&gold), &options().run).unwrap();
    assert_eq!(run.grade.resolution, Some(Resolution::Full), "{}", run.log);
    sandbox.reset().unwrap();
    let run = run_tests(&mut sandbox, &task, None, &options().run).unwrap();
    assert_eq!(run.grade.resolution, Some(Resolution::No), "{}", run.log);
}

#[test]
fn validation_rejects_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let (base, test_patch, gold) = make_repo(dir.path());
    let mut sandbox = LocalSandbox::start(dir.path(), LocalOptions::default()).unwrap();
    let mut check = |test_patch: &str, patch: &str, cmd: &str, require_p2p: bool| {
        let mut candidate = task(&base, test_patch, cmd);
        candidate.patch = patch.to_owned();
        sandbox.reset().unwrap();
        let options = ValidateOptions {
            require_pass_to_pass: require_p2p,
            ..options()
        };
        validate(&mut sandbox, &candidate, &options).unwrap()
    };
    let broken_test_patch = test_patch.replace("new file mode", "deleted file mode");
    assert_eq!(
        check(&broken_test_patch, &gold, BOTH, true).rejection,
        Some(Rejection::TestPatchDoesNotApply)
    );
    let bad_gold = gold.replace("return a + b", "return a * b * c");
    assert_eq!(
        check(&test_patch, &bad_gold, BOTH, true).rejection,
        Some(Rejection::CodePatchDoesNotApply)
    );
    // A "fix" that fixes nothing.
    let no_fix = gold.replace("+    return a - b", "+    return b + a");
    assert_eq!(
        check(&test_patch, &no_fix, BOTH, true).rejection,
        Some(Rejection::NoFailToPass)
    );
    // Only the new test runs: no PASS_TO_PASS, which is required by default and not otherwise.
    let only_sub = "python3 -m unittest -v tests.test_sub";
    let v = check(&test_patch, &gold, only_sub, true);
    assert_eq!(v.rejection, Some(Rejection::NoPassToPass));
    assert_eq!(v.fail_to_pass, [F2P]);
    let v = check(&test_patch, &gold, only_sub, false);
    assert_eq!(v.rejection, None);
    // Tests that never end.
    let slow = ValidateOptions {
        run: RunOptions {
            timeout: Duration::from_secs(1),
            ..RunOptions::default()
        },
        ..ValidateOptions::default()
    };
    let mut candidate = task(&base, &test_patch, "sleep 30");
    candidate.patch = gold.clone();
    sandbox.reset().unwrap();
    let v = validate(&mut sandbox, &candidate, &slow).unwrap();
    assert!(
        matches!(&v.rejection, Some(Rejection::NoTestResult { run, .. }) if run == "before"),
        "{:?}",
        v.rejection
    );
}

/// A test that passes on odd runs and fails on even ones: with repeated runs it is left out of
/// both lists, and the stable tests keep their places.
#[test]
fn validation_with_repeated_runs_leaves_flaky_tests_out() {
    let dir = tempfile::tempdir().unwrap();
    let (base, test_patch, gold) = make_repo(dir.path());
    commit_flaky_test(dir.path());
    // The sandbox holds the repository at its HEAD, one commit above `base`.
    let _ = base;
    let head = git(dir.path(), &["rev-parse", "HEAD"]).trim().to_owned();
    let mut candidate = task(
        &head,
        &test_patch,
        "python3 -m unittest -v tests.test_add tests.test_sub tests.test_flip",
    );
    candidate.patch = gold;
    let counter = tempfile::tempdir().unwrap();
    let mut options = options();
    options.runs = 2;
    options.run.env = vec![(
        "FLIP_COUNTER".to_owned(),
        counter.path().join("n").display().to_string(),
    )];
    let mut sandbox = LocalSandbox::start(dir.path(), LocalOptions::default()).unwrap();
    let v = validate(&mut sandbox, &candidate, &options).unwrap();
    assert_eq!(v.rejection, None, "{}", v.after_log);
    assert_eq!(v.flaky, ["test_flip (tests.test_flip.T.test_flip)"]);
    assert_eq!(v.fail_to_pass, [F2P]);
    assert_eq!(v.pass_to_pass, [P2P]);
}
