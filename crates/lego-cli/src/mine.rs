//! `lego data mine`: real tasks from merged pull requests.
//!
//! Each pull request goes through the filters of `lego_data::candidate_task` (here, at once),
//! then, if it passes, through `lego_sandbox::validate` in a sandbox of its own whose /testbed
//! holds the repository at the base commit, sanitised (nothing newer than the base in it) unless
//! `--hack-inclusive`. Validations run in parallel (`--jobs`). Accepted tasks are appended to
//! `--out` and rejected pull requests, with the reason, to `--rejected` as each finishes, so an
//! interrupted run resumes where it stopped: a pull request found in either file is not done
//! again. A pull request whose sandbox could not be made or failed is recorded in neither, and
//! the next run tries it again.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use clap::Args;
use lego_cli::ProgressBar;
use lego_data::{
    JsonlAppender, MineOptions, Progress, PullRequest, Rejection, SanitizeOptions, Task,
    TestPatterns, completed_ids, jsonl_records, sanitize_repo,
};
use lego_sandbox::{ExecOptions, Pool, RunOptions, Sandbox, ValidateOptions, Validation, validate};
use serde_json::{Value, json};

use lego_sandbox::Starter;

use lego_cli::sandbox_args::{Backend, HistoryArgs};

#[derive(Debug, Args)]
pub struct MineArgs {
    /// A local clone holding the pull requests' base and merge commits.
    #[arg(long)]
    repo: PathBuf,
    /// Merged pull requests, one GitHub API object per line, with the issues each resolves in
    /// `issues: [{number, title, body}]`.
    #[arg(long)]
    prs: PathBuf,
    /// Accepted tasks (JSONL, SWE-bench instances with lego's fields), appended as they finish.
    #[arg(long)]
    out: PathBuf,
    /// Rejected pull requests with the reason (JSONL); default: `OUT.rejected`.
    #[arg(long)]
    rejected: Option<PathBuf>,
    /// Where the sandboxes run.
    #[arg(long, value_enum, default_value_t = Backend::Local)]
    backend: Backend,
    /// Validations at once.
    #[arg(long, default_value_t = 1)]
    jobs: usize,
    #[command(flatten)]
    history: HistoryArgs,
    /// The test command stored in the tasks and run by validation (default: `pytest -rA` on the
    /// test patch's files).
    #[arg(long)]
    test_cmd: Option<String>,
    /// SWE-bench's log parser for the tasks (`pytest`, `unittest`, `django`, ...).
    #[arg(long)]
    log_parser: Option<String>,
    /// A test path pattern (repeatable; replaces the defaults `tests/`, `test/`, `test_*.py`,
    /// `*_test.py`, `conftest.py`). `DIR/` names a directory anywhere, a pattern with `/`
    /// matches the whole path, others the file name; `*`, `**`, `?` as in globs.
    #[arg(long = "test-pattern", value_name = "GLOB")]
    test_patterns: Vec<String>,
    /// Most files the code patch may touch.
    #[arg(long, default_value_t = 20)]
    max_files: usize,
    /// Most lines (added plus removed) the code patch may change.
    #[arg(long, default_value_t = 1000)]
    max_lines: usize,
    /// Keep pull requests that resolve no issue (their problem statement is their own title
    /// and body).
    #[arg(long)]
    allow_no_issue: bool,
    /// Keep tasks without a PASS_TO_PASS test (SWE-bench's rule; SWE-Lego asks for one).
    #[arg(long)]
    allow_no_pass_to_pass: bool,
    /// Runs of each side of the validation; with more than one, tests whose outcome changes
    /// are dropped as flaky.
    #[arg(long, default_value_t = 1)]
    runs: usize,
    /// Time limit of one test run, in seconds.
    #[arg(long, default_value_t = 1800)]
    timeout: u64,
    /// A variable for the test runs, `KEY=VALUE` (repeatable).
    #[arg(long = "env", value_name = "KEY=VALUE")]
    env: Vec<String>,
    /// Docker: a command run in /testbed when an environment image is built (repeatable).
    #[arg(long = "install", value_name = "CMD")]
    install: Vec<String>,
    /// `owner/name` for instance ids (default: the records' `base.repo.full_name`, else the
    /// clone's directory name).
    #[arg(long)]
    repo_name: Option<String>,
    /// Do at most this many of the pull requests not done yet, then stop.
    #[arg(long)]
    limit: Option<usize>,
}

