//! The SWE-bench log parsers on real logs (`tests/data/logs/`: pytest plain, verbose and in
//! colour, unittest, Django's runner) and on a made-up pytest log of 20,000 tests, in bytes per
//! second. `cargo bench -p lego-sandbox --bench log_parsing`; reports in `target/criterion`.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

mod common;
use lego_sandbox::{LogParser, logs_eval, synthetic_pytest_log};

/// The real logs and the parser SWE-bench uses for each.
const REAL_LOGS: [(&str, &str, LogParser); 6] = [
    (
        "humanize_pytest",
        include_str!("../tests/data/logs/humanize_pytest.log"),
        LogParser::Pytest,
    ),
    (
        "humanize_pytest_verbose",
        include_str!("../tests/data/logs/humanize_pytest_verbose.log"),
        LogParser::PytestV2,
    ),
    (
        "humanize_pytest_color",
        include_str!("../tests/data/logs/humanize_pytest_color.log"),
        LogParser::PytestV2,
    ),
    (
        "inflection_pytest",
        include_str!("../tests/data/logs/inflection_pytest.log"),
        LogParser::PytestOptions,
    ),
    (
        "simplejson_unittest",
        include_str!("../tests/data/logs/simplejson_unittest.log"),
        LogParser::Unittest,
    ),
    (
        "django_runtests",
        include_str!("../tests/data/logs/django_runtests.log"),
        LogParser::Django,
    ),
];

fn real_logs(c: &mut Criterion) {
    let mut group = c.benchmark_group("parse_real_log");
    for (name, log, parser) in REAL_LOGS {
        assert!(!parser.parse(log).is_empty(), "{name}: nothing parsed");
        group.throughput(Throughput::Bytes(log.len() as u64));
        group.bench_function(name, |b| b.iter(|| parser.parse(black_box(log))));
    }
    group.finish();
}

fn large_pytest_log(c: &mut Criterion) {
    let large = synthetic_pytest_log(20_000);
    let mut group = c.benchmark_group("parse_20000_tests");
    group.throughput(Throughput::Bytes(large.log.len() as u64));
    for parser in [
        LogParser::Pytest,
        LogParser::PytestOptions,
        LogParser::PytestV2,
    ] {
        // SWE-bench's pytest parsers key a test by its id up to the first space, so these ids
        // (with spaces) collapse to few keys: every line is still read, which is what is timed.
        assert!(!parser.parse(&large.log).is_empty(), "{}", parser.name());
        group.bench_function(parser.name(), |b| {
            b.iter(|| parser.parse(black_box(&large.log)))
        });
    }
    // What grading reads: the part between the markers, checked, then parsed.
    group.bench_function("logs_eval_pytest", |b| {
        b.iter(|| logs_eval(black_box(&large.log), LogParser::Pytest))
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = common::config();
    targets = real_logs, large_pytest_log
}
criterion_main!(benches);
