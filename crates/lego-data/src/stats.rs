//! What a rendered data set holds: counts, lengths, how much of it carries loss, and its tiers.

use std::collections::BTreeMap;
use std::fmt;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::render::{Example, Rendered};
use crate::schema::{Role, Trajectory};

/// What [`data_stats`] finds in a rendered set.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DataStats {
    /// Trajectories rendered.
    pub trajectories: usize,
    /// Examples kept (not dropped for length).
    pub kept: usize,
    /// Longer than `max_len` and left out.
    pub dropped_overlong: usize,
    /// Examples cut to `max_len`.
    pub truncated: usize,
    /// Tokens of the kept examples.
    pub tokens: usize,
    /// Tokens of the kept examples that carry loss.
    pub trained_tokens: usize,
    /// `trained_tokens / tokens`.
    pub trained_fraction: f64,
    /// Assistant turns over all trajectories.
    pub assistant_turns: usize,
    /// Assistant turns masked as execution-time errors.
    pub masked_error_turns: usize,
    /// Assistant turns masked by their `turn_mask`.
    pub masked_turn_mask_turns: usize,
    /// Error steps by kind, over all trajectories.
    pub error_kinds: BTreeMap<String, usize>,
    /// Trajectories by outcome (`unknown` where none is recorded).
    pub outcomes: BTreeMap<String, usize>,
    /// Full token lengths of all trajectories, in power-of-two buckets.
    pub length_histogram: Vec<Bucket>,
    /// The curriculum tiers of the kept examples, easiest first.
    pub tiers: Vec<TierStats>,
}

/// Trajectories whose token length is in `[lo, hi)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bucket {
    /// The shortest length in the bucket.
    pub lo: usize,
    /// One past the longest length in the bucket.
    pub hi: usize,
    /// Trajectories in the bucket.
    pub count: usize,
}

/// One curriculum tier of a rendered set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TierStats {
    /// The tier (0 = easiest).
    pub tier: usize,
    /// Examples in it.
    pub examples: usize,
    /// The shortest example, in tokens.
    pub min_tokens: usize,
    /// The longest example, in tokens.
    pub max_tokens: usize,
    /// The mean example length, in tokens.
    pub mean_tokens: f64,
    /// The mean number of assistant turns.
    pub mean_assistant_turns: f64,
}

/// Statistics of `rendered`, the output of [`crate::render_all`] on `trajs` (same order).
pub fn data_stats(trajs: &[Trajectory], rendered: &[Rendered]) -> DataStats {
    let mut s = DataStats {
        trajectories: rendered.len(),
        ..DataStats::default()
    };
    // Counting trained labels reads every token of the set: the one part worth spreading over
    // the cores.
    s.trained_tokens = rendered
        .par_iter()
        .filter_map(|r| r.example.as_ref())
        .map(Example::trained_tokens)
        .sum();
    let mut tier_members: BTreeMap<usize, Vec<(usize, usize)>> = BTreeMap::new();
    for r in rendered {
        s.assistant_turns += r.turns.assistant;
        s.masked_error_turns += r.turns.masked_error;
        s.masked_turn_mask_turns += r.turns.masked_turn_mask;
        s.truncated += usize::from(r.truncated);
        match &r.example {
            Some(example) => {
                s.kept += 1;
                s.tokens += example.input_ids.len();
                if let Some(tier) = example.tier {
                    tier_members
                        .entry(tier)
                        .or_default()
                        .push((example.input_ids.len(), example.assistant_turns));
                }
            }
            None => s.dropped_overlong += 1,
        }
    }
    s.trained_fraction = if s.tokens == 0 {
        0.0
    } else {
        s.trained_tokens as f64 / s.tokens as f64
    };
    for traj in trajs {
        let outcome = traj.outcome.map_or("unknown".to_owned(), |o| {
            serde_json::to_value(o)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default()
        });
        *s.outcomes.entry(outcome).or_default() += 1;
        for msg in traj.messages.iter().filter(|m| m.role == Role::Assistant) {
            if let Some(kind) = msg.step.as_ref().and_then(|st| st.error) {
                *s.error_kinds.entry(kind.to_string()).or_default() += 1;
            }
        }
    }
    s.length_histogram = histogram(rendered.iter().map(|r| r.len));
    s.tiers = tier_members
        .into_iter()
        .map(|(tier, members)| {
            let n = members.len() as f64;
            TierStats {
                tier,
                examples: members.len(),
                min_tokens: members.iter().map(|m| m.0).min().unwrap_or(0),
                max_tokens: members.iter().map(|m| m.0).max().unwrap_or(0),
                mean_tokens: members.iter().map(|m| m.0 as f64).sum::<f64>() / n,
                mean_assistant_turns: members.iter().map(|m| m.1 as f64).sum::<f64>() / n,
            }
        })
        .collect();
    s
}

