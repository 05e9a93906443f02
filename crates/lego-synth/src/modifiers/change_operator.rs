use tree_sitter::Node;

use super::{Edit, Modifier, Target, is_function, nodes, replace};
use lego_data::Rng;

/// The operator families: an operator is only replaced by another of its own family.
const FAMILIES: &[&[&str]] = &[
    &["+", "-"],
    &["*", "/", "//", "%"],
    &["&", "|", "^"],
    &["<<", ">>"],
];

/// Replaces a binary operator by another of its family: `+ -`, `* / // %`, `& | ^`, `<< >>`.
///
/// Realistic because the result still type-checks and runs: a wrong sign, integer instead of
/// true division, or a wrong bit operation only shows in the values. SWE-smith's
/// `change_operator`.
///
/// ```text
/// return a + b    ->    return a - b
/// ```
#[derive(Debug)]
pub struct ChangeOperator;

impl Modifier for ChangeOperator {
    fn name(&self) -> &'static str {
        "change_operator"
    }

    fn applies(&self, target: &Target) -> bool {
        is_function(target) && !sites(target).is_empty()
    }

    fn rewrite(&self, target: &Target, rng: &mut Rng) -> Option<Vec<Edit>> {
        let (op, family) = *rng.pick(&sites(target))?;
        let current = op.kind();
        let others: Vec<&str> = family.iter().copied().filter(|o| *o != current).collect();
        Some(vec![replace(op, *rng.pick(&others)?)])
    }
}

fn sites<'t>(target: &Target<'t>) -> Vec<(Node<'t>, &'static [&'static str])> {
    nodes(target, &["binary_operator"])
        .into_iter()
        .filter_map(|n| {
            let op = n.child_by_field_name("operator")?;
            let family = FAMILIES.iter().find(|f| f.contains(&op.kind()))?;
            Some((op, *family))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::ChangeOperator;
    use crate::modifiers::testing::check;

    #[test]
    fn plus_becomes_minus() {
        check(
            &ChangeOperator,
            0,
            "def add(a, b):\n    return a + b\n",
            "def add(a, b):\n    return a - b\n",
        );
    }

    #[test]
    fn stays_in_the_family() {
        check(
            &ChangeOperator,
            0,
            "def mean(xs):\n    return sum(xs) / len(xs)\n",
            "def mean(xs):\n    return sum(xs) * len(xs)\n",
        );
    }
}
