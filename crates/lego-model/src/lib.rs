//! `lego-model`: Qwen3 for lego on libtorch (`tch`), computing what transformers computes.
//!
//! - [`Qwen3Config`]: `config.json` read with named-field errors ([`Qwen3Config::from_file`],
//!   [`Qwen3Config::from_json_str`]), validated, and written back in the same shape
//!   ([`Qwen3Config::to_json`]) with unknown fields kept. RoPE is read from both the legacy
//!   `rope_theta` + `rope_scaling` form and the newer `rope_parameters` form into one
//!   [`RopeConfig`]; [`Qwen3Config::with_rope_scaling`] overrides it (YaRN factor 4 for 128k).
//! - RoPE frequencies: [`inv_freq`] (default, linear, YaRN, dynamic at its initial length) and
//!   [`dynamic_inv_freq`] (dynamic NTK beyond the trained length), with the attention factor.
//! - [`Qwen3Model`]: a Hugging Face checkpoint directory loaded ([`Qwen3Model::load`]: single
//!   file or shards, f32 or bf16, tied or untied, device and kind from [`LoadOptions`]),
//!   initialised ([`Qwen3Model::init`]) or saved ([`Qwen3Model::save`]) so transformers loads it.
//!   Loading maps the safetensors files and copies each tensor once into its variable, so it
//!   needs the model's memory and little more; it logs `checkpoint loaded` through `tracing` (debug).
//!   It holds the `VarStore` (variable names are the HF keys) and the network, [`Qwen3`].
//! - [`Qwen3::forward`]: packed rows (several documents per row, positions restarting, attention
//!   block-diagonal and causal) to final hidden states; [`Qwen3::logits`];
//!   [`Qwen3::loss_sum`] and [`Qwen3::loss_backward`], cross-entropy through `lm_head` a chunk
//!   of tokens at a time so `[tokens, vocab]` logits never exist at once.
//! - [`generate`]: KV-cached decoding, greedy or sampled ([`Sampling`]), stop tokens, several
//!   prompts at once ([`GenerateOptions`]).
//!
//! Parity with transformers is a test (`tests/it/parity.rs`, `tests/it/generate.rs`, on tiny
//! models written by `tests/parity/make_tiny_qwen3.py`). The crate does not tokenise (that is
//! `lego-data`), train (no optimiser or schedule: `lego-sft`), nor start processes, and it never
//! links `bollard`. Not yet here: dynamic-NTK RoPE in generation beyond one prompt length per
//! batch.

#![warn(missing_docs)]

mod config;
mod error;
mod generate;
mod qwen3;
mod rope;
mod weights;

pub use config::{Qwen3Config, RopeConfig, RopeForm, RopeScaling, TokenIds};
pub use error::{Error, Result};
pub use generate::{GenerateOptions, Sampling, generate};
pub use qwen3::{IGNORE_INDEX, Qwen3};
pub use rope::{dynamic_inv_freq, inv_freq, yarn_correction_range};
pub use weights::{CONFIG_FILE, LoadOptions, Qwen3Model, WEIGHTS_FILE, WEIGHTS_INDEX_FILE};

/// Re-exported so users name devices and kinds with the same `tch` lego-model was built with.
pub use tch;
