//! `lego agent run` and `lego eval run` on real tasks: the ones `lego data mine` makes from
//! `six`'s release history (see `mine.rs`), solved by the scripted expert in sandboxes.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

use crate::mine::{TEST_CMD, mine, path_with, setup};
use crate::{read_lines, stderr};

/// The six repository, its mined tasks and the PATH with pytest, in `dir`; `None` after saying
/// why `test` skips.
fn six_tasks(test: &str, dir: &Path) -> Option<(PathBuf, PathBuf, String)> {
    let (repo, _, prs, venv) = setup(test, dir)?;
    let tasks = dir.join("tasks.jsonl");
    let path = path_with(&venv);
    let out = mine(
        &path,
        &[
            "--repo",
            repo.to_str().unwrap(),
            "--prs",
            prs.to_str().unwrap(),
            "--out",
            tasks.to_str().unwrap(),
            "--test-cmd",
            TEST_CMD,
            "--jobs",
            "2",
            "--timeout",
            "300",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(read_lines(&tasks).len(), 2);
    Some((repo, tasks, path))
}

fn lego_with_path(path: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lego"))
        .args(args)
        .env("PATH", path)
        .output()
        .unwrap()
}

/// Every trajectory is graded resolved, by the scripted expert, and names its rollout.
fn check_resolved(trajectories: &[Value], expected: usize) {
    assert_eq!(trajectories.len(), expected);
    for t in trajectories {
        assert_eq!(t["policy"], "scripted-expert");
        let messages = t["messages"].as_array().unwrap();
        let tail: Vec<String> = messages[messages.len().saturating_sub(6)..]
            .iter()
            .map(|m| format!("{}: {} {}", m["role"], m["content"], m["tool_calls"]))
            .collect();
        assert_eq!(
            t["end"],
            "finish",
            "{} ended after:\n{}",
            t["instance_id"],
            tail.join("\n")
        );
        assert_eq!(
            t["outcome"], "resolved",
            "{}: {}",
            t["instance_id"], t["report"]
        );
        let patch = t["final_patch"].as_str().unwrap();
        assert!(patch.contains("diff --git a/six.py b/six.py"), "{patch}");
        assert!(
            !patch.contains("test_six.py"),
            "test files stay out: {patch}"
        );
        assert_eq!(t["report"]["resolved"], true);
    }
}

fn error_steps(trajectory: &Value) -> Vec<String> {
    trajectory["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["step"]["error"].as_str().map(str::to_owned))
        .collect()
}

#[test]
fn scripted_expert_resolves_mined_six_tasks_on_the_local_backend() {
    let test = "scripted_expert_resolves_mined_six_tasks_on_the_local_backend";
    let dir = tempfile::tempdir().unwrap();
    let Some((repo, tasks, path)) = six_tasks(test, dir.path()) else {
        return;
    };
    let out = dir.path().join("traj.jsonl");
    let preds = dir.path().join("preds.jsonl");
    let run = lego_with_path(
        &path,
        &[
            "agent",
            "run",
            "--tasks",
            tasks.to_str().unwrap(),
            "--repo",
            repo.to_str().unwrap(),
            "--policy",
            "scripted-expert",
            "--out",
            out.to_str().unwrap(),
            "--predictions",
            preds.to_str().unwrap(),
            "--jobs",
            "2",
            "--timeout",
            "300",
        ],
    );
    let err = stderr(&run);
    assert!(run.status.success(), "{err}");
    assert!(err.contains("rollouts 2/2 (100%)"), "{err}");
    let trajectories = read_lines(&out);
    check_resolved(&trajectories, 2);
    for t in &trajectories {
        assert!(error_steps(t).is_empty(), "no mistakes asked for: {t}");
    }
    assert_eq!(read_lines(&preds).len(), 2);

    // Mistakes on: every task still resolved, and the trajectories hold labelled error steps.
    let noisy = dir.path().join("noisy.jsonl");
    let run = lego_with_path(
        &path,
        &[
            "agent",
            "run",
            "--tasks",
            tasks.to_str().unwrap(),
            "--repo",
            repo.to_str().unwrap(),
            "--policy",
            "scripted-expert",
            "--out",
            noisy.to_str().unwrap(),
            "--rollouts",
            "2",
            "--mistake-rate",
            "0.6",
            "--seed",
            "7",
            "--jobs",
            "2",
            "--timeout",
            "300",
        ],
    );
    assert!(run.status.success(), "{}", stderr(&run));
    let trajectories = read_lines(&noisy);
    check_resolved(&trajectories, 4);
    let errors: Vec<String> = trajectories.iter().flat_map(error_steps).collect();
    assert!(errors.len() >= 4, "{errors:?}");
    for kind in ["editor_error", "command_not_found"] {
        assert!(
            errors.iter().any(|e| e == kind),
            "{kind} missing from {errors:?}"
        );
    }
}
