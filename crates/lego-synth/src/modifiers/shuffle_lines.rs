use tree_sitter::Node;

use super::{Edit, Modifier, Target, is_function, line_span, nodes, replace, statements, text};
use lego_data::Rng;

/// Reorders the statements of one block of a function (a random permutation other than the
/// identity; a docstring stays first). Blocks of two to eight statements, each alone on its
/// lines.
///
/// Realistic because statements in the wrong order (a value used before it is updated, a
/// check after the action it guards, a lock released too early) are common slips when code
/// is moved around. SWE-smith's `shuffle_lines`, limited to one block so that the result
/// stays valid Python.
///
/// ```text
/// n = len(xs)                   total = sum(xs)
/// total = sum(xs)      ->       n = len(xs)
/// return total / n              return total / n
/// ```
#[derive(Debug)]
pub struct ShuffleLines;

impl Modifier for ShuffleLines {
    fn name(&self) -> &'static str {
        "shuffle_lines"
    }

    fn applies(&self, target: &Target) -> bool {
        is_function(target) && !blocks(target).is_empty()
    }

    fn rewrite(&self, target: &Target, rng: &mut Rng) -> Option<Vec<Edit>> {
        let blocks = blocks(target);
        let block = rng.pick(&blocks)?;
        let mut order: Vec<usize> = (0..block.len()).collect();
        rng.shuffle(&mut order);
        if order.iter().enumerate().all(|(i, j)| i == *j) {
            order.rotate_left(1);
        }
        Some(
            block
                .iter()
                .zip(&order)
                .map(|(slot, from)| replace(*slot, text(target, block[*from])))
                .collect(),
        )
    }
}

/// The movable statements of each block that has two to eight of them.
fn blocks<'t>(target: &Target<'t>) -> Vec<Vec<Node<'t>>> {
    nodes(target, &["block"])
        .into_iter()
        .filter_map(|block| {
            let mut stmts = statements(block);
            let docstring = stmts.first().is_some_and(|s| {
                s.kind() == "expression_statement"
                    && s.named_child(0).is_some_and(|c| c.kind() == "string")
            });
            if docstring {
                stmts.remove(0);
            }
            let movable = (2..=8).contains(&stmts.len())
                && stmts.iter().all(|s| line_span(target.text, *s).is_some())
                && stmts
                    .windows(2)
                    .any(|w| text(target, w[0]) != text(target, w[1]));
            movable.then_some(stmts)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::ShuffleLines;
    use crate::modifiers::testing::check;

    #[test]
    fn reorders_a_block() {
        check(
            &ShuffleLines,
            0,
            "def mean(xs):\n    \"\"\"The mean.\"\"\"\n    n = len(xs)\n    total = sum(xs)\n",
            "def mean(xs):\n    \"\"\"The mean.\"\"\"\n    total = sum(xs)\n    n = len(xs)\n",
        );
    }
}
