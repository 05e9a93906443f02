//! Running a task's tests in a sandbox the way SWE-bench's harness does, and grading the log.
//!
//! The candidate patch goes in first, tried as SWE-bench's `run_evaluation.py` tries it
//! (`git apply --verbose`, then `--3way`, then `--reject`, then `patch --batch --forward
//! --fuzz=5 -p1`, the tree restored between tries, and at last `git apply --check --reverse`
//! for a patch the tries left applied). Then the eval script, in the shape of SWE-bench's
//! `make_eval_script_list` (`set -uxo pipefail`; the test files reset to the base commit; the
//! test patch applied with `git apply -v` from a here-document; the test command between
//! `: '>>>>> Start Test Output'` and `: '>>>>> End Test Output'`, whose `set -x` trace is the
//! marker; its exit code recorded after the end marker; the test files reset again).

use std::time::{Duration, Instant};

use lego_data::Task;

use super::grade::{
    APPLY_PATCH_FAIL, APPLY_PATCH_PASS, END_TEST_OUTPUT, Grade, GradeOptions, START_TEST_OUTPUT,
    TEST_EXIT_CODE, TESTS_TIMEOUT, grade,
};
use super::parsers::LogParser;
use crate::error::Result;
use crate::sandbox::{ExecOptions, Sandbox, TESTBED};

/// The shell variable the eval script keeps the test command's exit code in (SWE-bench's).
const TEST_EXIT_CODE_VAR: &str = "SWEBENCH_TEST_EXIT_CODE";

/// The ways a candidate patch is tried, in order (SWE-bench's `GIT_APPLY_CMDS`), each reading
/// the patch from standard input.
pub const APPLY_COMMANDS: [&str; 4] = [
    "git apply --verbose",
    "git apply --verbose --3way",
    "git apply --verbose --reject",
    "patch --batch --forward --fuzz=5 -p1",
];

/// How [`run_tests`] runs a task's tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunOptions {
    /// Wall-clock limit of the eval script (SWE-bench's default: 1800 s).
    pub timeout: Duration,
    /// Limit of each patch-applying command.
    pub apply_timeout: Duration,
    /// The test command of a task without `test_cmd`; the test files of its test patch are
    /// appended (SWE-bench's test directives).
    pub default_test_cmd: String,
    /// The parser instead of the task's.
    pub parser: Option<LogParser>,
    /// Variables for the eval script.
    pub env: Vec<(String, String)>,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            timeout: Duration::from_secs(1800),
            apply_timeout: Duration::from_secs(120),
            default_test_cmd: "pytest -rA".to_owned(),
            parser: None,
            env: Vec::new(),
        }
    }
}

/// What [`run_tests`] did and found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestRun {
    /// The log that was graded: the eval script's output, or the patch failure.
    pub log: String,
    /// What applying the candidate patch printed, each try's command on a `+ ` line.
    pub apply_log: String,
    /// Whether the candidate patch applied; `None` without one.
    pub patch_applied: Option<bool>,
    /// Whether the eval script ran past [`RunOptions::timeout`].
    pub timed_out: bool,
    /// The grade of [`TestRun::log`]; an error (no resolution) when the patch did not apply or
    /// the tests timed out.
    pub grade: Grade,
}

/// Applies `candidate_patch` (when given and not empty) to the sandbox's repository, runs the
/// task's tests with its test patch, and grades the log.
///
/// The sandbox is left as the run leaves it (the candidate patch applied, the test files
/// reset); call [`Sandbox::reset`] before another run. `Err` only when the sandbox itself
/// fails; a patch that does not apply or tests that time out are a [`TestRun`] whose grade is
/// an error, as in SWE-bench.
///
/// The run is a `run_tests` span (at `debug`) in the sandbox's [`span`](Sandbox::span), with an
/// event per failed way of applying the patch and one with the grade.
pub fn run_tests(
    sandbox: &mut dyn Sandbox,
    task: &Task,
    candidate_patch: Option<&str>,
    options: &RunOptions,
) -> Result<TestRun> {
    let in_sandbox = sandbox.span();
    let _entered = in_sandbox.enter();
    run_tests_here(sandbox, task, candidate_patch, options, 1)
}

