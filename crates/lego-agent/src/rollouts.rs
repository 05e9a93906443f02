//! `run_rollouts`: one graded trajectory per (task, rollout), in parallel sandboxes, appended as
//! each finishes, resumable.

use std::collections::HashSet;
use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;

use lego_data::{
    JsonlAppender, Progress, SanitizeMode, Task, TestPatterns, Trajectory, complete_records,
};
use lego_sandbox::{JobError, Pool, RunOptions, Sandbox, Starter, run_tests};
use serde_json::{Map, Value, json};

use crate::env::{JobSandboxes, Repos, setup_task};
use crate::episode::{EndReason, EpisodeOptions, run_episode};
use crate::error::{Error, Result};
use crate::patch::{final_patch, outcome};
use crate::policy::Policy;

/// Makes the policy of one episode: `(task, rollout)`. Shared by the pool's threads.
pub type PolicyMaker<'a> = dyn Fn(&Task, usize) -> Box<dyn Policy> + Sync + 'a;

/// How [`run_rollouts`] runs.
#[derive(Debug, Clone)]
pub struct RolloutOptions {
    /// Rollouts per task (K).
    pub rollouts: usize,
    /// Episodes at once.
    pub jobs: usize,
    /// What the sandbox's `.git` holds: truncate or squash (hack-free), keep (hack-inclusive).
    pub history: SanitizeMode,
    /// The loop's limits.
    pub episode: EpisodeOptions,
    /// How the final patch is graded.
    pub grading: RunOptions,
    /// Which changed files are tests, left out of the final patch.
    pub test_patterns: TestPatterns,
}

impl Default for RolloutOptions {
    fn default() -> Self {
        RolloutOptions {
            rollouts: 1,
            jobs: 1,
            history: SanitizeMode::Truncate,
            episode: EpisodeOptions::default(),
            grading: RunOptions {
                timeout: Duration::from_secs(1800),
                ..RunOptions::default()
            },
            test_patterns: TestPatterns::default(),
        }
    }
}

/// What a [`run_rollouts`] call did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RolloutReport {
    /// Pairs written by this call.
    pub written: usize,
    /// Of those, resolved.
    pub resolved: usize,
    /// Pairs found in the output already, not run again.
    pub skipped: usize,
    /// Pairs that could not be run (sandbox or task failures), with why; not written, so a
    /// rerun tries them again.
    pub failed: Vec<(String, usize, String)>,
}

/// Runs `rollouts` episodes of each task and appends one graded trajectory per (task, rollout)
/// to `out` as each ends; pairs already in `out` are skipped, so a killed run resumes. With
/// `predictions`, rollout 0's final patch of each task is appended there too, in SWE-bench's
/// shape (and written for trajectories that have none yet on a resumed run).
///
/// Each episode runs in a sandbox holding the task's repository at its base commit
/// ([`TaskRepo`](crate::TaskRepo)); the final patch is then graded after a [`Sandbox::reset`] to the clean
/// environment, by the task's tests with its test patch. `progress` counts pairs.
#[allow(clippy::too_many_arguments)]
pub fn run_rollouts(
    tasks: &[Task],
    repos: &Repos,
    starter: &Starter,
    make_policy: &PolicyMaker<'_>,
    out: &Path,
    predictions: Option<&Path>,
    options: &RolloutOptions,
    progress: &dyn Progress,
) -> Result<RolloutReport> {
    let span = tracing::debug_span!(
        "rollouts",
        tasks = tasks.len(),
        rollouts = options.rollouts,
        jobs = options.jobs
    );
    let _entered = span.enter();
    // Read once: the pairs to skip, and the trajectories whose predictions a kill lost.
    let written = complete_records(out)?.records;
    let done = written_pairs(out, &written)?;
    let mut report = RolloutReport::default();
    let mut todo = Vec::new();
    for task in tasks {
        for rollout in 0..options.rollouts.max(1) {
            if done.contains(&(task.instance_id.clone(), rollout)) {
                report.skipped += 1;
            } else {
                todo.push((task, rollout));
            }
        }
    }
    if report.skipped > 0 {
        tracing::info!(
            "resuming: {} of {} rollouts already in {}",
            report.skipped,
            report.skipped + todo.len(),
            out.display()
        );
    }
    let trajectories = Mutex::new(JsonlAppender::open(out)?);
    let predictions = match predictions {
        Some(path) => Some((Mutex::new(catch_up_predictions(&written, path)?), path)),
        None => None,
    };

    let sandboxes = JobSandboxes::new(
        todo.iter().map(|(task, _)| *task).collect(),
        repos,
        starter,
        options.history,
    );
    let pool = Pool::new(options.jobs, |job| sandboxes.start(job));
    let resolved = Mutex::new(0usize);
    let jobs: Vec<usize> = (0..todo.len()).collect();
    let results = pool.run_with_progress(
        jobs,
        |sandbox, job| -> Result<()> {
            let (task, rollout) = todo[job];
            // The repository stays until the job ends: the local backend resets from it.
            let _repo = sandboxes.take_repo(job);
            let mut policy = make_policy(task, rollout);
            let trajectory = rollout_in(sandbox, task, rollout, policy.as_mut(), options)?;
            let is_resolved = trajectory.outcome == Some(lego_data::Outcome::Resolved);
            lock(&trajectories).append(&trajectory)?;
            if let Some((file, _)) = &predictions
                && rollout == 0
            {
                lock(file).append(&prediction(&trajectory))?;
            }
            let mut resolved = lock(&resolved);
            if is_resolved {
                *resolved += 1;
            }
            progress.set_message(&format!("{} resolved", *resolved));
            let end = trajectory
                .extra
                .get("end")
                .and_then(|v| v.as_str())
                .unwrap_or("?");
            let turns = trajectory
                .extra
                .get("turns")
                .and_then(|v| v.as_u64())
                .unwrap_or(0);
            tracing::info!(
                "{} rollout {rollout}: {} ({end}, {turns} turns)",
                task.instance_id,
                outcome_name(&trajectory),
            );
            Ok(())
        },
        progress,
    );
    for (job, result) in results.into_iter().enumerate() {
        let (task, rollout) = todo[job];
        match result {
            Ok(()) => report.written += 1,
            Err(e) => {
                let why = job_error(&e);
                tracing::warn!("{} rollout {rollout} failed: {why}", task.instance_id);
                report.failed.push((task.instance_id.clone(), rollout, why));
            }
        }
    }
    report.resolved = *lock(&resolved);
    Ok(report)
}

