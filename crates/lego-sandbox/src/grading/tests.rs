use lego_data::Task;
use serde_json::json;

use super::*;

/// The status map of `log` under `parser`, as `(id, status)` pairs in order.
fn check(parser: LogParser, log: &str, expected: &[(&str, &str)]) {
    let got: Vec<(String, String)> = parser
        .parse(log)
        .into_iter()
        .map(|(k, v)| (k, v.to_string()))
        .collect();
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    assert_eq!(got, expected, "{parser} on {log:?}");
}

fn task(f2p: &[&str], p2p: &[&str]) -> Task {
    serde_json::from_value(json!({
        "instance_id": "o__r-1",
        "FAIL_TO_PASS": f2p,
        "PASS_TO_PASS": p2p,
    }))
    .unwrap()
}

fn marked(body: &str) -> String {
    format!("+ : '{START_TEST_OUTPUT}'\n{body}\n+ : '{END_TEST_OUTPUT}'\n")
}

#[test]
fn pytest_summary_lines() {
    check(
        LogParser::Pytest,
        "PASSED tests/a.py::test_ok\nFAILED tests/a.py::test_bad - AssertionError: x - y\n\
         SKIPPED [1] tests/a.py:3: no\nSKIPPED tests/a.py::test_s\nXFAIL tests/a.py::test_x - why\n\
         XPASS tests/a.py::test_xp\nERROR tests/a.py::test_e\nPASSED\n  PASSED tests/a.py::indented",
        &[
            ("tests/a.py::test_ok", "PASSED"),
            ("tests/a.py::test_bad", "FAILED"),
            ("tests/a.py::test_s", "SKIPPED"),
            ("tests/a.py::test_x", "XFAIL"),
            ("tests/a.py::test_e", "ERROR"),
        ],
    );
}

#[test]
fn pytest_cuts_ids_at_spaces_as_swebench_does() {
    check(
        LogParser::Pytest,
        "PASSED t.py::test_p[a b] \nPASSEDX t.py::odd",
        &[("t.py::test_p[a", "PASSED"), ("t.py::odd", "PASSEDX")],
    );
    check(
        LogParser::PytestV2,
        "\x1b[32mPASSED\x1b[0m t.py::test_p[a b]\nFAILED t.py::test_q[x - y] - boom\n\
         t.py::test_old PASSED",
        &[
            ("t.py::test_p[a b]", "PASSED"),
            ("t.py::test_q[x", "FAILED"),
            ("t.py::test_old", "PASSED"),
        ],
    );
}

#[test]
fn pytest_options_shortens_path_parameters() {
    check(
        LogParser::PytestOptions,
        "PASSED t.py::test_a[/tmp/x/y.txt]\nPASSED t.py::test_b[//net/x]\nPASSED t.py::test_c[a]b]z",
        &[
            ("t.py::test_a[/y.txt]", "PASSED"),
            ("t.py::test_b[//net/x]", "PASSED"),
            ("t.py::test_c[a]b]", "PASSED"),
        ],
    );
}

#[test]
fn django_runner_forms() {
    check(
        LogParser::Django,
        "test_a (m.T) ... ok\ntest_b (m.T) ... FAIL\ntest_c (m.T) ... skipped 'no'\n\
         test_d (m.T)\nDoc line of d. ... ok\ntest_e (m.T) ... printed\nok\n\
         test_f (m.T) ... ERROR\nFAIL: test_b (m.T)\n",
        &[
            ("test_a (m.T)", "PASSED"),
            ("test_b (m.T)", "FAILED"),
            ("test_c (m.T)", "SKIPPED"),
            ("Doc line of d.", "PASSED"),
            ("test_e (m.T)", "PASSED"),
            ("test_f (m.T)", "ERROR"),
            ("test_b", "FAILED"),
        ],
    );
}

#[test]
fn unittest_keys_by_the_test_line() {
    check(
        LogParser::Unittest,
        "test_a (m.T.test_a) ... ok\ntest_d (m.T.test_d)\nDoc line of d. ... FAIL\n\
         test_e (m.T.test_e) ... \nnoise\nok\ntest_x (m.T.test_x) ... expected failure\n\
         test_s (m.T.test_s) ... skipped 'why'\ntest_u (m.T.test_u) ... unexpected success\n\
         ERROR: test_a (m.T.test_a)",
        &[
            ("test_a (m.T.test_a)", "PASSED"),
            ("test_d (m.T.test_d)", "FAILED"),
            ("test_e (m.T.test_e)", "PASSED"),
            ("test_x (m.T.test_x)", "XFAIL"),
            ("test_s (m.T.test_s)", "SKIPPED"),
            ("test_u (m.T.test_u)", "FAILED"),
        ],
    );
}