/// [`run_tests`] as the `run`-th run of a span in the current one: a caller that is a unit of
/// work in the sandbox already (a validation, repeated runs) keeps its own span around it.
pub(super) fn run_tests_here(
    sandbox: &mut dyn Sandbox,
    task: &Task,
    candidate_patch: Option<&str>,
    options: &RunOptions,
    run: usize,
) -> Result<TestRun> {
    let span = tracing::debug_span!("run_tests", instance_id = %task.instance_id, run);
    let _entered = span.enter();
    let started = Instant::now();
    let result = run_tests_inner(sandbox, task, candidate_patch, options);
    match &result {
        Ok(done) => graded(done, started.elapsed()),
        Err(error) => tracing::debug!(%error, "the test run failed in the sandbox"),
    }
    result
}

/// The event with a run's grade.
fn graded(run: &TestRun, took: Duration) {
    let grade = &run.grade;
    let tests = grade.report.tests_status.as_ref();
    let count = |f: fn(&super::grade::TestsStatus) -> usize| tests.map(f);
    tracing::debug!(
        resolution = ?grade.resolution,
        log_problem = ?grade.log_problem,
        patch_applied = run.patch_applied,
        timed_out = run.timed_out,
        tests_parsed = grade.status_map.len(),
        fail_to_pass_passed = count(|t| t.fail_to_pass.success.len()),
        fail_to_pass_failed = count(|t| t.fail_to_pass.failure.len()),
        pass_to_pass_failed = count(|t| t.pass_to_pass.failure.len()),
        seconds = took.as_secs_f64(),
        "tests graded"
    );
}

fn run_tests_inner(
    sandbox: &mut dyn Sandbox,
    task: &Task,
    candidate_patch: Option<&str>,
    options: &RunOptions,
) -> Result<TestRun> {
    let grade_options = GradeOptions {
        parser: options.parser,
        ..GradeOptions::default()
    };
    // Bad task fields (an unknown parser or evaluation type) fail before anything runs.
    grade(task, "", &grade_options)?;
    let script = eval_script(task, &options.default_test_cmd);

    let mut apply_log = String::new();
    let mut patch_applied = None;
    if let Some(patch) = candidate_patch.filter(|p| !p.is_empty()) {
        let exec = ExecOptions {
            timeout: options.apply_timeout,
            cwd: Some(TESTBED.to_owned()),
            env: Vec::new(),
        };
        let mut applied = false;
        let mut last_output = String::new();
        for (i, command) in APPLY_COMMANDS.iter().enumerate() {
            if i > 0 {
                // A failed try (notably --reject) leaves partial state behind.
                sandbox.exec("git checkout -- . ; git clean -fd", &exec)?;
            }
            let out = sandbox.exec(&with_stdin(command, patch), &exec)?;
            apply_log.push_str(&format!("+ {command}\n{}", out.output));
            last_output = out.output;
            if out.exit_code == Some(0) {
                tracing::debug!(command, "candidate patch applied");
                applied = true;
                break;
            }
            tracing::debug!(
                command,
                exit_code = out.exit_code,
                "candidate patch did not apply this way; trying the next"
            );
        }
        if !applied {
            // The chain can leave the patch applied while each command exited non-zero.
            let check = sandbox.exec(&with_stdin("git apply --check --reverse", patch), &exec)?;
            apply_log.push_str(&format!("+ git apply --check --reverse\n{}", check.output));
            applied = check.exit_code == Some(0);
        }
        patch_applied = Some(applied);
        if !applied {
            tracing::debug!("candidate patch does not apply");
            let log = format!("{APPLY_PATCH_FAIL}:\n{last_output}");
            let grade = grade(task, &log, &grade_options)?;
            return Ok(TestRun {
                log,
                apply_log,
                patch_applied,
                timed_out: false,
                grade,
            });
        }
        apply_log.push_str(&format!("{APPLY_PATCH_PASS}\n"));
    }

    let exec = ExecOptions {
        timeout: options.timeout,
        cwd: Some(TESTBED.to_owned()),
        env: options.env.clone(),
    };
    let out = sandbox.exec(&script, &exec)?;
    let mut log = out.output;
    if out.timed_out {
        // What SWE-bench appends to a timed-out run's log, and the marker that makes it an
        // error whatever the log holds.
        log.push_str(&format!(
            "\n\nTimeout error: {} seconds exceeded.\n{TESTS_TIMEOUT}\n",
            options.timeout.as_secs()
        ));
    }
    let grade = grade(task, &log, &grade_options)?;
    Ok(TestRun {
        log,
        apply_log,
        patch_applied,
        timed_out: out.timed_out,
        grade,
    })
}

