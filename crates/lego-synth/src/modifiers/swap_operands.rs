use tree_sitter::Node;

use super::{Edit, Modifier, Target, is_function, nodes, replace, text};
use lego_data::Rng;

/// Swaps the two operands of a binary operation or a two-operand comparison.
///
/// Realistic because argument order in non-commutative operations (`a - b`, `x / y`,
/// `lo < hi`) is easy to get backwards when copying a formula. SWE-smith's `swap_operands`.
///
/// ```text
/// return end - start    ->    return start - end
/// ```
#[derive(Debug)]
pub struct SwapOperands;

impl Modifier for SwapOperands {
    fn name(&self) -> &'static str {
        "swap_operands"
    }

    fn applies(&self, target: &Target) -> bool {
        is_function(target) && !sites(target).is_empty()
    }

    fn rewrite(&self, target: &Target, rng: &mut Rng) -> Option<Vec<Edit>> {
        let (left, right) = *rng.pick(&sites(target))?;
        Some(vec![
            replace(left, text(target, right)),
            replace(right, text(target, left)),
        ])
    }
}

fn sites<'t>(target: &Target<'t>) -> Vec<(Node<'t>, Node<'t>)> {
    nodes(target, &["binary_operator", "comparison_operator"])
        .into_iter()
        .filter_map(|n| {
            if n.kind() == "binary_operator" {
                Some((
                    n.child_by_field_name("left")?,
                    n.child_by_field_name("right")?,
                ))
            } else {
                let mut cursor = n.walk();
                let operands: Vec<Node> = n.named_children(&mut cursor).collect();
                match operands.as_slice() {
                    [a, b] => Some((*a, *b)),
                    _ => None,
                }
            }
        })
        .filter(|(a, b)| text(target, *a) != text(target, *b))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::SwapOperands;
    use crate::modifiers::testing::check;

    #[test]
    fn swaps_a_subtraction() {
        check(
            &SwapOperands,
            0,
            "def span(start, end):\n    return end - start\n",
            "def span(start, end):\n    return start - end\n",
        );
    }

    #[test]
    fn swaps_a_comparison() {
        check(
            &SwapOperands,
            0,
            "def before(lo, hi):\n    return lo < hi\n",
            "def before(lo, hi):\n    return hi < lo\n",
        );
    }
}
