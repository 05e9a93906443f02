use tree_sitter::Node;

use super::{Edit, Modifier, Target, is_function, nodes, replace, text};
use lego_data::Rng;

/// Swaps two adjacent positional arguments of a call.
///
/// Realistic because positional arguments of the same type (`copy(src, dst)`,
/// `range(lo, hi)`, `pow(b, e)`) are easy to pass in the wrong order, and nothing in Python
/// checks it. One of lego's additions to SWE-smith's set.
///
/// ```text
/// return pow(base, exp)    ->    return pow(exp, base)
/// ```
#[derive(Debug)]
pub struct SwapCallArguments;

impl Modifier for SwapCallArguments {
    fn name(&self) -> &'static str {
        "swap_call_arguments"
    }

    fn applies(&self, target: &Target) -> bool {
        is_function(target) && !sites(target).is_empty()
    }

    fn rewrite(&self, target: &Target, rng: &mut Rng) -> Option<Vec<Edit>> {
        let (a, b) = *rng.pick(&sites(target))?;
        Some(vec![
            replace(a, text(target, b)),
            replace(b, text(target, a)),
        ])
    }
}

/// Adjacent pairs of positional arguments (no keywords, no splats) with different texts.
fn sites<'t>(target: &Target<'t>) -> Vec<(Node<'t>, Node<'t>)> {
    let mut out = Vec::new();
    for call in nodes(target, &["call"]) {
        let Some(args) = call.child_by_field_name("arguments") else {
            continue;
        };
        if args.kind() != "argument_list" {
            continue;
        }
        let mut cursor = args.walk();
        let positional: Vec<Node> = args
            .named_children(&mut cursor)
            .take_while(|n| {
                !matches!(
                    n.kind(),
                    "keyword_argument" | "list_splat" | "dictionary_splat" | "comment"
                )
            })
            .collect();
        out.extend(
            positional
                .windows(2)
                .map(|w| (w[0], w[1]))
                .filter(|(a, b)| text(target, *a) != text(target, *b)),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::SwapCallArguments;
    use crate::modifiers::testing::check;

    #[test]
    fn swaps_two_arguments() {
        check(
            &SwapCallArguments,
            0,
            "def power(base, exp):\n    return pow(base, exp, mod=None)\n",
            "def power(base, exp):\n    return pow(exp, base, mod=None)\n",
        );
    }
}
