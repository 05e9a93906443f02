//! `lego agent run`: graded trajectories of a policy on a task set (`lego_agent::run_rollouts`).
//!
//! Here, in the library both binaries share, because the `local` policy needs libtorch: `lego`
//! runs every other policy itself and hands `--policy local` to `lego-torch`, which calls
//! [`run`] with the maker of local policies.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Result, bail};
use clap::{Args, Subcommand, ValueEnum};
use lego_agent::{
    EpisodeOptions, ExpertOptions, OpenAiOptions, OpenAiPolicy, Policy, RolloutOptions,
    ScriptedExpert, episode_seed, run_rollouts,
};
use lego_data::{Task, read_jsonl};
use lego_openai::{Client, ClientConfig};
use lego_sandbox::RunOptions;

use crate::ProgressBar;
use crate::sandbox_args::{Backend, HistoryArgs, ReposArgs};

/// The policy of each (task, rollout).
pub type PolicyMaker = Box<dyn Fn(&Task, usize) -> Box<dyn Policy> + Sync>;

/// Makes the `local` policy's maker from the command's flags (only `lego-torch` has one).
pub type LocalPolicies<'a> = &'a dyn Fn(&LocalArgs) -> Result<PolicyMaker>;

/// What the `local` policy is given.
#[derive(Debug, Clone, PartialEq)]
pub struct LocalArgs {
    /// The checkpoint directory (HF layout).
    pub model_dir: PathBuf,
    /// `tokenizer.json`; default: the one in the model directory.
    pub tokenizer: Option<PathBuf>,
    /// Most new tokens per step.
    pub max_new_tokens: usize,
    /// Sampling temperature; greedy when unset or 0.
    pub temperature: Option<f64>,
    /// Nucleus sampling.
    pub top_p: Option<f64>,
    /// The sampler's seed (plus the rollout index).
    pub seed: u64,
}

/// `lego agent ...`.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a policy on tasks in sandboxes: one graded trajectory per (task, rollout), appended
    /// to --out as each ends; a rerun skips the pairs already written.
    Run(RunArgs),
}

/// `--policy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PolicyKind {
    /// Any OpenAI-compatible chat-completions server (--base-url, --model).
    Openai,
    /// A lego-model checkpoint on this machine (--model-dir), run by `lego-torch`.
    Local,
    /// A scripted expert that knows each task's gold patch (no language model; its
    /// trajectories say `policy: "scripted-expert"`).
    ScriptedExpert,
}

/// The flags of `lego agent run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Tasks (JSONL, SWE-bench instances with lego's fields).
    #[arg(long)]
    tasks: PathBuf,
    #[command(flatten)]
    repos: ReposArgs,
    /// Who plays the agent.
    #[arg(long, value_enum)]
    policy: PolicyKind,
    /// openai: the server's base URL, e.g. `http://127.0.0.1:8000/v1`.
    #[arg(long, required_if_eq("policy", "openai"))]
    base_url: Option<String>,
    /// openai: the model name the server knows.
    #[arg(long, required_if_eq("policy", "openai"))]
    model: Option<String>,
    /// local: the checkpoint directory (HF layout, with its tokenizer.json unless --tokenizer).
    #[arg(long, required_if_eq("policy", "local"))]
    model_dir: Option<PathBuf>,
    /// local: the tokenizer.json.
    #[arg(long)]
    tokenizer: Option<PathBuf>,
    /// openai: the environment variable holding the API key (sent as a bearer token, never
    /// written anywhere).
    #[arg(long, value_name = "VAR")]
    api_key_env: Option<String>,
    /// openai, local: sampling temperature (SWE-Lego evaluates at 0).
    #[arg(long)]
    temperature: Option<f64>,
    /// openai, local: nucleus sampling.
    #[arg(long)]
    top_p: Option<f64>,
    /// openai, local: most tokens per answer (local: default 1024).
    #[arg(long)]
    max_tokens: Option<u32>,
    /// openai: seconds to wait for one answer.
    #[arg(long, default_value_t = 600)]
    request_timeout: u64,
    /// Trajectories (JSONL), appended.
    #[arg(long)]
    out: PathBuf,
    /// SWE-bench predictions (`instance_id`, `model_name_or_path`, `model_patch`) of rollout 0.
    #[arg(long)]
    predictions: Option<PathBuf>,
    /// Rollouts per task.
    #[arg(long, default_value_t = 1)]
    rollouts: usize,
    /// Episodes at once.
    #[arg(long, default_value_t = 1)]
    jobs: usize,
    /// Where the sandboxes run.
    #[arg(long, value_enum, default_value_t = Backend::Local)]
    backend: Backend,
    #[command(flatten)]
    history: HistoryArgs,
    /// Most assistant steps of an episode.
    #[arg(long, default_value_t = 100)]
    max_turns: usize,
    /// End an episode once one step's prompt and answer reach this many tokens.
    #[arg(long)]
    max_context_tokens: Option<u64>,
    /// Seed of the policy's sampling (the scripted expert's mistakes).
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// scripted-expert: probability of a mistake before each action that can have one.
    #[arg(long, default_value_t = 0.0)]
    mistake_rate: f64,
    /// Time limit of the grading test run, in seconds.
    #[arg(long, default_value_t = 1800)]
    timeout: u64,
    /// Docker: a command run in /testbed when an environment image is built (repeatable).
    #[arg(long = "install", value_name = "CMD")]
    install: Vec<String>,
}