#[test]
fn parser_choice() {
    let mut t = task(&[], &[]);
    assert_eq!(parser_for_task(&t).unwrap(), LogParser::Pytest);
    t.repo = "django/django".into();
    assert_eq!(parser_for_task(&t).unwrap(), LogParser::Django);
    t.extra
        .insert("log_parser".into(), json!("parse_log_astropy"));
    assert_eq!(parser_for_task(&t).unwrap(), LogParser::PytestV2);
    t.extra.insert("log_parser".into(), json!("parse_log_jest"));
    let err = parser_for_task(&t).unwrap_err().to_string();
    assert_eq!(err, "task o__r-1: no log parser named parse_log_jest");
    for p in LogParser::ALL {
        assert_eq!(LogParser::from_name(p.name()), Some(p));
    }
}

#[test]
fn grading_rules() {
    let log = marked(
        "PASSED t.py::a\nXFAIL t.py::b\nSKIPPED t.py::c\nFAILED t.py::d\nPASSED t.py::e[x-1]",
    );
    let t = task(
        &["t.py::a", "t.py::b", "t.py::c"],
        &["t.py::c", "t.py::e[x", "t.py::z"],
    );
    let g = grade(&t, &log, &GradeOptions::default()).unwrap();
    let tests = g.report.tests_status.clone().unwrap();
    assert_eq!(tests.fail_to_pass.success, ["t.py::a", "t.py::b"]);
    assert_eq!(tests.fail_to_pass.failure, ["t.py::c"]);
    assert_eq!(tests.pass_to_pass.success, ["t.py::c", "t.py::e[x"]);
    assert_eq!(tests.pass_to_pass.failure, ["t.py::z"]);
    assert_eq!(g.resolution, Some(Resolution::No));
    assert!(!g.report.resolved);

    let partial = task(&["t.py::a", "t.py::d"], &[]);
    let g = grade(&partial, &log, &GradeOptions::default()).unwrap();
    assert_eq!(g.resolution, Some(Resolution::Partial));
    let empty = task(&[], &[]);
    let g = grade(&empty, &log, &GradeOptions::default()).unwrap();
    assert_eq!(g.resolution, Some(Resolution::Full));
    assert!(g.report.resolved);
}

#[test]
fn logs_without_a_result_are_errors() {
    let body = "PASSED t.py::a";
    assert_eq!(
        logs_eval(
            &format!("{}{APPLY_PATCH_FAIL}", marked(body)),
            LogParser::Pytest
        ),
        Err(LogProblem::BadCode(APPLY_PATCH_FAIL))
    );
    assert_eq!(
        logs_eval(body, LogParser::Pytest),
        Err(LogProblem::NoMarkers)
    );
    assert_eq!(
        logs_eval(&marked("nothing"), LogParser::Pytest),
        Err(LogProblem::NoResults)
    );
    let exit = format!("{}{TEST_EXIT_CODE}: 2\n", marked(body));
    assert_eq!(
        logs_eval(&exit, LogParser::Pytest),
        Err(LogProblem::ExitCodeMismatch(2))
    );
    let failing = format!("{}{TEST_EXIT_CODE}: 1\n", marked("FAILED t.py::a"));
    assert!(logs_eval(&failing, LogParser::Pytest).is_ok());

    let t = task(&["t.py::a"], &[]);
    let g = grade(
        &t,
        &format!("{TESTS_TIMEOUT}\nKilled\n"),
        &GradeOptions::default(),
    )
    .unwrap();
    assert_eq!(g.resolution, None);
    assert_eq!(
        g.swebench_report(),
        json!({"o__r-1": {
            "patch_is_None": false, "patch_exists": true, "patch_successfully_applied": false,
            "resolved": false, "infra_failure": true, "infra_failure_reason": "out_of_memory",
        }})
    );
}

