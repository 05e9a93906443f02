//! Grading: SWE-bench's report for a task from a log (markers, parsing, the FAIL_TO_PASS and
//! PASS_TO_PASS lists resolved against the results, the report as JSON), on every case of the
//! parity fixture (`tests/data/grading_cases.json`: real and edge logs) and on a made-up pytest
//! log of 20,000 tests with 2,000 of them listed. `cargo bench -p lego-sandbox --bench grading`;
//! reports in `target/criterion`.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use lego_data::Task;
use lego_sandbox::{
    EvalType, GradeOptions, LogParser, eval_tests_report, grade, synthetic_pytest_log,
};
use serde_json::json;

// The parity test's loader of the fixture's cases.
#[path = "../tests/it/cases.rs"]
mod cases;
mod common;

use cases::grading_cases;

fn fixture(c: &mut Criterion) {
    let cases = grading_cases();
    let bytes: usize = cases.iter().map(|case| case.log.len()).sum();
    let mut group = c.benchmark_group("grade_fixture");
    group.throughput(Throughput::Elements(cases.len() as u64));
    group.bench_function(format!("{}_cases_{}_KiB", cases.len(), bytes / 1024), |b| {
        b.iter(|| {
            for case in &cases {
                let graded = grade(&case.task, &case.log, &case.options);
                black_box(graded.unwrap_or_else(|e| panic!("{}: {e}", case.name)));
            }
        })
    });
    group.finish();
}

fn large(c: &mut Criterion) {
    let large = synthetic_pytest_log(20_000);
    // 200 FAIL_TO_PASS and 1,800 PASS_TO_PASS tests that pass. SWE-bench's pytest parser keys a
    // test by its id up to the first space, so these ids (with spaces, as parametrised ids have)
    // are not found as listed and the instance does not resolve, in swebench as in lego: the
    // bench measures that lookup too.
    let listed = &large.passed[..2_000];
    let (f2p, p2p) = listed.split_at(200);
    let task: Task = serde_json::from_value(json!({
        "instance_id": "synthetic__large-pytest",
        "log_parser": "pytest",
        "FAIL_TO_PASS": f2p,
        "PASS_TO_PASS": p2p,
    }))
    .expect("a task");
    let options = GradeOptions::default();
    let graded = grade(&task, &large.log, &options).expect("the log grades");
    assert!(
        graded.report.tests_status.is_some(),
        "the log gives a result"
    );

    let mut group = c.benchmark_group("grade_20000_tests");
    group.throughput(Throughput::Bytes(large.log.len() as u64));
    group.bench_function("grade", |b| {
        b.iter(|| grade(black_box(&task), black_box(&large.log), &options))
    });
    // The report alone, from results already parsed: the lists resolved against them.
    let status_map = LogParser::Pytest.parse(&large.log);
    group.bench_function("eval_tests_report", |b| {
        b.iter(|| {
            eval_tests_report(
                black_box(&status_map),
                &task.fail_to_pass,
                &task.pass_to_pass,
                EvalType::PassAndFail,
            )
        })
    });
    group.bench_function("swebench_report_json", |b| {
        b.iter(|| serde_json::to_string(&black_box(&graded).swebench_report()))
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = common::config();
    targets = fixture, large
}
criterion_main!(benches);
