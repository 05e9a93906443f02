use tree_sitter::Node;

use super::{Edit, Modifier, Target, is_function, nodes, replace, text};
use lego_data::Rng;

/// Replaces one read of a local variable or parameter by another variable of the same
/// function.
///
/// Realistic because using the wrong one of two similar names (`start` for `end`, `x` for
/// `y`, the loop's input for its accumulator) is a frequent copy-and-paste bug that type
/// checkers rarely catch. One of lego's additions to SWE-smith's set.
///
/// ```text
/// def area(width, height):        def area(width, height):
///     return width * height  ->       return width * width
/// ```
#[derive(Debug)]
pub struct UseOtherVariable;

impl Modifier for UseOtherVariable {
    fn name(&self) -> &'static str {
        "use_other_variable"
    }

    fn applies(&self, target: &Target) -> bool {
        is_function(target) && !sites(target).0.is_empty()
    }

    fn rewrite(&self, target: &Target, rng: &mut Rng) -> Option<Vec<Edit>> {
        let (sites, names) = sites(target);
        let site = *rng.pick(&sites)?;
        let current = text(target, site);
        let others: Vec<&str> = names.iter().copied().filter(|n| *n != current).collect();
        Some(vec![replace(site, *rng.pick(&others)?)])
    }
}

/// Where an identifier is read as a value (not bound, not an attribute or keyword name, not
/// called).
const READ_CONTEXTS: &[&str] = &[
    "binary_operator",
    "comparison_operator",
    "boolean_operator",
    "not_operator",
    "unary_operator",
    "argument_list",
    "return_statement",
    "subscript",
    "parenthesized_expression",
    "list",
    "tuple",
    "if_statement",
    "while_statement",
];

/// The identifiers read in the function that name one of its variables, and those variables
/// (parameters and simple assignment targets, `self` and `cls` left out), when there are at
/// least two.
fn sites<'t>(target: &Target<'t>) -> (Vec<Node<'t>>, Vec<&'t str>) {
    let mut names: Vec<&str> = Vec::new();
    let mut add = |name: &'t str| {
        if name != "self" && name != "cls" && !names.contains(&name) {
            names.push(name);
        }
    };
    if let Some(params) = target.node.child_by_field_name("parameters") {
        let mut cursor = params.walk();
        for p in params.named_children(&mut cursor) {
            let name = match p.kind() {
                "identifier" => Some(p),
                "default_parameter" | "typed_default_parameter" => p.child_by_field_name("name"),
                "typed_parameter" => p.named_child(0).filter(|n| n.kind() == "identifier"),
                _ => None,
            };
            if let Some(name) = name {
                add(text(target, name));
            }
        }
    }
    for assignment in nodes(target, &["assignment"]) {
        if let Some(left) = assignment
            .child_by_field_name("left")
            .filter(|l| l.kind() == "identifier")
        {
            add(text(target, left));
        }
    }
    if names.len() < 2 {
        return (Vec::new(), names);
    }
    let sites = nodes(target, &["identifier"])
        .into_iter()
        .filter(|n| names.contains(&text(target, *n)))
        .filter(|n| {
            n.parent()
                .is_some_and(|p| READ_CONTEXTS.contains(&p.kind()))
        })
        .collect();
    (sites, names)
}

#[cfg(test)]
mod tests {
    use super::UseOtherVariable;
    use crate::modifiers::testing::check;

    #[test]
    fn reads_the_other_parameter() {
        check(
            &UseOtherVariable,
            0,
            "def area(width, height=1):\n    return width * height\n",
            "def area(width, height=1):\n    return width * width\n",
        );
    }
}