/// One pull request that passed the filters, waiting for its validation.
struct Pending {
    task: Task,
    pr: u64,
}

pub fn run(args: MineArgs) -> Result<()> {
    let rejected_path = args.rejected.clone().unwrap_or_else(|| {
        let mut p = args.out.clone().into_os_string();
        p.push(".rejected");
        PathBuf::from(p)
    });
    if !args.repo.is_dir() {
        bail!("--repo {} is not a directory", args.repo.display());
    }
    let env = args
        .env
        .iter()
        .map(|kv| match kv.split_once('=') {
            Some((k, v)) if !k.is_empty() => Ok((k.to_owned(), v.to_owned())),
            _ => bail!("--env {kv:?} is not KEY=VALUE"),
        })
        .collect::<Result<Vec<_>>>()?;
    let options = MineOptions {
        test_patterns: if args.test_patterns.is_empty() {
            TestPatterns::default()
        } else {
            TestPatterns::new(&args.test_patterns)?
        },
        repo_name: args.repo_name.clone(),
        require_issue: !args.allow_no_issue,
        max_files: Some(args.max_files),
        max_lines: Some(args.max_lines),
        test_cmd: args.test_cmd.clone(),
        log_parser: args.log_parser.clone(),
    };
    let validate_options = ValidateOptions {
        run: RunOptions {
            timeout: Duration::from_secs(args.timeout),
            env,
            ..RunOptions::default()
        },
        runs: args.runs.max(1),
        require_pass_to_pass: !args.allow_no_pass_to_pass,
    };

    let prs = read_prs(&args.prs)?;
    let mut done = completed_ids(&args.out, "instance_id")?;
    done.extend(completed_ids(&rejected_path, "instance_id")?);
    let mut todo: Vec<(PullRequest, String)> = prs
        .into_iter()
        .map(|pr| {
            let name = lego_data::repo_name(&args.repo, &pr, &options);
            let id = lego_data::instance_id(&name, pr.number);
            (pr, id)
        })
        .collect();
    let total = todo.len();
    todo.retain(|(_, id)| !done.contains(id));
    if total > todo.len() {
        tracing::info!(
            "resuming: {} of {total} pull requests already done",
            total - todo.len()
        );
    }
    if let Some(limit) = args.limit {
        todo.truncate(limit);
    }

    let tasks = Mutex::new(JsonlAppender::open(&args.out)?);
    let rejected = Mutex::new(JsonlAppender::open(&rejected_path)?);
    let bar = ProgressBar::new("pull requests");
    bar.set_total(todo.len() as u64);
    // Each verdict is a log line (above the live bar on a terminal) and one step of the bar.
    let progress = |id: &str, what: &str| {
        if what.starts_with("failed") {
            tracing::warn!("{id}: {what}");
        } else {
            tracing::info!("{id}: {what}");
        }
        bar.advance(1);
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
        lock(&rejected).append(&record)
    };

    // The filters: no sandbox needed.
    let mut pending = Vec::new();
    for (pr, id) in &todo {
        match lego_data::candidate_task(&args.repo, pr, &options)
            .with_context(|| format!("pull request {}", pr.number))?
        {
            Ok(task) => pending.push(Pending {
                task,
                pr: pr.number,
            }),
            Err(why) => {
                reject(id, pr.number, "filter", &why, None)?;
                progress(id, &format!("rejected: {why}"));
            }
        }
    }

    // The validations, each in a sandbox of its own holding the base commit.
    let starter = Starter::new(args.backend.into(), args.install.clone()).with_context(|| {
        format!(
            "cannot start sandboxes on the {} backend",
            lego_sandbox::BackendKind::from(args.backend)
        )
    })?;
    let scratch = tempfile::Builder::new()
        .prefix("lego-mine-")
        .tempdir()
        .context("cannot make a scratch directory")?;
    let mode = args.history.mode();
    let bases: Vec<(String, String, String)> = pending
        .iter()
        .map(|p| {
            (
                p.task.base_commit.clone(),
                p.task.repo.clone(),
                p.task.instance_id.clone(),
            )
        })
        .collect();
    let pool = Pool::new(args.jobs, |job| {
        let (base, name, _) = &bases[job];
        let copy = scratch.path().join(format!("job-{job}"));
        let sanitize = SanitizeOptions {
            mode,
            ..SanitizeOptions::default()
        };
        sanitize_repo(&args.repo, base, &copy, &sanitize).map_err(|e| {
            lego_sandbox::Error::Prepare {
                what: format!("the repository at {base}"),
                source: Box::new(e),
            }
        })?;
        // The copy stays until the job ends: a local sandbox resets from it.
        starter.start(&copy, Some(name))
    });
    let jobs: Vec<(usize, Pending)> = pending.into_iter().enumerate().collect();
    let results = pool.run(jobs, |sandbox, (job, p): (usize, Pending)| -> Result<()> {
        let t = Instant::now();
        let id = p.task.instance_id.clone();
        let validation = validate_in(sandbox, &p.task, &validate_options)
            .with_context(|| format!("{id}: validation failed"));
        let _ = std::fs::remove_dir_all(scratch.path().join(format!("job-{job}")));
        let validation = match validation {
            Ok(v) => v,
            Err(e) => {
                progress(&id, &format!("failed: {e:#}"));
                return Err(e);
            }
        };
        let secs = t.elapsed().as_secs_f64();
        match &validation.rejection {
            None => {
                lock(&tasks).append(&validation.apply_to(&p.task))?;
                progress(
                    &id,
                    &format!(
                        "accepted: {} FAIL_TO_PASS, {} PASS_TO_PASS ({secs:.1} s)",
                        validation.fail_to_pass.len(),
                        validation.pass_to_pass.len()
                    ),
                );
            }
            Some(why) => {
                reject(&id, p.pr, "validate", why, Some(&validation))?;
                progress(&id, &format!("rejected: {why} ({secs:.1} s)"));
            }
        }
        Ok(())
    });
    let mut failed = 0;
    for (job, result) in results.into_iter().enumerate() {
        match result {
            Ok(()) => {}
            // Reported as it happened.
            Err(lego_sandbox::JobError::Failed { .. }) => failed += 1,
            Err(e) => {
                failed += 1;
                let why = match &e {
                    lego_sandbox::JobError::Start { source, .. } => {
                        format!("cannot start its sandbox: {}", chain(source))
                    }
                    lego_sandbox::JobError::Stop { source, .. } => {
                        format!("cannot stop its sandbox: {}", chain(source))
                    }
                    lego_sandbox::JobError::Panicked { message, .. } => {
                        format!("panicked: {message}")
                    }
                    lego_sandbox::JobError::Failed { .. } => unreachable!("matched above"),
                };
                progress(&bases[job].2, &format!("failed: {why}"));
            }
        }
    }
    bar.finish();
    let accepted = lego_data::completed_ids(&args.out, "instance_id")?.len();
    tracing::info!(
        "{accepted} tasks in {}, rejections in {}",
        args.out.display(),
        rejected_path.display()
    );
    if failed > 0 {
        bail!("{failed} pull requests could not be validated (not recorded; rerun to retry them)");
    }
    Ok(())
}

