use tree_sitter::Node;

use super::{Edit, Modifier, Target, replace, statements, text};
use crate::entities::EntityKind;
use lego_data::Rng;

/// Reorders the methods of a class (a random permutation other than the identity).
///
/// Mostly harmless in Python, which is why it is kept as SWE-smith has it and left to
/// validation to drop: where it matters it produces real, subtle bugs (a method redefined
/// later in the body now wins, a `@x.setter` placed before its `@property`). SWE-smith's
/// `shuffle_methods`.
///
/// ```text
/// class C:                      class C:
///     def a(self): ...              def b(self): ...
///     def b(self): ...    ->        def a(self): ...
/// ```
#[derive(Debug)]
pub struct ShuffleMethods;

impl Modifier for ShuffleMethods {
    fn name(&self) -> &'static str {
        "shuffle_methods"
    }

    fn applies(&self, target: &Target) -> bool {
        target.kind == EntityKind::Class && methods(target).len() >= 2
    }

    fn rewrite(&self, target: &Target, rng: &mut Rng) -> Option<Vec<Edit>> {
        let methods = methods(target);
        if methods.len() < 2 {
            return None;
        }
        let mut order: Vec<usize> = (0..methods.len()).collect();
        rng.shuffle(&mut order);
        if order.iter().enumerate().all(|(i, j)| i == *j) {
            order.rotate_left(1);
        }
        Some(
            methods
                .iter()
                .zip(&order)
                .map(|(slot, from)| replace(*slot, text(target, methods[*from])))
                .collect(),
        )
    }
}

fn methods<'t>(target: &Target<'t>) -> Vec<Node<'t>> {
    let Some(body) = target.node.child_by_field_name("body") else {
        return Vec::new();
    };
    statements(body)
        .into_iter()
        .filter(|n| matches!(n.kind(), "function_definition" | "decorated_definition"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::ShuffleMethods;
    use crate::modifiers::testing::check;

    #[test]
    fn two_methods_swap() {
        check(
            &ShuffleMethods,
            0,
            "class C:\n    def a(self):\n        return 1\n\n    @property\n    def b(self):\n        return 2\n",
            "class C:\n    @property\n    def b(self):\n        return 2\n\n    def a(self):\n        return 1\n",
        );
    }
}
