//! Qwen3's Hugging Face `config.json`, read field by field so that every error names its field.

use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::{Error, Result};

/// A Qwen3 `config.json` (transformers `Qwen3Config`), normalised and validated.
///
/// Fields transformers gives defaults to are optional in the file and take the same defaults
/// here; `head_dim` is read as written and only derived as `hidden_size / num_attention_heads`
/// when absent (Qwen3-32B has 64 heads x 128 = 8192 != hidden 5120).
#[derive(Debug, Clone, PartialEq)]
pub struct Qwen3Config {
    /// Tokens in the embedding matrix (151,936 for Qwen3: the tokenizer padded).
    pub vocab_size: usize,
    /// Width of the residual stream.
    pub hidden_size: usize,
    /// Width of the MLP between `gate_proj`/`up_proj` and `down_proj`.
    pub intermediate_size: usize,
    /// Decoder layers.
    pub num_hidden_layers: usize,
    /// Query heads.
    pub num_attention_heads: usize,
    /// Defaults to `num_attention_heads` (no GQA) when absent.
    pub num_key_value_heads: usize,
    /// Width of one head; need not be `hidden_size / num_attention_heads`.
    pub head_dim: usize,
    /// Defaults to 32768.
    pub max_position_embeddings: usize,
    /// Defaults to 1e-6.
    pub rms_norm_eps: f64,
    /// `lm_head` is `embed_tokens` (no `lm_head.weight` in the checkpoint).
    pub tie_word_embeddings: bool,
    /// Biases on the attention projections (Qwen3: false; lego supports none).
    pub attention_bias: bool,
    /// Defaults to `"silu"`.
    pub hidden_act: String,
    /// Beginning-of-sequence token, as written.
    pub bos_token_id: Option<u32>,
    /// End-of-sequence token(s), as written.
    pub eos_token_id: Option<TokenIds>,
    /// Rotary embedding base and scaling, from either config form.
    pub rope: RopeConfig,
    /// Which of the two RoPE shapes [`Qwen3Config::to_json`] writes: the one that was read.
    pub rope_form: RopeForm,
    /// Keys of the RoPE block that lego does not interpret (`mscale`, `partial_rotary_factor`,
    /// ...), written back unchanged.
    pub rope_extra: Map<String, Value>,
    /// Every other top-level key of the file (`architectures`, `torch_dtype`, ...), written back
    /// unchanged so a round trip loses nothing.
    pub extra: Map<String, Value>,
}

/// A token id field that Hugging Face writes either as one id or as a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum TokenIds {
    /// A single id.
    One(u32),
    /// Several ids (any of them).
    Many(Vec<u32>),
}

/// Rotary position embedding: the base and how positions are scaled beyond training length.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RopeConfig {
    /// `rope_theta`, the base of the frequencies (Qwen3: 1e6). Defaults to 10000.
    pub theta: f64,
    /// How positions past the trained length are handled.
    pub scaling: RopeScaling,
}

/// The RoPE types of transformers' `ROPE_INIT_FUNCTIONS` that Qwen3 uses.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RopeScaling {
    /// Plain RoPE: `1 / theta^(2i/dim)`.
    Default,
    /// Position interpolation: every frequency divided by `factor`.
    Linear {
        /// How many times longer than trained.
        factor: f64,
    },
    /// Dynamic NTK: the base grows with the sequence once it passes `max_position_embeddings`.
    Dynamic {
        /// How many times longer than trained.
        factor: f64,
        /// The trained length, when it differs from `max_position_embeddings`.
        original_max_position_embeddings: Option<usize>,
    },
    /// YaRN: interpolate low frequencies, keep high ones, scale attention by `attention_factor`.
    Yarn {
        /// How many times longer than trained (4 for 32k -> 128k).
        factor: f64,
        /// The trained length the factor extends.
        original_max_position_embeddings: usize,
        /// `None`: `0.1 * ln(factor) + 1`.
        attention_factor: Option<f64>,
        /// Defaults to 32.
        beta_fast: f64,
        /// Defaults to 1.
        beta_slow: f64,
        /// Round the correction range to whole dimensions (default true).
        truncate: bool,
    },
}

/// Where a config keeps its RoPE settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RopeForm {
    /// `rope_theta` at the top level and `rope_scaling` (or null): the released Qwen3 checkpoints.
    #[default]
    Legacy,
    /// `rope_parameters` holding `rope_type`, `rope_theta` and the scaling keys (transformers 5).
    Parameters,
}

