//! `mine_tasks`: real tasks from merged pull requests, validated in sandboxes, resumable.
//!
//! Each pull request goes through lego-data's filters (`candidate_task`, no sandbox), then,
//! if it passes, through lego-sandbox's `validate` in a sandbox of its own holding the
//! repository at the base commit, sanitised unless the history mode keeps it. Accepted tasks
//! are appended to the output and rejected pull requests, with the reason, to the rejections
//! file as each finishes, so an interrupted run resumes where it stopped: a pull request found
//! in either file is not done again. One whose sandbox could not be made or failed is recorded
//! in neither, and the next run tries it again.

use std::path::Path;
use std::sync::Mutex;
use std::time::Instant;

use lego_data::{
    JsonlAppender, MineOptions, Progress, PullRequest, Rejection, SanitizeMode, Task, completed_ids,
};
use lego_sandbox::{Pool, Sandbox, Starter, ValidateOptions, Validation, validate};
use serde_json::json;

use crate::env::{JobSandboxes, Repos, setup_task};
use crate::error::{Error, Result};
use crate::rollouts::{job_error, lock};

/// How [`mine_tasks`] runs.
#[derive(Debug, Clone)]
pub struct MiningOptions {
    /// lego-data's filters and the fields the tasks get.
    pub filters: MineOptions,
    /// How candidates are validated.
    pub validate: ValidateOptions,
    /// Validations at once.
    pub jobs: usize,
    /// What the sandbox's `.git` holds (truncate, squash; keep = hack-inclusive).
    pub history: SanitizeMode,
    /// Do at most this many of the pull requests not done yet.
    pub limit: Option<usize>,
}

impl Default for MiningOptions {
    fn default() -> Self {
        MiningOptions {
            filters: MineOptions::default(),
            validate: ValidateOptions::default(),
            jobs: 1,
            history: SanitizeMode::Truncate,
            limit: None,
        }
    }
}

/// What a [`mine_tasks`] call did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MiningReport {
    /// Tasks appended by this call.
    pub accepted: usize,
    /// Pull requests rejected by this call (filters or validation).
    pub rejected: usize,
    /// Pull requests found done in the output files.
    pub skipped: usize,
    /// Pull requests that could not be validated, with why (recorded nowhere: a rerun retries).
    pub failed: Vec<(String, String)>,
}

/// Mines `prs` of the clone `repo`: tasks appended to `out`, rejections (with the stage, the
/// reason's code and message, and the validation's test lists) to `rejected`. `progress`
/// counts pull requests; each verdict is an `info` event (`id: accepted: ...`).
pub fn mine_tasks(
    repo: &Path,
    prs: &[PullRequest],
    starter: &Starter,
    out: &Path,
    rejected: &Path,
    options: &MiningOptions,
    progress: &dyn Progress,
) -> Result<MiningReport> {
    let span = tracing::debug_span!("mine", repo = %repo.display(), prs = prs.len());
    let _entered = span.enter();
    let mut done = completed_ids(out, "instance_id")?;
    done.extend(completed_ids(rejected, "instance_id")?);
    let filters = &options.filters;
    let mut todo: Vec<(&PullRequest, String)> = prs
        .iter()
        .map(|pr| {
            let name = lego_data::repo_name(repo, pr, filters);
            (pr, lego_data::instance_id(&name, pr.number))
        })
        .collect();
    let total = todo.len();
    todo.retain(|(_, id)| !done.contains(id));
    let mut report = MiningReport {
        skipped: total - todo.len(),
        ..MiningReport::default()
    };
    if report.skipped > 0 {
        tracing::info!(
            "resuming: {} of {total} pull requests already done",
            report.skipped
        );
    }
    if let Some(limit) = options.limit {
        todo.truncate(limit);
    }

    let tasks = Mutex::new(JsonlAppender::open(out)?);
    let rejections = Mutex::new(JsonlAppender::open(rejected)?);
    progress.set_total(todo.len() as u64);
    let verdict = |id: &str, what: &str| {
        if what.starts_with("failed") {
            tracing::warn!("{id}: {what}");
        } else {
            tracing::info!("{id}: {what}");
        }
        progress.advance(1);
    };
    let reject = |id: &str, pr: u64, stage: &str, why: &Rejection, v: Option<&Validation>| {
        let mut record = json!({
            "instance_id": id,
            "pull_number": pr,
            "stage": stage,
            "reason": why.code(),
            "message": why.to_string(),
        });
        if let Some(v) = v {
            record["FAIL_TO_PASS"] = json!(v.fail_to_pass);
            record["PASS_TO_PASS"] = json!(v.pass_to_pass);
            record["flaky"] = json!(v.flaky);
        }
        lock(&rejections).append(&record)
    };

    // The filters: no sandbox needed.
    let mut pending: Vec<(Task, u64)> = Vec::new();
    for (pr, id) in &todo {
        let candidate = lego_data::candidate_task(repo, pr, filters).map_err(|e| Error::Input {
            location: format!("pull request {}", pr.number),
            message: e.to_string(),
        })?;
        match candidate {
            Ok(task) => pending.push((task, pr.number)),
            Err(why) => {
                reject(id, pr.number, "filter", &why, None)?;
                report.rejected += 1;
                verdict(id, &format!("rejected: {why}"));
            }
        }
    }

    // The validations, each in a sandbox of its own holding the base commit.
    let repos = Repos::One(repo.to_owned());
    let sandboxes = JobSandboxes::new(
        pending.iter().map(|(task, _)| task).collect(),
        &repos,
        starter,
        options.history,
    );
    let pool = Pool::new(options.jobs, |job| sandboxes.start(job));
    let outcomes = Mutex::new((0usize, 0usize));
    let results = pool.run(
        (0..pending.len()).collect(),
        |sandbox: &mut dyn Sandbox, job: usize| -> Result<()> {
            let (task, pr) = &pending[job];
            let _repo = sandboxes.take_repo(job);
            let started = Instant::now();
            let id = &task.instance_id;
            // The task as the sandbox names its base (a squashed history has a new commit id).
            let local = setup_task(sandbox, task)?;
            let validation = validate(sandbox, &local, &options.validate)?;
            let secs = started.elapsed().as_secs_f64();
            match &validation.rejection {
                None => {
                    lock(&tasks).append(&validation.apply_to(task))?;
                    lock(&outcomes).0 += 1;
                    verdict(
                        id,
                        &format!(
                            "accepted: {} FAIL_TO_PASS, {} PASS_TO_PASS ({secs:.1} s)",
                            validation.fail_to_pass.len(),
                            validation.pass_to_pass.len()
                        ),
                    );
                }
                Some(why) => {
                    reject(id, *pr, "validate", why, Some(&validation))?;
                    lock(&outcomes).1 += 1;
                    verdict(id, &format!("rejected: {why} ({secs:.1} s)"));
                }
            }
            Ok(())
        },
    );
    for (job, result) in results.into_iter().enumerate() {
        if let Err(e) = result {
            let id = pending[job].0.instance_id.clone();
            let why = job_error(&e);
            verdict(&id, &format!("failed: {why}"));
            report.failed.push((id, why));
        }
    }
    let (accepted, rejected_in_sandbox) = *lock(&outcomes);
    report.accepted = accepted;
    report.rejected += rejected_in_sandbox;
    Ok(report)
}
