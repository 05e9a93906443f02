use super::{Edit, Modifier, Target, replace, text};
use crate::entities::EntityKind;
use lego_data::Rng;

/// Removes a base class from a class definition (all of them when it has one).
///
/// Realistic because a forgotten mixin or a base dropped in a refactor is a classic bug: the
/// class still defines its own methods, but inherited behaviour (`__eq__`, `Exception`-ness, a
/// framework hook) silently disappears. SWE-smith's `remove_class_bases`.
///
/// ```text
/// class Missing(KeyError):        class Missing:
///     pass                  ->        pass
/// ```
#[derive(Debug)]
pub struct RemoveClassBases;

impl Modifier for RemoveClassBases {
    fn name(&self) -> &'static str {
        "remove_class_bases"
    }

    fn applies(&self, target: &Target) -> bool {
        target.kind == EntityKind::Class && !bases(target).is_empty()
    }

    fn rewrite(&self, target: &Target, rng: &mut Rng) -> Option<Vec<Edit>> {
        let list = target.node.child_by_field_name("superclasses")?;
        let bases = bases(target);
        let drop = rng.below(bases.len());
        let kept: Vec<&str> = bases
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != drop)
            .map(|(_, b)| text(target, *b))
            .collect();
        let new = if kept.is_empty() {
            String::new()
        } else {
            format!("({})", kept.join(", "))
        };
        Some(vec![replace(list, new)])
    }
}

fn bases<'t>(target: &Target<'t>) -> Vec<tree_sitter::Node<'t>> {
    let Some(list) = target.node.child_by_field_name("superclasses") else {
        return Vec::new();
    };
    let mut cursor = list.walk();
    list.named_children(&mut cursor)
        .filter(|n| n.kind() != "comment")
        .collect()
}

#[cfg(test)]
mod tests {
    use super::RemoveClassBases;
    use crate::modifiers::testing::check;

    #[test]
    fn removes_the_only_base() {
        check(
            &RemoveClassBases,
            0,
            "class Missing(KeyError):\n    pass\n",
            "class Missing:\n    pass\n",
        );
    }

    #[test]
    fn removes_one_of_several_bases() {
        check(
            &RemoveClassBases,
            1,
            "class A(Base, Mixin):\n    x = 1\n",
            "class A(Base):\n    x = 1\n",
        );
    }
}
