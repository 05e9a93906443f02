use lego_data::{Outcome, Task, TestPatterns};
use lego_sandbox::{APPLY_PATCH_FAIL, END_TEST_OUTPUT, GradeOptions, START_TEST_OUTPUT, grade};
use serde_json::json;

use super::{code_changes, outcome};

/// One file's section of a git diff changing `line` into `new`.
fn section(path: &str, old: &str, new: &str) -> String {
    format!(
        "diff --git a/{path} b/{path}\nindex 1111111..2222222 100644\n--- a/{path}\n+++ b/{path}\n\
         @@ -1,2 +1,2 @@\n context\n-{old}\n+{new}\n"
    )
}

fn binary(path: &str) -> String {
    format!(
        "diff --git a/{path} b/{path}\nindex 1111111..2222222 100644\n\
         Binary files a/{path} and b/{path} differ\n"
    )
}

fn git_binary(path: &str) -> String {
    format!(
        "diff --git a/{path} b/{path}\nnew file mode 100644\nindex 0000000..2222222\n\
         GIT binary patch\nliteral 4\nLcmZ?d00001\n\nliteral 0\nHcmV?d00001\n\n"
    )
}

fn check_code_changes(diff: &[String], tests: &TestPatterns, expected: &[String]) {
    assert_eq!(code_changes(&diff.concat(), tests), expected.concat());
}

#[test]
fn code_changes_drops_test_files_and_binary_sections() {
    let calc = section("calc.py", "return a - b", "return a + b");
    let util = section("pkg/util.py", "x = 1", "x = 2");
    // A content line that reads like a binary marker is not one: it is prefixed.
    let marker = section("notes.py", "Binary files differ", "GIT binary patch");
    let tests_dir = section("tests/test_calc.py", "assert 0", "assert 1");
    let nested = section("pkg/tests/data.json", "{}", "[]");
    let test_name = section("test_calc.py", "a", "b");
    let conftest = section("conftest.py", "a", "b");
    let default = TestPatterns::default();
    let cases: Vec<(Vec<String>, &TestPatterns, Vec<String>)> = vec![
        (vec![], &default, vec![]),
        (vec![calc.clone()], &default, vec![calc.clone()]),
        (
            vec![
                tests_dir.clone(),
                calc.clone(),
                binary("logo.png"),
                nested.clone(),
                util.clone(),
                git_binary("data.bin"),
                test_name.clone(),
                conftest.clone(),
                marker.clone(),
            ],
            &default,
            vec![calc.clone(), util.clone(), marker.clone()],
        ),
        // Only tests and binaries: nothing for the grader.
        (
            vec![tests_dir.clone(), binary("a.png"), git_binary("b.bin")],
            &default,
            vec![],
        ),
    ];
    for (diff, tests, expected) in cases {
        check_code_changes(&diff, tests, &expected);
    }
    // The patterns decide what a test is.
    let spec = TestPatterns::new(["spec/"]).unwrap();
    check_code_changes(
        &[
            tests_dir.clone(),
            section("spec/a.py", "a", "b"),
            calc.clone(),
        ],
        &spec,
        &[tests_dir, calc],
    );
}

fn task(fail_to_pass: &[&str], gold: &str) -> Task {
    serde_json::from_value(json!({
        "instance_id": "demo__calc-1",
        "patch": gold,
        "FAIL_TO_PASS": fail_to_pass,
        "PASS_TO_PASS": ["tests/test_calc.py::test_add"],
    }))
    .unwrap()
}

/// A test log between SWE-bench's markers, pytest's `-rA` summary lines.
fn log(lines: &[&str]) -> String {
    format!(
        "+ : '{START_TEST_OUTPUT}'\n{}\n+ : '{END_TEST_OUTPUT}'\n",
        lines.join("\n")
    )
}

fn check_outcome(task: &Task, final_patch: &str, log: &str, expected: Outcome) {
    let grade = grade(task, log, &GradeOptions::default()).unwrap();
    assert_eq!(
        outcome(task, final_patch, &grade),
        expected,
        "patch:\n{final_patch}\nlog:\n{log}\ngrade: {:?}",
        grade.resolution
    );
}

#[test]
fn outcome_grades_resolved_semi_resolved_unresolved_and_error() {
    let calc = section("calc.py", "return a - b", "return a + b");
    let util = section("pkg/util.py", "x = 1", "x = 2");
    let other = section("other.py", "a", "b");
    let gold = [calc.clone(), util.clone()].concat();
    let one = task(&["tests/test_calc.py::test_sub"], &gold);
    let two = task(
        &[
            "tests/test_calc.py::test_sub",
            "tests/test_calc.py::test_mul",
        ],
        &gold,
    );
    let no_gold = task(&["tests/test_calc.py::test_sub"], "");
    let all_pass = log(&[
        "PASSED tests/test_calc.py::test_add",
        "PASSED tests/test_calc.py::test_sub",
        "PASSED tests/test_calc.py::test_mul",
    ]);
    let f2p_fails = log(&[
        "PASSED tests/test_calc.py::test_add",
        "FAILED tests/test_calc.py::test_sub - assert 1 == 3",
    ]);
    let p2p_fails = log(&[
        "FAILED tests/test_calc.py::test_add - assert 0",
        "PASSED tests/test_calc.py::test_sub",
    ]);
    let partial = log(&[
        "PASSED tests/test_calc.py::test_add",
        "PASSED tests/test_calc.py::test_sub",
        "FAILED tests/test_calc.py::test_mul - assert 0",
    ]);
    let every_gold_file = [other.clone(), util.clone(), calc.clone()].concat();
    let cases: Vec<(&Task, String, String, Outcome)> = vec![
        (&one, gold.clone(), all_pass.clone(), Outcome::Resolved),
        // Resolution is the tests' word, whatever files the patch touches.
        (&one, other.clone(), all_pass.clone(), Outcome::Resolved),
        // Every gold file edited (in any order, with more), tests still failing.
        (
            &one,
            every_gold_file.clone(),
            f2p_fails.clone(),
            Outcome::SemiResolved,
        ),
        (&one, gold.clone(), p2p_fails.clone(), Outcome::SemiResolved),
        (&two, gold.clone(), partial.clone(), Outcome::SemiResolved),
        // Some gold file not edited, or nothing edited.
        (&one, calc.clone(), f2p_fails.clone(), Outcome::Unresolved),
        (&two, util.clone(), partial.clone(), Outcome::Unresolved),
        (&one, String::new(), f2p_fails.clone(), Outcome::Unresolved),
        // Without a gold patch nothing can be semi-resolved.
        (
            &no_gold,
            other.clone(),
            f2p_fails.clone(),
            Outcome::Unresolved,
        ),
        // No result from the log.
        (
            &one,
            gold.clone(),
            "no markers here\n".to_owned(),
            Outcome::Error,
        ),
        (
            &one,
            gold.clone(),
            format!("{APPLY_PATCH_FAIL}:\nerror: patch failed\n"),
            Outcome::Error,
        ),
        (&one, gold.clone(), log(&[]), Outcome::Error),
    ];
    for (task, patch, log, expected) in cases {
        check_outcome(task, &patch, &log, expected);
    }
}
