//! Test running and grading the SWE-bench way: log parsers (`parsers.rs`), the grading rules
//! and report (`grade.rs`), running a task's tests in any [`Sandbox`](crate::Sandbox)
//! (`run.rs`), dropping flaky tests over repeated runs (`flaky.rs`), and validating a task
//! candidate: FAIL_TO_PASS and PASS_TO_PASS from runs before and after its code patch
//! (`validate.rs`).

mod flaky;
mod grade;
mod parsers;
mod run;
mod synthetic;
mod validate;

pub use flaky::{Stability, run_tests_repeatedly, stability};
pub use grade::{
    APPLY_PATCH_FAIL, APPLY_PATCH_PASS, END_TEST_OUTPUT, EvalType, Grade, GradeOptions,
    InstanceReport, LogProblem, Outcome, RESET_FAILED, Resolution, START_TEST_OUTPUT,
    TEST_EXIT_CODE, TESTS_ERROR, TESTS_TIMEOUT, TestsStatus, eval_tests_report, grade, logs_eval,
    parser_for_task, resolution_status, resolve_case, test_exit_code, test_failed, test_maintained,
    test_passed,
};
pub use parsers::{
    LogParser, StatusMap, TestStatus, parse_django, parse_matplotlib, parse_pytest,
    parse_pytest_options, parse_pytest_v2, parse_seaborn, parse_sympy, parse_unittest,
};

pub use run::{
    APPLY_COMMANDS, RunOptions, TestRun, eval_script, patch_files, run_tests, with_stdin,
};
pub use synthetic::{SyntheticLog, synthetic_pytest_log};
pub use validate::{ValidateOptions, Validation, validate};

#[cfg(test)]
mod tests;
