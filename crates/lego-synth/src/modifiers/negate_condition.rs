use tree_sitter::Node;

use super::{Edit, Modifier, Target, is_function, nodes, replace, text};
use lego_data::Rng;

/// Negates the condition of an `if`, `elif` or `while`: `c` becomes `not (c)`, and `not c`
/// becomes `c`.
///
/// Realistic because a dropped or extra `not` is a one-token slip that inverts a whole
/// branch, and is easy to miss in review. One of lego's additions to SWE-smith's set.
///
/// ```text
/// if key in cache:    ->    if not (key in cache):
/// ```
#[derive(Debug)]
pub struct NegateCondition;

impl Modifier for NegateCondition {
    fn name(&self) -> &'static str {
        "negate_condition"
    }

    fn applies(&self, target: &Target) -> bool {
        is_function(target) && !sites(target).is_empty()
    }

    fn rewrite(&self, target: &Target, rng: &mut Rng) -> Option<Vec<Edit>> {
        let cond = *rng.pick(&sites(target))?;
        let new = match cond.kind() {
            "not_operator" => text(target, cond.child_by_field_name("argument")?).to_owned(),
            _ => format!("not ({})", text(target, cond)),
        };
        Some(vec![replace(cond, new)])
    }
}

fn sites<'t>(target: &Target<'t>) -> Vec<Node<'t>> {
    nodes(target, &["if_statement", "elif_clause", "while_statement"])
        .into_iter()
        .filter_map(|n| n.child_by_field_name("condition"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::NegateCondition;
    use crate::modifiers::testing::check;

    #[test]
    fn negates_a_condition() {
        check(
            &NegateCondition,
            0,
            "def get(cache, key):\n    if key in cache:\n        return cache[key]\n    return None\n",
            "def get(cache, key):\n    if not (key in cache):\n        return cache[key]\n    return None\n",
        );
    }

    #[test]
    fn removes_a_not() {
        check(
            &NegateCondition,
            0,
            "def drain(q):\n    while not q.empty():\n        q.get()\n",
            "def drain(q):\n    while q.empty():\n        q.get()\n",
        );
    }
}
