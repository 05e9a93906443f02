use super::{Edit, Modifier, Target, delete_statement, is_function, nodes};
use lego_data::Rng;

/// Removes an assignment statement (plain or augmented) from a function.
///
/// Realistic because a lost update (a counter never incremented, a variable left at its
/// earlier value) is a common slip, and Python only notices when the name was never bound.
/// SWE-smith's `remove_assign`.
///
/// ```text
/// total = 0                 total = 0
/// for x in xs:              for x in xs:
///     total += x     ->         check(x)
///     check(x)              return total
/// return total
/// ```
#[derive(Debug)]
pub struct RemoveAssignment;

impl Modifier for RemoveAssignment {
    fn name(&self) -> &'static str {
        "remove_assignment"
    }

    fn applies(&self, target: &Target) -> bool {
        is_function(target) && !edits(target).is_empty()
    }

    fn rewrite(&self, target: &Target, rng: &mut Rng) -> Option<Vec<Edit>> {
        rng.pick(&edits(target)).map(|e| vec![e.clone()])
    }
}

fn edits(target: &Target) -> Vec<Edit> {
    nodes(target, &["expression_statement"])
        .into_iter()
        .filter(|n| {
            n.named_child(0)
                .is_some_and(|c| matches!(c.kind(), "assignment" | "augmented_assignment"))
        })
        .filter_map(|n| delete_statement(target, n))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::RemoveAssignment;
    use crate::modifiers::testing::check;

    #[test]
    fn deletes_the_statement() {
        check(
            &RemoveAssignment,
            0,
            "def total(xs):\n    total = 0\n    for x in xs:\n        total += x\n        check(x)\n    return total\n",
            "def total(xs):\n    total = 0\n    for x in xs:\n        check(x)\n    return total\n",
        );
    }
}
