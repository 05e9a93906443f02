use tree_sitter::Node;

use super::{Edit, Modifier, Target, is_function, nodes};
use lego_data::Rng;

/// Removes a `with` or `try` wrapper, keeping its body (dedented); a `try`'s handlers,
/// `else` and `finally` go with it.
///
/// Realistic because a context manager that is no longer entered (a lock, a transaction, a
/// temporary setting) or an exception that is no longer caught changes behaviour only on
/// the paths tests exercise. SWE-smith's `remove_wrapper`.
///
/// ```text
/// try:                          return int(s)
///     return int(s)      ->
/// except ValueError:
///     return None
/// ```
#[derive(Debug)]
pub struct RemoveWrapper;

impl Modifier for RemoveWrapper {
    fn name(&self) -> &'static str {
        "remove_wrapper"
    }

    fn applies(&self, target: &Target) -> bool {
        is_function(target) && !edits(target).is_empty()
    }

    fn rewrite(&self, target: &Target, rng: &mut Rng) -> Option<Vec<Edit>> {
        rng.pick(&edits(target)).map(|e| vec![e.clone()])
    }
}

fn edits(target: &Target) -> Vec<Edit> {
    nodes(target, &["with_statement", "try_statement"])
        .into_iter()
        .filter_map(|n| unwrap(target, n))
        .collect()
}

/// The edit replacing the wrapper `node` (from the start of its line) by its body's lines,
/// moved left to the wrapper's column.
fn unwrap(target: &Target, node: Node) -> Option<Edit> {
    let text = target.text;
    let body = node.child_by_field_name("body")?;
    let line_start = |at: usize| text[..at].rfind('\n').map_or(0, |i| i + 1);
    let start = line_start(node.start_byte());
    let body_start = line_start(body.start_byte());
    if !text[start..node.start_byte()].trim().is_empty()
        || !text[body_start..body.start_byte()].trim().is_empty()
    {
        return None;
    }
    let shift = body
        .start_position()
        .column
        .checked_sub(node.start_position().column)?;
    let mut out = String::new();
    for line in text[body_start..body.end_byte()].split_inclusive('\n') {
        let indent = line.len() - line.trim_start_matches([' ', '\t']).len();
        out.push_str(&line[indent.min(shift)..]);
    }
    Some(Edit {
        start,
        end: node.end_byte(),
        text: out,
    })
}

#[cfg(test)]
mod tests {
    use super::RemoveWrapper;
    use crate::modifiers::testing::check;

    #[test]
    fn removes_a_try() {
        check(
            &RemoveWrapper,
            0,
            "def parse(s):\n    try:\n        n = int(s)\n        return n\n    except ValueError:\n        return None\n",
            "def parse(s):\n    n = int(s)\n    return n\n",
        );
    }

    #[test]
    fn removes_a_with() {
        check(
            &RemoveWrapper,
            0,
            "def bump(self):\n    with self.lock:\n        self.n += 1\n    return self.n\n",
            "def bump(self):\n    self.n += 1\n    return self.n\n",
        );
    }
}
