//! `lego-model`: Qwen3 for lego.
//!
//! This crate will hold the Qwen3 decoder on libtorch (`tch`), built the candle way from a serde
//! config that mirrors Hugging Face's `config.json`. Today it holds the two pure-Rust pieces the
//! model stands on:
//!
//! - [`Qwen3Config`]: `config.json` read with named-field errors ([`Qwen3Config::from_file`],
//!   [`Qwen3Config::from_json_str`]), validated, and written back in the same shape
//!   ([`Qwen3Config::to_json`]) with unknown fields kept. RoPE is read from both the legacy
//!   `rope_theta` + `rope_scaling` form and the newer `rope_parameters` form into one
//!   [`RopeConfig`]; [`Qwen3Config::with_rope_scaling`] overrides it (YaRN factor 4 for 128k).
//! - RoPE frequencies: [`inv_freq`] (default, linear, YaRN, dynamic at its initial length) and
//!   [`dynamic_inv_freq`] (dynamic NTK beyond the trained length), with the attention factor,
//!   matching transformers' `modeling_rope_utils` (checked by a parity test).
//!
//! It does not load weights, run a forward pass or tokenise (that is `lego-data`), and it never
//! links `bollard` nor starts a process: Docker stays in `lego-sandbox`.

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
