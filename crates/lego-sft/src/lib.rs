//! `lego-sft`: refined full-parameter SFT of a Qwen3 model on libtorch, the SWE-Lego way.
//!
//! [`train`] runs what a [`TrainConfig`] (one flat TOML table, Hugging Face Trainer key names)
//! says, on the examples `lego-data` renders:
//!
//! - **Loss**: token cross-entropy on trained positions only (labels -100 elsewhere; the error
//!   masks are in the labels), summed over every micro-batch of an optimizer step and divided by
//!   the trained tokens of the whole step (the global batch), counted before any backward pass:
//!   LLaMA-Factory's, TRL's and torchtune's normalisation. The loss runs chunked through
//!   `lm_head` (lego-model's `loss_backward`).
//! - **Batches**: `global_batch` sequences per step, reached by accumulating micro-batches.
//!   With packing ([`micro_batches`]) a micro-batch is one row of whole examples under `max_len`
//!   tokens, attention block-diagonal through segment ids, positions restarting per document,
//!   no padding.
//! - **Curriculum** ([`plan_steps`]): stage k trains tier k only, easiest first, `epochs`
//!   epochs per stage; one warmup + cosine schedule spans the steps of all stages together.
//!   Off, every epoch shuffles all tiers together.
//! - **Optimizer** ([`AdamW`]): PyTorch's AdamW (decoupled decay, no decay on norm weights and
//!   biases as the Trainer does), global-norm clipping, warmup then cosine ([`lr_at`]).
//!   bf16 weights (CUDA default) keep f32 master weights and f32 moments in the optimizer.
//! - **Long context**: activation checkpointing per decoder layer (`gradient_checkpointing`).
//! - **Checkpoints**: `output_dir/checkpoint-STEP/` in Hugging Face layout plus
//!   `optimizer.safetensors` and `trainer_state.json`; `resume` continues exactly (the data
//!   order is a function of the seed and the step, so only the step needs saving).
//! - **Observability**: `train` never prints. It counts steps into the caller's
//!   [`lego_data::Progress`] (total, resumed position, the last loss), emits `tracing` events
//!   (a span per step, a `debug!` with the step's metrics, an `info!` per checkpoint) and writes
//!   `metrics.jsonl` and `loss.png` (log-scale loss with the curriculum's stage boundaries, the
//!   learning rate; text in the bundled DejaVu Sans, [`plot_metrics`]).
//!
//! It trains on one device. Many-GPU runs go through TRL or LLaMA-Factory on the same tokens
//! and masks (`lego data export`); it does not tokenise beyond calling `lego-data`.

#![warn(missing_docs)]

mod config;
mod error;
mod optim;
mod plan;
mod plot;
mod train;

pub use config::{LrSchedule, Resume, RopeScalingConfig, TrainConfig};
pub use error::{Error, Result};
pub use optim::{AdamW, AdamWConfig, lr_at, takes_weight_decay, warmup_steps};
pub use plan::{
    MicroBatch, PlanOptions, Step, TrainData, load_data, micro_batches, plan_steps,
    render_examples, shifted_labels, trained_tokens,
};
pub use plot::plot_metrics;
pub use train::{
    METRICS_FILE, OPTIMIZER_FILE, PLOT_FILE, StepMetrics, TRAINER_STATE_FILE, TrainOptions,
    TrainReport, TrainerState, latest_checkpoint, read_metrics, train,
};
