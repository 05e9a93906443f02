//! SWE-bench's grading (5.0.2, `swebench/harness/grading.py`): from a test log and a task's
//! `FAIL_TO_PASS`/`PASS_TO_PASS` to the per-instance report.

use std::borrow::Cow;
use std::sync::LazyLock;

use lego_data::Task;
use regex::Regex;
use serde::Serialize;
use serde_json::Value;

use super::parsers::{LogParser, StatusMap, TestStatus};
use crate::error::{Error, Result};

/// The line the eval script prints before the test command's output.
pub const START_TEST_OUTPUT: &str = ">>>>> Start Test Output";
/// The line the eval script prints after it.
pub const END_TEST_OUTPUT: &str = ">>>>> End Test Output";
/// Followed by `: N`, the test command's own exit status, after [`END_TEST_OUTPUT`].
pub const TEST_EXIT_CODE: &str = ">>>>> Test Exit Code";
/// The candidate patch applied by none of the ways tried.
pub const APPLY_PATCH_FAIL: &str = ">>>>> Patch Apply Failed";
/// The candidate patch applied.
pub const APPLY_PATCH_PASS: &str = ">>>>> Applied Patch";
/// The repository could not be reset.
pub const RESET_FAILED: &str = ">>>>> Reset Failed";
/// The tests could not be run.
pub const TESTS_ERROR: &str = ">>>>> Tests Errored";
/// The tests ran past their timeout.
pub const TESTS_TIMEOUT: &str = ">>>>> Tests Timed Out";

/// How tests are judged (SWE-bench's `EvalType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EvalType {
    /// A test passes when PASSED or XFAIL, fails when FAILED, ERROR or missing (and, for
    /// FAIL_TO_PASS only, SKIPPED).
    #[default]
    PassAndFail,
    /// Only a test recorded as FAILED fails; anything else, missing included, passes.
    FailOnly,
}

impl EvalType {
    /// `pass_and_fail` or `fail_only`, SWE-bench's spelling.
    pub fn from_name(name: &str) -> Option<EvalType> {
        match name {
            "pass_and_fail" => Some(EvalType::PassAndFail),
            "fail_only" => Some(EvalType::FailOnly),
            _ => None,
        }
    }
}

/// Why a log gives no result: SWE-bench reports such an instance as an error, never as
/// unresolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogProblem {
    /// One of the failure markers ([`APPLY_PATCH_FAIL`], [`RESET_FAILED`], [`TESTS_ERROR`],
    /// [`TESTS_TIMEOUT`]) is in the log; the first of them in that order.
    BadCode(&'static str),
    /// The start or end marker is missing.
    NoMarkers,
    /// No test result could be read and nothing says a test suite ran.
    NoResults,
    /// The test command exited with this non-zero code, yet the log records no failure or
    /// error: the log does not describe the run that happened.
    ExitCodeMismatch(i64),
}

/// The `success`/`failure` lists of one category.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Outcome {
    /// The tests of the category that passed (or kept passing).
    pub success: Vec<String>,
    /// The tests of the category that failed.
    pub failure: Vec<String>,
}

/// SWE-bench's `tests_status`: a test of a category that neither passed nor failed (an unknown
/// status) is in neither list, as in SWE-bench.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TestsStatus {
    /// The tests the fix must make pass.
    #[serde(rename = "FAIL_TO_PASS")]
    pub fail_to_pass: Outcome,
    /// The tests that must keep passing.
    #[serde(rename = "PASS_TO_PASS")]
    pub pass_to_pass: Outcome,
    /// Always empty: SWE-bench's reports never compute it.
    #[serde(rename = "FAIL_TO_FAIL")]
    pub fail_to_fail: Outcome,
    /// Always empty, as [`TestsStatus::fail_to_fail`].
    #[serde(rename = "PASS_TO_FAIL")]
    pub pass_to_fail: Outcome,
}

