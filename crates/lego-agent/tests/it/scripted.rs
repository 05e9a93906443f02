//! The scripted expert on small synthetic tasks over a fixture repository, on the local
//! backend: the task's setup, a rollout that resolves it (with and without mistakes, with a
//! long gold patch and an ambiguous hunk), and reproducibility from the seed.

use std::process::Command;
use std::time::Duration;

use lego_agent::{
    EpisodeOptions, ExpertOptions, Repos, RolloutOptions, ScriptedExpert, TaskRepo, rollout_in,
};
use lego_data::{Outcome, Role, SanitizeMode, StepError, Task, TaskSource, Trajectory};
use lego_sandbox::{ExecOptions, RunOptions, Sandbox, Starter};
use serde_json::{Value, json};
use tempfile::TempDir;

use crate::{commit_files, diff, git};

const CALC: &str = "\"\"\"Arithmetic.\"\"\"\n\n\ndef add(a, b):\n    return a + b\n\n\n\
                    def sub(a, b):\n    return a - b\n";
const TEST_CALC: &str = "import unittest\n\nfrom calc import add, sub\n\n\n\
                         class T(unittest.TestCase):\n    def test_add(self):\n        \
                         self.assertEqual(add(2, 1), 3)\n\n    def test_sub(self):\n        \
                         self.assertEqual(sub(2, 1), 1)\n";

/// Two functions with a line in common, and a third further down: a bug in the first and one
/// in the third make a two-hunk fix whose first hunk leaves that line once in the file.
const OPS: &str = "def inc(x):\n    value = x + 1\n    return value\n\n\n\
                   def dec(x):\n    value = x - 1\n    return value\n\n\n\
                   def half(x):\n    \"\"\"Half of x, rounded down.\"\"\"\n    return x // 2\n\n\n\
                   def square(x):\n    return x * x\n";
const TEST_OPS: &str = "import unittest\n\nfrom ops import dec, half, inc, square\n\n\n\
                        class T(unittest.TestCase):\n    def test_inc(self):\n        \
                        self.assertEqual(inc(2), 3)\n\n    def test_dec(self):\n        \
                        self.assertEqual(dec(2), 1)\n\n    def test_half(self):\n        \
                        self.assertEqual(half(5), 2)\n\n    def test_square(self):\n        \
                        self.assertEqual(square(3), 9)\n";

const TEST_MULTI: &str = "import unittest\n\nimport multi\n\n\n\
                          class T(unittest.TestCase):\n    def test_numbers(self):\n        \
                          self.assertEqual([multi.zero(), multi.one(), multi.two(), multi.three(), multi.four()], [0, 1, 2, 3, 4])\n\n    \
                          def test_square(self):\n        self.assertEqual(multi.Square().area(3), 9)\n\n    \
                          def test_double(self):\n        self.assertEqual(multi.Double().area(3), 6)\n";

/// Five numbered functions around two classes whose `area` differ in one line: the bug makes
/// them the same, so the hunk that fixes `Double` reads twice in the buggy file.
fn multi() -> (String, String) {
    let number = |name: &str, value: u32| {
        format!(
            "def {name}():\n    \"\"\"The number {name}.\n\n    A number the tests know.\n    \"\"\"\n    \
             result = {value}\n    return result\n"
        )
    };
    let class = |name: &str, body: &str| {
        format!(
            "class {name}:\n    \"\"\"A {name}.\"\"\"\n\n    def area(self, x):\n        \
             \"\"\"The area.\"\"\"\n        y = {body}\n        return y\n"
        )
    };
    let numbers = ["zero", "one", "two", "three", "four"];
    let text = |offset: u32, double: &str| {
        let n: Vec<String> = (0..5)
            .map(|i| number(numbers[i], i as u32 + offset))
            .collect();
        format!(
            "\"\"\"Shapes and numbers.\"\"\"\n\n\n{}\n\n{}\n\n{}\n\n{}\n\n{}\n\n{}\n\n{}",
            n[0],
            n[1],
            class("Square", "x * x"),
            class("Double", double),
            n[2],
            n[3],
            n[4]
        )
    };
    (text(0, "x + x"), text(10, "x * x"))
}

