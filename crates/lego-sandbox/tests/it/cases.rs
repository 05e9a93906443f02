//! The grading cases of `tests/data/grading_cases.json` as tasks with their logs; shared by the
//! parity test (`grading.rs`) and the grading bench (`benches/grading.rs` includes this file).

use std::path::Path;

use lego_data::Task;
use lego_sandbox::GradeOptions;
use serde_json::{Value, json};

/// One case: a task naming its tests and parser, how to grade it, and the log it is graded on.
pub struct GradingCase {
    pub name: String,
    pub task: Task,
    pub options: GradeOptions,
    pub log: String,
}

/// Every case of the fixture, in its order, with its log read.
pub fn grading_cases() -> Vec<GradingCase> {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    let text = std::fs::read_to_string(data.join("grading_cases.json")).expect("the fixture");
    let cases: Value = serde_json::from_str(&text).expect("the fixture is JSON");
    let cases = cases["cases"].as_array().expect("the fixture has cases");
    cases
        .iter()
        .map(|case| {
            let name = case["name"].as_str().expect("a case name").to_owned();
            let mut task = json!({
                "instance_id": name,
                "FAIL_TO_PASS": case["FAIL_TO_PASS"],
                "PASS_TO_PASS": case["PASS_TO_PASS"],
                "log_parser": format!("parse_log_{}", case["parser"].as_str().expect("a parser")),
            });
            if let Some(eval_type) = case.get("eval_type") {
                task["eval_type"] = eval_type.clone();
            }
            let options = GradeOptions {
                no_patch: case.get("no_patch") == Some(&json!(true)),
                ..GradeOptions::default()
            };
            let log = data.join("logs").join(case["log"].as_str().expect("a log"));
            let log =
                std::fs::read_to_string(&log).unwrap_or_else(|e| panic!("{}: {e}", log.display()));
            GradingCase {
                name,
                task: serde_json::from_value(task).expect("a task"),
                options,
                log,
            }
        })
        .collect()
}
