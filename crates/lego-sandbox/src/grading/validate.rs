//! Validating a task candidate by running its tests: before the fix (base + test patch) and after
//! it (base + test patch + code patch), which gives FAIL_TO_PASS and PASS_TO_PASS. Used for
//! tasks mined from pull requests and, the same way, for synthetic bugs (where "before" is the
//! bug and the code patch its reversal).

use lego_data::{Rejection, Task};

use super::flaky::repeatedly_here;
use super::grade::{LogProblem, TESTS_TIMEOUT};
use super::parsers::{StatusMap, TestStatus};
use super::run::{RunOptions, TestRun, with_stdin};
use crate::error::Result;
use crate::sandbox::{ExecOptions, Sandbox, TESTBED};

/// How [`validate`] runs and judges a candidate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidateOptions {
    /// How each test run runs (timeouts, the default test command, the parser).
    pub run: RunOptions,
    /// Runs of each side (at least one); with more, tests whose outcome changes between runs
    /// are dropped as flaky.
    pub runs: usize,
    /// Keep only candidates with at least one PASS_TO_PASS test as well (SWE-Lego and SWE-smith
    /// require one of each; SWE-bench only a FAIL_TO_PASS one).
    pub require_pass_to_pass: bool,
}

impl Default for ValidateOptions {
    fn default() -> Self {
        ValidateOptions {
            run: RunOptions::default(),
            runs: 1,
            require_pass_to_pass: true,
        }
    }
}

/// What [`validate`] found.
#[derive(Debug, Clone, PartialEq)]
pub struct Validation {
    /// Tests that fail (FAILED, ERROR, or absent) before and pass after, in the after-run's
    /// order.
    pub fail_to_pass: Vec<String>,
    /// Tests that pass both before and after.
    pub pass_to_pass: Vec<String>,
    /// Tests left out because their outcome changed between runs of the same side.
    pub flaky: Vec<String>,
    /// The stable statuses before the code patch.
    pub before: StatusMap,
    /// The stable statuses after the code patch.
    pub after: StatusMap,
    /// The log of the first run before the code patch (empty when that side did not run).
    pub before_log: String,
    /// The log of the first run after the code patch (empty when that side did not run).
    pub after_log: String,
    /// `None` when the candidate is kept; else why not.
    pub rejection: Option<Rejection>,
}

impl Validation {
    fn rejected(rejection: Rejection) -> Self {
        Validation {
            fail_to_pass: Vec::new(),
            pass_to_pass: Vec::new(),
            flaky: Vec::new(),
            before: StatusMap::new(),
            after: StatusMap::new(),
            before_log: String::new(),
            after_log: String::new(),
            rejection: Some(rejection),
        }
    }

    /// `task` with the FAIL_TO_PASS and PASS_TO_PASS this validation found.
    pub fn apply_to(&self, task: &Task) -> Task {
        Task {
            fail_to_pass: self.fail_to_pass.clone(),
            pass_to_pass: self.pass_to_pass.clone(),
            ..task.clone()
        }
    }
}

/// Runs the tests of `task` in `sandbox`, whose `/testbed` holds the repository at
/// `task.base_commit`, before and after its code patch (`task.patch`), both with its test
/// patch, and derives FAIL_TO_PASS and PASS_TO_PASS. The sandbox is reset between the sides and
/// left as the last run leaves it.
///
/// A candidate is rejected when its test patch does not apply to the base, its code patch does
/// not apply over it, the after-side gives no result (a timeout, no markers, nothing parsed), the
/// before-side timed out or lost its markers, or it has no FAIL_TO_PASS test (or, where
/// required, no PASS_TO_PASS one). A before-side that ran but reported nothing (a collection
/// error: the tests cannot even import the old code) counts every test as failing there.
/// `Err` only when the sandbox itself fails.
///
/// The validation is a `validate` span (at `debug`) in the sandbox's [`span`](Sandbox::span),
/// holding the runs' `run_tests` spans and ending with its verdict: kept, with its test counts,
/// or rejected, and why.
pub fn validate(
    sandbox: &mut dyn Sandbox,
    task: &Task,
    options: &ValidateOptions,
) -> Result<Validation> {
    let in_sandbox = sandbox.span();
    let _in_sandbox = in_sandbox.enter();
    let span =
        tracing::debug_span!("validate", instance_id = %task.instance_id, runs = options.runs);
    let _entered = span.enter();
    let started = std::time::Instant::now();
    let result = validate_inner(sandbox, task, options);
    let seconds = started.elapsed().as_secs_f64();
    match &result {
        Ok(Validation {
            rejection: Some(rejection),
            ..
        }) => tracing::debug!(
            rejection = rejection.code(),
            why = %rejection,
            seconds,
            "candidate rejected"
        ),
        Ok(v) => tracing::debug!(
            fail_to_pass = v.fail_to_pass.len(),
            pass_to_pass = v.pass_to_pass.len(),
            flaky = v.flaky.len(),
            seconds,
            "candidate kept"
        ),
        Err(error) => tracing::debug!(%error, seconds, "the validation failed in the sandbox"),
    }
    result
}

