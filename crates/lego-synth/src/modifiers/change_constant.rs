use tree_sitter::Node;

use super::{Edit, Modifier, Target, is_function, nodes, replace, text};
use lego_data::Rng;

/// Changes a decimal integer literal by one, up or down.
///
/// Realistic because off-by-one constants (a wrong start index, limit, retry count or
/// size) are among the most frequent bugs, and the code reads as plausible either way.
/// SWE-smith's `change_constants`, which also covers lego's off-by-one in indices and
/// `range` bounds when they are literals.
///
/// ```text
/// return xs[1:]    ->    return xs[2:]
/// ```
#[derive(Debug)]
pub struct ChangeConstant;

impl Modifier for ChangeConstant {
    fn name(&self) -> &'static str {
        "change_constant"
    }

    fn applies(&self, target: &Target) -> bool {
        is_function(target) && !sites(target).is_empty()
    }

    fn rewrite(&self, target: &Target, rng: &mut Rng) -> Option<Vec<Edit>> {
        let (node, value) = *rng.pick(&sites(target))?;
        let new = if value == 0 || rng.below(2) == 0 {
            value + 1
        } else {
            value - 1
        };
        Some(vec![replace(node, new.to_string())])
    }
}

/// Decimal integers (no `0x`, no `_`, no `j` suffix) that fit an `i64`.
fn sites<'t>(target: &Target<'t>) -> Vec<(Node<'t>, i64)> {
    nodes(target, &["integer"])
        .into_iter()
        .filter_map(|n| {
            let t = text(target, n);
            if !t.bytes().all(|b| b.is_ascii_digit()) || (t.len() > 1 && t.starts_with('0')) {
                return None;
            }
            Some((n, t.parse().ok()?))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::ChangeConstant;
    use crate::modifiers::testing::check;

    #[test]
    fn zero_goes_up() {
        check(
            &ChangeConstant,
            0,
            "def first(xs):\n    return xs[0]\n",
            "def first(xs):\n    return xs[1]\n",
        );
    }

    #[test]
    fn one_may_go_down() {
        check(
            &ChangeConstant,
            3,
            "def rest(xs):\n    return xs[1:]\n",
            "def rest(xs):\n    return xs[0:]\n",
        );
    }
}
