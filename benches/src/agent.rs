//! The agent's own cost, on the scripted expert (no model: policy time is near zero and is
//! subtracted anyway): the loop's cost per turn (tool calls in the sandbox, observations,
//! bookkeeping; the policy's time excluded) on each backend, and whole graded episodes per hour
//! with `--jobs 1` and `--jobs 2` on the same tasks (`cargo xtask bench agent`).
//!
//! The tasks are synthetic, made here: a package of `N` one-line functions with a unittest per
//! function, each task one function broken (`+` turned into `-`), so they need nothing but
//! `python3`. `LEGO_BENCH_TASKS` sets how many (default 6).

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use lego_agent::{ExpertOptions, Policy, Repos, RolloutOptions, ScriptedExpert, run_rollouts};
use lego_data::{NoProgress, Task, TaskSource};
use lego_sandbox::{BackendKind, Starter};
use serde_json::{Value, json};

const FUNCTIONS: usize = 8;

fn git(dir: &Path, args: &[&str]) -> Result<String> {
    let out = Command::new("git")
        .current_dir(dir)
        .args(["-c", "user.name=bench", "-c", "user.email=bench@localhost"])
        .args(args)
        .output()
        .context("cannot run git")?;
    if !out.status.success() {
        bail!("git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn calc(broken: Option<usize>) -> String {
    (0..FUNCTIONS)
        .map(|i| {
            let op = if Some(i) == broken { '-' } else { '+' };
            format!("def f{i}(x):\n    return x {op} {}\n\n\n", i + 1)
        })
        .collect()
}

/// The repository and its tasks.
fn make_tasks(dir: &Path, n: usize) -> Result<Vec<Task>> {
    std::fs::create_dir_all(dir.join("tests"))?;
    std::fs::write(dir.join("calc.py"), calc(None))?;
    std::fs::write(dir.join("tests/__init__.py"), "")?;
    let tests: String = (0..FUNCTIONS)
        .map(|i| {
            format!(
                "    def test_f{i}(self):\n        self.assertEqual(calc.f{i}(10), {})\n\n",
                11 + i
            )
        })
        .collect();
    std::fs::write(
        dir.join("tests/test_calc.py"),
        format!("import unittest\n\nimport calc\n\n\nclass T(unittest.TestCase):\n{tests}"),
    )?;
    std::fs::write(dir.join(".gitignore"), "__pycache__/\n")?;
    git(dir, &["init", "-q", "-b", "main"])?;
    git(dir, &["add", "-A"])?;
    git(dir, &["commit", "-qm", "calc"])?;
    let base = git(dir, &["rev-parse", "HEAD"])?.trim().to_owned();
    let id = |i: usize| format!("test_f{i} (tests.test_calc.T.test_f{i})");
    let mut tasks = Vec::new();
    for k in 0..n.min(FUNCTIONS) {
        std::fs::write(dir.join("calc.py"), calc(Some(k)))?;
        let bug = git(dir, &["diff"])?;
        // Reversed. `-R` swaps the prefixes too (`diff --git b/x a/x`): swapped back here.
        let gold = git(dir, &["diff", "-R", "--src-prefix=b/", "--dst-prefix=a/"])?;
        git(dir, &["checkout", "--", "calc.py"])?;
        let mut task: Task = serde_json::from_value(json!({
            "instance_id": format!("bench__calc-{k}"),
            "repo": "bench/calc",
            "base_commit": base,
            "patch": gold,
            "problem_statement": format!("f{k} returns a wrong result."),
            "FAIL_TO_PASS": [id(k)],
            "PASS_TO_PASS": (0..FUNCTIONS).filter(|&i| i != k).map(id).collect::<Vec<_>>(),
            "test_cmd": "python3 -m unittest -v tests.test_calc",
            "bug_patch": bug,
            "log_parser": "unittest",
        }))?;
        task.source = Some(TaskSource::Synthetic);
        tasks.push(task);
    }
    Ok(tasks)
}

/// What one `run_rollouts` took: wall seconds, and the loop's seconds per turn of each episode.
fn measure(
    tasks: &[Task],
    repo: &Path,
    starter: &Starter,
    jobs: usize,
    out: &Path,
) -> Result<(f64, Vec<f64>)> {
    let make = |task: &Task, _: usize| -> Box<dyn Policy> {
        Box::new(ScriptedExpert::new(task, ExpertOptions::default()))
    };
    let options = RolloutOptions {
        jobs,
        ..RolloutOptions::default()
    };
    let started = Instant::now();
    let report = run_rollouts(
        tasks,
        &Repos::One(repo.to_owned()),
        starter,
        &make,
        out,
        None,
        &options,
        &NoProgress,
    )?;
    let wall = started.elapsed().as_secs_f64();
    let mut per_turn = Vec::new();
    for line in std::fs::read_to_string(out)?.lines() {
        let t: Value = serde_json::from_str(line)?;
        if t["outcome"] != "resolved" {
            let status = &t["report"]["tests_status"];
            bail!(
                "{} was not resolved ({}, {}): failing {} {}",
                t["instance_id"],
                t["outcome"],
                t["end"],
                status["FAIL_TO_PASS"]["failure"],
                status["PASS_TO_PASS"]["failure"]
            );
        }
        let f = |k: &str| t[k].as_f64().unwrap_or(0.0);
        per_turn.push((f("duration_s") - f("policy_s")) / f("turns").max(1.0));
    }
    if !report.failed.is_empty() {
        bail!("bench rollouts failed: {:?}", report.failed);
    }
    Ok((wall, per_turn))
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs.get(xs.len() / 2).copied().unwrap_or(f64::NAN)
}

pub fn run() -> Result<()> {
    let n: usize = std::env::var("LEGO_BENCH_TASKS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(6);
    let dir = tempfile::tempdir()?;
    let repo = dir.path().join("calc");
    let tasks = make_tasks(&repo, n)?;
    println!(
        "agent: {} synthetic tasks, scripted expert, graded; loop = episode time minus policy time",
        tasks.len()
    );
    println!(
        "{:<8} {:>16} {:>18} {:>18} {:>12}",
        "backend", "loop ms/turn", "episodes/h jobs 1", "episodes/h jobs 2", "jobs 2/1"
    );
    for kind in [BackendKind::Local, BackendKind::Docker] {
        let starter = match Starter::new(kind, Vec::new()) {
            Ok(s) => s,
            Err(err) => {
                println!("{:<8} not measured: {err}", kind.as_str());
                continue;
            }
        };
        // One episode first, not counted: it builds the Docker environment image (cached by
        // content, as every later sandbox of the repository finds it).
        measure(
            &tasks[..1],
            &repo,
            &starter,
            1,
            &dir.path().join(format!("{}-warm.jsonl", kind.as_str())),
        )?;
        let mut rates = Vec::new();
        let mut turns = Vec::new();
        for jobs in [1, 2] {
            let out = dir.path().join(format!("{}-{jobs}.jsonl", kind.as_str()));
            let (wall, per_turn) = measure(&tasks, &repo, &starter, jobs, &out)?;
            rates.push(tasks.len() as f64 * 3600.0 / wall);
            turns.extend(per_turn);
        }
        println!(
            "{:<8} {:>16.1} {:>18.0} {:>18.0} {:>12.2}",
            kind.as_str(),
            median(turns) * 1000.0,
            rates[0],
            rates[1],
            rates[1] / rates[0]
        );
    }
    Ok(())
}
