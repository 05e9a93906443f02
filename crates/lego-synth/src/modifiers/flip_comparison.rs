use tree_sitter::Node;

use super::{Edit, Modifier, Target, is_function, nodes, replace};
use lego_data::Rng;

/// Flips a comparison at its boundary: `<` and `<=`, `>` and `>=`, `==` and `!=`.
///
/// Realistic because a boundary that is in or out by one (`<` where `<=` was meant) is the
/// classic off-by-one, and `==`/`!=` slips invert a check. One of lego's additions to
/// SWE-smith's set.
///
/// ```text
/// if i < len(xs):    ->    if i <= len(xs):
/// ```
#[derive(Debug)]
pub struct FlipComparison;

impl Modifier for FlipComparison {
    fn name(&self) -> &'static str {
        "flip_comparison"
    }

    fn applies(&self, target: &Target) -> bool {
        is_function(target) && !sites(target).is_empty()
    }

    fn rewrite(&self, target: &Target, rng: &mut Rng) -> Option<Vec<Edit>> {
        let op = *rng.pick(&sites(target))?;
        Some(vec![replace(op, flipped(op.kind())?)])
    }
}

fn flipped(op: &str) -> Option<&'static str> {
    Some(match op {
        "<" => "<=",
        "<=" => "<",
        ">" => ">=",
        ">=" => ">",
        "==" => "!=",
        "!=" => "==",
        _ => return None,
    })
}

fn sites<'t>(target: &Target<'t>) -> Vec<Node<'t>> {
    nodes(target, &["comparison_operator"])
        .into_iter()
        .flat_map(|n| {
            let mut cursor = n.walk();
            n.children_by_field_name("operators", &mut cursor)
                .filter(|op| flipped(op.kind()).is_some())
                .collect::<Vec<_>>()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::FlipComparison;
    use crate::modifiers::testing::check;

    #[test]
    fn less_than_takes_the_boundary() {
        check(
            &FlipComparison,
            0,
            "def inside(i, xs):\n    return 0 <= i\n",
            "def inside(i, xs):\n    return 0 < i\n",
        );
    }
}