impl RopeConfig {
    /// Plain RoPE with base `theta`.
    pub fn new(theta: f64) -> Self {
        Self {
            theta,
            scaling: RopeScaling::Default,
        }
    }
}

impl RopeScaling {
    /// The `rope_type` string transformers uses for this scaling.
    pub fn rope_type(&self) -> &'static str {
        match self {
            Self::Default => "default",
            Self::Linear { .. } => "linear",
            Self::Dynamic { .. } => "dynamic",
            Self::Yarn { .. } => "yarn",
        }
    }

    /// YaRN with the given factor over an original context, other keys at their defaults: the
    /// block Qwen3 documents for 128k (`factor` 4 over 32768).
    pub fn yarn(factor: f64, original_max_position_embeddings: usize) -> Self {
        Self::Yarn {
            factor,
            original_max_position_embeddings,
            attention_factor: None,
            beta_fast: 32.0,
            beta_slow: 1.0,
            truncate: true,
        }
    }
}

/// Top-level keys this module interprets; everything else goes to `extra`.
const KNOWN: &[&str] = &[
    "vocab_size",
    "hidden_size",
    "intermediate_size",
    "num_hidden_layers",
    "num_attention_heads",
    "num_key_value_heads",
    "head_dim",
    "max_position_embeddings",
    "rms_norm_eps",
    "tie_word_embeddings",
    "attention_bias",
    "hidden_act",
    "bos_token_id",
    "eos_token_id",
    "rope_theta",
    "rope_scaling",
    "rope_parameters",
];

/// Keys of a RoPE block this module interprets; the rest go to `rope_extra`.
const ROPE_KNOWN: &[&str] = &[
    "type",
    "rope_type",
    "rope_theta",
    "factor",
    "original_max_position_embeddings",
    "attention_factor",
    "beta_fast",
    "beta_slow",
    "truncate",
];

