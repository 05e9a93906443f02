//! Grading throughput, lego-sandbox against the `swebench` package, in the same run.
//!
//! Both sides take the same cases: every case of lego-sandbox's parity fixture (real pytest,
//! unittest and Django logs of real projects, and the edge logs) plus one large synthetic pytest
//! log of `LARGE_TESTS` parametrised tests with `LARGE_LISTED` of them named in FAIL_TO_PASS /
//! PASS_TO_PASS, the size of a big SWE-bench instance's log. Per case and round each side reads
//! the log file, parses it and grades it (`get_eval_report` in swebench, `grade` in lego), as a
//! harness does per instance; both must agree on which cases resolve.

use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use lego_data::Task;
use lego_sandbox::{GradeOptions, grade, synthetic_pytest_log};
use serde_json::{Value, json};

use crate::python::{self, tempfile_dir};

const ROUNDS: usize = 20;
const LARGE_TESTS: usize = 20_000;
const LARGE_LISTED: usize = 2_000;

pub fn run() -> Result<()> {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../crates/lego-sandbox/tests/data");
    let dir = tempfile_dir()?.join("grading-bench");
    std::fs::create_dir_all(&dir)?;

    let text = std::fs::read_to_string(fixtures.join("grading_cases.json"))?;
    let mut cases: Value = serde_json::from_str(&text)?;
    let list = cases["cases"]
        .as_array_mut()
        .context("grading_cases.json has no `cases`")?;
    // Absolute log paths: python's `LOG_DIR / log` then is the path itself.
    for case in list.iter_mut() {
        let log = fixtures
            .join("logs")
            .join(case["log"].as_str().unwrap_or_default());
        case["log"] = json!(log.canonicalize()?.to_string_lossy());
    }
    let (large_log, large_case) = large_pytest_case(&dir)?;
    list.push(large_case);
    let cases_path = dir.join("cases.json");
    std::fs::write(&cases_path, serde_json::to_vec(&cases)?)?;

    let work: Vec<(Task, GradeOptions, String)> = cases["cases"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|case| {
            let mut task = json!({
                "instance_id": case["name"],
                "FAIL_TO_PASS": case["FAIL_TO_PASS"],
                "PASS_TO_PASS": case["PASS_TO_PASS"],
                "log_parser": format!("parse_log_{}", case["parser"].as_str().unwrap_or_default()),
            });
            if let Some(t) = case.get("eval_type") {
                task["eval_type"] = t.clone();
            }
            let options = GradeOptions {
                no_patch: case.get("no_patch") == Some(&json!(true)),
                ..GradeOptions::default()
            };
            let log = case["log"].as_str().unwrap_or_default().to_owned();
            Ok((serde_json::from_value(task)?, options, log))
        })
        .collect::<Result<_>>()?;
    let log_bytes: u64 = work
        .iter()
        .map(|(_, _, log)| std::fs::metadata(log).map_or(0, |m| m.len()))
        .sum();

    let mut resolved = 0;
    let start = Instant::now();
    for round in 0..ROUNDS {
        for (task, options, log) in &work {
            let text = std::fs::read_to_string(log).with_context(|| format!("read {log}"))?;
            let g = grade(task, &text, options)?;
            if round == 0 && g.report.resolved {
                resolved += 1;
            }
        }
    }
    let lego = start.elapsed().as_secs_f64();

    let reference = python::run_json(
        "grading_bench.py",
        [
            cases_path.display().to_string(),
            dir.display().to_string(),
            ROUNDS.to_string(),
        ],
    )?;
    let ref_seconds = python::f64_field(&reference, "seconds");
    if reference["resolved"].as_u64() != Some(resolved) {
        bail!(
            "the two sides disagree: lego resolved {resolved} cases, swebench {}",
            reference["resolved"]
        );
    }

    let reports = (ROUNDS * work.len()) as f64;
    let mib = (log_bytes as f64 * ROUNDS as f64) / (1024.0 * 1024.0);
    println!(
        "grading: {} cases ({:.1} MiB of logs, one synthetic of {LARGE_TESTS} tests, {:.1} MiB) x {ROUNDS} rounds, \
         read + parse + grade, {resolved} resolved on both sides",
        work.len(),
        log_bytes as f64 / (1024.0 * 1024.0),
        std::fs::metadata(&large_log)?.len() as f64 / (1024.0 * 1024.0),
    );
    println!(
        "  {:<36} {:>12} {:>10} {:>9}",
        "", "reports/s", "MiB/s", "vs ref"
    );
    let row = |name: &str, secs: f64| {
        println!(
            "  {name:<36} {:>12.0} {:>10.1} {:>8.1}x",
            reports / secs,
            mib / secs,
            ref_seconds / secs
        );
    };
    row("swebench 5.0.2 get_eval_report", ref_seconds);
    row("lego grade", lego);
    std::fs::remove_dir_all(&dir).ok();
    Ok(())
}

/// lego-sandbox's made-up pytest `-rA` log of `LARGE_TESTS` parametrised tests (ids with spaces
/// and brackets, one in fifty failing), and the case naming `LARGE_LISTED` of them.
fn large_pytest_case(dir: &Path) -> Result<(std::path::PathBuf, Value)> {
    let large = synthetic_pytest_log(LARGE_TESTS);
    let path = dir.join("large_pytest.log");
    std::fs::write(&path, &large.log)?;
    // Passing tests only; SWE-bench's pytest parser keys a test by its id up to the first space,
    // so these ids are not found as listed and both sides must say the case does not resolve.
    let listed = &large.passed[..LARGE_LISTED];
    let (f2p, p2p) = listed.split_at(LARGE_LISTED / 10);
    let case = json!({
        "name": "synthetic__large-pytest",
        "log": path.to_string_lossy(),
        "parser": "pytest",
        "FAIL_TO_PASS": f2p,
        "PASS_TO_PASS": p2p,
    });
    Ok((path, case))
}
