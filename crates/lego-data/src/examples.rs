//! Hand-written example trajectories bundled with the crate.
//!
//! Seven episodes of an OpenHands-style agent fixing small bugs in made-up Python projects,
//! written for lego (not taken from any dataset). They vary in length (6 to 25 steps) and hold
//! every kind of step error the classifier knows, plus failures that are not errors (a failing
//! test run that reproduces the bug), so they serve tests, demos and benches of rendering,
//! masking and curriculum tiers. `data/make_examples.py` generates the file.

use crate::schema::Trajectory;

const EXAMPLES: &str = include_str!("../data/examples.jsonl");

/// The bundled example trajectories. Each carries its `tools` ([`crate::openhands_tools`]), so
/// the file is a complete trajectory set that `lego data render` reads as it is.
pub fn example_trajectories() -> Vec<Trajectory> {
    EXAMPLES
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("bundled examples are valid"))
        .collect()
}

#[cfg(test)]
mod tests;