impl Qwen3Config {
    /// Reads and validates a `config.json`.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| Error::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Self::parse(&text, &path.display().to_string())
    }

    /// Parses and validates the text of a `config.json`.
    pub fn from_json_str(text: &str) -> Result<Self> {
        Self::parse(text, "config JSON")
    }

    /// The same config with its RoPE scaling replaced, validated: how a run stretches a 32k
    /// model to 128k with `RopeScaling::yarn(4.0, 32768)`. `max_position_embeddings` is left as
    /// written, as transformers does.
    pub fn with_rope_scaling(mut self, scaling: RopeScaling) -> Result<Self> {
        self.rope.scaling = scaling;
        self.validate("config with rope scaling override")?;
        Ok(self)
    }

    /// The config in Hugging Face's shape, RoPE in the form it was read in, unknown keys kept.
    pub fn to_json(&self) -> Value {
        let mut out = Map::new();
        out.insert("vocab_size".into(), self.vocab_size.into());
        out.insert("hidden_size".into(), self.hidden_size.into());
        out.insert("intermediate_size".into(), self.intermediate_size.into());
        out.insert("num_hidden_layers".into(), self.num_hidden_layers.into());
        out.insert(
            "num_attention_heads".into(),
            self.num_attention_heads.into(),
        );
        out.insert(
            "num_key_value_heads".into(),
            self.num_key_value_heads.into(),
        );
        out.insert("head_dim".into(), self.head_dim.into());
        out.insert(
            "max_position_embeddings".into(),
            self.max_position_embeddings.into(),
        );
        out.insert("rms_norm_eps".into(), self.rms_norm_eps.into());
        out.insert(
            "tie_word_embeddings".into(),
            self.tie_word_embeddings.into(),
        );
        out.insert("attention_bias".into(), self.attention_bias.into());
        out.insert("hidden_act".into(), self.hidden_act.clone().into());
        if let Some(bos) = self.bos_token_id {
            out.insert("bos_token_id".into(), bos.into());
        }
        if let Some(eos) = &self.eos_token_id {
            let eos = match eos {
                TokenIds::One(id) => Value::from(*id),
                TokenIds::Many(ids) => Value::from(ids.clone()),
            };
            out.insert("eos_token_id".into(), eos);
        }
        let mut block = self.rope_block();
        match self.rope_form {
            RopeForm::Legacy => {
                out.insert("rope_theta".into(), self.rope.theta.into());
                let scaling = if block.is_empty() {
                    Value::Null
                } else {
                    Value::Object(block)
                };
                out.insert("rope_scaling".into(), scaling);
            }
            RopeForm::Parameters => {
                block.insert("rope_theta".into(), self.rope.theta.into());
                block.insert("rope_type".into(), self.rope.scaling.rope_type().into());
                out.insert("rope_parameters".into(), Value::Object(block));
            }
        }
        for (k, v) in &self.extra {
            out.insert(k.clone(), v.clone());
        }
        Value::Object(out)
    }

    /// The scaling keys of the RoPE block (no `rope_theta`), empty for plain RoPE.
    fn rope_block(&self) -> Map<String, Value> {
        let mut block = Map::new();
        match self.rope.scaling {
            RopeScaling::Default => {}
            RopeScaling::Linear { factor } => {
                block.insert("factor".into(), factor.into());
            }
            RopeScaling::Dynamic {
                factor,
                original_max_position_embeddings,
            } => {
                block.insert("factor".into(), factor.into());
                if let Some(orig) = original_max_position_embeddings {
                    block.insert("original_max_position_embeddings".into(), orig.into());
                }
            }
            RopeScaling::Yarn {
                factor,
                original_max_position_embeddings,
                attention_factor,
                beta_fast,
                beta_slow,
                truncate,
            } => {
                block.insert("factor".into(), factor.into());
                block.insert(
                    "original_max_position_embeddings".into(),
                    original_max_position_embeddings.into(),
                );
                if let Some(a) = attention_factor {
                    block.insert("attention_factor".into(), a.into());
                }
                block.insert("beta_fast".into(), beta_fast.into());
                block.insert("beta_slow".into(), beta_slow.into());
                block.insert("truncate".into(), truncate.into());
            }
        }
        if !block.is_empty() || !self.rope_extra.is_empty() {
            block.insert("rope_type".into(), self.rope.scaling.rope_type().into());
        }
        for (k, v) in &self.rope_extra {
            block.insert(k.clone(), v.clone());
        }
        block
    }

    fn parse(text: &str, origin: &str) -> Result<Self> {
        let value: Value = serde_json::from_str(text).map_err(|source| Error::Json {
            origin: origin.to_string(),
            source,
        })?;
        let Value::Object(map) = value else {
            return Err(invalid(origin, "<root>", "expected a JSON object"));
        };
        let f = Fields {
            map: &map,
            origin,
            prefix: "",
        };
        let hidden_size = f.usize("hidden_size")?;
        let num_attention_heads = f.usize("num_attention_heads")?;
        let head_dim = match f.opt_usize("head_dim")? {
            Some(d) => d,
            None if num_attention_heads > 0 => hidden_size / num_attention_heads,
            None => 0,
        };
        let max_position_embeddings = f.opt_usize("max_position_embeddings")?.unwrap_or(32768);
        let (rope, rope_form, rope_extra) = read_rope(&f)?;
        let config = Self {
            vocab_size: f.usize("vocab_size")?,
            hidden_size,
            intermediate_size: f.usize("intermediate_size")?,
            num_hidden_layers: f.usize("num_hidden_layers")?,
            num_attention_heads,
            num_key_value_heads: f
                .opt_usize("num_key_value_heads")?
                .unwrap_or(num_attention_heads),
            head_dim,
            max_position_embeddings,
            rms_norm_eps: f.opt_f64("rms_norm_eps")?.unwrap_or(1e-6),
            tie_word_embeddings: f.opt_bool("tie_word_embeddings")?.unwrap_or(false),
            attention_bias: f.opt_bool("attention_bias")?.unwrap_or(false),
            hidden_act: f.opt_str("hidden_act")?.unwrap_or("silu").to_string(),
            bos_token_id: f
                .opt_usize("bos_token_id")?
                .map(|id| {
                    u32::try_from(id).map_err(|_| invalid(origin, "bos_token_id", "too large"))
                })
                .transpose()?,
            eos_token_id: f.opt_token_ids("eos_token_id")?,
            rope,
            rope_form,
            rope_extra,
            extra: map
                .iter()
                .filter(|(k, _)| !KNOWN.contains(&k.as_str()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        };
        config.validate(origin)?;
        Ok(config)
    }

    fn validate(&self, origin: &str) -> Result<()> {
        let block = match self.rope_form {
            RopeForm::Legacy => "rope_scaling",
            RopeForm::Parameters => "rope_parameters",
        };
        let rope_field = |key: &str| format!("{block}.{key}");
        let sizes = [
            ("vocab_size", self.vocab_size),
            ("hidden_size", self.hidden_size),
            ("intermediate_size", self.intermediate_size),
            ("num_hidden_layers", self.num_hidden_layers),
            ("num_attention_heads", self.num_attention_heads),
            ("num_key_value_heads", self.num_key_value_heads),
            ("head_dim", self.head_dim),
            ("max_position_embeddings", self.max_position_embeddings),
        ];
        for (field, value) in sizes {
            if value == 0 {
                return Err(invalid(origin, field, "must be positive"));
            }
        }
        if !self
            .num_attention_heads
            .is_multiple_of(self.num_key_value_heads)
        {
            return Err(invalid(
                origin,
                "num_key_value_heads",
                format!(
                    "{} does not divide num_attention_heads {}",
                    self.num_key_value_heads, self.num_attention_heads
                ),
            ));
        }
        if !self.head_dim.is_multiple_of(2) {
            return Err(invalid(
                origin,
                "head_dim",
                format!("{} is odd; rotary embedding needs pairs", self.head_dim),
            ));
        }
        if !positive(self.rms_norm_eps) {
            return Err(invalid(origin, "rms_norm_eps", "must be positive"));
        }
        if !positive(self.rope.theta) {
            return Err(invalid(origin, "rope_theta", "must be positive"));
        }
        match self.rope.scaling {
            RopeScaling::Default => {}
            RopeScaling::Linear { factor } => {
                if !positive(factor) {
                    return Err(invalid(
                        origin,
                        &rope_field("factor"),
                        "linear factor must be positive",
                    ));
                }
            }
            RopeScaling::Dynamic { factor, .. } => {
                if !at_least_one(factor) {
                    return Err(invalid(
                        origin,
                        &rope_field("factor"),
                        "dynamic factor must be >= 1",
                    ));
                }
            }
            RopeScaling::Yarn {
                factor,
                original_max_position_embeddings,
                attention_factor,
                beta_fast,
                beta_slow,
                ..
            } => {
                if !at_least_one(factor) {
                    return Err(invalid(
                        origin,
                        &rope_field("factor"),
                        format!("yarn factor must be >= 1, got {factor}"),
                    ));
                }
                if original_max_position_embeddings == 0 {
                    return Err(invalid(
                        origin,
                        &rope_field("original_max_position_embeddings"),
                        "must be positive",
                    ));
                }
                if attention_factor.is_some_and(|a| !positive(a)) {
                    return Err(invalid(
                        origin,
                        &rope_field("attention_factor"),
                        "must be positive",
                    ));
                }
                if !positive(beta_fast) || !positive(beta_slow) {
                    return Err(invalid(
                        origin,
                        &rope_field("beta_fast"),
                        "betas must be positive",
                    ));
                }
            }
        }
        Ok(())
    }
}

/// Reads RoPE from `rope_parameters` if present, else from `rope_theta` + `rope_scaling`.
fn read_rope(f: &Fields<'_>) -> Result<(RopeConfig, RopeForm, Map<String, Value>)> {
    let top_theta = f.opt_f64("rope_theta")?;
    let (block_field, form) = match f.map.get("rope_parameters") {
        Some(v) if !v.is_null() => ("rope_parameters", RopeForm::Parameters),
        _ => ("rope_scaling", RopeForm::Legacy),
    };
    let block = match f.map.get(block_field) {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(block)) => block.clone(),
        Some(other) => {
            return Err(invalid(
                f.origin,
                block_field,
                format!("expected an object or null, found {other}"),
            ));
        }
    };
    let prefix = format!("{block_field}.");
    let b = Fields {
        map: &block,
        origin: f.origin,
        prefix: &prefix,
    };
    let field = |key: &str| format!("{block_field}.{key}");
    let rope_type = match b.opt_str("rope_type")? {
        Some(t) => t,
        None => b.opt_str("type")?.unwrap_or("default"),
    };
    let theta = b.opt_f64("rope_theta")?.or(top_theta).unwrap_or(10_000.0);
    let factor = || {
        b.opt_f64("factor")?
            .ok_or_else(|| invalid(f.origin, &field("factor"), "required for this rope_type"))
    };
    let scaling = match rope_type {
        "default" => RopeScaling::Default,
        "linear" => RopeScaling::Linear { factor: factor()? },
        "dynamic" => RopeScaling::Dynamic {
            factor: factor()?,
            original_max_position_embeddings: b.opt_usize("original_max_position_embeddings")?,
        },
        "yarn" => RopeScaling::Yarn {
            factor: factor()?,
            original_max_position_embeddings: match b
                .opt_usize("original_max_position_embeddings")?
            {
                Some(orig) => orig,
                None => f.opt_usize("max_position_embeddings")?.unwrap_or(32768),
            },
            attention_factor: b.opt_f64("attention_factor")?,
            beta_fast: b.opt_f64("beta_fast")?.unwrap_or(32.0),
            beta_slow: b.opt_f64("beta_slow")?.unwrap_or(1.0),
            truncate: b.opt_bool("truncate")?.unwrap_or(true),
        },
        other => {
            return Err(invalid(
                f.origin,
                &field("rope_type"),
                format!(
                    "unsupported rope_type {other:?} (lego knows default, linear, dynamic, yarn)"
                ),
            ));
        }
    };
    let extra = block
        .iter()
        .filter(|(k, _)| !ROPE_KNOWN.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    Ok((RopeConfig { theta, scaling }, form, extra))
}

/// False for NaN too, so validation rejects it.
fn positive(x: f64) -> bool {
    x > 0.0
}

/// False for NaN too.
fn at_least_one(x: f64) -> bool {
    x >= 1.0
}

fn invalid(origin: &str, field: &str, message: impl Into<String>) -> Error {
    Error::Invalid {
        origin: origin.to_string(),
        field: field.to_string(),
        message: message.into(),
    }
}

/// Typed access to the keys of one JSON object, with errors that name the key.
struct Fields<'a> {
    map: &'a Map<String, Value>,
    origin: &'a str,
    /// `"rope_scaling."` inside a RoPE block, so errors name the nested key.
    prefix: &'a str,
}

