//! Grades a test log the way SWE-bench does: a task (which tests must go from failing to passing,
//! which must keep passing) and the log of one test run give SWE-bench's per-instance report.
//!
//! `cargo run -p lego-examples --example grade_log [TASK.json TEST.log]`
//!
//! Without arguments it grades a bundled real log: pytest on humanize 4.9.0 with two functions
//! broken on purpose (`crates/lego-sandbox/tests/data/logs/`).

use lego_data::Task;
use lego_sandbox::{GradeOptions, grade};

const BUNDLED_LOG: &str =
    include_str!("../../crates/lego-sandbox/tests/data/logs/humanize_pytest.log");

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (task, log) = match args.as_slice() {
        [task, log] => (
            serde_json::from_str::<Task>(&std::fs::read_to_string(task)?)?,
            std::fs::read_to_string(log)?,
        ),
        [] => (bundled_task()?, BUNDLED_LOG.to_owned()),
        _ => anyhow::bail!("usage: grade_log [TASK.json TEST.log]"),
    };

    // The log parser is the task's `log_parser`, else SWE-bench's parser for its repository,
    // else pytest's; only the part of the log between SWE-bench's markers counts.
    let graded = grade(&task, &log, &GradeOptions::default())?;

    // What `swebench`'s `get_eval_report` writes: `{instance_id: {resolved, tests_status, ...}}`.
    println!(
        "{}",
        serde_json::to_string_pretty(&graded.swebench_report())?
    );
    eprintln!(
        "{}: {} test results read by the {} parser; resolution: {:?}",
        graded.instance_id,
        graded.status_map.len(),
        graded.parser.name(),
        graded.resolution,
    );
    Ok(())
}

/// A task in SWE-bench's shape, as a JSONL line of tasks holds it. Its FAIL_TO_PASS tests pass in
/// the bundled log, but one PASS_TO_PASS test fails there, so the report says "not resolved".
fn bundled_task() -> serde_json::Result<Task> {
    serde_json::from_value(serde_json::json!({
        "instance_id": "python-humanize__humanize-1",
        "repo": "python-humanize/humanize",
        "log_parser": "pytest",
        "FAIL_TO_PASS": [
            "tests/test_number.py::test_apnumber[9-nine]",
            "tests/test_number.py::test_intword_powers",
        ],
        "PASS_TO_PASS": [
            "tests/test_number.py::test_ordinal[1-1st]",
            "tests/test_time.py::test_naturaldelta_nomonths[test_input0-7 days]",
        ],
    }))
}
