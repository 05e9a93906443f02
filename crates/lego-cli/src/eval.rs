use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::Subcommand;
use lego_agent::{EvalOptions, read_predictions};
use lego_cli::ProgressBar;
use lego_data::Task;
use lego_sandbox::{GradeOptions, LogParser, RunOptions, grade};

use lego_cli::sandbox_args::{Backend, HistoryArgs, ReposArgs};

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Evaluate SWE-bench predictions on lego's sandboxes, as swebench's run_evaluation does:
    /// DIR/logs/<instance_id>/{patch.diff,test_output.txt,report.json} and DIR/report.json, a
    /// run summary in swebench's shape (also printed). Resumable.
    Run(RunArgs),
    /// Grade one test log of a task the SWE-bench way; prints SWE-bench's per-instance report
    /// JSON, keyed by `instance_id`.
    Grade {
        /// The task: one JSON object in SWE-bench's instance shape (`FAIL_TO_PASS`,
        /// `PASS_TO_PASS`, optionally `log_parser` and `eval_type`).
        #[arg(long)]
        instance: PathBuf,
        /// The test log, with SWE-bench's `>>>>> Start Test Output`/`>>>>> End Test Output`
        /// markers around the test command's output.
        #[arg(long)]
        log: PathBuf,
        /// The candidate patch the log was made with (only its presence matters to the report).
        #[arg(long, conflicts_with = "no_patch")]
        patch_file: Option<PathBuf>,
        /// The prediction had no patch at all (`model_patch: null`): the report says
        /// `patch_is_None` and the log is not read.
        #[arg(long)]
        no_patch: bool,
        /// The log parser instead of the task's (`pytest`, `pytest_v2`, `django`, `unittest`,
        /// or a SWE-bench name such as `parse_log_astropy`).
        #[arg(long, value_parser = parse_parser)]
        parser: Option<LogParser>,
    },
}

fn parse_parser(name: &str) -> Result<LogParser, String> {
    LogParser::from_name(name).ok_or_else(|| {
        let known: Vec<&str> = LogParser::ALL.iter().map(|p| p.name()).collect();
        format!("no log parser named {name} (known: {})", known.join(", "))
    })
}

#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// Tasks (JSONL).
    #[arg(long)]
    tasks: PathBuf,
    #[command(flatten)]
    repos: ReposArgs,
    /// Predictions: JSONL (or a JSON array) of `{instance_id, model_name_or_path, model_patch}`.
    #[arg(long)]
    predictions: PathBuf,
    /// The run directory.
    #[arg(long)]
    out: PathBuf,
    /// Where the sandboxes run.
    #[arg(long, value_enum, default_value_t = Backend::Local)]
    backend: Backend,
    /// Instances at once.
    #[arg(long, default_value_t = 1)]
    jobs: usize,
    #[command(flatten)]
    history: HistoryArgs,
    /// Time limit of one test run, in seconds (swebench's default).
    #[arg(long, default_value_t = 1800)]
    timeout: u64,
    /// Docker: a command run in /testbed when an environment image is built (repeatable).
    #[arg(long = "install", value_name = "CMD")]
    install: Vec<String>,
}

fn run_eval(args: RunArgs) -> Result<()> {
    let tasks: Vec<Task> = lego_data::read_jsonl(&args.tasks, &Default::default())?.0;
    let predictions = read_predictions(&args.predictions)?;
    if let Some(stray) = predictions
        .iter()
        .find(|p| !tasks.iter().any(|t| t.instance_id == p.instance_id))
    {
        bail!(
            "{}: {} is not a task of {}",
            args.predictions.display(),
            stray.instance_id,
            args.tasks.display()
        );
    }
    let repos = args.repos.repos()?;
    let starter = args.backend.starter(args.install.clone())?;
    let options = EvalOptions {
        jobs: args.jobs.max(1),
        history: args.history.mode(),
        run: RunOptions {
            timeout: std::time::Duration::from_secs(args.timeout),
            ..RunOptions::default()
        },
    };
    let bar = ProgressBar::new("instances");
    let report = lego_agent::run_eval(
        &tasks,
        &repos,
        &starter,
        &predictions,
        &args.out,
        &options,
        &bar,
    )?;
    bar.finish();
    tracing::info!(
        "{} of {} submitted instances resolved ({} unresolved, {} empty patches, {} errors); \
         report in {}",
        report.resolved_instances,
        report.submitted_instances,
        report.unresolved_instances,
        report.empty_patch_instances,
        report.error_instances,
        args.out.join("report.json").display()
    );
    println!("{}", serde_json::to_string(&report)?);
    Ok(())
}

pub fn run(cmd: Command) -> Result<()> {
    match cmd {
        Command::Run(args) => run_eval(args),
        Command::Grade {
            instance,
            log,
            patch_file,
            no_patch,
            parser,
        } => {
            let task = read_task(&instance)?;
            if let Some(patch) = &patch_file {
                std::fs::read(patch)
                    .with_context(|| format!("cannot read the patch {}", patch.display()))?;
            }
            let text = if no_patch {
                String::new()
            } else {
                let bytes = std::fs::read(&log)
                    .with_context(|| format!("cannot read the log {}", log.display()))?;
                String::from_utf8_lossy(&bytes).into_owned()
            };
            let options = GradeOptions {
                no_patch,
                parser,
                eval_type: None,
            };
            let graded = grade(&task, &text, &options)
                .with_context(|| format!("cannot grade {}", instance.display()))?;
            println!(
                "{}",
                serde_json::to_string_pretty(&graded.swebench_report())?
            );
            Ok(())
        }
    }
}

fn read_task(path: &Path) -> Result<Task> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the task {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("malformed task {}", path.display()))
}
