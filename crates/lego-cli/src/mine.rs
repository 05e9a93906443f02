//! `lego data mine`: real tasks from merged pull requests (`lego_agent::mine_tasks`: the
//! filters, validation in sandboxes, appends as each ends, resume). This module parses the flags
//! and reports.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::Args;
use lego_agent::{MiningOptions, mine_tasks};
use lego_cli::ProgressBar;
use lego_cli::sandbox_args::{Backend, HistoryArgs};
use lego_data::{MineOptions, PullRequest, TestPatterns, jsonl_records};
use lego_sandbox::{RunOptions, ValidateOptions};
use serde_json::Value;

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
    let options = MiningOptions {
        filters: MineOptions {
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
        },
        validate: ValidateOptions {
            run: RunOptions {
                timeout: Duration::from_secs(args.timeout),
                env,
                ..RunOptions::default()
            },
            runs: args.runs.max(1),
            require_pass_to_pass: !args.allow_no_pass_to_pass,
        },
        jobs: args.jobs.max(1),
        history: args.history.mode(),
        limit: args.limit,
    };
    let prs = read_prs(&args.prs)?;
    let starter = args.backend.starter(args.install.clone())?;
    let bar = ProgressBar::new("pull requests");
    let report = mine_tasks(
        &args.repo,
        &prs,
        &starter,
        &args.out,
        &rejected_path,
        &options,
        &bar,
    )?;
    bar.finish();
    let accepted = lego_data::completed_ids(&args.out, "instance_id")?.len();
    tracing::info!(
        "{accepted} tasks in {}, rejections in {}",
        args.out.display(),
        rejected_path.display()
    );
    if !report.failed.is_empty() {
        bail!(
            "{} pull requests could not be validated (not recorded; rerun to retry them)",
            report.failed.len()
        );
    }
    Ok(())
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
