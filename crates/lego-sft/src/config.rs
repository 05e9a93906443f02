//! The training config: one flat TOML table whose keys are named as Hugging Face's `Trainer`
//! names them where it has a name (`learning_rate`, `weight_decay`, `max_grad_norm`,
//! `warmup_ratio`, `max_steps`, `save_steps`, `seed`, `gradient_checkpointing`, `adam_beta1`, ...).
//! Unknown keys are an error naming the key and the file. Relative paths are taken from the
//! directory of the config file.

use std::path::{Path, PathBuf};

use lego_model::RopeScaling;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// What `lego sft train --config F.toml` reads. Defaults are SWE-Lego's (which are the Hugging Face
/// Trainer's where SWE-Lego does not say): LR 1e-4, 4 epochs, cosine with 0.1 warmup, weight
/// decay 0.01, clipping at 1.0, global batch 64 sequences, max length 131072, packing,
/// curriculum and error masking on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TrainConfig {
    /// A Hugging Face checkpoint directory (`config.json` + safetensors) to start from.
    pub model: PathBuf,
    /// Rendered examples (`lego data render` output), or trajectories when `tokenizer` is set.
    pub data: PathBuf,
    /// A `tokenizer.json`: `data` holds trajectories, rendered here with `error_mask`.
    pub tokenizer: Option<PathBuf>,
    /// Where checkpoints, `metrics.jsonl` and `loss.png` go.
    pub output_dir: PathBuf,
    /// Peak learning rate, reached after warmup.
    pub learning_rate: f64,
    /// Decoupled (AdamW) weight decay; never applied to norm weights and biases.
    pub weight_decay: f64,
    /// AdamW's first-moment decay (0.9).
    pub adam_beta1: f64,
    /// AdamW's second-moment decay (0.999).
    pub adam_beta2: f64,
    /// AdamW's denominator epsilon (1e-8).
    pub adam_epsilon: f64,
    /// Gradient clipping on the global L2 norm; 0 turns clipping off.
    pub max_grad_norm: f64,
    /// Fraction of all optimizer steps (all stages together) spent warming up, rounded up.
    pub warmup_ratio: f64,
    /// The learning rate after warmup.
    pub lr_schedule: LrSchedule,
    /// Sequences per optimizer step, reached by accumulating micro-batches.
    pub global_batch: usize,
    /// Sequences per micro-batch without packing (padded to the longest); ignored with packing.
    pub micro_batch: usize,
    /// Epochs over the data; with the curriculum, epochs over each stage's tier.
    pub epochs: usize,
    /// Stops after this many optimizer steps (the schedule is laid over them); more epochs are
    /// planned when the given ones are too few, as the Trainer does.
    pub max_steps: Option<usize>,
    /// Longest sequence and, with packing, the token budget of a micro-batch. Longer examples
    /// are left out (and counted).
    pub max_len: usize,
    /// Several examples per micro-batch row under `max_len` tokens, block-diagonal attention.
    pub packing: bool,
    /// Train tier k at stage k, easiest first; off: all tiers shuffled together.
    pub curriculum: bool,
    /// Curriculum tiers when rendering trajectories here (rendered examples carry theirs).
    pub tiers: usize,
    /// No loss on error steps and `turn_mask` turns. Honoured when rendering here; rendered
    /// examples carry the masks they were rendered with (`lego data render --no-error-mask`).
    pub error_mask: bool,
    /// Overrides the model's RoPE scaling, e.g. `{ rope_type = "yarn", factor = 4.0,
    /// original_max_position_embeddings = 32768 }`.
    pub rope_scaling: Option<RopeScalingConfig>,
    /// Seeds the data order (and nothing else: the model comes from `model`).
    pub seed: u64,
    /// Writes `checkpoint-STEP` every this many steps (and always at the end).
    pub save_steps: Option<usize>,
    /// `true`: continue from the newest checkpoint in `output_dir`; a path: from that one.
    pub resume: Resume,
    /// Activation checkpointing per decoder layer.
    pub gradient_checkpointing: bool,
    /// Tokens projected through `lm_head` at a time by the chunked loss.
    pub loss_chunk: usize,
    /// `cpu`, `cuda` or `cuda:N`.
    pub device: String,
    /// bf16 weights with f32 master weights and f32 optimizer state (CUDA only; default there).
    pub bf16: Option<bool>,
    /// Writes `loss.png` at the end.
    pub plot: bool,
}

impl Default for TrainConfig {
    fn default() -> Self {
        Self {
            model: PathBuf::new(),
            data: PathBuf::new(),
            tokenizer: None,
            output_dir: PathBuf::new(),
            learning_rate: 1e-4,
            weight_decay: 0.01,
            adam_beta1: 0.9,
            adam_beta2: 0.999,
            adam_epsilon: 1e-8,
            max_grad_norm: 1.0,
            warmup_ratio: 0.1,
            lr_schedule: LrSchedule::Cosine,
            global_batch: 64,
            micro_batch: 1,
            epochs: 4,
            max_steps: None,
            max_len: 131_072,
            packing: true,
            curriculum: true,
            tiers: 3,
            error_mask: true,
            rope_scaling: None,
            seed: 42,
            save_steps: None,
            resume: Resume::Flag(false),
            gradient_checkpointing: false,
            loss_chunk: 1024,
            device: "cpu".into(),
            bf16: None,
            plot: true,
        }
    }
}

