//! The training loop: accumulation with global-token normalisation, clipping, AdamW, schedule,
//! checkpoints with exact resume, metrics; progress through [`Progress`], events through
//! `tracing` (a span per step, a `debug!` with its metrics, an `info!` per checkpoint).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use lego_data::{Example, Progress};
use lego_model::{LoadOptions, Qwen3Config, Qwen3Model};
use serde::{Deserialize, Serialize};
use tch::{Device, Kind, Tensor};
use tracing::{debug, info, info_span};

use crate::config::{Resume, TrainConfig};
use crate::error::{Error, Result, model};
use crate::optim::{AdamW, AdamWConfig, lr_at, warmup_steps};
use crate::plan::{
    MicroBatch, PlanOptions, Step, fingerprint, load_data, micro_batches, plan_steps,
};
use crate::plot::plot_metrics;

/// Optimizer state file inside a checkpoint directory.
pub const OPTIMIZER_FILE: &str = "optimizer.safetensors";
/// Trainer state file inside a checkpoint directory (Hugging Face's name).
pub const TRAINER_STATE_FILE: &str = "trainer_state.json";
/// The per-step metrics of a run, one JSON [`StepMetrics`] per line, in `output_dir`.
pub const METRICS_FILE: &str = "metrics.jsonl";
/// The loss and learning-rate plot of a finished run, in `output_dir`.
pub const PLOT_FILE: &str = "loss.png";

/// Knobs of a run that are not part of its config.
#[derive(Debug, Clone, Default)]
pub struct TrainOptions {
    /// Stop (after checkpointing) once this many steps are done, as if the run were killed
    /// there: the schedule is still that of the whole run.
    pub stop_after: Option<usize>,
}

/// One line of `metrics.jsonl`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepMetrics {
    /// 1-based optimizer step.
    pub step: usize,
    /// Curriculum stage of the step (0 without the curriculum).
    pub stage: usize,
    /// Fractional epoch within the stage, as the Trainer logs it.
    pub epoch: f64,
    /// Summed token cross-entropy over the step divided by its trained tokens.
    pub loss: f64,
    /// The learning rate the step used.
    pub learning_rate: f64,
    /// Global L2 gradient norm before clipping.
    pub grad_norm: f64,
    /// Tokens that carried loss in the step.
    pub trained_tokens: usize,
    /// Tokens the step processed (without padding).
    pub tokens: usize,
    /// Processed tokens per second of the step.
    pub tokens_per_s: f64,
}

/// What the trainer writes in each checkpoint next to the weights.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainerState {
    /// Optimizer steps done at this checkpoint.
    pub global_step: usize,
    /// Steps of the whole plan.
    pub max_steps: usize,
    /// Curriculum stage of the last step.
    pub stage: usize,
    /// Fractional epoch within the stage.
    pub epoch: f64,
    /// The run's seed.
    pub seed: u64,
    /// Hash of the examples and the step plan (the data order is a function of the seed).
    pub plan_fingerprint: String,
    /// The config the run was started with.
    pub config: TrainConfig,
}

/// The end of a run.
#[derive(Debug, Clone)]
pub struct TrainReport {
    /// Steps of the whole plan.
    pub total_steps: usize,
    /// Step the run started from (0, or the checkpoint it resumed).
    pub start_step: usize,
    /// Steps done when it returned.
    pub end_step: usize,
    /// Examples trained on.
    pub examples: usize,
    /// Examples left out (too long or too short).
    pub dropped_examples: usize,
    /// Every step of the run so far, resumed steps included.
    pub metrics: Vec<StepMetrics>,
    /// The checkpoint written last by this call.
    pub last_checkpoint: Option<PathBuf>,
    /// The plot, when the run finished with `plot` on.
    pub plot: Option<PathBuf>,
    /// Wall-clock seconds of this call.
    pub seconds: f64,
}

