//! `run_eval`: what `swebench.harness.run_evaluation` does, on lego's sandboxes: each
//! prediction's patch applied to its task's repository, the task's tests run and graded, the
//! logs and report of each instance written under `DIR/logs/<instance_id>/`, and a run summary
//! in swebench's `make_run_report` shape. Resumable: an instance with a report (or a recorded
//! error) is not run again.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use lego_data::{Progress, SanitizeMode, Task, write_atomic};
use lego_sandbox::{Pool, RunOptions, Starter, run_tests};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::env::{JobSandboxes, Repos, setup_task};
use crate::error::{Error, Result};
use crate::rollouts::job_error;

/// One SWE-bench prediction.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Prediction {
    /// The task.
    pub instance_id: String,
    /// Who made it.
    #[serde(default)]
    pub model_name_or_path: String,
    /// The patch; `None` (JSON null) and empty are both "no patch" (an empty-patch instance).
    #[serde(default)]
    pub model_patch: Option<String>,
}

/// How [`run_eval`] runs.
#[derive(Debug, Clone)]
pub struct EvalOptions {
    /// Instances at once.
    pub jobs: usize,
    /// What the sandbox's `.git` holds (keep = hack-inclusive).
    pub history: SanitizeMode,
    /// How the tests run.
    pub run: RunOptions,
}

impl Default for EvalOptions {
    fn default() -> Self {
        EvalOptions {
            jobs: 1,
            history: SanitizeMode::Truncate,
            run: RunOptions::default(),
        }
    }
}

/// swebench's run report (`make_run_report`, schema version 2).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunReport {
    /// Tasks in the data set.
    pub total_instances: usize,
    /// Predictions given.
    pub submitted_instances: usize,
    /// Instances with a report.
    pub completed_instances: usize,
    /// Of those, resolved.
    pub resolved_instances: usize,
    /// Of those, not resolved.
    pub unresolved_instances: usize,
    /// Predictions with an empty patch (not run).
    pub empty_patch_instances: usize,
    /// Instances whose evaluation gave no report (the patch did not apply, the tests timed out,
    /// the sandbox failed).
    pub error_instances: usize,
    /// The ids of each group, sorted.
    pub completed_ids: Vec<String>,
    /// Tasks without a prediction.
    pub incomplete_ids: Vec<String>,
    /// See `empty_patch_instances`.
    pub empty_patch_ids: Vec<String>,
    /// See `submitted_instances`.
    pub submitted_ids: Vec<String>,
    /// See `resolved_instances`.
    pub resolved_ids: Vec<String>,
    /// See `unresolved_instances`.
    pub unresolved_ids: Vec<String>,
    /// See `error_instances`.
    pub error_ids: Vec<String>,
    /// 2, as swebench writes.
    pub schema_version: u32,
}

/// The directory of one instance's logs.
pub fn instance_dir(out: &Path, instance_id: &str) -> PathBuf {
    out.join("logs").join(instance_id)
}

/// Evaluates `predictions` on `tasks`, writing `out/logs/<id>/{patch.diff, test_output.txt,
/// report.json}` (or `error.txt` where swebench writes no report) as each ends, and returns the
/// summary (also written to `out/report.json`). A prediction for no task is an error.
pub fn run_eval(
    tasks: &[Task],
    repos: &Repos,
    starter: &Starter,
    predictions: &[Prediction],
    out: &Path,
    options: &EvalOptions,
    progress: &dyn Progress,
) -> Result<RunReport> {
    let span = tracing::debug_span!("eval", predictions = predictions.len(), jobs = options.jobs);
    let _entered = span.enter();
    let by_id: HashMap<&str, &Task> = tasks.iter().map(|t| (t.instance_id.as_str(), t)).collect();
    for p in predictions {
        if !by_id.contains_key(p.instance_id.as_str()) {
            return Err(Error::Input {
                location: "predictions".to_owned(),
                message: format!("{} is not one of the tasks", p.instance_id),
            });
        }
    }
    let todo: Vec<(&Prediction, &Task)> = predictions
        .iter()
        .filter(|p| !is_empty(p) && !evaluated(out, &p.instance_id))
        .map(|p| (p, by_id[p.instance_id.as_str()]))
        .collect();
    let skipped = predictions.iter().filter(|p| !is_empty(p)).count() - todo.len();
    if skipped > 0 {
        tracing::info!(
            "resuming: {skipped} of {} instances already evaluated in {}",
            skipped + todo.len(),
            out.display()
        );
    }
    std::fs::create_dir_all(out.join("logs")).map_err(|source| Error::Write {
        path: out.join("logs"),
        source,
    })?;

    let sandboxes = JobSandboxes::new(
        todo.iter().map(|(_, task)| *task).collect(),
        repos,
        starter,
        options.history,
    );
    let pool = Pool::new(options.jobs, |job| sandboxes.start(job));
    let results = pool.run_with_progress(
        (0..todo.len()).collect(),
        |sandbox, job| -> Result<()> {
            let (prediction, task) = todo[job];
            let _repo = sandboxes.take_repo(job);
            let dir = instance_dir(out, &task.instance_id);
            let patch = prediction.model_patch.clone().unwrap_or_default();
            write(&dir.join("patch.diff"), patch.as_bytes())?;
            let local = setup_task(sandbox, task)?;
            let run = run_tests(sandbox, &local, Some(&patch), &options.run)?;
            write(&dir.join("test_output.txt"), run.log.as_bytes())?;
            // swebench writes no report when the patch does not apply or the tests time out.
            if run.patch_applied == Some(false) || run.timed_out {
                let why = if run.timed_out {
                    format!("tests timed out after {} s", options.run.timeout.as_secs())
                } else {
                    format!("patch did not apply\n{}", run.apply_log)
                };
                write(&dir.join("error.txt"), why.as_bytes())?;
                tracing::info!(
                    "{}: error ({})",
                    task.instance_id,
                    why.lines().next().unwrap_or("")
                );
            } else {
                let report = serde_json::to_vec_pretty(&run.grade.swebench_report())
                    .expect("a report serialises");
                write(&dir.join("report.json"), &report)?;
                tracing::info!(
                    "{}: {}",
                    task.instance_id,
                    if run.grade.report.resolved {
                        "resolved"
                    } else {
                        "unresolved"
                    }
                );
            }
            Ok(())
        },
        progress,
    );
    for (job, result) in results.into_iter().enumerate() {
        if let Err(e) = result {
            let id = &todo[job].1.instance_id;
            let why = job_error(&e);
            tracing::warn!("{id}: evaluation failed: {why}");
            // Recorded, as swebench records an instance whose run raised: an error instance.
            write(&instance_dir(out, id).join("error.txt"), why.as_bytes())?;
        }
    }
    let report = run_report(tasks, predictions, out);
    let json = serde_json::to_vec_pretty(&report).expect("a report serialises");
    write(&out.join("report.json"), &json)?;
    Ok(report)
}

