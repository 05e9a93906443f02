use super::{Edit, Modifier, Target, delete_statement, is_function, nodes, replace};
use lego_data::Rng;

/// Removes a `return` statement; an early return that is alone in its block becomes `pass`.
///
/// Realistic because a missing early return lets execution fall through into code meant for
/// another case, and a missing final return makes a function return `None`, both frequent in
/// real fixes. One of lego's additions to SWE-smith's set.
///
/// ```text
/// if not xs:                if not xs:
///     return 0       ->         pass
/// return sum(xs)            return sum(xs)
/// ```
#[derive(Debug)]
pub struct RemoveReturn;

impl Modifier for RemoveReturn {
    fn name(&self) -> &'static str {
        "remove_return"
    }

    fn applies(&self, target: &Target) -> bool {
        is_function(target) && !edits(target).is_empty()
    }

    fn rewrite(&self, target: &Target, rng: &mut Rng) -> Option<Vec<Edit>> {
        rng.pick(&edits(target)).map(|e| vec![e.clone()])
    }
}

fn edits(target: &Target) -> Vec<Edit> {
    nodes(target, &["return_statement"])
        .into_iter()
        .filter_map(|n| delete_statement(target, n).or_else(|| Some(replace(n, "pass"))))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::RemoveReturn;
    use crate::modifiers::testing::check;

    #[test]
    fn an_early_return_becomes_pass() {
        check(
            &RemoveReturn,
            0,
            "def total(xs):\n    if not xs:\n        return 0\n    log(xs)\n",
            "def total(xs):\n    if not xs:\n        pass\n    log(xs)\n",
        );
    }
}