/// How the fixture's tests run: pytest where `python3` has it (SWE-bench's `-rA` summary),
/// else unittest with lego's parser, so the tests need nothing installed.
#[derive(Debug, Clone, Copy)]
struct Runner {
    pytest: bool,
    /// unittest names a test `test_x (module.Class.test_x)` from Python 3.11 on.
    qualified: bool,
}

impl Runner {
    fn detect() -> Runner {
        let python = |code: &str| {
            Command::new("python3")
                .args(["-c", code])
                .output()
                .is_ok_and(|out| out.status.success())
        };
        assert!(python("pass"), "the scripted expert's tests need python3");
        Runner {
            pytest: python("import pytest"),
            qualified: python("import sys; sys.exit(sys.version_info < (3, 11))"),
        }
    }

    fn test_cmd(self, module: &str) -> String {
        if self.pytest {
            format!("python3 -m pytest -rA tests/test_{module}.py")
        } else {
            format!("python3 -m unittest -v tests.test_{module}")
        }
    }

    fn id(self, module: &str, test: &str) -> String {
        match (self.pytest, self.qualified) {
            (true, _) => format!("tests/test_{module}.py::T::{test}"),
            (false, true) => format!("{test} (tests.test_{module}.T.{test})"),
            (false, false) => format!("{test} (tests.test_{module}.T)"),
        }
    }
}

/// The fixture repository (two commits, the clean code in the second) and how its tests run.
struct Fixture {
    dir: TempDir,
    base: String,
    runner: Runner,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    commit_files(dir.path(), &[("README.md", "A fixture.\n")]);
    let (multi, _) = multi();
    let base = commit_files(
        dir.path(),
        &[
            ("calc.py", CALC),
            ("ops.py", OPS),
            ("multi.py", &multi),
            ("tests/__init__.py", ""),
            ("tests/test_calc.py", TEST_CALC),
            ("tests/test_ops.py", TEST_OPS),
            ("tests/test_multi.py", TEST_MULTI),
            (".gitignore", "__pycache__/\n"),
        ],
    );
    assert_eq!(
        git(dir.path(), &["rev-list", "--count", "HEAD"]).trim(),
        "2"
    );
    Fixture {
        dir,
        base,
        runner: Runner::detect(),
    }
}

impl Fixture {
    /// A synthetic task whose bug turns each `(path, clean, buggy)` into its buggy text; the
    /// gold patch turns it back. `module` names the test file.
    fn task(
        &self,
        id: &str,
        files: &[(&str, &str, &str)],
        module: &str,
        fail_to_pass: &[&str],
        pass_to_pass: &[&str],
    ) -> Task {
        let dir = self.dir.path();
        let bug: String = files
            .iter()
            .map(|(p, clean, buggy)| diff(dir, p, clean, buggy))
            .collect();
        let gold: String = files
            .iter()
            .map(|(p, clean, buggy)| diff(dir, p, buggy, clean))
            .collect();
        let ids = |tests: &[&str]| -> Vec<String> {
            tests.iter().map(|t| self.runner.id(module, t)).collect()
        };
        let mut task: Task = serde_json::from_value(json!({
            "instance_id": id,
            "repo": "demo/fixture",
            "base_commit": self.base,
            "patch": gold,
            "problem_statement": "Some functions return wrong results.",
            "FAIL_TO_PASS": ids(fail_to_pass),
            "PASS_TO_PASS": ids(pass_to_pass),
            "test_cmd": self.runner.test_cmd(module),
            "bug_patch": bug,
        }))
        .unwrap();
        task.source = Some(TaskSource::Synthetic);
        if !self.runner.pytest {
            task.extra.insert("log_parser".into(), json!("unittest"));
        }
        task
    }

    /// `sub` adds: one hunk.
    fn calc_task(&self) -> Task {
        let buggy = CALC.replace("a - b", "a + b");
        self.task(
            "demo__calc-1",
            &[("calc.py", CALC, &buggy)],
            "calc",
            &["test_sub"],
            &["test_add"],
        )
    }