/// The summary of what `out` holds for `predictions` (swebench's `make_run_report`).
pub fn run_report(tasks: &[Task], predictions: &[Prediction], out: &Path) -> RunReport {
    let submitted: HashMap<&str, &Prediction> = predictions
        .iter()
        .map(|p| (p.instance_id.as_str(), p))
        .collect();
    let mut sets: [BTreeSet<String>; 6] = Default::default();
    let [completed, incomplete, empty, resolved, unresolved, error] = &mut sets;
    for task in tasks {
        let id = task.instance_id.clone();
        let Some(p) = submitted.get(id.as_str()) else {
            incomplete.insert(id);
            continue;
        };
        if is_empty(p) {
            empty.insert(id);
            continue;
        }
        let report = instance_dir(out, &id).join("report.json");
        let resolved_flag = std::fs::read(&report)
            .ok()
            .and_then(|bytes| serde_json::from_slice::<Value>(&bytes).ok())
            .and_then(|v| v.get(&id)?.get("resolved")?.as_bool());
        match resolved_flag {
            Some(true) => {
                completed.insert(id.clone());
                resolved.insert(id);
            }
            Some(false) => {
                completed.insert(id.clone());
                unresolved.insert(id);
            }
            None => {
                error.insert(id);
            }
        }
    }
    let ids = |s: &BTreeSet<String>| s.iter().cloned().collect::<Vec<_>>();
    let mut submitted_ids: Vec<String> = submitted.keys().map(|k| k.to_string()).collect();
    submitted_ids.sort();
    RunReport {
        total_instances: tasks.len(),
        submitted_instances: predictions.len(),
        completed_instances: completed.len(),
        resolved_instances: resolved.len(),
        unresolved_instances: unresolved.len(),
        empty_patch_instances: empty.len(),
        error_instances: error.len(),
        completed_ids: ids(completed),
        incomplete_ids: ids(incomplete),
        empty_patch_ids: ids(empty),
        submitted_ids,
        resolved_ids: ids(resolved),
        unresolved_ids: ids(unresolved),
        error_ids: ids(error),
        schema_version: 2,
    }
}

fn is_empty(p: &Prediction) -> bool {
    p.model_patch.as_deref().is_none_or(|s| s.trim().is_empty())
}

fn evaluated(out: &Path, id: &str) -> bool {
    let dir = instance_dir(out, id);
    dir.join("report.json").exists() || dir.join("error.txt").exists()
}

fn write(path: &Path, bytes: &[u8]) -> Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|source| Error::Write {
            path: dir.to_owned(),
            source,
        })?;
    }
    Ok(write_atomic(path, bytes)?)
}

/// Reads a predictions file (JSONL, or one JSON array as swebench also accepts), each instance
/// once.
pub fn read_predictions(path: &Path) -> Result<Vec<Prediction>> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::Input {
        location: path.display().to_string(),
        message: format!("cannot read it: {source}"),
    })?;
    let mut out = Vec::new();
    let mut seen = HashMap::new();
    let parsed: Vec<(usize, Prediction)> = if text.trim_start().starts_with('[') {
        let all: Vec<Prediction> = serde_json::from_str(&text).map_err(|e| Error::Input {
            location: path.display().to_string(),
            message: format!("not a JSON array of predictions: {e}"),
        })?;
        all.into_iter()
            .enumerate()
            .map(|(i, p)| (i + 1, p))
            .collect()
    } else {
        let mut v = Vec::new();
        for item in lego_data::jsonl_records::<Prediction>(path)? {
            v.push(item?);
        }
        v
    };
    for (line, p) in parsed {
        if let Some(first) = seen.insert(p.instance_id.clone(), line) {
            return Err(Error::Input {
                location: format!("{}:{line}", path.display()),
                message: format!("{} already has a prediction on line {first}", p.instance_id),
            });
        }
        out.push(p);
    }
    Ok(out)
}
