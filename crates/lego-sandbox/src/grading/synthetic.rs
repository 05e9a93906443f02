//! A large pytest log made up, for measuring the parsers and the grading without running a suite.

use super::grade::{END_TEST_OUTPUT, START_TEST_OUTPUT};

/// A made-up pytest `-rA` log between SWE-bench's markers, with the ids of its tests by outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntheticLog {
    /// The log, as a SWE-bench eval script's output holds it.
    pub log: String,
    /// The ids of the tests reported `PASSED`, in the log's order.
    pub passed: Vec<String>,
    /// The ids of the tests reported `FAILED` (one in fifty), in the log's order.
    pub failed: Vec<String>,
}

/// A pytest `-rA` log of `tests` parametrised tests whose ids hold spaces and brackets (as real
/// parametrised ids do), one in fifty failing: the size of a big SWE-bench instance's log for
/// benchmarks, without running a suite.
pub fn synthetic_pytest_log(tests: usize) -> SyntheticLog {
    let id = |i: usize| format!("tests/test_big.py::test_case[param {i}-[{}]]", i % 7);
    let mut log = format!("+ : '{START_TEST_OUTPUT}'\n+ pytest -rA tests\n");
    log.push_str(
        "============================= test session starts ==============================\n",
    );
    log.push_str(&format!("collected {tests} items\n\n"));
    log.push_str(
        "=========================== short test summary info ============================\n",
    );
    let (mut passed, mut failed) = (Vec::new(), Vec::new());
    for i in 0..tests {
        let (status, ids) = if i % 50 == 0 {
            ("FAILED", &mut failed)
        } else {
            ("PASSED", &mut passed)
        };
        let test = id(i);
        log.push_str(&format!("{status} {test}\n"));
        ids.push(test);
    }
    log.push_str(&format!(
        "================ {} failed, {} passed in 12.34s ================\n+ : '{END_TEST_OUTPUT}'\n",
        failed.len(),
        passed.len()
    ));
    SyntheticLog {
        log,
        passed,
        failed,
    }
}
