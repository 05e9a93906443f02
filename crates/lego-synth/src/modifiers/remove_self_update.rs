use super::{Edit, Modifier, Target, delete_statement, nodes};
use crate::entities::EntityKind;
use lego_data::Rng;

/// Removes an update of an attribute of `self` (`self.x = ...`, `self.n += 1`) from a method.
///
/// Realistic because state that a method forgets to record (a cache not invalidated, a
/// counter not advanced, a flag not set) only shows on a later call, the shape of many real
/// bugs in stateful classes. One of lego's additions to SWE-smith's set.
///
/// ```text
/// def close(self):              def close(self):
///     self.closed = True  ->        self.fh.close()
///     self.fh.close()
/// ```
#[derive(Debug)]
pub struct RemoveSelfUpdate;

impl Modifier for RemoveSelfUpdate {
    fn name(&self) -> &'static str {
        "remove_self_update"
    }

    fn applies(&self, target: &Target) -> bool {
        target.kind == EntityKind::Method && !edits(target).is_empty()
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
                .filter(|a| matches!(a.kind(), "assignment" | "augmented_assignment"))
                .and_then(|a| a.child_by_field_name("left"))
                .filter(|l| l.kind() == "attribute")
                .and_then(|l| l.child_by_field_name("object"))
                .is_some_and(|o| &target.text[o.byte_range()] == "self")
        })
        .filter_map(|n| delete_statement(target, n))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::RemoveSelfUpdate;
    use crate::modifiers::testing::check;

    #[test]
    fn removes_the_update() {
        check(
            &RemoveSelfUpdate,
            0,
            "class F:\n    def close(self):\n        fh = self.fh\n        self.closed = True\n        fh.close()\n",
            "class F:\n    def close(self):\n        fh = self.fh\n        fh.close()\n",
        );
    }
}
