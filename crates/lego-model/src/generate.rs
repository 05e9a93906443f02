//! Decoding with a key/value cache: greedy or sampled (temperature, top-p, seed), stop tokens,
//! several prompts at once.
//!
//! Prompts of different lengths are left-padded into one batch. Pad keys are masked out and each
//! row's positions start at 0 at its first real token, so a row decodes exactly as it would
//! alone. Masks are explicit whenever a query block is shorter than its keys: libtorch's
//! `is_causal` aligns the triangle top-left, which is wrong once a cache holds earlier tokens.

use tch::{Kind, Tensor};

use crate::error::{Error, Result};
use crate::qwen3::{KvCache, Mask, Qwen3};

/// How the next token is chosen.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Sampling {
    /// The most likely token (ties to the lowest id, as `argmax`).
    Greedy,
    /// Sample from `softmax(logits / temperature)` restricted to the smallest set of most
    /// likely tokens whose probability reaches `top_p` (nucleus sampling; 1.0 keeps all).
    /// A temperature of 0 or less is greedy.
    Sample {
        /// Divides the logits before the softmax.
        temperature: f64,
        /// The probability mass kept.
        top_p: f64,
    },
}

/// What [`generate`] does.
#[derive(Debug, Clone, PartialEq)]
pub struct GenerateOptions {
    /// At most this many new tokens per prompt.
    pub max_new_tokens: usize,
    /// Greedy or nucleus sampling.
    pub sampling: Sampling,
    /// A row stops after emitting any of these; the stop token is part of its output.
    pub stop_tokens: Vec<i64>,
    /// Seeds lego's sampler; the same seed, prompts and model give the same tokens.
    pub seed: u64,
}

impl Default for GenerateOptions {
    /// Greedy, 256 tokens, no stop tokens, seed 0.
    fn default() -> Self {
        Self {
            max_new_tokens: 256,
            sampling: Sampling::Greedy,
            stop_tokens: Vec::new(),
            seed: 0,
        }
    }
}

/// Continues each prompt and returns the new tokens of each (up to and including a stop token).
///
/// Runs without gradients. Prompts are token ids below the vocabulary size; they may differ in
/// length.
pub fn generate(
    model: &Qwen3,
    prompts: &[Vec<i64>],
    options: &GenerateOptions,
) -> Result<Vec<Vec<i64>>> {
    check_prompts(model, prompts)?;
    let mut out = vec![Vec::new(); prompts.len()];
    if options.max_new_tokens == 0 {
        return Ok(out);
    }
    tch::no_grad(|| decode(model, prompts, options, &mut out))?;
    Ok(out)
}

fn decode(
    model: &Qwen3,
    prompts: &[Vec<i64>],
    options: &GenerateOptions,
    out: &mut [Vec<i64>],
) -> Result<()> {
    let device = model.device();
    let b = prompts.len() as i64;
    let width = prompts.iter().map(Vec::len).max().unwrap_or(0) as i64;
    let total = width + options.max_new_tokens as i64;
    // Left padding: row r's first real token sits at index offsets[r].
    let offsets: Vec<i64> = prompts.iter().map(|p| width - p.len() as i64).collect();
    let padded = offsets.iter().any(|&o| o > 0);
    let mut ids = Vec::with_capacity((b * width) as usize);
    let mut positions = Vec::with_capacity(ids.capacity());
    for (prompt, &offset) in prompts.iter().zip(&offsets) {
        ids.extend(std::iter::repeat_n(0, offset as usize));
        ids.extend(prompt);
        positions.extend(std::iter::repeat_n(0, offset as usize));
        positions.extend(0..prompt.len() as i64);
    }
    let ids = Tensor::from_slice(&ids).view([b, width]).to_device(device);
    let positions = Tensor::from_slice(&positions)
        .view([b, width])
        .to_device(device);
    // keys[r, j]: whether index j of row r holds a real token (prompt or generated).
    let offsets_t = Tensor::from_slice(&offsets).to_device(device).unsqueeze(1);
    let keys = Tensor::arange(total, (Kind::Int64, device))
        .unsqueeze(0)
        .ge_tensor(&offsets_t);

    let mut cache = KvCache::new(model, b, total);
    let hidden = if padded {
        // Causal over the prompt, pad keys hidden; a pad query sees itself so no row of the
        // softmax is empty (an empty row would be NaN and poison later layers through 0 * NaN).
        let causal = Tensor::ones([width, width], (Kind::Bool, device)).tril(0);
        let eye = Tensor::eye(width, (Kind::Bool, device));
        let mask = causal
            .logical_and(&keys.narrow(1, 0, width).unsqueeze(1))
            .logical_or(&eye)
            .unsqueeze(1);
        model.forward_masked(&ids, &positions, Mask::Explicit(&mask), Some(&mut cache))?
    } else {
        model.forward_masked(&ids, &positions, Mask::Causal, Some(&mut cache))?
    };
    let mut logits = model.logits(&hidden.select(1, width - 1));
    let mut done = vec![false; prompts.len()];
    let mut rng = SplitMix64(options.seed);
    let next_positions =
        Tensor::from_slice(&prompts.iter().map(|p| p.len() as i64).collect::<Vec<_>>())
            .to_device(device)
            .unsqueeze(1);
    for step in 0..options.max_new_tokens as i64 {
        let next = choose(&logits, options.sampling, &mut rng)?;
        let host: Vec<i64> = Vec::<i64>::try_from(&next.to_device(tch::Device::Cpu))
            .map_err(crate::error::torch("read the sampled tokens"))?;
        for (r, &token) in host.iter().enumerate() {
            if !done[r] {
                out[r].push(token);
                done[r] = options.stop_tokens.contains(&token);
            }
        }
        if done.iter().all(|&d| d) || step + 1 == options.max_new_tokens as i64 {
            break;
        }
        // One new token per row at index width + step; it attends to every real key so far.
        let len = width + step + 1;
        let hidden = if padded {
            let mask = keys.narrow(1, 0, len).view([b, 1, 1, len]);
            model.forward_masked(
                &next.view([b, 1]),
                &(&next_positions + step),
                Mask::Explicit(&mask),
                Some(&mut cache),
            )?
        } else {
            model.forward_masked(
                &next.view([b, 1]),
                &(&next_positions + step),
                Mask::None,
                Some(&mut cache),
            )?
        };
        logits = model.logits(&hidden.select(1, 0));
    }
    Ok(())
}