    /// `inc` subtracts and `square` doubles: after the first hunk's fix the line
    /// `value = x - 1`, twice in the buggy file, is there once.
    fn ops_task(&self) -> Task {
        let buggy = OPS
            .replace("value = x + 1", "value = x - 1")
            .replace("x * x", "x + x");
        self.task(
            "demo__ops-1",
            &[("ops.py", OPS, &buggy)],
            "ops",
            &["test_inc", "test_square"],
            &["test_dec", "test_half"],
        )
    }

    /// Six hunks, the third of which reads twice in the buggy file.
    fn multi_task(&self) -> Task {
        let (clean, buggy) = multi();
        self.task(
            "demo__multi-1",
            &[("multi.py", &clean, &buggy)],
            "multi",
            &["test_numbers", "test_double"],
            &["test_square"],
        )
    }

    fn rollout(&self, task: &Task, expert: ExpertOptions) -> Trajectory {
        let repo = TaskRepo::prepare(
            &Repos::One(self.dir.path().to_owned()),
            task,
            SanitizeMode::Truncate,
        )
        .unwrap();
        let starter = Starter::local(Default::default());
        let mut sandbox = starter.start(&repo.path(), Some(&task.repo)).unwrap();
        let mut expert = ScriptedExpert::new(task, expert);
        let options = RolloutOptions {
            episode: EpisodeOptions {
                max_turns: 40,
                ..EpisodeOptions::default()
            },
            grading: RunOptions {
                timeout: Duration::from_secs(120),
                ..RunOptions::default()
            },
            ..RolloutOptions::default()
        };
        let trajectory = rollout_in(sandbox.as_mut(), task, 0, &mut expert, &options).unwrap();
        sandbox.stop().unwrap();
        trajectory
    }
}

fn sh(sandbox: &mut dyn Sandbox, command: &str) -> String {
    let out = sandbox.exec(command, &ExecOptions::default()).unwrap();
    assert_eq!(out.exit_code, Some(0), "{command}: {}", out.output);
    out.output
}

/// The error labels of a trajectory's steps, in order.
fn error_steps(trajectory: &Trajectory) -> Vec<StepError> {
    trajectory
        .messages
        .iter()
        .filter_map(|m| m.step.as_ref().and_then(|s| s.error))
        .collect()
}

/// A patch without its `index` lines (blob ids depend on how the diff was made).
fn normalised(patch: &str) -> String {
    patch
        .lines()
        .filter(|l| !l.starts_with("index "))
        .map(|l| format!("{l}\n"))
        .collect()
}

