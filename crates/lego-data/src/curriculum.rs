//! The difficulty curriculum: tiers of trajectories by length, trained one tier per stage.
//!
//! SWE-Lego uses trajectory length as the difficulty of a task: a task the teacher solved in a few
//! short turns is easier than one that took many long ones. Difficulty here combines both measures
//! of length: the mean of the percentile ranks of the token count and of the assistant-turn count,
//! so neither a single huge observation nor many tiny turns decides alone. Tiers cut the sorted
//! order into equal quantiles (three by default); stage `k` of the plan trains on tier `k` only,
//! easiest first.

use serde::{Deserialize, Serialize};

/// The length measures of one trajectory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Length {
    /// Tokens of the rendered trajectory.
    pub tokens: usize,
    /// Assistant turns (agent steps) in it.
    pub assistant_turns: usize,
}

/// One stage of the plan: which examples (indices into the input) it trains on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stage {
    /// The tier trained in this stage (0 = easiest).
    pub tier: usize,
    /// Indices into the input of the examples of this stage.
    pub examples: Vec<usize>,
}

/// Difficulty scores in `[0, 1]`, one per input, comparable within the input only.
pub fn difficulty(lengths: &[Length]) -> Vec<f64> {
    let token_rank = percentile_ranks(lengths, |l| l.tokens);
    let turn_rank = percentile_ranks(lengths, |l| l.assistant_turns);
    token_rank
        .iter()
        .zip(&turn_rank)
        .map(|(a, b)| (a + b) / 2.0)
        .collect()
}

/// The tier (0 = easiest) of each input, `tiers` equal quantiles of difficulty.
///
/// Ties are broken by token count and then by input order, so the result is deterministic.
pub fn assign_tiers(lengths: &[Length], tiers: usize) -> Vec<usize> {
    let tiers = tiers.max(1);
    let score = difficulty(lengths);
    let mut order: Vec<usize> = (0..lengths.len()).collect();
    order.sort_by(|&a, &b| {
        score[a]
            .total_cmp(&score[b])
            .then(lengths[a].tokens.cmp(&lengths[b].tokens))
            .then(a.cmp(&b))
    });
    let mut tier = vec![0; lengths.len()];
    let n = lengths.len();
    for (position, &i) in order.iter().enumerate() {
        tier[i] = position * tiers / n;
    }
    tier
}

/// The stage plan the trainer follows: stage `k` trains on tier `k` only, easiest first.
/// Tiers with no example (fewer examples than tiers) are left out.
pub fn stage_plan(tiers_of: &[usize], tiers: usize) -> Vec<Stage> {
    (0..tiers.max(1))
        .map(|tier| Stage {
            tier,
            examples: tiers_of
                .iter()
                .enumerate()
                .filter(|(_, t)| **t == tier)
                .map(|(i, _)| i)
                .collect(),
        })
        .filter(|stage| !stage.examples.is_empty())
        .collect()
}

/// Mid-rank percentiles in `[0, 1]`: equal values share a rank, so ties do not order inputs.
fn percentile_ranks(lengths: &[Length], key: impl Fn(&Length) -> usize) -> Vec<f64> {
    let n = lengths.len();
    if n <= 1 {
        return vec![0.0; n];
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by_key(|&i| key(&lengths[i]));
    let mut rank = vec![0.0; n];
    let mut start = 0;
    while start < n {
        let value = key(&lengths[order[start]]);
        let mut end = start;
        while end + 1 < n && key(&lengths[order[end + 1]]) == value {
            end += 1;
        }
        let mid = (start + end) as f64 / 2.0 / (n - 1) as f64;
        for &i in &order[start..=end] {
            rank[i] = mid;
        }
        start = end + 1;
    }
    rank
}

#[cfg(test)]
mod tests {
    use super::*;

    fn len(tokens: usize, assistant_turns: usize) -> Length {
        Length {
            tokens,
            assistant_turns,
        }
    }

    #[test]
    fn longer_trajectories_land_in_harder_tiers() {
        let lengths = [
            len(9000, 30),
            len(1000, 3),
            len(5000, 12),
            len(1200, 4),
            len(8000, 25),
            len(4000, 10),
        ];
        assert_eq!(assign_tiers(&lengths, 3), vec![2, 0, 1, 0, 2, 1]);
    }

    #[test]
    fn both_measures_count() {
        // Same tokens, more turns: harder.
        let lengths = [len(1000, 20), len(1000, 2)];
        assert_eq!(assign_tiers(&lengths, 2), vec![1, 0]);
        // Same turns, more tokens: harder.
        let lengths = [len(100, 5), len(9000, 5)];
        assert_eq!(assign_tiers(&lengths, 2), vec![0, 1]);
    }

    #[test]
    fn tiers_are_equal_quantiles_and_configurable() {
        let lengths: Vec<Length> = (0..10).map(|i| len(100 * (i + 1), i + 1)).collect();
        let tiers = assign_tiers(&lengths, 5);
        for t in 0..5 {
            assert_eq!(tiers.iter().filter(|&&x| x == t).count(), 2, "tier {t}");
        }
        assert_eq!(assign_tiers(&lengths, 1), vec![0; 10]);
    }

    #[test]
    fn plan_trains_tier_k_at_stage_k() {
        let plan = stage_plan(&[2, 0, 1, 0, 2, 1], 3);
        let expected = vec![
            Stage {
                tier: 0,
                examples: vec![1, 3],
            },
            Stage {
                tier: 1,
                examples: vec![2, 5],
            },
            Stage {
                tier: 2,
                examples: vec![0, 4],
            },
        ];
        assert_eq!(plan, expected);
        // Fewer examples than tiers: empty tiers have no stage.
        let tiers = assign_tiers(&[len(10, 1)], 3);
        assert_eq!(
            stage_plan(&tiers, 3),
            vec![Stage {
                tier: 0,
                examples: vec![0]
            }]
        );
    }

    #[test]
    fn empty_input() {
        assert!(assign_tiers(&[], 3).is_empty());
        assert!(stage_plan(&[], 3).is_empty());
    }
}
