use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use lego_data::{
    Overlong, ReadOptions, RenderOptions, ShareGptRecord, Tokenizer, Trajectory, annotate_steps,
    data_stats, from_sharegpt, openhands_tools, read_jsonl, render_all, stage_plan, to_sharegpt,
    write_jsonl,
};

use crate::export;

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Render trajectories to token ids and loss labels (one JSON object per kept trajectory).
    Render {
        #[command(flatten)]
        common: RenderArgs,
        /// Where to write the examples (JSONL).
        #[arg(long)]
        out: PathBuf,
    },
    /// Statistics of a trajectory set as it renders: counts, lengths, trained tokens, tiers.
    Stats {
        #[command(flatten)]
        common: RenderArgs,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// The curriculum's stage plan for rendered examples: stage k trains on tier k.
    Plan {
        /// Rendered examples (from `lego data render`, which records each example's tier).
        #[arg(long)]
        examples: PathBuf,
    },
    /// Mine real tasks from merged pull requests: split each diff into code and test patch,
    /// filter, validate in sandboxes (FAIL_TO_PASS, PASS_TO_PASS); resumes where it stopped.
    Mine(crate::mine::MineArgs),
    /// Write the rendered, masked, tokenised examples for TRL's SFTTrainer or LLaMA-Factory
    /// (a `datasets.load_from_disk` directory with the same tokens and loss positions).
    Export(ExportArgs),
    /// Convert SWE-Lego's ShareGPT shape into lego trajectories.
    ImportSharegpt {
        #[arg(long)]
        input: PathBuf,
        #[arg(long)]
        out: PathBuf,
    },
    /// Convert lego trajectories into SWE-Lego's ShareGPT shape.
    ExportSharegpt {
        #[arg(long)]
        input: PathBuf,
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(Debug, Args)]
pub struct RenderArgs {
    /// A byte-level BPE `tokenizer.json` (e.g. from `lego tokenizer import-tiktoken`).
    #[arg(long)]
    tokenizer: PathBuf,
    /// Trajectories (JSONL), in lego's shape or, with `--sharegpt`, SWE-Lego's.
    #[arg(long)]
    input: PathBuf,
    /// The input is in SWE-Lego's ShareGPT shape.
    #[arg(long)]
    sharegpt: bool,
    /// Train on error steps and `turn_mask` turns too (the ablation).
    #[arg(long)]
    no_error_mask: bool,
    /// Longest sequence kept, in tokens.
    #[arg(long)]
    max_len: Option<usize>,
    /// Cut sequences over `--max-len` instead of dropping them.
    #[arg(long)]
    truncate: bool,
    /// Number of curriculum tiers.
    #[arg(long, default_value_t = 3)]
    tiers: usize,
    /// Skip malformed input lines (counted on stderr) instead of failing.
    #[arg(long)]
    skip_malformed: bool,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// `trl` (input_ids, labels, assistant_masks) or `llamafactory` (input_ids, attention_mask,
    /// labels, for `tokenized_path`).
    #[arg(long, value_enum)]
    format: export::Format,
    /// Rendered examples (from `lego data render`), or trajectories with `--tokenizer`.
    #[arg(long)]
    input: PathBuf,
    /// Render `--input` as trajectories with this `tokenizer.json` first.
    #[arg(long)]
    tokenizer: Option<PathBuf>,
    /// The trajectories are in SWE-Lego's ShareGPT shape (with `--tokenizer`).
    #[arg(long)]
    sharegpt: bool,
    /// Train on error steps and `turn_mask` turns too (with `--tokenizer`; the ablation).
    #[arg(long)]
    no_error_mask: bool,
    /// Leave out examples longer than this, as `lego sft train` does with its `max_len`.
    #[arg(long)]
    max_len: Option<usize>,
    /// Number of curriculum tiers (with `--tokenizer`).
    #[arg(long, default_value_t = 3)]
    tiers: usize,
    /// Only the examples of this curriculum tier (one export per stage).
    #[arg(long)]
    tier: Option<usize>,
    /// The output directory (replaced if it holds an earlier export).
    #[arg(long)]
    out: PathBuf,
}

pub fn run(cmd: Command) -> Result<()> {
    match cmd {
        Command::Mine(args) => crate::mine::run(args),
        Command::Render { common, out } => {
            let (trajs, rendered) = render(&common)?;
            let examples: Vec<_> = rendered.iter().filter_map(|r| r.example.as_ref()).collect();
            write_jsonl(&out, examples.iter().copied())?;
            let stats = data_stats(&trajs, &rendered);
            tracing::info!(
                "rendered {} of {} trajectories ({} dropped over max length, {} truncated) to {}",
                stats.kept,
                stats.trajectories,
                stats.dropped_overlong,
                stats.truncated,
                out.display()
            );
            Ok(())
        }
        Command::Stats { common, json } => {
            let (trajs, rendered) = render(&common)?;
            let stats = data_stats(&trajs, &rendered);
            if json {
                println!("{}", serde_json::to_string_pretty(&stats)?);
            } else {
                print!("{stats}");
            }
            Ok(())
        }
        Command::Plan { examples } => {
            let (examples, _) =
                read_jsonl::<lego_data::Example>(&examples, &ReadOptions::default())?;
            let mut tiers = Vec::with_capacity(examples.len());
            for (i, e) in examples.iter().enumerate() {
                match e.tier {
                    Some(t) => tiers.push(t),
                    None => bail!(
                        "example {i} ({}) has no tier; render it with `lego data render`",
                        e.instance_id
                    ),
                }
            }
            let n_tiers = tiers.iter().max().map_or(0, |t| t + 1);
            let plan: Vec<_> = stage_plan(&tiers, n_tiers)
                .into_iter()
                .enumerate()
                .map(|(stage, s)| {
                    let ids: Vec<&str> = s
                        .examples
                        .iter()
                        .map(|&i| examples[i].instance_id.as_str())
                        .collect();
                    serde_json::json!({"stage": stage, "tier": s.tier, "examples": ids})
                })
                .collect();
            println!("{}", serde_json::to_string_pretty(&plan)?);
            Ok(())
        }
        Command::Export(args) => export_cmd(&args),
        Command::ImportSharegpt { input, out } => {
            let (records, _) = read_jsonl::<ShareGptRecord>(&input, &ReadOptions::default())?;
            let tools = openhands_tools();
            let trajs = records
                .iter()
                .map(|r| from_sharegpt(r, &tools))
                .collect::<lego_data::Result<Vec<_>>>()?;
            write_jsonl(&out, trajs.iter())?;
            tracing::info!("imported {} trajectories to {}", trajs.len(), out.display());
            Ok(())
        }
        Command::ExportSharegpt { input, out } => {
            let trajs = read_trajectories(&input, false, false)?;
            let records: Vec<_> = trajs.iter().map(to_sharegpt).collect();
            write_jsonl(&out, records.iter())?;
            tracing::info!(
                "exported {} trajectories to {}",
                records.len(),
                out.display()
            );
            Ok(())
        }
    }
}

fn export_cmd(args: &ExportArgs) -> Result<()> {
    let mut examples = match &args.tokenizer {
        Some(tokenizer) => {
            let render_args = RenderArgs {
                tokenizer: tokenizer.clone(),
                input: args.input.clone(),
                sharegpt: args.sharegpt,
                no_error_mask: args.no_error_mask,
                max_len: args.max_len,
                truncate: false,
                tiers: args.tiers,
                skip_malformed: false,
            };
            let (_, rendered) = render(&render_args)?;
            rendered.into_iter().filter_map(|r| r.example).collect()
        }
        None => {
            if args.sharegpt || args.no_error_mask {
                bail!("--sharegpt and --no-error-mask apply to trajectories: pass --tokenizer too");
            }
            read_jsonl::<lego_data::Example>(&args.input, &ReadOptions::default())?.0
        }
    };
    let read = examples.len();
    // The trainer's rule: 2 to max_len tokens.
    let max_len = args.max_len.unwrap_or(usize::MAX);
    examples.retain(|e| (2..=max_len).contains(&e.input_ids.len()));
    let too_long = read - examples.len();
    if let Some(tier) = args.tier {
        if let Some(e) = examples.iter().find(|e| e.tier.is_none()) {
            bail!(
                "example {} has no tier; render it with `lego data render` to select --tier",
                e.instance_id
            );
        }
        examples.retain(|e| e.tier == Some(tier));
    }
    if examples.is_empty() {
        bail!(
            "nothing to export from {}: no example left",
            args.input.display()
        );
    }
    let done = export::export(&examples, args.format, &args.input, &args.out)?;
    tracing::info!(
        "exported {} examples ({} tokens, {} trained; {too_long} left out by length) for {} to {}",
        done.rows,
        done.tokens,
        done.trained,
        args.format.name(),
        args.out.display()
    );
    Ok(())
}

fn read_trajectories(path: &Path, sharegpt: bool, skip_malformed: bool) -> Result<Vec<Trajectory>> {
    let opts = ReadOptions { skip_malformed };
    let mut trajs = if sharegpt {
        let (records, report) = read_jsonl::<ShareGptRecord>(path, &opts)?;
        report_skipped(path, report.skipped.len());
        let tools = openhands_tools();
        records
            .iter()
            .map(|r| from_sharegpt(r, &tools))
            .collect::<lego_data::Result<Vec<_>>>()?
    } else {
        let (trajs, report) = read_jsonl::<Trajectory>(path, &opts)?;
        report_skipped(path, report.skipped.len());
        trajs
    };
    for traj in &mut trajs {
        annotate_steps(traj);
    }
    Ok(trajs)
}

fn report_skipped(path: &Path, skipped: usize) {
    if skipped > 0 {
        tracing::warn!("skipped {skipped} malformed lines of {}", path.display());
    }
}

fn render(args: &RenderArgs) -> Result<(Vec<Trajectory>, Vec<lego_data::Rendered>)> {
    // Input first: bad input fails before the vocabulary is loaded.
    let trajs = read_trajectories(&args.input, args.sharegpt, args.skip_malformed)?;
    let tok = match tokenizer_cache() {
        Some(cache) => Tokenizer::from_file_cached(&args.tokenizer, &cache),
        None => Tokenizer::from_file(&args.tokenizer),
    }
    .with_context(|| format!("cannot load the tokenizer {}", args.tokenizer.display()))?;
    let opts = RenderOptions {
        error_mask: !args.no_error_mask,
        max_len: args.max_len,
        overlong: if args.truncate {
            Overlong::Truncate
        } else {
            Overlong::Drop
        },
    };
    if args.truncate && args.max_len.is_none() {
        bail!("--truncate needs --max-len");
    }
    let bar = lego_cli::ProgressBar::new("trajectories rendered");
    let rendered = render_all(&trajs, &tok, &opts, Some(args.tiers), &bar)?;
    bar.finish();
    Ok((trajs, rendered))
}

/// Where `lego` keeps compiled tokenizers, so that a vocabulary is parsed and checked once
/// rather than at every command: `compiled-tokenizers` in lego's per-user cache (`$LEGO_CACHE`,
/// else `$XDG_CACHE_HOME/lego`, else `~/.cache/lego`, as `cargo xtask bootstrap` finds it);
/// never beside the `tokenizer.json`, which may be read-only or shared. `None` without a home.
fn tokenizer_cache() -> Option<PathBuf> {
    let var = |name| std::env::var_os(name).filter(|v| !v.is_empty());
    let base = if let Some(dir) = var("LEGO_CACHE") {
        PathBuf::from(dir)
    } else if let Some(dir) = var("XDG_CACHE_HOME") {
        PathBuf::from(dir).join("lego")
    } else {
        PathBuf::from(var("HOME")?).join(".cache").join("lego")
    };
    Some(base.join("compiled-tokenizers"))
}
