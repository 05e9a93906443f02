use tree_sitter::Node;

use super::{Edit, Modifier, Target, is_function, replace, text};
use lego_data::Rng;

/// Changes the default value of a parameter: `True` and `False` swap, a decimal integer
/// changes by one.
///
/// Realistic because a wrong default only bites callers that rely on it, which is why such
/// bugs survive review; they are common in real fixes ("`strict` should default to
/// `False`"). One of lego's additions to SWE-smith's set.
///
/// ```text
/// def split(s, strip=True):    ->    def split(s, strip=False):
/// ```
#[derive(Debug)]
pub struct ChangeDefault;

impl Modifier for ChangeDefault {
    fn name(&self) -> &'static str {
        "change_default"
    }

    fn applies(&self, target: &Target) -> bool {
        is_function(target) && !sites(target).is_empty()
    }

    fn rewrite(&self, target: &Target, rng: &mut Rng) -> Option<Vec<Edit>> {
        let value = *rng.pick(&sites(target))?;
        let new = match value.kind() {
            "true" => "False".to_owned(),
            "false" => "True".to_owned(),
            _ => {
                let n: i64 = text(target, value).parse().ok()?;
                if n == 0 || rng.below(2) == 0 {
                    n + 1
                } else {
                    n - 1
                }
                .to_string()
            }
        };
        Some(vec![replace(value, new)])
    }
}

/// The changeable default values of the function's own parameters.
fn sites<'t>(target: &Target<'t>) -> Vec<Node<'t>> {
    let Some(params) = target.node.child_by_field_name("parameters") else {
        return Vec::new();
    };
    let mut cursor = params.walk();
    params
        .named_children(&mut cursor)
        .filter(|p| matches!(p.kind(), "default_parameter" | "typed_default_parameter"))
        .filter_map(|p| p.child_by_field_name("value"))
        .filter(|v| match v.kind() {
            "true" | "false" => true,
            "integer" => text(target, *v).bytes().all(|b| b.is_ascii_digit()),
            _ => false,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::ChangeDefault;
    use crate::modifiers::testing::check;

    #[test]
    fn a_boolean_default_flips() {
        check(
            &ChangeDefault,
            0,
            "def split(s, sep=None, strip=True):\n    return s\n",
            "def split(s, sep=None, strip=False):\n    return s\n",
        );
    }
}