/// The learning-rate schedule after warmup.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LrSchedule {
    /// Half a cosine from the peak to 0 over the steps after warmup (`get_cosine_schedule_with_warmup`).
    Cosine,
    /// The peak after warmup (`get_constant_schedule_with_warmup`).
    Constant,
}

/// `resume = true | false | "path/to/checkpoint-N"`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Resume {
    /// `true`: the newest checkpoint in `output_dir`, if any; `false`: start fresh.
    Flag(bool),
    /// That checkpoint directory.
    Path(PathBuf),
}

/// A RoPE scaling block as in `config.json`'s `rope_scaling`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RopeScalingConfig {
    /// `default`, `linear`, `dynamic` or `yarn` (`type` is accepted too).
    #[serde(alias = "type")]
    pub rope_type: String,
    /// The context extension factor (4 for 32k -> 128k).
    pub factor: Option<f64>,
    /// The trained context length the factor extends.
    pub original_max_position_embeddings: Option<usize>,
    /// YaRN's attention scale; `0.1 * ln(factor) + 1` when absent.
    pub attention_factor: Option<f64>,
    /// YaRN's high-frequency boundary (32).
    pub beta_fast: Option<f64>,
    /// YaRN's low-frequency boundary (1).
    pub beta_slow: Option<f64>,
}

impl RopeScalingConfig {
    /// The lego-model form of this block.
    pub fn to_scaling(&self) -> std::result::Result<RopeScaling, String> {
        let factor = || {
            self.factor
                .ok_or("rope_scaling: `factor` is required".to_string())
        };
        Ok(match self.rope_type.as_str() {
            "default" => RopeScaling::Default,
            "linear" => RopeScaling::Linear { factor: factor()? },
            "dynamic" => RopeScaling::Dynamic {
                factor: factor()?,
                original_max_position_embeddings: self.original_max_position_embeddings,
            },
            "yarn" => RopeScaling::Yarn {
                factor: factor()?,
                original_max_position_embeddings: self.original_max_position_embeddings.ok_or(
                    "rope_scaling: yarn needs `original_max_position_embeddings`".to_string(),
                )?,
                attention_factor: self.attention_factor,
                beta_fast: self.beta_fast.unwrap_or(32.0),
                beta_slow: self.beta_slow.unwrap_or(1.0),
                truncate: true,
            },
            other => {
                return Err(format!(
                    "rope_scaling: unknown rope_type `{other}` (default, linear, dynamic, yarn)"
                ));
            }
        })
    }
}

impl TrainConfig {
    /// Reads and validates a TOML config; relative paths are resolved against its directory.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| Error::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let base = path.parent().unwrap_or(Path::new("."));
        Self::from_toml_str(&text, path, base)
    }

    /// Parses `text` (named `origin` in errors), resolving relative paths against `base`.
    pub fn from_toml_str(text: &str, origin: &Path, base: &Path) -> Result<Self> {
        let err = |message: String| Error::Config {
            path: origin.to_path_buf(),
            message,
        };
        let mut cfg: TrainConfig =
            toml::from_str(text).map_err(|e| err(e.message().to_string()))?;
        let resolve = |p: &mut PathBuf| {
            if !p.as_os_str().is_empty() && p.is_relative() {
                *p = base.join(&*p);
            }
        };
        resolve(&mut cfg.model);
        resolve(&mut cfg.data);
        resolve(&mut cfg.output_dir);
        if let Some(t) = &mut cfg.tokenizer {
            resolve(t);
        }
        if let Resume::Path(p) = &mut cfg.resume {
            resolve(p);
        }
        cfg.validate().map_err(err)?;
        Ok(cfg)
    }

    /// Checks required keys and ranges; the message names the key.
    pub fn validate(&self) -> std::result::Result<(), String> {
        for (key, value) in [
            ("model", &self.model),
            ("data", &self.data),
            ("output_dir", &self.output_dir),
        ] {
            if value.as_os_str().is_empty() {
                return Err(format!("`{key}` is required"));
            }
        }
        let positive = [
            ("global_batch", self.global_batch),
            ("micro_batch", self.micro_batch),
            ("epochs", self.epochs),
            ("max_len", self.max_len),
            ("tiers", self.tiers),
            ("loss_chunk", self.loss_chunk),
        ];
        for (key, value) in positive {
            if value == 0 {
                return Err(format!("`{key}` must be positive"));
            }
        }
        if self.max_steps == Some(0) {
            return Err("`max_steps` must be positive".into());
        }
        if self.save_steps == Some(0) {
            return Err("`save_steps` must be positive".into());
        }
        if !(0.0..=1.0).contains(&self.warmup_ratio) {
            return Err(format!(
                "`warmup_ratio` must be in [0, 1], got {}",
                self.warmup_ratio
            ));
        }
        if self.learning_rate.is_nan() || self.learning_rate < 0.0 {
            return Err("`learning_rate` must be non-negative".into());
        }
        if self.weight_decay < 0.0 || self.max_grad_norm < 0.0 || self.adam_epsilon <= 0.0 {
            return Err(
                "`weight_decay`, `max_grad_norm` and `adam_epsilon` must be non-negative".into(),
            );
        }
        if let Some(r) = &self.rope_scaling {
            r.to_scaling()?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
