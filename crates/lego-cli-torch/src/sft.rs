use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Subcommand;
use lego_sft::{TrainConfig, TrainOptions, train};

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Full-parameter SFT of a Qwen3 checkpoint on rendered examples (or trajectories).
    Train {
        /// The run's TOML config (flat keys named as the Hugging Face Trainer names them).
        #[arg(long)]
        config: PathBuf,
        /// Stop after this many steps (checkpointing there), as if the run had been killed.
        #[arg(long)]
        stop_after: Option<usize>,
    },
}

pub fn run(cmd: Command) -> Result<()> {
    match cmd {
        Command::Train { config, stop_after } => {
            let cfg = TrainConfig::from_file(&config)?;
            let bar = lego_cli::ProgressBar::new("steps");
            let report = train(&cfg, &TrainOptions { stop_after }, &bar)
                .with_context(|| format!("training with {} failed", config.display()))?;
            bar.finish();
            let first = report.metrics.first().map_or(f64::NAN, |m| m.loss);
            let last = report.metrics.last().map_or(f64::NAN, |m| m.loss);
            tracing::info!(
                "trained steps {}..{} of {} on {} examples ({} left out) in {:.1}s; loss {first:.4} -> {last:.4}",
                report.start_step,
                report.end_step,
                report.total_steps,
                report.examples,
                report.dropped_examples,
                report.seconds
            );
            let summary = serde_json::json!({
                "checkpoint": report.last_checkpoint,
                "metrics": cfg.output_dir.join(lego_sft::METRICS_FILE),
                "plot": report.plot,
                "steps": report.end_step,
                "loss_first": first,
                "loss_last": last,
            });
            println!("{summary}");
            Ok(())
        }
    }
}