/// Validates `task` in `sandbox`, whose HEAD is the base commit (its id differs from the
/// task's when the history was squashed).
fn validate_in(
    sandbox: &mut dyn Sandbox,
    task: &Task,
    options: &ValidateOptions,
) -> Result<Validation> {
    let head = sandbox
        .exec("git rev-parse HEAD", &ExecOptions::default())
        .context("cannot read the sandbox's HEAD")?;
    let head = head.output.trim();
    if head.len() != 40 {
        bail!("the sandbox's HEAD is not a commit: {head}");
    }
    let local = Task {
        base_commit: head.to_owned(),
        ..task.clone()
    };
    Ok(validate(sandbox, &local, options)?)
}

/// The pull requests of `path`, each number once.
fn read_prs(path: &Path) -> Result<Vec<PullRequest>> {
    let mut prs = Vec::new();
    let mut lines: HashMap<u64, usize> = HashMap::new();
    for item in jsonl_records::<Value>(path)? {
        let (line, value) = item?;
        let pr: PullRequest = serde_json::from_value(value)
            .with_context(|| format!("{}:{line}: not a pull request", path.display()))?;
        if let Some(first) = lines.insert(pr.number, line) {
            bail!(
                "{}:{line}: pull request {} already appears on line {first}",
                path.display(),
                pr.number
            );
        }
        prs.push(pr);
    }
    Ok(prs)
}

/// An error and its causes on one line.
fn chain(e: &dyn std::error::Error) -> String {
    let parts: Vec<String> = std::iter::successors(Some(e), |e| e.source())
        .map(ToString::to_string)
        .collect();
    parts.join(": ")
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
