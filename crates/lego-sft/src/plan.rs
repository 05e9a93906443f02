//! What each optimizer step trains on: the examples, the step plan across curriculum stages and
//! epochs, and micro-batches (packed or padded) with labels shifted per document.
//!
//! The plan is a pure function of the examples and the config (the seed included), so a resumed
//! run recomputes it and continues at its step: no data-loader state needs saving.

use lego_data::{
    Example, IGNORE_INDEX, Overlong, ReadOptions, RenderOptions, Tokenizer, Trajectory,
    annotate_steps, read_jsonl, render_all,
};
use serde::{Deserialize, Serialize};

use crate::config::TrainConfig;
use crate::error::{Error, Result};

/// The examples a run trains on and what was left out.
#[derive(Debug, Clone)]
pub struct TrainData {
    /// The examples kept, in file order.
    pub examples: Vec<Example>,
    /// Examples longer than `max_len` (or shorter than 2 tokens), left out.
    pub dropped: usize,
}

/// Loads `cfg.data`: rendered examples, or trajectories rendered here (with `cfg.error_mask`
/// and `cfg.tiers`) when `cfg.tokenizer` is set.
pub fn load_data(cfg: &TrainConfig) -> Result<TrainData> {
    let path = &cfg.data;
    let source = |source| Error::DataSource {
        path: path.clone(),
        source,
    };
    let examples = match &cfg.tokenizer {
        None => {
            read_jsonl::<Example>(path, &ReadOptions::default())
                .map_err(source)?
                .0
        }
        Some(tok) => {
            let (mut trajs, _) =
                read_jsonl::<Trajectory>(path, &ReadOptions::default()).map_err(source)?;
            for t in &mut trajs {
                annotate_steps(t);
            }
            let tok = Tokenizer::from_file(tok).map_err(|source| Error::DataSource {
                path: tok.clone(),
                source,
            })?;
            render_examples(&trajs, &tok, cfg.error_mask, cfg.max_len, cfg.tiers).map_err(source)?
        }
    };
    let before = examples.len();
    let examples: Vec<Example> = examples
        .into_iter()
        .filter(|e| (2..=cfg.max_len).contains(&e.input_ids.len()))
        .collect();
    let dropped = before - examples.len();
    if examples.is_empty() {
        return Err(Error::Data {
            path: path.clone(),
            message: format!(
                "no example of 2 to {} tokens ({before} read, {dropped} left out)",
                cfg.max_len
            ),
        });
    }
    Ok(TrainData { examples, dropped })
}

/// Renders trajectories as `lego data render` does (over-long ones dropped), tiers assigned.
pub fn render_examples(
    trajs: &[Trajectory],
    tok: &Tokenizer,
    error_mask: bool,
    max_len: usize,
    tiers: usize,
) -> lego_data::Result<Vec<Example>> {
    let opts = RenderOptions {
        error_mask,
        max_len: Some(max_len),
        overlong: Overlong::Drop,
    };
    Ok(
        render_all(trajs, tok, &opts, Some(tiers), &lego_data::NoProgress)?
            .into_iter()
            .filter_map(|r| r.example)
            .collect(),
    )
}

/// One optimizer step: which examples (indices into the data) it trains on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    /// Curriculum stage (0 without the curriculum).
    pub stage: usize,
    /// The tier the stage trains, `None` without the curriculum.
    pub tier: Option<usize>,
    /// Epoch within the stage.
    pub epoch: usize,
    /// Indices into the run's examples, in training order.
    pub examples: Vec<usize>,
}

/// How the plan is laid out.
#[derive(Debug, Clone, Copy)]
pub struct PlanOptions {
    /// Examples per optimizer step.
    pub global_batch: usize,
    /// Epochs over the data (per stage with the curriculum).
    pub epochs: usize,
    /// Stops the plan after this many steps, adding epochs if needed.
    pub max_steps: Option<usize>,
    /// One stage per tier, easiest first.
    pub curriculum: bool,
    /// Seeds the shuffling.
    pub seed: u64,
}

/// The steps of a run, in order. With the curriculum, stage k trains tier k (easiest first) for
/// `epochs` epochs before stage k+1 starts; without it, every example is in every epoch. Each
/// epoch is shuffled by `seed` and split into `ceil(n / global_batch)` steps (the last one may be
/// smaller; no batch spans two epochs or stages). With `max_steps` the plan is cut there, and
/// planned with more epochs first when the given ones are too few.
pub fn plan_steps(
    tiers: &[Option<usize>],
    opts: &PlanOptions,
) -> std::result::Result<Vec<Step>, String> {
    let groups: Vec<(Option<usize>, Vec<usize>)> = if opts.curriculum {
        let mut by_tier = std::collections::BTreeMap::<usize, Vec<usize>>::new();
        for (i, t) in tiers.iter().enumerate() {
            let t = t.ok_or(format!(
                "example {i} has no curriculum tier (render with `lego data render`, or set curriculum = false)"
            ))?;
            by_tier.entry(t).or_default().push(i);
        }
        by_tier.into_iter().map(|(t, v)| (Some(t), v)).collect()
    } else {
        vec![(None, (0..tiers.len()).collect())]
    };
    let plan_with = |epochs: usize| {
        let mut steps = Vec::new();
        for (stage, (tier, members)) in groups.iter().enumerate() {
            for epoch in 0..epochs {
                let mut order = members.clone();
                shuffle(&mut order, mix(opts.seed, stage as u64, epoch as u64));
                for chunk in order.chunks(opts.global_batch.max(1)) {
                    steps.push(Step {
                        stage,
                        tier: *tier,
                        epoch,
                        examples: chunk.to_vec(),
                    });
                }
            }
        }
        steps
    };
    let mut epochs = opts.epochs.max(1);
    let mut steps = plan_with(epochs);
    if let Some(max) = opts.max_steps {
        if steps.is_empty() {
            return Ok(steps);
        }
        if steps.len() < max {
            epochs = (epochs * max).div_ceil(steps.len());
            steps = plan_with(epochs);
        }
        steps.truncate(max);
    }
    Ok(steps)
}