/// Buckets `[0, 1024)`, then doubling: `[1024, 2048)`, ... up to the longest length.
fn histogram(lengths: impl Iterator<Item = usize>) -> Vec<Bucket> {
    let mut buckets: Vec<Bucket> = Vec::new();
    for len in lengths {
        let mut lo = 0;
        let mut hi = 1024;
        while len >= hi {
            lo = hi;
            hi *= 2;
        }
        while buckets.last().is_none_or(|b| b.hi <= lo) {
            let next_lo = buckets.last().map_or(0, |b| b.hi);
            let next_hi = if next_lo == 0 { 1024 } else { next_lo * 2 };
            buckets.push(Bucket {
                lo: next_lo,
                hi: next_hi,
                count: 0,
            });
        }
        let bucket = buckets
            .iter_mut()
            .find(|b| b.lo == lo)
            .expect("buckets reach every length");
        bucket.count += 1;
    }
    buckets
}

impl fmt::Display for DataStats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "trajectories      {}", self.trajectories)?;
        writeln!(
            f,
            "kept              {} (dropped over max length: {}, truncated: {})",
            self.kept, self.dropped_overlong, self.truncated
        )?;
        writeln!(f, "tokens            {}", self.tokens)?;
        writeln!(
            f,
            "trained tokens    {} ({:.1}%)",
            self.trained_tokens,
            100.0 * self.trained_fraction
        )?;
        writeln!(
            f,
            "assistant turns   {} (masked: {} error steps, {} turn_mask)",
            self.assistant_turns, self.masked_error_turns, self.masked_turn_mask_turns
        )?;
        let join = |m: &BTreeMap<String, usize>| {
            m.iter()
                .map(|(k, v)| format!("{k} {v}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        writeln!(f, "error steps       {}", join(&self.error_kinds))?;
        writeln!(f, "outcomes          {}", join(&self.outcomes))?;
        writeln!(f, "token lengths")?;
        let widest = self
            .length_histogram
            .iter()
            .map(|b| b.count)
            .max()
            .unwrap_or(1)
            .max(1);
        for b in &self.length_histogram {
            let bar = "#".repeat((b.count * 40).div_ceil(widest));
            writeln!(f, "  {:>7} - {:<7} {:>6}  {bar}", b.lo, b.hi, b.count)?;
        }
        writeln!(f, "curriculum tiers")?;
        for t in &self.tiers {
            writeln!(
                f,
                "  tier {}: {} examples, {}-{} tokens (mean {:.0}), {:.1} assistant turns on average",
                t.tier,
                t.examples,
                t.min_tokens,
                t.max_tokens,
                t.mean_tokens,
                t.mean_assistant_turns
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_buckets_double() {
        let h = histogram([10, 1023, 1024, 5000].into_iter());
        let expected = vec![
            Bucket {
                lo: 0,
                hi: 1024,
                count: 2,
            },
            Bucket {
                lo: 1024,
                hi: 2048,
                count: 1,
            },
            Bucket {
                lo: 2048,
                hi: 4096,
                count: 0,
            },
            Bucket {
                lo: 4096,
                hi: 8192,
                count: 1,
            },
        ];
        assert_eq!(h, expected);
        assert!(histogram(std::iter::empty()).is_empty());
    }
}