/// `get_resolution_status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Resolution {
    /// Every FAIL_TO_PASS and every PASS_TO_PASS test passes (an empty list passes).
    #[serde(rename = "RESOLVED_FULL")]
    Full,
    /// Some but not all FAIL_TO_PASS tests pass, and every PASS_TO_PASS test does.
    #[serde(rename = "RESOLVED_PARTIAL")]
    Partial,
    /// Some PASS_TO_PASS test fails, or no FAIL_TO_PASS test passes.
    #[serde(rename = "RESOLVED_NO")]
    No,
}

/// SWE-bench's per-instance report, its fields in `get_eval_report`'s order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct InstanceReport {
    /// The prediction had no patch at all (`model_patch: null`).
    #[serde(rename = "patch_is_None")]
    pub patch_is_none: bool,
    /// The prediction had a patch (possibly empty: SWE-bench's rule).
    pub patch_exists: bool,
    /// True when the log gave a result (SWE-bench's name: a log with no result is taken for a
    /// patch that did not apply, whatever the reason).
    pub patch_successfully_applied: bool,
    /// Every FAIL_TO_PASS and PASS_TO_PASS test passes ([`Resolution::Full`]).
    pub resolved: bool,
    /// A log with no result that shows an environment fault (advisory, `resolved` stays false).
    pub infra_failure: bool,
    /// Which fault signature the log shows, when it gave no result and shows one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub infra_failure_reason: Option<String>,
    /// Absent when the log gave no result.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tests_status: Option<TestsStatus>,
}

/// How [`grade`] judges a log.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GradeOptions {
    /// The prediction had no patch at all (`model_patch: null`): SWE-bench reports
    /// `patch_is_None` and reads no log.
    pub no_patch: bool,
    /// The parser to use instead of the task's ([`parser_for_task`]).
    pub parser: Option<LogParser>,
    /// The evaluation type instead of the task's (`eval_type` in its extra fields, else
    /// [`EvalType::PassAndFail`]).
    pub eval_type: Option<EvalType>,
}

/// Everything [`grade`] found: SWE-bench's report and what lego keeps beside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grade {
    /// The task's id, the report's key.
    pub instance_id: String,
    /// SWE-bench's per-instance report.
    pub report: InstanceReport,
    /// What the parser read (empty when the log gave no result).
    pub status_map: StatusMap,
    /// `None` when there is no result: an error, not an unresolved instance.
    pub resolution: Option<Resolution>,
    /// Why the log gave no result.
    pub log_problem: Option<LogProblem>,
    /// The parser that read the log.
    pub parser: LogParser,
}

impl Grade {
    /// SWE-bench's report JSON: `{instance_id: {patch_is_None, ..., tests_status}}`.
    pub fn swebench_report(&self) -> Value {
        let mut map = serde_json::Map::new();
        map.insert(
            self.instance_id.clone(),
            serde_json::to_value(&self.report).expect("a report serialises"),
        );
        Value::Object(map)
    }
}

/// The parser of a task: its `log_parser` field (a SWE-bench registry name such as
/// `parse_log_django`, or lego's short name such as `unittest`), else SWE-bench's parser of its
/// repository, else pytest's.
pub fn parser_for_task(task: &Task) -> Result<LogParser> {
    match task.extra.get("log_parser") {
        Some(Value::String(name)) if !name.is_empty() => {
            LogParser::from_name(name).ok_or_else(|| Error::UnknownLogParser {
                instance_id: task.instance_id.clone(),
                name: name.clone(),
            })
        }
        Some(Value::String(_)) | Some(Value::Null) | None => {
            Ok(LogParser::for_repo(&task.repo).unwrap_or(LogParser::Pytest))
        }
        Some(other) => Err(Error::UnknownLogParser {
            instance_id: task.instance_id.clone(),
            name: other.to_string(),
        }),
    }
}