/// The eval script of a task: its test patch applied, its test command between the markers.
pub fn eval_script(task: &Task, default_test_cmd: &str) -> String {
    let test_files = patch_files(&task.test_patch);
    let reset = (!task.base_commit.is_empty() && !test_files.is_empty()).then(|| {
        let files: Vec<String> = test_files.iter().map(|f| shell_quote(f)).collect();
        format!(
            "git checkout {} -- {}",
            shell_quote(&task.base_commit),
            files.join(" ")
        )
    });
    let test_cmd = match &task.test_cmd {
        Some(cmd) if !cmd.trim().is_empty() => cmd.clone(),
        _ => {
            let mut cmd = default_test_cmd.to_owned();
            for file in test_directives(&test_files) {
                cmd.push(' ');
                cmd.push_str(&shell_quote(&file));
            }
            cmd
        }
    };
    let mut lines = vec!["set -uxo pipefail".to_owned(), format!("cd {TESTBED}")];
    lines.extend(reset.clone());
    if !task.test_patch.is_empty() {
        lines.push(with_stdin("git apply -v", &task.test_patch));
    }
    lines.push(format!(": '{START_TEST_OUTPUT}'"));
    lines.push(test_cmd);
    lines.push(format!("{TEST_EXIT_CODE_VAR}=$?"));
    lines.push(format!(": '{END_TEST_OUTPUT}'"));
    lines.push(format!("echo \"{TEST_EXIT_CODE}: ${TEST_EXIT_CODE_VAR}\""));
    lines.extend(reset);
    let mut script = lines.join("\n");
    script.push('\n');
    script
}

/// `command` reading `input` from a quoted here-document (nothing in it is expanded), with a
/// delimiter that is not a line of the input: one shell text for [`Sandbox::exec`] that feeds
/// a file's contents to a command. `git apply` and `patch` read a patch from standard input
/// when given no file.
pub fn with_stdin(command: &str, input: &str) -> String {
    let mut delimiter = "EOF_LEGO".to_owned();
    let mut n = 0;
    while input.lines().any(|l| l == delimiter) {
        n += 1;
        delimiter = format!("EOF_LEGO_{n}");
    }
    let newline = if input.ends_with('\n') { "" } else { "\n" };
    format!("{command} <<'{delimiter}'\n{input}{newline}{delimiter}")
}

/// The files a patch touches, by their new names (`diff --git a/x b/NAME`), in order.
pub fn patch_files(patch: &str) -> Vec<String> {
    let mut files: Vec<String> = Vec::new();
    for line in patch.lines() {
        if let Some(rest) = line.strip_prefix("diff --git a/")
            && let Some((_, b)) = rest.split_once(" b/")
            && !files.iter().any(|f| f == b)
        {
            files.push(b.to_owned());
        }
    }
    files
}

/// SWE-bench's test directives: the test patch's files that are not data (`NON_TEST_EXTS`).
fn test_directives(files: &[String]) -> Vec<String> {
    const NON_TEST_EXTS: [&str; 11] = [
        ".json", ".png", "csv", ".txt", ".md", ".jpg", ".jpeg", ".pkl", ".yml", ".yaml", ".toml",
    ];
    files
        .iter()
        .filter(|f| !NON_TEST_EXTS.iter().any(|ext| f.ends_with(ext)))
        .cloned()
        .collect()
}

/// A word for `bash`: as is when it is plainly safe, else in single quotes.
fn shell_quote(word: &str) -> String {
    let safe = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:@+,".contains(c));
    if safe {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}