impl<'a> Fields<'a> {
    fn get(&self, key: &str) -> Option<&'a Value> {
        self.map.get(key).filter(|v| !v.is_null())
    }

    fn wrong(&self, key: &str, expected: &str, found: &Value) -> Error {
        let field = format!("{}{key}", self.prefix);
        invalid(
            self.origin,
            &field,
            format!("expected {expected}, found {found}"),
        )
    }

    fn usize(&self, key: &str) -> Result<usize> {
        let field = format!("{}{key}", self.prefix);
        self.opt_usize(key)?
            .ok_or_else(|| invalid(self.origin, &field, "missing"))
    }

    fn opt_usize(&self, key: &str) -> Result<Option<usize>> {
        let Some(v) = self.get(key) else {
            return Ok(None);
        };
        // Some exporters write integers as `32768.0`; accept whole floats.
        let n = v.as_u64().or_else(|| {
            v.as_f64()
                .filter(|x| x.fract() == 0.0 && *x >= 0.0 && *x <= u32::MAX as f64)
                .map(|x| x as u64)
        });
        match n.and_then(|n| usize::try_from(n).ok()) {
            Some(n) => Ok(Some(n)),
            None => Err(self.wrong(key, "a non-negative integer", v)),
        }
    }

    fn opt_f64(&self, key: &str) -> Result<Option<f64>> {
        match self.get(key) {
            None => Ok(None),
            Some(v) => v
                .as_f64()
                .map(Some)
                .ok_or_else(|| self.wrong(key, "a number", v)),
        }
    }

    fn opt_bool(&self, key: &str) -> Result<Option<bool>> {
        match self.get(key) {
            None => Ok(None),
            Some(v) => v
                .as_bool()
                .map(Some)
                .ok_or_else(|| self.wrong(key, "true or false", v)),
        }
    }

    fn opt_str(&self, key: &str) -> Result<Option<&'a str>> {
        match self.get(key) {
            None => Ok(None),
            Some(v) => v
                .as_str()
                .map(Some)
                .ok_or_else(|| self.wrong(key, "a string", v)),
        }
    }

    fn opt_token_ids(&self, key: &str) -> Result<Option<TokenIds>> {
        match self.get(key) {
            None => Ok(None),
            Some(v) => TokenIds::deserialize(v)
                .map(Some)
                .map_err(|_| self.wrong(key, "a token id or a list of them", v)),
        }
    }
}

#[cfg(test)]
mod tests;