fn eval_type_for_task(task: &Task) -> Result<EvalType> {
    match task.extra.get("eval_type") {
        None | Some(Value::Null) => Ok(EvalType::PassAndFail),
        Some(Value::String(s)) if s.is_empty() => Ok(EvalType::PassAndFail),
        Some(Value::String(s)) => EvalType::from_name(s).ok_or_else(|| Error::InvalidTask {
            instance_id: task.instance_id.clone(),
            message: format!("eval_type {s:?} is neither pass_and_fail nor fail_only"),
        }),
        Some(other) => Err(Error::InvalidTask {
            instance_id: task.instance_id.clone(),
            message: format!("eval_type {other} is not a string"),
        }),
    }
}

/// Grades one test log of a task as SWE-bench's `get_eval_report` does.
///
/// SWE-bench reads the log from a file in Python's text mode, which turns `\r\n` and a lone
/// `\r` into `\n` (progress output that redraws its line splits there); so does this.
pub fn grade(task: &Task, log: &str, options: &GradeOptions) -> Result<Grade> {
    let log = &*python_text_mode(log);
    let parser = match options.parser {
        Some(p) => p,
        None => parser_for_task(task)?,
    };
    let eval_type = match options.eval_type {
        Some(t) => t,
        None => eval_type_for_task(task)?,
    };
    let mut grade = Grade {
        instance_id: task.instance_id.clone(),
        report: InstanceReport::default(),
        status_map: StatusMap::new(),
        resolution: None,
        log_problem: None,
        parser,
    };
    if options.no_patch {
        grade.report.patch_is_none = true;
        return Ok(grade);
    }
    grade.report.patch_exists = true;
    match logs_eval(log, parser) {
        Err(problem) => {
            if let Some((reason, tier)) = classify_infra_failure(log) {
                grade.report.infra_failure = tier == InfraTier::Environment;
                grade.report.infra_failure_reason = Some(reason.to_owned());
            }
            grade.log_problem = Some(problem);
        }
        Ok(status_map) => {
            grade.report.patch_successfully_applied = true;
            let tests = eval_tests_report(
                &status_map,
                &task.fail_to_pass,
                &task.pass_to_pass,
                eval_type,
            );
            let resolution = resolution_status(&tests);
            grade.report.resolved = resolution == Resolution::Full;
            grade.report.tests_status = Some(tests);
            grade.resolution = Some(resolution);
            grade.status_map = status_map;
        }
    }
    Ok(grade)
}

/// SWE-bench's `get_logs_eval`: the status map of a log, or why it has none.
///
/// The log is taken as Python's text mode reads it from a file (see [`grade`]).
/// The part between the first [`START_TEST_OUTPUT`] and the next [`END_TEST_OUTPUT`] is
/// parsed, the whole log when that part gives nothing. A log with no result and no sign that a
/// suite ran, or whose recorded exit code is non-zero with no FAILED or ERROR test, has none.
pub fn logs_eval(log: &str, parser: LogParser) -> Result<StatusMap, LogProblem> {
    let log = &*python_text_mode(log);
    for code in [APPLY_PATCH_FAIL, RESET_FAILED, TESTS_ERROR, TESTS_TIMEOUT] {
        if log.contains(code) {
            return Err(LogProblem::BadCode(code));
        }
    }
    if !(log.contains(START_TEST_OUTPUT) && log.contains(END_TEST_OUTPUT)) {
        return Err(LogProblem::NoMarkers);
    }
    // `content.split(START)[1].split(END)[0]`: up to a second START marker, if any, too.
    let after_start = log.split(START_TEST_OUTPUT).nth(1).unwrap_or("");
    let sliced = after_start.split(END_TEST_OUTPUT).next().unwrap_or("");
    let mut status_map = parser.parse(sliced);
    if status_map.is_empty() {
        // Some runners print results outside the markers (stdout/stderr ordering).
        status_map = parser.parse(log);
    }
    if status_map.is_empty() && !suite_ran(log) {
        return Err(LogProblem::NoResults);
    }
    if let Some(code) = test_exit_code(log)
        && code != 0
        && !status_map.is_empty()
        && !status_map
            .values()
            .any(|s| matches!(s, TestStatus::Failed | TestStatus::Error))
    {
        return Err(LogProblem::ExitCodeMismatch(code));
    }
    Ok(status_map)
}

