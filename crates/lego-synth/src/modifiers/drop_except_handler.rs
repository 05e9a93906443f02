use super::{Edit, Modifier, Target, is_function, line_span, nodes};
use lego_data::Rng;

/// Drops one `except` clause of a `try` that keeps another handler or a `finally`.
///
/// Realistic because a missing handler lets one kind of failure escape (a `KeyError` where
/// a default was meant, an `OSError` no longer retried) while the other paths still work.
/// One of lego's additions to SWE-smith's set.
///
/// ```text
/// try:                            try:
///     return d[k]                     return d[k]
/// except KeyError:        ->      except TypeError:
///     return None                     raise
/// except TypeError:
///     raise
/// ```
#[derive(Debug)]
pub struct DropExceptHandler;

impl Modifier for DropExceptHandler {
    fn name(&self) -> &'static str {
        "drop_except_handler"
    }

    fn applies(&self, target: &Target) -> bool {
        is_function(target) && !edits(target).is_empty()
    }

    fn rewrite(&self, target: &Target, rng: &mut Rng) -> Option<Vec<Edit>> {
        rng.pick(&edits(target)).map(|e| vec![e.clone()])
    }
}

fn edits(target: &Target) -> Vec<Edit> {
    let mut out = Vec::new();
    for try_ in nodes(target, &["try_statement"]) {
        let mut cursor = try_.walk();
        let clauses: Vec<_> = try_
            .named_children(&mut cursor)
            .filter(|n| {
                matches!(
                    n.kind(),
                    "except_clause" | "except_group_clause" | "finally_clause"
                )
            })
            .collect();
        if clauses.len() < 2 {
            continue;
        }
        out.extend(
            clauses
                .iter()
                .filter(|n| n.kind() != "finally_clause")
                .filter_map(|n| line_span(target.text, *n))
                .map(|(start, end)| Edit {
                    start,
                    end,
                    text: String::new(),
                }),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::DropExceptHandler;
    use crate::modifiers::testing::check;

    #[test]
    fn drops_a_handler() {
        check(
            &DropExceptHandler,
            0,
            "def get(d, k):\n    try:\n        return d[k]\n    except KeyError:\n        return None\n    except TypeError:\n        raise\n",
            "def get(d, k):\n    try:\n        return d[k]\n    except KeyError:\n        return None\n",
        );
    }
}
