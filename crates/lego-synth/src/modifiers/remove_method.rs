use super::{Edit, Modifier, Target, delete_statement, statements};
use crate::entities::EntityKind;
use lego_data::Rng;

/// Removes one method from a class that has another statement left in its body.
///
/// Realistic because a method lost in a merge or a refactor makes callers fall back to a
/// base class's version or fail with `AttributeError`, and the class itself still imports and
/// looks complete. SWE-smith's `remove_methods` (one method at a time here).
///
/// ```text
/// class C:                     class C:
///     def a(self):                 def b(self):
///         return 1       ->            return 2
///     def b(self):
///         return 2
/// ```
#[derive(Debug)]
pub struct RemoveMethod;

impl Modifier for RemoveMethod {
    fn name(&self) -> &'static str {
        "remove_method"
    }

    fn applies(&self, target: &Target) -> bool {
        target.kind == EntityKind::Class && !edits(target).is_empty()
    }

    fn rewrite(&self, target: &Target, rng: &mut Rng) -> Option<Vec<Edit>> {
        rng.pick(&edits(target)).map(|e| vec![e.clone()])
    }
}

fn edits(target: &Target) -> Vec<Edit> {
    let Some(body) = target.node.child_by_field_name("body") else {
        return Vec::new();
    };
    statements(body)
        .into_iter()
        .filter(|n| matches!(n.kind(), "function_definition" | "decorated_definition"))
        .filter_map(|n| delete_statement(target, n))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::RemoveMethod;
    use crate::modifiers::testing::check;

    #[test]
    fn removes_a_method() {
        check(
            &RemoveMethod,
            0,
            "class C:\n    def a(self):\n        return 1\n\n    def b(self):\n        return 2\n",
            "class C:\n    def a(self):\n        return 1\n\n",
        );
    }
}