impl Command {
    /// Whether the command needs libtorch (`--policy local`): `lego` hands it to `lego-torch`.
    pub fn needs_torch(&self) -> bool {
        match self {
            Command::Run(args) => args.policy == PolicyKind::Local,
        }
    }
}

/// Runs `lego agent ...`; `local` makes the `local` policy (`None` in a binary without
/// libtorch, where `--policy local` is an error).
pub fn run(cmd: Command, local: Option<LocalPolicies<'_>>) -> Result<()> {
    match cmd {
        Command::Run(args) => run_agent(args, local),
    }
}

fn run_agent(args: RunArgs, local: Option<LocalPolicies<'_>>) -> Result<()> {
    if !(0.0..=1.0).contains(&args.mistake_rate) {
        bail!(
            "--mistake-rate {} is not between 0 and 1",
            args.mistake_rate
        );
    }
    let tasks: Vec<Task> = read_jsonl(&args.tasks, &Default::default())?.0;
    let repos = args.repos.repos()?;
    let options = RolloutOptions {
        rollouts: args.rollouts.max(1),
        jobs: args.jobs.max(1),
        history: args.history.mode(),
        episode: EpisodeOptions {
            max_turns: args.max_turns,
            max_context_tokens: args.max_context_tokens,
            ..EpisodeOptions::default()
        },
        grading: RunOptions {
            timeout: Duration::from_secs(args.timeout),
            ..RunOptions::default()
        },
        ..RolloutOptions::default()
    };
    let starter = args.backend.starter(args.install.clone())?;
    let (seed, rate) = (args.seed, args.mistake_rate);
    let client = match args.policy {
        PolicyKind::Openai => {
            let config = ClientConfig {
                base_url: args.base_url.clone().unwrap_or_default(),
                api_key_env: args.api_key_env.clone(),
                timeout: Duration::from_secs(args.request_timeout),
                ..ClientConfig::default()
            };
            let client = Client::new(config)?;
            preflight(&client, args.model.as_deref().unwrap_or_default())?;
            Some(Arc::new(client))
        }
        _ => None,
    };
    let local_maker = match (args.policy, local) {
        (PolicyKind::Local, Some(make)) => Some(make(&LocalArgs {
            model_dir: args.model_dir.clone().unwrap_or_default(),
            tokenizer: args.tokenizer.clone(),
            max_new_tokens: args.max_tokens.map_or(1024, |t| t as usize),
            temperature: args.temperature,
            top_p: args.top_p,
            seed: args.seed,
        })?),
        (PolicyKind::Local, None) => {
            bail!("--policy local needs lego-torch (this binary links no libtorch)")
        }
        _ => None,
    };
    let openai = OpenAiOptions {
        model: args.model.clone().unwrap_or_default(),
        temperature: args.temperature,
        top_p: args.top_p,
        seed: None,
        max_tokens: args.max_tokens,
        tool_choice: None,
    };
    let make_policy = move |task: &Task, rollout: usize| -> Box<dyn Policy> {
        match args.policy {
            PolicyKind::Local => {
                local_maker.as_ref().expect("made for the local policy")(task, rollout)
            }
            PolicyKind::Openai => Box::new(OpenAiPolicy::new(
                client.clone().expect("made for the openai policy"),
                OpenAiOptions {
                    seed: Some(seed.wrapping_add(rollout as u64)),
                    ..openai.clone()
                },
            )),
            PolicyKind::ScriptedExpert => Box::new(ScriptedExpert::new(
                task,
                ExpertOptions {
                    mistake_rate: rate,
                    seed: episode_seed(seed, &task.instance_id, rollout),
                },
            )),
        }
    };
    let bar = ProgressBar::new("rollouts");
    let report = run_rollouts(
        &tasks,
        &repos,
        &starter,
        &make_policy,
        &args.out,
        args.predictions.as_deref(),
        &options,
        &bar,
    )?;
    bar.finish();
    tracing::info!(
        "{} trajectories written to {} ({} resolved), {} already there",
        report.written,
        args.out.display(),
        report.resolved,
        report.skipped
    );
    if !report.failed.is_empty() {
        bail!(
            "{} rollouts could not be run (not recorded; rerun to retry them): first {} rollout {}: {}",
            report.failed.len(),
            report.failed[0].0,
            report.failed[0].1,
            report.failed[0].2
        );
    }
    Ok(())
}

/// Asks the server for its models before any sandbox starts: a server that cannot be reached
/// fails the command at once instead of every rollout after its retries. A server without
/// `/models` is let through; a model it does not list is a warning (names can be aliases).
fn preflight(client: &Client, model: &str) -> Result<()> {
    match client.models() {
        Ok(models) => {
            if !models.iter().any(|m| m == model) {
                tracing::warn!(
                    "the server does not list the model {model:?} (it lists {})",
                    models.join(", ")
                );
            }
            Ok(())
        }
        Err(e) if e.status().is_none() => {
            Err(anyhow::Error::new(e).context("cannot reach the policy's server"))
        }
        Err(e) => {
            tracing::debug!("the server does not answer /models: {e}");
            Ok(())
        }
    }
}
