use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::Subcommand;
use lego_data::Task;
use lego_sandbox::{GradeOptions, LogParser, grade};

#[derive(Debug, Subcommand)]
pub enum Command {
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

pub fn run(cmd: Command) -> Result<()> {
    match cmd {
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
