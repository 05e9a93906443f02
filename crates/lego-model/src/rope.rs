//! RoPE inverse frequencies and attention factor, as transformers' `modeling_rope_utils`
//! computes them (there in f32, here in f64).

use std::f64::consts::PI;

use crate::config::{RopeConfig, RopeScaling};

/// The inverse frequencies (`head_dim / 2` of them, highest first) and the attention factor
/// that multiplies cos and sin (YaRN's mscale; 1 for every other type).
///
/// Dynamic NTK gives its frequencies at `max_position_embeddings`, which are the default ones;
/// use [`dynamic_inv_freq`] for longer sequences. `max_position_embeddings` is otherwise unused
/// (YaRN reads its own `original_max_position_embeddings`).
pub fn inv_freq(
    rope: &RopeConfig,
    head_dim: usize,
    max_position_embeddings: usize,
) -> (Vec<f64>, f64) {
    let base = rope.theta;
    match rope.scaling {
        RopeScaling::Default => (default_inv_freq(base, head_dim), 1.0),
        RopeScaling::Linear { factor } => {
            let freqs = default_inv_freq(base, head_dim)
                .into_iter()
                .map(|f| f / factor)
                .collect();
            (freqs, 1.0)
        }
        RopeScaling::Dynamic { .. } => dynamic_inv_freq(
            rope,
            head_dim,
            max_position_embeddings,
            max_position_embeddings,
        ),
        RopeScaling::Yarn {
            factor,
            original_max_position_embeddings,
            attention_factor,
            beta_fast,
            beta_slow,
            truncate,
        } => {
            let attention_factor = attention_factor.unwrap_or(if factor <= 1.0 {
                1.0
            } else {
                0.1 * factor.ln() + 1.0
            });
            let (low, high) = yarn_correction_range(
                beta_fast,
                beta_slow,
                head_dim,
                base,
                original_max_position_embeddings,
                truncate,
            );
            // Avoid a division by zero when the range collapses, as transformers does.
            let high = if low == high { high + 0.001 } else { high };
            let freqs = default_inv_freq(base, head_dim)
                .into_iter()
                .enumerate()
                .map(|(i, extrapolation)| {
                    let interpolation = extrapolation / factor;
                    let ramp = ((i as f64 - low) / (high - low)).clamp(0.0, 1.0);
                    let extrapolation_factor = 1.0 - ramp;
                    interpolation * (1.0 - extrapolation_factor)
                        + extrapolation * extrapolation_factor
                })
                .collect();
            (freqs, attention_factor)
        }
    }
}

/// Dynamic NTK frequencies for a sequence of `seq_len` tokens: past `max_position_embeddings`
/// the base grows to `base * ((factor * seq / max) - (factor - 1))^(dim / (dim - 2))`; up to it
/// (and for every non-dynamic type) this is [`inv_freq`].
pub fn dynamic_inv_freq(
    rope: &RopeConfig,
    head_dim: usize,
    max_position_embeddings: usize,
    seq_len: usize,
) -> (Vec<f64>, f64) {
    match rope.scaling {
        RopeScaling::Dynamic { factor, .. } => {
            let seq = seq_len.max(max_position_embeddings) as f64;
            let dim = head_dim as f64;
            let base = rope.theta
                * ((factor * seq / max_position_embeddings as f64) - (factor - 1.0))
                    .powf(dim / (dim - 2.0));
            (default_inv_freq(base, head_dim), 1.0)
        }
        _ => inv_freq(rope, head_dim, max_position_embeddings),
    }
}

/// YaRN's correction range `(low, high)` in dimension indices: below `low` frequencies are kept
/// (extrapolated), above `high` interpolated by the factor, linearly blended between.
pub fn yarn_correction_range(
    beta_fast: f64,
    beta_slow: f64,
    head_dim: usize,
    base: f64,
    original_max_position_embeddings: usize,
    truncate: bool,
) -> (f64, f64) {
    let dim = head_dim as f64;
    let orig = original_max_position_embeddings as f64;
    let corr_dim = |rotations: f64| dim * (orig / (rotations * 2.0 * PI)).ln() / (2.0 * base.ln());
    let (mut low, mut high) = (corr_dim(beta_fast), corr_dim(beta_slow));
    if truncate {
        low = low.floor();
        high = high.ceil();
    }
    (low.max(0.0), high.min(dim - 1.0))
}

/// `1 / base^(2i / dim)` for `2i` in `0..dim`.
fn default_inv_freq(base: f64, head_dim: usize) -> Vec<f64> {
    let dim = head_dim as f64;
    (0..head_dim)
        .step_by(2)
        .map(|j| 1.0 / base.powf(j as f64 / dim))
        .collect()
}

#[cfg(test)]
mod tests;
