use super::{Edit, Modifier, Target, delete_statement, is_function, nodes};
use lego_data::Rng;

/// Removes a whole `for` or `while` loop from a function.
///
/// Realistic because a loop that never runs (lost in a refactor, or guarded by the wrong
/// condition) leaves accumulators at their initial values, a bug tests catch but readers
/// miss. SWE-smith's `remove_loop`.
///
/// ```text
/// out = []                  out = []
/// for x in xs:        ->    return out
///     out.append(x)
/// return out
/// ```
#[derive(Debug)]
pub struct RemoveLoop;

impl Modifier for RemoveLoop {
    fn name(&self) -> &'static str {
        "remove_loop"
    }

    fn applies(&self, target: &Target) -> bool {
        is_function(target) && !edits(target).is_empty()
    }

    fn rewrite(&self, target: &Target, rng: &mut Rng) -> Option<Vec<Edit>> {
        rng.pick(&edits(target)).map(|e| vec![e.clone()])
    }
}

fn edits(target: &Target) -> Vec<Edit> {
    nodes(target, &["for_statement", "while_statement"])
        .into_iter()
        .filter_map(|n| delete_statement(target, n))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::RemoveLoop;
    use crate::modifiers::testing::check;

    #[test]
    fn deletes_the_statement() {
        check(
            &RemoveLoop,
            0,
            "def copy(xs):\n    out = []\n    for x in xs:\n        out.append(x)\n    return out\n",
            "def copy(xs):\n    out = []\n    return out\n",
        );
    }
}