/// The next token of each row, `[B]` int64 on the logits' device, from f32 logits `[B, vocab]`.
fn choose(logits: &Tensor, sampling: Sampling, rng: &mut SplitMix64) -> Result<Tensor> {
    let (temperature, top_p) = match sampling {
        Sampling::Sample { temperature, top_p } if temperature > 0.0 => (temperature, top_p),
        _ => return Ok(logits.argmax(-1, false)),
    };
    let probs = (logits / temperature).softmax(-1, Kind::Float);
    let (sorted, index) = probs.sort(-1, true);
    // Drop a token when the more likely ones already reach top_p; the most likely token always
    // stays. Then draw on the host from lego's own generator: libtorch's global one is shared
    // by every thread of the process, so a seed would not make a run repeatable.
    let before = sorted.cumsum(-1, Kind::Float) - &sorted;
    let kept = sorted.masked_fill(&before.ge(top_p.min(1.0)), 0.0);
    let kept: Vec<Vec<f32>> = Vec::try_from(&kept.to_device(tch::Device::Cpu))
        .map_err(crate::error::torch("read the sampling distribution"))?;
    let mut picks = Vec::with_capacity(kept.len());
    for row in &kept {
        let total: f64 = row.iter().map(|&p| f64::from(p)).sum();
        let mut u = rng.next_f64() * total;
        let mut pick = 0;
        for (j, &p) in row.iter().enumerate() {
            if p <= 0.0 {
                break;
            }
            pick = j as i64;
            u -= f64::from(p);
            if u < 0.0 {
                break;
            }
        }
        picks.push(pick);
    }
    let picks = Tensor::from_slice(&picks)
        .to_device(logits.device())
        .unsqueeze(1);
    Ok(index.gather(-1, &picks, false).squeeze_dim(-1))
}

/// Steele, Lea and Flood's SplitMix64: small, fast, and the same stream on every platform.
#[derive(Debug)]
struct SplitMix64(u64);

impl SplitMix64 {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `[0, 1)`.
    fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn check_prompts(model: &Qwen3, prompts: &[Vec<i64>]) -> Result<()> {
    if prompts.is_empty() {
        return Err(Error::Input("no prompts to generate from".into()));
    }
    let vocab = model.config().vocab_size as i64;
    for (i, prompt) in prompts.iter().enumerate() {
        if prompt.is_empty() {
            return Err(Error::Input(format!("prompt {i} is empty")));
        }
        if let Some(bad) = prompt.iter().find(|&&t| t < 0 || t >= vocab) {
            return Err(Error::Input(format!(
                "prompt {i} holds token {bad}, outside the vocabulary of {vocab}"
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
