//! Flaky tests: a validation runs the tests more than once and keeps only the tests whose
//! outcome holds in every run.

use lego_data::Task;

use super::parsers::{StatusMap, TestStatus};
use super::run::{RunOptions, TestRun, run_tests_here};
use crate::error::Result;
use crate::sandbox::Sandbox;

/// What several runs of the same tests agree on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stability {
    /// The tests whose outcome was the same in every run, with their status in the first run,
    /// in the first run's order.
    pub stable: StatusMap,
    /// The tests whose outcome changed, or that some run did not report, in the order first
    /// seen.
    pub flaky: Vec<String>,
}

/// The outcome classes that decide flakiness: passing (PASSED, XFAIL), skipped, and failing
/// (FAILED, ERROR, or anything else).
fn outcome(status: &TestStatus) -> u8 {
    match status {
        s if s.is_pass() => 0,
        TestStatus::Skipped => 1,
        _ => 2,
    }
}

/// Splits the tests of several status maps of the same tests into stable and flaky ones.
/// With one map every test is stable; with none there is nothing.
pub fn stability(maps: &[StatusMap]) -> Stability {
    let mut result = Stability::default();
    let Some((first, rest)) = maps.split_first() else {
        return result;
    };
    fn mark_flaky(id: &str, result: &mut Stability) {
        if !result.flaky.iter().any(|f| f == id) {
            result.flaky.push(id.to_owned());
        }
    }
    for (id, status) in first {
        let holds = rest
            .iter()
            .all(|m| m.get(id).is_some_and(|s| outcome(s) == outcome(status)));
        if holds {
            result.stable.insert(id.clone(), status.clone());
        } else {
            mark_flaky(id, &mut result);
        }
    }
    for map in rest {
        for id in map.keys() {
            if !first.contains_key(id) {
                mark_flaky(id, &mut result);
            }
        }
    }
    result
}

/// Runs the tests `runs` times (at least once), resetting the sandbox before each run after the
/// first, and says which tests kept their outcome. Runs whose log gave no result (a timeout, a
/// patch that did not apply) count as reporting no test.
///
/// Each run is a `run_tests` span (numbered from 1) in the sandbox's
/// [`span`](Sandbox::span).
pub fn run_tests_repeatedly(
    sandbox: &mut dyn Sandbox,
    task: &Task,
    candidate_patch: Option<&str>,
    options: &RunOptions,
    runs: usize,
) -> Result<(Vec<TestRun>, Stability)> {
    let in_sandbox = sandbox.span();
    let _entered = in_sandbox.enter();
    repeatedly_here(sandbox, task, candidate_patch, options, runs)
}

/// [`run_tests_repeatedly`] in the current span (a validation's).
pub(super) fn repeatedly_here(
    sandbox: &mut dyn Sandbox,
    task: &Task,
    candidate_patch: Option<&str>,
    options: &RunOptions,
    runs: usize,
) -> Result<(Vec<TestRun>, Stability)> {
    let mut done = Vec::with_capacity(runs.max(1));
    for i in 0..runs.max(1) {
        if i > 0 {
            sandbox.reset()?;
        }
        done.push(run_tests_here(
            sandbox,
            task,
            candidate_patch,
            options,
            i + 1,
        )?);
    }
    let maps: Vec<StatusMap> = done.iter().map(|r| r.grade.status_map.clone()).collect();
    let stability = stability(&maps);
    if !stability.flaky.is_empty() {
        tracing::debug!(
            runs = done.len(),
            flaky = stability.flaky.len(),
            stable = stability.stable.len(),
            "tests changed outcome between runs; dropped as flaky"
        );
    }
    Ok((done, stability))
}