/// Python's universal newlines: `\r\n` and `\r` read as `\n`.
fn python_text_mode(text: &str) -> Cow<'_, str> {
    if text.contains('\r') {
        Cow::Owned(text.replace("\r\n", "\n").replace('\r', "\n"))
    } else {
        Cow::Borrowed(text)
    }
}

/// `SUITE_RAN`: evidence that a runner executed at least one test (for runners whose parsers
/// record failures only).
fn suite_ran(log: &str) -> bool {
    static SUITE_RAN: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(concat!(
            r"(?m)Executed [1-9]\d* of \d+",
            r"|TOTAL: [1-9]\d* (?:SUCCESS|FAILED)",
            r"|[1-9]\d* passing",
            r"|Tests:\s+[1-9]\d*",
            r"|Test Suites:\s+(?:\d+ \w+, )*[1-9]\d* total",
            r"|^# tests [1-9]\d*",
            r"|[1-9]\d* specs?, \d+ failures?",
            r"|': ok$",
        ))
        .expect("a valid regex")
    });
    SUITE_RAN.is_match(log)
}

/// The exit code recorded after [`TEST_EXIT_CODE`], the first one in the log. A number too big
/// for an `i64`, or written in non-ASCII digits (which Python's `int()` would read), counts as
/// non-zero: whether it is zero is all grading asks.
pub fn test_exit_code(log: &str) -> Option<i64> {
    static EXIT: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(&format!(r"{}:\s*(-?\d+)", regex::escape(TEST_EXIT_CODE)))
            .expect("a valid regex")
    });
    let text = EXIT.captures(log)?.get(1)?.as_str();
    Some(text.parse().unwrap_or(if text.starts_with('-') {
        i64::MIN
    } else {
        i64::MAX
    }))
}

/// `_resolve_case`: the key of `case` in the status map, tolerating ids cut short inside
/// their parametrisation (more `[` than `]`): then the first key that starts with `case`, when
/// every such key agrees on passing or not.
pub fn resolve_case<'m>(case: &str, status_map: &'m StatusMap) -> Option<&'m str> {
    if let Some((key, _)) = status_map.get_key_value(case) {
        return Some(key);
    }
    if case.matches('[').count() > case.matches(']').count() {
        let mut matches = status_map.iter().filter(|(k, _)| k.starts_with(case));
        let (first, status) = matches.next()?;
        let passing = status.is_pass();
        if matches.all(|(_, s)| s.is_pass() == passing) {
            return Some(first);
        }
    }
    None
}

/// `test_passed`: PASSED or XFAIL.
pub fn test_passed(case: &str, status_map: &StatusMap) -> bool {
    resolve_case(case, status_map).is_some_and(|k| status_map[k].is_pass())
}

/// `test_maintained`: passed, or SKIPPED (for PASS_TO_PASS a skip is no regression).
pub fn test_maintained(case: &str, status_map: &StatusMap) -> bool {
    test_passed(case, status_map)
        || resolve_case(case, status_map).is_some_and(|k| status_map[k] == TestStatus::Skipped)
}

/// `test_failed`: missing, FAILED, ERROR or SKIPPED.
pub fn test_failed(case: &str, status_map: &StatusMap) -> bool {
    resolve_case(case, status_map).is_none_or(|k| {
        matches!(
            status_map[k],
            TestStatus::Failed | TestStatus::Error | TestStatus::Skipped
        )
    })
}