/// A micro-batch as flat row-major `[rows, cols]` buffers, ready for tensors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MicroBatch {
    /// Rows of the batch.
    pub rows: usize,
    /// Tokens per row (padded to the longest).
    pub cols: usize,
    /// Token ids, row-major.
    pub input_ids: Vec<i64>,
    /// Positions restart at 0 for each document.
    pub positions: Vec<i64>,
    /// One id per document in a row (packed only); `None`: one causal sequence per row.
    pub segment_ids: Option<Vec<i64>>,
    /// Shifted per document: `labels[t]` is the target of position `t`; -100 at each
    /// document's last token and on padding.
    pub labels: Vec<i64>,
    /// Tokens that carry loss.
    pub trained: usize,
    /// Real (non-padding) tokens.
    pub tokens: usize,
}

/// Target of each position of one document: its label one step later, -100 at the end.
pub fn shifted_labels(labels: &[i64]) -> impl Iterator<Item = i64> + '_ {
    labels
        .iter()
        .skip(1)
        .copied()
        .chain(std::iter::once(IGNORE_INDEX))
}

/// Tokens of `e` that carry loss once shifted.
pub fn trained_tokens(e: &Example) -> usize {
    e.labels
        .iter()
        .skip(1)
        .filter(|&&l| l != IGNORE_INDEX)
        .count()
}

/// Micro-batches of `examples` in order. Packing: each micro-batch is one row holding as many
/// consecutive examples as fit in `max_len` tokens, no padding. Otherwise `micro_batch`
/// examples per micro-batch, right-padded with token 0 (label -100) to the longest.
pub fn micro_batches(
    examples: &[&Example],
    packing: bool,
    micro_batch: usize,
    max_len: usize,
) -> Vec<MicroBatch> {
    let mut out = Vec::new();
    if packing {
        let mut row: Vec<&Example> = Vec::new();
        let mut len = 0;
        for &e in examples {
            if !row.is_empty() && len + e.input_ids.len() > max_len {
                out.push(build(&row, true));
                row.clear();
                len = 0;
            }
            len += e.input_ids.len();
            row.push(e);
        }
        if !row.is_empty() {
            out.push(build(&row, true));
        }
    } else {
        for chunk in examples.chunks(micro_batch.max(1)) {
            out.push(build(chunk, false));
        }
    }
    out
}

fn build(docs: &[&Example], packed: bool) -> MicroBatch {
    let (rows, cols) = if packed {
        (1, docs.iter().map(|e| e.input_ids.len()).sum())
    } else {
        let longest = docs.iter().map(|e| e.input_ids.len()).max().unwrap_or(0);
        (docs.len(), longest)
    };
    let mut mb = MicroBatch {
        rows,
        cols,
        input_ids: Vec::with_capacity(rows * cols),
        positions: Vec::with_capacity(rows * cols),
        segment_ids: packed.then(|| Vec::with_capacity(cols)),
        labels: Vec::with_capacity(rows * cols),
        trained: 0,
        tokens: 0,
    };
    for (d, e) in docs.iter().enumerate() {
        let n = e.input_ids.len();
        mb.input_ids
            .extend(e.input_ids.iter().map(|&t| i64::from(t)));
        mb.positions.extend(0..n as i64);
        if let Some(seg) = &mut mb.segment_ids {
            seg.extend(std::iter::repeat_n(d as i64, n));
        }
        mb.labels.extend(shifted_labels(&e.labels));
        mb.trained += trained_tokens(e);
        mb.tokens += n;
        if !packed {
            let pad = cols - n;
            mb.input_ids.extend(std::iter::repeat_n(0, pad));
            mb.positions.extend(n as i64..(n + pad) as i64);
            mb.labels.extend(std::iter::repeat_n(IGNORE_INDEX, pad));
        }
    }
    mb
}

/// A hash of what the plan depends on, so a resume with other data or batch settings is refused.
pub fn fingerprint(examples: &[Example], steps: &[Step]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |x: u64| {
        for b in x.to_le_bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    };
    for e in examples {
        eat(e.input_ids.len() as u64);
        for &t in &e.input_ids {
            eat(u64::from(t));
        }
        for &l in &e.labels {
            eat(l as u64);
        }
    }
    for s in steps {
        eat(s.examples.len() as u64);
        for &i in &s.examples {
            eat(i as u64);
        }
    }
    format!("{h:016x}")
}

fn mix(seed: u64, stage: u64, epoch: u64) -> u64 {
    let mut s = seed
        ^ stage.wrapping_mul(0x9e37_79b9_7f4a_7c15)
        ^ epoch.wrapping_mul(0xc2b2_ae3d_27d4_eb4f);
    splitmix(&mut s)
}

fn splitmix(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Fisher-Yates with SplitMix64: the same order on every platform.
fn shuffle(v: &mut [usize], seed: u64) {
    let mut state = seed;
    for i in (1..v.len()).rev() {
        let j = (splitmix(&mut state) % (i as u64 + 1)) as usize;
        v.swap(i, j);
    }
}

#[cfg(test)]
mod tests;
