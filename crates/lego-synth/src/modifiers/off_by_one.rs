use tree_sitter::Node;

use super::{Edit, Modifier, Target, is_function, nodes, replace, text};
use lego_data::Rng;

/// Moves a non-literal index (one named like an index, or `len(...)`), slice bound or `range` bound by one: `xs[i]` becomes
/// `xs[i + 1]` or `xs[i - 1]`, `range(n)` becomes `range(n - 1)` or `range(n + 1)`.
///
/// Realistic because off-by-one errors in indices and loop bounds are the textbook bug, and
/// the variable forms are the ones `change_constant` cannot reach. One of lego's additions to
/// SWE-smith's set.
///
/// ```text
/// for i in range(len(xs)):    ->    for i in range(len(xs) - 1):
/// ```
#[derive(Debug)]
pub struct OffByOne;

impl Modifier for OffByOne {
    fn name(&self) -> &'static str {
        "off_by_one"
    }

    fn applies(&self, target: &Target) -> bool {
        is_function(target) && !sites(target).is_empty()
    }

    fn rewrite(&self, target: &Target, rng: &mut Rng) -> Option<Vec<Edit>> {
        let node = *rng.pick(&sites(target))?;
        let sign = if rng.below(2) == 0 { "+" } else { "-" };
        Some(vec![replace(
            node,
            format!("{} {sign} 1", text(target, node)),
        )])
    }
}

/// Operands that bind tighter than `+` and `-`, so `x + 1` needs no parentheses.
const SIMPLE: &[&str] = &["identifier", "attribute", "call", "subscript"];

/// A name that reads as an integer position (`i`, `idx`, `end`, `n_items`...) or `len(...)`.
fn index_like(text: &str) -> bool {
    let name = text.rsplit('.').next().unwrap_or(text);
    text.starts_with("len(")
        || matches!(
            name,
            "i" | "j" | "k" | "n" | "idx" | "index" | "pos" | "start" | "stop" | "end" | "count"
        )
        || ["_idx", "_index", "_pos", "_start", "_end"]
            .iter()
            .any(|s| name.ends_with(s))
        || name.starts_with("n_")
        || name.starts_with("num_")
}

fn sites<'t>(target: &Target<'t>) -> Vec<Node<'t>> {
    let mut out = Vec::new();
    for node in nodes(target, &["subscript", "slice", "call"]) {
        let candidates: Vec<Node> = match node.kind() {
            "subscript" => {
                // A subscript may be a mapping's key: only index-like ones move.
                let mut cursor = node.walk();
                node.children_by_field_name("subscript", &mut cursor)
                    .filter(|n| index_like(text(target, *n)))
                    .collect()
            }
            "slice" => {
                let mut cursor = node.walk();
                node.named_children(&mut cursor).collect()
            }
            _ => {
                let is_range = node
                    .child_by_field_name("function")
                    .is_some_and(|f| text(target, f) == "range");
                match node.child_by_field_name("arguments") {
                    Some(args) if is_range => {
                        let mut cursor = args.walk();
                        args.named_children(&mut cursor).take(2).collect()
                    }
                    _ => Vec::new(),
                }
            }
        };
        out.extend(
            candidates
                .into_iter()
                .filter(|n| SIMPLE.contains(&n.kind())),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::OffByOne;
    use crate::modifiers::testing::check;

    #[test]
    fn moves_a_range_bound() {
        check(
            &OffByOne,
            0,
            "def pairs(xs):\n    return [(xs[0], x) for x in range(len(xs))]\n",
            "def pairs(xs):\n    return [(xs[0], x) for x in range(len(xs) + 1)]\n",
        );
    }

    #[test]
    fn moves_an_index() {
        check(
            &OffByOne,
            0,
            "def last(xs, n):\n    return xs[n]\n",
            "def last(xs, n):\n    return xs[n + 1]\n",
        );
    }

    #[test]
    fn a_mapping_key_stays() {
        check(
            &OffByOne,
            0,
            "def get(d, name, i):\n    return d[name] + d[i]\n",
            "def get(d, name, i):\n    return d[name] + d[i + 1]\n",
        );
    }
}