/// `get_eval_tests_report` (without the never-used `calculate_to_fail`).
pub fn eval_tests_report(
    status_map: &StatusMap,
    fail_to_pass: &[String],
    pass_to_pass: &[String],
    eval_type: EvalType,
) -> TestsStatus {
    let fail_only = |case: &str, out: &mut Outcome| {
        if status_map.get(case) == Some(&TestStatus::Failed) {
            out.failure.push(case.to_owned());
        } else {
            out.success.push(case.to_owned());
        }
    };
    let mut tests = TestsStatus::default();
    for case in fail_to_pass {
        match eval_type {
            EvalType::FailOnly => fail_only(case, &mut tests.fail_to_pass),
            EvalType::PassAndFail => {
                if test_passed(case, status_map) {
                    tests.fail_to_pass.success.push(case.clone());
                } else if test_failed(case, status_map) {
                    tests.fail_to_pass.failure.push(case.clone());
                }
            }
        }
    }
    for case in pass_to_pass {
        match eval_type {
            EvalType::FailOnly => fail_only(case, &mut tests.pass_to_pass),
            EvalType::PassAndFail => {
                if test_maintained(case, status_map) {
                    tests.pass_to_pass.success.push(case.clone());
                } else if test_failed(case, status_map) {
                    tests.pass_to_pass.failure.push(case.clone());
                }
            }
        }
    }
    tests
}

/// `get_resolution_status`: a category with no test counts as fully passing.
pub fn resolution_status(tests: &TestsStatus) -> Resolution {
    let ratio = |o: &Outcome| (o.success.len(), o.success.len() + o.failure.len());
    let (f2p_ok, f2p_all) = ratio(&tests.fail_to_pass);
    let (p2p_ok, p2p_all) = ratio(&tests.pass_to_pass);
    let f2p_full = f2p_ok == f2p_all;
    let p2p_full = p2p_ok == p2p_all;
    if f2p_full && p2p_full {
        Resolution::Full
    } else if f2p_ok > 0 && p2p_full {
        Resolution::Partial
    } else {
        Resolution::No
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum InfraTier {
    Environment,
    Ambiguous,
}

/// `classify_text` of `swebench/harness/infra_failure.py`: the first fault signature the log
/// shows.
fn classify_infra_failure(log: &str) -> Option<(&'static str, InfraTier)> {
    use InfraTier::{Ambiguous, Environment};
    static SIGNATURES: LazyLock<Vec<(&'static str, InfraTier, Regex)>> = LazyLock::new(|| {
        [
            (
                "browser_launch_failed",
                Environment,
                r"Failed to launch|Failed to connect to the bus",
            ),
            (
                "display_unavailable",
                Environment,
                r"cannot open display|Missing X server|unable to open X display",
            ),
            (
                "out_of_memory",
                Environment,
                r"Cannot allocate memory|OutOfMemoryError|^Killed$",
            ),
            (
                "container_unavailable",
                Environment,
                r"Error response from daemon|Cannot connect to the Docker daemon",
            ),
            (
                "network_unreachable",
                Environment,
                r"Could not resolve host|Temporary failure in name resolution",
            ),
            (
                "missing_module",
                Ambiguous,
                r"Cannot find module|MODULE_NOT_FOUND|ModuleNotFoundError",
            ),
            (
                "no_tests_collected",
                Ambiguous,
                r"no tests ran|collected 0 items",
            ),
            (
                "tests_timed_out",
                Ambiguous,
                r"Timeout error: \d+ seconds exceeded",
            ),
        ]
        .into_iter()
        .map(|(reason, tier, pattern)| {
            let re = Regex::new(&format!("(?m){pattern}")).expect("a valid regex");
            (reason, tier, re)
        })
        .collect()
    });
    SIGNATURES
        .iter()
        .find(|(_, _, re)| re.is_match(log))
        .map(|(reason, tier, _)| (*reason, *tier))
}
