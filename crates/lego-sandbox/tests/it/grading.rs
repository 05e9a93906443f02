//! Parsers and grading against the `swebench` package, on real logs of real projects
//! (`tests/data/logs/make_logs.py`) and hand-made edge logs (`tests/data/logs/edge/`).
//!
//! `tests/data/swebench_expected.json` holds what `swebench` 5.0.2 makes of every log and case
//! (`tests/parity/swebench_grade.py`); lego is checked against it always, and the file is
//! checked against `swebench` itself where the bootstrap venv is there.
//! `LEGO_UPDATE_EXPECT=1` rewrites it from `swebench`.

use std::path::Path;
use std::process::Command;

use lego_sandbox::{LogParser, grade, parse_django, parse_unittest};
use serde_json::{Value, json};

use crate::cases::{GradingCase, grading_cases};
use crate::fixture;

fn read_log(rel: &str) -> String {
    let path = fixture("logs").join(rel);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn expected() -> Value {
    let text = std::fs::read_to_string(fixture("swebench_expected.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// What `swebench` makes of the fixtures, from the parity script.
fn swebench_output(python: &Path) -> (String, Value) {
    let out = Command::new(python)
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/parity/swebench_grade.py"))
        .arg(fixture("grading_cases.json"))
        .arg(fixture("logs"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "swebench_grade.py failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let value = serde_json::from_str(&text).unwrap();
    (text, value)
}

#[test]
fn expected_file_is_what_swebench_says() {
    let Some(python) = lego_testkit::python("expected_file_is_what_swebench_says") else {
        return;
    };
    let fresh = swebench_output(&python);
    if std::env::var_os("LEGO_UPDATE_EXPECT").is_some_and(|v| v == "1") {
        std::fs::write(fixture("swebench_expected.json"), &fresh.0).unwrap();
        return;
    }
    assert!(
        fresh.1 == expected(),
        "tests/data/swebench_expected.json is not what swebench says; rerun with \
         LEGO_UPDATE_EXPECT=1 after checking why"
    );
}

#[test]
fn status_maps_match_swebench_on_every_log_and_parser() {
    let expected = expected();
    let mut compared = 0;
    let mut entries = 0;
    for (log, maps) in expected["parsers"].as_object().unwrap() {
        let text = read_log(log);
        for (name, index) in maps.as_object().unwrap() {
            let want = &expected["maps"][index.as_u64().unwrap() as usize];
            let parser = LogParser::from_name(name).unwrap();
            let got: Vec<Value> = parser
                .parse(&text)
                .iter()
                .map(|(k, v)| json!([k, v.as_str()]))
                .collect();
            assert_eq!(&Value::Array(got), want, "{parser} on {log}");
            compared += 1;
            entries += want.as_array().unwrap().len();
        }
    }
    eprintln!("status maps: {compared} (log, parser) pairs, {entries} entries, all equal");
    assert!(compared >= 7 * 20, "only {compared} pairs compared");
}

#[test]
fn reports_match_swebench_on_every_case() {
    let expected = expected();
    let cases = grading_cases();
    for GradingCase {
        name,
        task,
        options,
        log,
    } in &cases
    {
        let g = grade(task, log, options).unwrap();
        let want = &expected["reports"][name];
        assert_eq!(g.swebench_report(), want["report"], "report of {name}");
        // The key order too: SWE-bench's reports are compared as text by some tools.
        assert_eq!(
            serde_json::to_string(&g.swebench_report()).unwrap(),
            serde_json::to_string(&want["report"]).unwrap(),
            "key order of {name}"
        );
        let resolution = g.resolution.map(|r| serde_json::to_value(r).unwrap());
        assert_eq!(
            resolution.unwrap_or(Value::Null),
            want["resolution"],
            "resolution of {name}"
        );
    }
    eprintln!("reports: {} cases, all equal", cases.len());
}

/// lego's unittest parser has no `swebench` original: on the real unittest and Django logs it
/// finds every test the runner says it ran, keyed by the test's own line, and agrees with
/// SWE-bench's Django parser wherever that one keys a test the same way.
#[test]
fn unittest_parser_finds_every_test_that_ran() {
    for log in ["simplejson_unittest.log", "django_runtests.log"] {
        let text = read_log(log);
        // The runner's own count: "Ran 77 tests in 0.125s".
        let ran: usize = text
            .lines()
            .find_map(|l| l.strip_prefix("Ran ")?.split(' ').next()?.parse().ok())
            .unwrap();
        let ours = parse_unittest(&text);
        assert_eq!(ours.len(), ran, "{log}: {ours:#?}");
        let django = parse_django(&text);
        let mut shared = 0;
        for (id, status) in &ours {
            assert!(id.starts_with("test"), "{log}: {id}");
            if let Some(theirs) = django.get(id) {
                assert_eq!(status, theirs, "{log}: {id}");
                shared += 1;
            }
        }
        assert!(shared > ran / 2, "{log}: only {shared} shared ids");
    }
    let edge = parse_unittest(&read_log("edge/unittest_edge.log"));
    let got: Vec<(&str, &str)> = edge.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    assert_eq!(
        got,
        [
            ("test_ok (pkg.tests.T)", "PASSED"),
            ("test_doc (pkg.tests.T)", "PASSED"),
            ("test_out (pkg.tests.T.test_out)", "FAILED"),
            ("test_xf (pkg.tests.T.test_xf)", "XFAIL"),
            ("test_us (pkg.tests.T.test_us)", "FAILED"),
            ("test_sk (pkg.tests.T.test_sk)", "SKIPPED"),
            ("test_err (pkg.tests.T.test_err)", "ERROR"),
        ]
    );
}