/// The steps of a trajectory, for failure messages.
fn transcript(trajectory: &Trajectory) -> String {
    trajectory
        .messages
        .iter()
        .skip(2)
        .map(|m| {
            let calls: Vec<String> = m
                .tool_calls
                .iter()
                .map(|c| format!("{}({})", c.function.name, c.function.arguments))
                .collect();
            let error = m.step.as_ref().and_then(|s| s.error);
            let text: String = m.content.chars().take(600).collect();
            format!("{:?} {error:?} {text} {}", m.role, calls.join(" "))
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Resolved by finishing, its final patch the gold patch.
fn check_resolved(task: &Task, trajectory: &Trajectory) {
    let context = || format!("{}\n{}", transcript(trajectory), trajectory.extra["report"]);
    assert_eq!(trajectory.extra["end"], "finish", "{}", context());
    assert_eq!(trajectory.outcome, Some(Outcome::Resolved), "{}", context());
    assert_eq!(trajectory.extra["policy"], "scripted-expert");
    let report = &trajectory.extra["report"];
    assert_eq!(report["patch_successfully_applied"], true, "{report}");
    assert_eq!(report["resolved"], true, "{report}");
    let patch = trajectory.final_patch.as_deref().unwrap();
    assert_eq!(normalised(patch), normalised(&task.patch), "{}", context());
    // It finishes after seeing the tests pass.
    let [.., step, run, last] = &trajectory.messages[..] else {
        panic!("{}", context());
    };
    assert_eq!(last.role, Role::Assistant);
    assert_eq!(last.tool_calls[0].function.name, "finish");
    assert!(
        step.tool_calls[0]
            .function
            .arguments
            .contains(&task.test_cmd.clone().unwrap())
    );
    assert_eq!(step.step.as_ref().unwrap().error, None, "{}", context());
    assert!(
        !run.content.contains("FAIL") && !run.content.contains("Error"),
        "the last test run failed:\n{}",
        run.content
    );
}

#[test]
fn setup_task_commits_the_buggy_tree_as_the_only_commit() {
    let fixture = fixture();
    let task = fixture.calc_task();
    let repo = TaskRepo::prepare(
        &Repos::One(fixture.dir.path().to_owned()),
        &task,
        SanitizeMode::Truncate,
    )
    .unwrap();
    let starter = Starter::local(Default::default());
    let (mut sandbox, local) = repo.start(&starter, &task).unwrap();
    let sandbox = sandbox.as_mut();
    let buggy = CALC.replace("a - b", "a + b");
    assert_eq!(
        sandbox.read_file("/testbed/calc.py").unwrap(),
        buggy.as_bytes()
    );
    assert_eq!(sh(sandbox, "git log --oneline | wc -l").trim(), "1");
    assert_eq!(sh(sandbox, "git rev-parse HEAD").trim(), local.base_commit);
    assert_ne!(local.base_commit, task.base_commit);
    assert_eq!(sh(sandbox, "git status --porcelain"), "");
    assert_eq!(
        sh(sandbox, "git for-each-ref --format='%(refname)'"),
        "refs/heads/main\n"
    );
    // Nothing in git holds the clean line: not the log, not any object.
    let fixed = "return a - b";
    assert!(!sh(sandbox, "git log -p --all").contains(fixed));
    let objects = sh(sandbox, "git cat-file --batch-all-objects --batch");
    assert!(objects.contains("return a + b"), "{objects}");
    assert!(!objects.contains(fixed), "{objects}");
    assert_eq!(
        Task {
            base_commit: task.base_commit.clone(),
            ..local
        },
        task
    );
    // The files are dated back, the bug's included: an edit in the episode's first second
    // still changes what Python runs.
    let ages = sh(
        sandbox,
        "now=$(date +%s); for f in calc.py ops.py tests/test_calc.py; do echo $((now - $(stat -c %Y $f))); done",
    );
    for age in ages.lines() {
        assert!(age.parse::<u64>().unwrap() >= 3000, "{ages}");
    }
}

#[test]
fn the_expert_without_mistakes_resolves_a_synthetic_task() {
    let fixture = fixture();
    let task = fixture.calc_task();
    let trajectory = fixture.rollout(&task, ExpertOptions::default());
    check_resolved(&task, &trajectory);
    assert_eq!(error_steps(&trajectory), [], "{}", transcript(&trajectory));
    // It saw the tests fail before the fix and pass after it.
    let runs: Vec<&str> = trajectory
        .messages
        .iter()
        // Test runs, not the grep for `sub` (its lines start with the file's path).
        .filter(|m| {
            m.role == Role::Tool
                && m.content.contains("test_sub")
                && !m.content.starts_with("/testbed/")
        })
        .map(|m| m.content.as_str())
        .collect();
    assert_eq!(runs.len(), 2, "{}", transcript(&trajectory));
    assert!(runs[0].contains("FAIL"), "{}", runs[0]);
    assert!(!runs[1].contains("FAIL"), "{}", runs[1]);
}

#[test]
fn the_expert_with_every_mistake_still_resolves_and_labels_them() {
    let fixture = fixture();
    let always = ExpertOptions {
        mistake_rate: 1.0,
        seed: 3,
    };
    // A relative path before the view, a mistyped command before each test run, an old_str
    // that is not unique or not verbatim before each edit: one per hunk, but in the long patch
    // only before the first three, whose third is refused and the rest of the file applied as
    // a patch.
    let cases = [
        (fixture.calc_task(), 1 + 1),
        (fixture.ops_task(), 1 + 2),
        (fixture.multi_task(), 1 + 3 + 1),
    ];
    for (task, editor_errors) in cases {
        let trajectory = fixture.rollout(&task, always);
        check_resolved(&task, &trajectory);
        let errors = error_steps(&trajectory);
        let count = |kind| errors.iter().filter(|e| **e == kind).count();
        assert_eq!(count(StepError::CommandNotFound), 2, "{errors:?}");
        assert_eq!(count(StepError::EditorError), editor_errors, "{errors:?}");
        assert_eq!(errors.len(), 2 + editor_errors, "{errors:?}");
    }
}

#[test]
fn a_long_patch_with_an_ambiguous_hunk_still_resolves() {
    let fixture = fixture();
    let task = fixture.multi_task();
    assert_eq!(task.patch.matches("\n@@ ").count(), 6, "{}", task.patch);
    let trajectory = fixture.rollout(&task, ExpertOptions::default());
    check_resolved(&task, &trajectory);
    // The third hunk is refused as ambiguous, and the rest of the file goes in by `git apply`.
    let errors = error_steps(&trajectory);
    assert_eq!(
        errors,
        [StepError::EditorError],
        "{}",
        transcript(&trajectory)
    );
    let refusal = trajectory
        .messages
        .iter()
        .find(|m| m.role == Role::Tool && m.content.starts_with("ERROR:"))
        .unwrap();
    assert!(
        refusal.content.contains("Multiple occurrences of old_str"),
        "{}",
        refusal.content
    );
    let applies: Vec<&str> = trajectory
        .messages
        .iter()
        .flat_map(|m| &m.tool_calls)
        .filter(|c| c.function.arguments.contains("git apply"))
        .map(|c| c.function.arguments.as_str())
        .collect();
    assert_eq!(applies.len(), 1, "{}", transcript(&trajectory));
}

/// A trajectory as JSON without what differs from run to run: seconds.
fn without_durations(trajectory: &Trajectory) -> Value {
    let mut value = serde_json::to_value(trajectory).unwrap();
    let object = value.as_object_mut().unwrap();
    object.remove("duration_s");
    object.remove("policy_s");
    for message in object["messages"].as_array_mut().unwrap() {
        if let Some(step) = message.get_mut("step").and_then(Value::as_object_mut) {
            step.remove("duration_s");
        }
        if let Some(Value::String(content)) = message.get_mut("content") {
            *content = scrub_seconds(content);
        }
    }
    value
}

/// `in 0.012s` (unittest's `Ran 2 tests in 0.001s`, pytest's `2 passed in 0.01s`) without its
/// number.
fn scrub_seconds(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(" in ") {
        out.push_str(&rest[..at + 4]);
        rest = &rest[at + 4..];
        let number = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        if number > 0 && rest[number..].starts_with('s') {
            out.push_str("<seconds>");
            rest = &rest[number..];
        }
    }
    out.push_str(rest);
    out
}

#[test]
fn the_same_seed_gives_the_same_trajectory() {
    assert_eq!(
        scrub_seconds("Ran 2 tests in 0.001s\nOK in 3 steps, 4 in 5.5s"),
        "Ran 2 tests in <seconds>s\nOK in 3 steps, 4 in <seconds>s"
    );
    let fixture = fixture();
    let task = fixture.ops_task();
    let seeded = |seed| ExpertOptions {
        mistake_rate: 0.5,
        seed,
    };
    let first = fixture.rollout(&task, seeded(1));
    let again = fixture.rollout(&task, seeded(1));
    let other = fixture.rollout(&task, seeded(2));
    for trajectory in [&first, &again, &other] {
        check_resolved(&task, trajectory);
    }
    assert!(!error_steps(&first).is_empty(), "{}", transcript(&first));
    assert_eq!(without_durations(&first), without_durations(&again));
    assert_ne!(
        without_durations(&first)["messages"],
        without_durations(&other)["messages"]
    );
}
