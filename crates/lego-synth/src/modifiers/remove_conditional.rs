use super::{Edit, Modifier, Target, delete_statement, is_function, nodes};
use lego_data::Rng;

/// Removes a whole `if` statement (with its `elif`/`else` branches) from a function.
///
/// Realistic because a missing guard (a special case, an input check, a clamp) is how many
/// real bugs look: the common path works and the edge case does not. SWE-smith's
/// `remove_cond`.
///
/// ```text
/// if n < 0:                 return sqrt(n)
///     raise ValueError  ->
/// return sqrt(n)
/// ```
#[derive(Debug)]
pub struct RemoveConditional;

impl Modifier for RemoveConditional {
    fn name(&self) -> &'static str {
        "remove_conditional"
    }

    fn applies(&self, target: &Target) -> bool {
        is_function(target) && !edits(target).is_empty()
    }

    fn rewrite(&self, target: &Target, rng: &mut Rng) -> Option<Vec<Edit>> {
        rng.pick(&edits(target)).map(|e| vec![e.clone()])
    }
}

fn edits(target: &Target) -> Vec<Edit> {
    nodes(target, &["if_statement"])
        .into_iter()
        .filter_map(|n| delete_statement(target, n))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::RemoveConditional;
    use crate::modifiers::testing::check;

    #[test]
    fn deletes_the_statement() {
        check(
            &RemoveConditional,
            0,
            "def root(n):\n    if n < 0:\n        raise ValueError(n)\n    return n ** 0.5\n",
            "def root(n):\n    return n ** 0.5\n",
        );
    }
}
