use tree_sitter::Node;

use super::{Edit, Modifier, Target, is_function, nodes, replace, text};
use lego_data::Rng;

/// Drops one operand and its operator from a chain of binary operations: `a + b * c - d`
/// loses a term.
///
/// Realistic because a formula missing a term (a forgotten offset, a dropped correction)
/// still runs and returns plausible numbers. SWE-smith's `break_chains`.
///
/// ```text
/// return base + offset + 1    ->    return base + 1
/// ```
#[derive(Debug)]
pub struct BreakOperatorChain;

impl Modifier for BreakOperatorChain {
    fn name(&self) -> &'static str {
        "break_operator_chain"
    }

    fn applies(&self, target: &Target) -> bool {
        is_function(target) && !sites(target).is_empty()
    }

    fn rewrite(&self, target: &Target, rng: &mut Rng) -> Option<Vec<Edit>> {
        let outer = *rng.pick(&sites(target))?;
        let inner = outer.child_by_field_name("left")?;
        let new = if rng.below(2) == 0 {
            // Drop the inner right operand: `a op1 b op2 c` becomes `a op2 c`.
            format!(
                "{} {} {}",
                text(target, inner.child_by_field_name("left")?),
                text(target, outer.child_by_field_name("operator")?),
                text(target, outer.child_by_field_name("right")?)
            )
        } else {
            // Drop the outer right operand: `a op1 b op2 c` becomes `a op1 b`.
            text(target, inner).to_owned()
        };
        Some(vec![replace(outer, new)])
    }
}

/// Binary operations whose left operand is a binary operation too.
fn sites<'t>(target: &Target<'t>) -> Vec<Node<'t>> {
    nodes(target, &["binary_operator"])
        .into_iter()
        .filter(|n| {
            n.child_by_field_name("left")
                .is_some_and(|l| l.kind() == "binary_operator")
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::BreakOperatorChain;
    use crate::modifiers::testing::check;

    #[test]
    fn drops_a_term() {
        check(
            &BreakOperatorChain,
            0,
            "def end(base, offset):\n    return base + offset + 1\n",
            "def end(base, offset):\n    return base + 1\n",
        );
    }
}