#[test]
fn report_shape_and_key_order() {
    let t = task(&["t.py::a"], &[]);
    let g = grade(&t, &marked("PASSED t.py::a"), &GradeOptions::default()).unwrap();
    let text = serde_json::to_string(&g.swebench_report()).unwrap();
    assert_eq!(
        text,
        r#"{"o__r-1":{"patch_is_None":false,"patch_exists":true,"patch_successfully_applied":true,"resolved":true,"infra_failure":false,"tests_status":{"FAIL_TO_PASS":{"success":["t.py::a"],"failure":[]},"PASS_TO_PASS":{"success":[],"failure":[]},"FAIL_TO_FAIL":{"success":[],"failure":[]},"PASS_TO_FAIL":{"success":[],"failure":[]}}}}"#
    );
    let none = GradeOptions {
        no_patch: true,
        ..GradeOptions::default()
    };
    let g = grade(&t, "", &none).unwrap();
    assert!(g.report.patch_is_none && !g.report.patch_exists);
}

#[test]
fn fail_only_counts_only_failed() {
    let sm = LogParser::Pytest.parse("FAILED t.py::a\nERROR t.py::b");
    let tests = eval_tests_report(
        &sm,
        &["t.py::a".into(), "t.py::b".into(), "t.py::missing".into()],
        &[],
        EvalType::FailOnly,
    );
    assert_eq!(tests.fail_to_pass.failure, ["t.py::a"]);
    assert_eq!(tests.fail_to_pass.success, ["t.py::b", "t.py::missing"]);
}

#[test]
fn eval_script_has_swebench_shape() {
    let mut t = task(&[], &[]);
    t.base_commit = "abc123".into();
    t.test_patch = "diff --git a/tests/test x.py b/tests/test x.py\n--- a/tests/test x.py\n\
                    +++ b/tests/test x.py\n@@ -0,0 +1 @@\n+EOF_LEGO\n"
        .into();
    let script = eval_script(&t, "pytest -rA");
    let expected = "set -uxo pipefail\n\
        cd /testbed\n\
        git checkout abc123 -- 'tests/test x.py'\n\
        git apply -v <<'EOF_LEGO'\n\
        diff --git a/tests/test x.py b/tests/test x.py\n--- a/tests/test x.py\n\
        +++ b/tests/test x.py\n@@ -0,0 +1 @@\n+EOF_LEGO\n\
        EOF_LEGO\n\
        : '>>>>> Start Test Output'\n\
        pytest -rA 'tests/test x.py'\n\
        SWEBENCH_TEST_EXIT_CODE=$?\n\
        : '>>>>> End Test Output'\n\
        echo \">>>>> Test Exit Code: $SWEBENCH_TEST_EXIT_CODE\"\n\
        git checkout abc123 -- 'tests/test x.py'\n";
    assert_eq!(script, expected);

    t.test_cmd = Some("python -m unittest -v".into());
    t.base_commit.clear();
    t.test_patch.clear();
    let script = eval_script(&t, "pytest -rA");
    assert!(!script.contains("git checkout") && !script.contains("git apply"));
    assert!(script.contains("\npython -m unittest -v\n"));
}

#[test]
fn here_document_delimiter_is_no_line_of_the_input() {
    let text = super::run::with_stdin("cat", "EOF_LEGO\nEOF_LEGO_1\nx");
    assert_eq!(
        text,
        "cat <<'EOF_LEGO_2'\nEOF_LEGO\nEOF_LEGO_1\nx\nEOF_LEGO_2"
    );
}

#[test]
fn patch_files_in_order_once() {
    let patch = "diff --git a/a.py b/a.py\n--- a/a.py\n+++ b/a.py\n\
                 diff --git a/old.txt b/new.txt\ndiff --git a/a.py b/a.py\n";
    assert_eq!(patch_files(patch), ["a.py", "new.txt"]);
}

#[test]
fn flaky_tests_are_those_whose_outcome_changes() {
    let a = LogParser::Pytest
        .parse("PASSED t::a\nPASSED t::b\nFAILED t::c\nSKIPPED t::d\nPASSED t::e\nERROR t::f");
    let b = LogParser::Pytest
        .parse("XFAIL t::a\nFAILED t::b\nERROR t::c\nSKIPPED t::d\nPASSED t::g\nFAILED t::f");
    let s = stability(&[a.clone(), b]);
    let stable: Vec<(&str, &str)> = s
        .stable
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(
        stable,
        [
            ("t::a", "PASSED"),
            ("t::c", "FAILED"),
            ("t::d", "SKIPPED"),
            ("t::f", "ERROR")
        ]
    );
    assert_eq!(s.flaky, ["t::b", "t::e", "t::g"]);
    assert_eq!(stability(std::slice::from_ref(&a)).stable, a);
    assert_eq!(stability(&[]), Stability::default());
}