fn validate_inner(
    sandbox: &mut dyn Sandbox,
    task: &Task,
    options: &ValidateOptions,
) -> Result<Validation> {
    let exec = ExecOptions {
        timeout: options.run.apply_timeout,
        cwd: Some(TESTBED.to_owned()),
        env: Vec::new(),
    };
    if !task.test_patch.is_empty() {
        let check = sandbox.exec(&with_stdin("git apply --check", &task.test_patch), &exec)?;
        if check.exit_code != Some(0) {
            tracing::trace!(output = check.output, "git apply --check of the test patch");
            return Ok(Validation::rejected(Rejection::TestPatchDoesNotApply));
        }
    }

    tracing::debug!("running the tests before the code patch");
    let (before_runs, before) = repeatedly_here(sandbox, task, None, &options.run, options.runs)?;
    let before_log = first_log(&before_runs);
    if let Some(why) = before_runs.iter().find_map(unusable_before) {
        let mut v = Validation::rejected(Rejection::NoTestResult {
            run: "before".to_owned(),
            why,
        });
        v.before_log = before_log;
        return Ok(v);
    }

    sandbox.reset()?;
    tracing::debug!("running the tests after the code patch");
    let (after_runs, after) =
        repeatedly_here(sandbox, task, Some(&task.patch), &options.run, options.runs)?;
    let after_log = first_log(&after_runs);
    let problem = after_runs.iter().find_map(|r| {
        if r.patch_applied == Some(false) {
            Some(Rejection::CodePatchDoesNotApply)
        } else {
            r.grade
                .log_problem
                .as_ref()
                .map(|p| Rejection::NoTestResult {
                    run: "after".to_owned(),
                    why: describe(p),
                })
        }
    });
    if let Some(rejection) = problem {
        let mut v = Validation::rejected(rejection);
        v.before_log = before_log;
        v.after_log = after_log;
        v.before = before.stable;
        return Ok(v);
    }

    let mut flaky = before.flaky;
    for id in after.flaky {
        if !flaky.contains(&id) {
            flaky.push(id);
        }
    }
    let mut fail_to_pass = Vec::new();
    let mut pass_to_pass = Vec::new();
    for (id, status) in &after.stable {
        if !status.is_pass() || flaky.contains(id) {
            continue;
        }
        match before.stable.get(id) {
            Some(s) if s.is_pass() => pass_to_pass.push(id.clone()),
            // A test the before-side did not report at all fails there (SWE-bench's rule: a
            // missing test fails).
            None | Some(TestStatus::Failed | TestStatus::Error) => fail_to_pass.push(id.clone()),
            // Skipped or an unknown status before: neither.
            Some(_) => {}
        }
    }
    let rejection = if fail_to_pass.is_empty() {
        Some(Rejection::NoFailToPass)
    } else if options.require_pass_to_pass && pass_to_pass.is_empty() {
        Some(Rejection::NoPassToPass)
    } else {
        None
    };
    Ok(Validation {
        fail_to_pass,
        pass_to_pass,
        flaky,
        before: before.stable,
        after: after.stable,
        before_log,
        after_log,
        rejection,
    })
}

fn first_log(runs: &[TestRun]) -> String {
    runs.first().map(|r| r.log.clone()).unwrap_or_default()
}

/// Why a before-run cannot be used: it timed out or its log lost the markers. A run that gave
/// no parsable result otherwise is usable: every test failed there.
fn unusable_before(run: &TestRun) -> Option<String> {
    match &run.grade.log_problem {
        _ if run.timed_out => Some(describe(&LogProblem::BadCode(TESTS_TIMEOUT))),
        Some(p @ (LogProblem::NoMarkers | LogProblem::BadCode(_))) => Some(describe(p)),
        _ => None,
    }
}

fn describe(problem: &LogProblem) -> String {
    match problem {
        LogProblem::BadCode(code) => format!("the log says `{code}`"),
        LogProblem::NoMarkers => "the log lacks the start or end marker".to_owned(),
        LogProblem::NoResults => "no test result in the log".to_owned(),
        LogProblem::ExitCodeMismatch(code) => {
            format!("the tests exited with {code} yet no test failed")
        }
    }
}