/// Trains as `cfg` says. See the crate docs for the semantics.
///
/// `progress` counts optimizer steps: its total is the whole plan's, its position starts at the
/// step a resumed run continues from, each finished step advances it by one and sets the message
/// to that step's loss. Nothing is printed; step metrics go to `metrics.jsonl` and to `tracing`.
pub fn train(
    cfg: &TrainConfig,
    opts: &TrainOptions,
    progress: &dyn Progress,
) -> Result<TrainReport> {
    let started = Instant::now();
    let data = load_data(cfg)?;
    let examples = &data.examples;
    let tiers: Vec<Option<usize>> = examples.iter().map(|e| e.tier).collect();
    let steps = plan_steps(
        &tiers,
        &PlanOptions {
            global_batch: cfg.global_batch,
            epochs: cfg.epochs,
            max_steps: cfg.max_steps,
            curriculum: cfg.curriculum,
            seed: cfg.seed,
        },
    )
    .map_err(|message| Error::Data {
        path: cfg.data.clone(),
        message,
    })?;
    let total = steps.len();
    let print = fingerprint(examples, &steps);
    let warmup = warmup_steps(total, cfg.warmup_ratio);

    let device = parse_device(&cfg.device)?;
    let kind = match (cfg.bf16, device) {
        (Some(true), _) | (None, Device::Cuda(_)) => Kind::BFloat16,
        _ => Kind::Float,
    };
    let load = LoadOptions { device, kind };
    let mut config = Qwen3Config::from_file(cfg.model.join(lego_model::CONFIG_FILE)).map_err(
        model(format!("read the model config in {}", cfg.model.display())),
    )?;
    if let Some(r) = &cfg.rope_scaling {
        let scaling = r.to_scaling().map_err(|message| Error::Config {
            path: cfg.model.clone(),
            message,
        })?;
        config = config
            .with_rope_scaling(scaling)
            .map_err(model("apply the rope_scaling override"))?;
    }
    let adam = AdamWConfig {
        beta1: cfg.adam_beta1,
        beta2: cfg.adam_beta2,
        eps: cfg.adam_epsilon,
        weight_decay: cfg.weight_decay,
    };

    let resume_from = resume_dir(cfg)?;
    let (net, mut opt, start) = match &resume_from {
        None => {
            let m = Qwen3Model::load_with_config(&cfg.model, config, load)
                .map_err(model(format!("load the model {}", cfg.model.display())))?;
            let opt = AdamW::new(&m.vs, adam);
            (m, opt, 0)
        }
        Some(dir) => {
            let state = read_state(dir)?;
            if state.plan_fingerprint != print || state.max_steps != total {
                return Err(Error::Resume {
                    path: dir.clone(),
                    message: "the data, batch or step plan differ from this run's".into(),
                });
            }
            let m = Qwen3Model::load_with_config(dir, config, load)
                .map_err(model(format!("load the checkpoint {}", dir.display())))?;
            let mut opt = AdamW::new(&m.vs, adam);
            opt.load(&dir.join(OPTIMIZER_FILE), state.global_step as i64)?;
            (m, opt, state.global_step)
        }
    };

    std::fs::create_dir_all(&cfg.output_dir).map_err(|source| Error::Write {
        path: cfg.output_dir.clone(),
        source,
    })?;
    let metrics_path = cfg.output_dir.join(METRICS_FILE);
    let mut history = if start > 0 {
        read_metrics(&metrics_path)?
            .into_iter()
            .filter(|m| m.step <= start)
            .collect()
    } else {
        Vec::new()
    };
    write_metrics(&metrics_path, &history)?;
    let mut metrics_file = std::fs::OpenOptions::new()
        .append(true)
        .open(&metrics_path)
        .map_err(|source| Error::Write {
            path: metrics_path.clone(),
            source,
        })?;

    let end = opts.stop_after.map_or(total, |s| s.min(total)).max(start);
    info!(
        model = %cfg.model.display(),
        examples = examples.len(),
        dropped = data.dropped,
        total_steps = total,
        start_step = start,
        end_step = end,
        "training"
    );
    progress.set_total(total as u64);
    progress.set_position(start as u64);
    let mut last_checkpoint = None;
    for (index, step) in steps.iter().enumerate().take(end).skip(start) {
        let _span = info_span!("step", step = index + 1, stage = step.stage).entered();
        let t0 = Instant::now();
        let batch: Vec<&Example> = step.examples.iter().map(|&i| &examples[i]).collect();
        let mbs = micro_batches(&batch, cfg.packing, cfg.micro_batch, cfg.max_len);
        // The normaliser is known before any backward pass: every trained token of the window.
        let trained: usize = mbs.iter().map(|m| m.trained).sum();
        let tokens: usize = mbs.iter().map(|m| m.tokens).sum();
        let scale = 1.0 / trained.max(1) as f64;
        opt.zero_grad();
        let mut loss_sum = 0.0;
        for mb in &mbs {
            loss_sum += backward(&net, mb, cfg, scale, device)?;
        }
        let grad_norm = opt.clip_grad_norm(cfg.max_grad_norm);
        let lr = lr_at(index, total, warmup, cfg.learning_rate, cfg.lr_schedule);
        opt.step(lr);
        let secs = t0.elapsed().as_secs_f64();
        let m = StepMetrics {
            step: index + 1,
            stage: step.stage,
            epoch: epoch_of(&steps, index),
            loss: loss_sum / trained.max(1) as f64,
            learning_rate: lr,
            grad_norm,
            trained_tokens: trained,
            tokens,
            tokens_per_s: tokens as f64 / secs.max(1e-9),
        };
        let line = serde_json::to_string(&m).map_err(|source| Error::Json {
            context: "serialise step metrics".into(),
            source,
        })?;
        writeln!(metrics_file, "{line}").map_err(|source| Error::Write {
            path: metrics_path.clone(),
            source,
        })?;
        debug!(
            total,
            epoch = m.epoch,
            loss = m.loss,
            learning_rate = m.learning_rate,
            grad_norm = m.grad_norm,
            trained_tokens = m.trained_tokens,
            tokens_per_s = m.tokens_per_s,
            "step done"
        );
        // The message first, so that a display drawing on `advance` shows this step's loss.
        progress.set_message(&format!("loss {:.4}", m.loss));
        progress.advance(1);
        history.push(m);
        let done = index + 1;
        if cfg.save_steps.is_some_and(|s| done % s == 0) || done == end {
            let state = TrainerState {
                global_step: done,
                max_steps: total,
                stage: step.stage,
                epoch: epoch_of(&steps, index),
                seed: cfg.seed,
                plan_fingerprint: print.clone(),
                config: cfg.clone(),
            };
            let dir = save_checkpoint(&cfg.output_dir, &net, &opt, &state)?;
            info!(path = %dir.display(), step = done, "checkpoint written");
            last_checkpoint = Some(dir);
        }
    }
    let plot = if cfg.plot && end == total && !history.is_empty() {
        let path = cfg.output_dir.join(PLOT_FILE);
        plot_metrics(&history, &path)?;
        info!(path = %path.display(), "plot written");
        Some(path)
    } else {
        None
    };
    Ok(TrainReport {
        total_steps: total,
        start_step: start,
        end_step: end,
        examples: examples.len(),
        dropped_examples: data.dropped,
        metrics: history,
        last_checkpoint,
        plot,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// Forward and backward of one micro-batch, gradients scaled by `scale`; the loss sum.
fn backward(
    net: &Qwen3Model,
    mb: &MicroBatch,
    cfg: &TrainConfig,
    scale: f64,
    device: Device,
) -> Result<f64> {
    let shape = [mb.rows as i64, mb.cols as i64];
    let t = |v: &[i64]| Tensor::from_slice(v).view(shape).to_device(device);
    let ids = t(&mb.input_ids);
    let pos = t(&mb.positions);
    let seg = mb.segment_ids.as_deref().map(t);
    let labels = t(&mb.labels);
    let chunk = cfg.loss_chunk as i64;
    let (sum, _) = if cfg.gradient_checkpointing {
        net.net
            .loss_backward_checkpointed(&ids, &pos, seg.as_ref(), &labels, chunk, scale)
            .map_err(model("train on a micro-batch"))?
    } else {
        let hidden = net
            .net
            .forward(&ids, &pos, seg.as_ref())
            .map_err(model("run the forward pass"))?;
        net.net
            .loss_backward(&hidden, &labels, chunk, scale)
            .map_err(model("train on a micro-batch"))?
    };
    Ok(sum)
}

/// Fractional epoch of the stage at the end of step `index`.
fn epoch_of(steps: &[Step], index: usize) -> f64 {
    let s = &steps[index];
    let in_epoch: Vec<usize> = (0..steps.len())
        .filter(|&i| steps[i].stage == s.stage && steps[i].epoch == s.epoch)
        .collect();
    let pos = in_epoch.iter().position(|&i| i == index).unwrap_or(0) + 1;
    s.epoch as f64 + pos as f64 / in_epoch.len().max(1) as f64
}

fn parse_device(name: &str) -> Result<Device> {
    let bad = || Error::Config {
        path: PathBuf::from("device"),
        message: format!("`device` must be cpu, cuda or cuda:N, got `{name}`"),
    };
    match name {
        "cpu" => Ok(Device::Cpu),
        "cuda" => Ok(Device::Cuda(0)),
        _ => name
            .strip_prefix("cuda:")
            .and_then(|n| n.parse().ok())
            .map(Device::Cuda)
            .ok_or_else(bad),
    }
}

/// The checkpoint to resume from, if any: the newest `checkpoint-N` with a trainer state in
/// `output_dir` for `resume = true`, the given directory for a path.
fn resume_dir(cfg: &TrainConfig) -> Result<Option<PathBuf>> {
    match &cfg.resume {
        Resume::Flag(false) => Ok(None),
        Resume::Path(p) => Ok(Some(p.clone())),
        Resume::Flag(true) => Ok(latest_checkpoint(&cfg.output_dir)),
    }
}

/// The newest complete `checkpoint-N` under `dir`.
pub fn latest_checkpoint(dir: &Path) -> Option<PathBuf> {
    let entries = std::fs::read_dir(dir).ok()?;
    entries
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let n: usize = name.strip_prefix("checkpoint-")?.parse().ok()?;
            e.path()
                .join(TRAINER_STATE_FILE)
                .exists()
                .then_some((n, e.path()))
        })
        .max_by_key(|(n, _)| *n)
        .map(|(_, p)| p)
}

fn read_state(dir: &Path) -> Result<TrainerState> {
    let path = dir.join(TRAINER_STATE_FILE);
    let text = std::fs::read_to_string(&path).map_err(|source| Error::Read {
        path: path.clone(),
        source,
    })?;
    serde_json::from_str(&text).map_err(|source| Error::Json {
        context: format!("parse {}", path.display()),
        source,
    })
}

/// Writes `checkpoint-STEP` under a temporary name and renames it into place, so a checkpoint
/// directory that exists is complete.
fn save_checkpoint(
    out: &Path,
    net: &Qwen3Model,
    opt: &AdamW,
    state: &TrainerState,
) -> Result<PathBuf> {
    let dir = out.join(format!("checkpoint-{}", state.global_step));
    let tmp = out.join(format!(".checkpoint-{}.tmp", state.global_step));
    for stale in [&tmp, &dir] {
        if stale.exists() {
            std::fs::remove_dir_all(stale).map_err(|source| Error::Write {
                path: stale.clone(),
                source,
            })?;
        }
    }
    net.save(&tmp)
        .map_err(model(format!("save the model to {}", tmp.display())))?;
    opt.save(&tmp.join(OPTIMIZER_FILE))?;
    let text = serde_json::to_string_pretty(state).map_err(|source| Error::Json {
        context: "serialise the trainer state".into(),
        source,
    })?;
    let path = tmp.join(TRAINER_STATE_FILE);
    std::fs::write(&path, text).map_err(|source| Error::Write { path, source })?;
    std::fs::rename(&tmp, &dir).map_err(|source| Error::Write {
        path: dir.clone(),
        source,
    })?;
    Ok(dir)
}

/// Reads `metrics.jsonl` (missing: empty).
pub fn read_metrics(path: &Path) -> Result<Vec<StepMetrics>> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => {
            return Err(Error::Read {
                path: path.to_path_buf(),
                source,
            });
        }
    };
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .enumerate()
        .map(|(i, l)| {
            serde_json::from_str(l).map_err(|source| Error::Json {
                context: format!("parse {}:{}", path.display(), i + 1),
                source,
            })
        })
        .collect()
}

fn write_metrics(path: &Path, metrics: &[StepMetrics]) -> Result<()> {
    let mut text = String::new();
    for m in metrics {
        let line = serde_json::to_string(m).map_err(|source| Error::Json {
            context: "serialise step metrics".into(),
            source,
        })?;
        text.push_str(&line);
        text.push('\n');
    }
    std::fs::write(path, text).map_err(|source| Error::Write {
        path: path.to_path_buf(),
        source,
    })
}
