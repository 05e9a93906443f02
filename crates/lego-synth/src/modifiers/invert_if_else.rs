use tree_sitter::Node;

use super::{Edit, Modifier, Target, is_function, line_span, nodes, replace, text};
use lego_data::Rng;

/// Swaps the two branches of an `if`/`else` (one without `elif`), keeping the condition.
///
/// Realistic because an inverted condition is among the most common logic slips: the code
/// does the right things, in the wrong cases. SWE-smith's `invert_if_else`.
///
/// ```text
/// if x > 0:                if x > 0:
///     return "pos"             return "neg"
/// else:              ->    else:
///     return "neg"             return "pos"
/// ```
#[derive(Debug)]
pub struct InvertIfElse;

impl Modifier for InvertIfElse {
    fn name(&self) -> &'static str {
        "invert_if_else"
    }

    fn applies(&self, target: &Target) -> bool {
        is_function(target) && !sites(target).is_empty()
    }

    fn rewrite(&self, target: &Target, rng: &mut Rng) -> Option<Vec<Edit>> {
        let (then, other) = *rng.pick(&sites(target))?;
        Some(vec![
            replace(then, text(target, other)),
            replace(other, text(target, then)),
        ])
    }
}

/// The (consequence, else body) pairs of plain if/else statements whose blocks start their
/// own lines (so the texts can swap, indentation and all).
fn sites<'t>(target: &Target<'t>) -> Vec<(Node<'t>, Node<'t>)> {
    nodes(target, &["if_statement"])
        .into_iter()
        .filter_map(|n| {
            let mut cursor = n.walk();
            let alternatives: Vec<Node> = n
                .children_by_field_name("alternative", &mut cursor)
                .collect();
            let [alternative] = alternatives.as_slice() else {
                return None;
            };
            if alternative.kind() != "else_clause" {
                return None;
            }
            let then = n.child_by_field_name("consequence")?;
            let other = alternative.child_by_field_name("body")?;
            let own_line = |b: Node| {
                let start = target.text[..b.start_byte()]
                    .rfind('\n')
                    .map_or(0, |i| i + 1);
                target.text[start..b.start_byte()].trim().is_empty()
            };
            (own_line(then) && own_line(other) && line_span(target.text, other).is_some())
                .then_some((then, other))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::InvertIfElse;
    use crate::modifiers::testing::check;

    #[test]
    fn swaps_the_branches() {
        check(
            &InvertIfElse,
            0,
            "def sign(x):\n    if x > 0:\n        return \"pos\"\n    else:\n        y = -x\n        return \"neg\"\n",
            "def sign(x):\n    if x > 0:\n        y = -x\n        return \"neg\"\n    else:\n        return \"pos\"\n",
        );
    }
}