/// One rollout in `sandbox` (fresh, holding the task's repository): the episode, its final
/// patch, and the grade after a reset. An episode whose policy never answered is an error
/// ([`Error::PolicyUnavailable`]), not a trajectory: nothing was tried, and a rerun should try.
pub fn rollout_in(
    sandbox: &mut dyn Sandbox,
    task: &Task,
    rollout: usize,
    policy: &mut dyn Policy,
    options: &RolloutOptions,
) -> Result<Trajectory> {
    let local = setup_task(sandbox, task)?;
    let episode = run_episode(sandbox, &local, policy, &options.episode);
    if episode.end == EndReason::PolicyError && episode.turns == 0 {
        return Err(Error::PolicyUnavailable {
            instance_id: task.instance_id.clone(),
            message: episode.end_detail.unwrap_or_default(),
        });
    }
    let patch = final_patch(sandbox, &local.base_commit, &options.test_patterns)?;
    sandbox.reset()?;
    let graded_task = setup_task(sandbox, task)?;
    let run = run_tests(sandbox, &graded_task, Some(&patch), &options.grading)?;
    let outcome = outcome(task, &patch, &run.grade);
    let report = run
        .grade
        .swebench_report()
        .get(&task.instance_id)
        .cloned()
        .unwrap_or(Value::Null);
    let mut extra = Map::new();
    extra.insert("policy".into(), json!(policy.name()));
    extra.insert("model".into(), json!(policy.model()));
    extra.insert("rollout".into(), json!(rollout));
    extra.insert("end".into(), json!(episode.end.as_str()));
    if let Some(detail) = &episode.end_detail {
        extra.insert("end_detail".into(), json!(detail));
    }
    extra.insert("turns".into(), json!(episode.turns));
    extra.insert("report".into(), report);
    extra.insert("usage".into(), json!(episode.usage));
    extra.insert("duration_s".into(), json!(episode.duration_s));
    extra.insert("policy_s".into(), json!(episode.policy_s));
    extra.insert("backend".into(), json!(sandbox.backend()));
    extra.insert("history".into(), json!(options.history.to_string()));
    Ok(Trajectory {
        instance_id: task.instance_id.clone(),
        tools: episode.tools,
        messages: episode.messages,
        outcome: Some(outcome),
        final_patch: Some(patch),
        extra,
    })
}

/// SWE-bench's prediction of a trajectory.
pub fn prediction(trajectory: &Trajectory) -> Value {
    json!({
        "instance_id": trajectory.instance_id,
        "model_name_or_path": trajectory.extra.get("model").cloned().unwrap_or(json!("lego")),
        "model_patch": trajectory.final_patch.clone().unwrap_or_default(),
    })
}

/// The (instance_id, rollout) pairs of the trajectories already in `out`.
fn written_pairs(out: &Path, written: &[(usize, Value)]) -> Result<HashSet<(String, usize)>> {
    let mut pairs = HashSet::new();
    for (line, value) in written {
        let Some(id) = value.get("instance_id").and_then(Value::as_str) else {
            return Err(Error::Input {
                location: format!("{}:{line}", out.display()),
                message: "trajectory without instance_id".to_owned(),
            });
        };
        let rollout = value.get("rollout").and_then(Value::as_u64).unwrap_or(0);
        pairs.insert((id.to_owned(), rollout as usize));
    }
    Ok(pairs)
}

/// Opens the predictions file, first appending the predictions of the rollout-0 trajectories
/// in `written` that a killed run wrote without theirs.
fn catch_up_predictions(written: &[(usize, Value)], path: &Path) -> Result<JsonlAppender> {
    let mut file = JsonlAppender::open(path)?;
    let have = lego_data::completed_ids(path, "instance_id")?;
    for (_, value) in written {
        if value.get("rollout").and_then(Value::as_u64).unwrap_or(0) != 0 {
            continue;
        }
        let Ok(trajectory) = serde_json::from_value::<Trajectory>(value.clone()) else {
            continue;
        };
        if !have.contains(&trajectory.instance_id) {
            file.append(&prediction(&trajectory))?;
        }
    }
    Ok(file)
}

fn outcome_name(trajectory: &Trajectory) -> &'static str {
    match trajectory.outcome {
        Some(lego_data::Outcome::Resolved) => "resolved",
        Some(lego_data::Outcome::SemiResolved) => "semi-resolved",
        Some(lego_data::Outcome::Unresolved) => "unresolved",
        Some(lego_data::Outcome::Error) => "error",
        None => "not graded",
    }
}

/// A pool job's failure and its causes on one line.
pub(crate) fn job_error<E: std::error::Error + 'static>(e: &JobError<E>) -> String {
    crate::error::error_chain(e)
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
