//! The bug modifiers, one per file, and what they share: the [`Modifier`] trait, byte-range
//! [`Edit`]s and small helpers over tree-sitter nodes.

use tree_sitter::Node;

use crate::entities::EntityKind;
use lego_data::Rng;

mod break_operator_chain;
mod change_constant;
mod change_default;
mod change_operator;
mod drop_except_handler;
mod flip_comparison;
mod invert_if_else;
mod negate_condition;
mod off_by_one;
mod remove_assignment;
mod remove_class_bases;
mod remove_conditional;
mod remove_loop;
mod remove_method;
mod remove_return;
mod remove_self_update;
mod remove_wrapper;
mod shuffle_lines;
mod shuffle_methods;
mod swap_call_arguments;
mod swap_operands;
mod use_other_variable;

/// One replacement of the bytes `start..end` of a file by `text`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edit {
    /// First byte replaced.
    pub start: usize,
    /// Byte just past the last one replaced.
    pub end: usize,
    /// What replaces them.
    pub text: String,
}

/// The entity a modifier looks at: its definition node in the file's tree and the file's text.
#[derive(Debug, Clone, Copy)]
pub struct Target<'t> {
    /// The whole file.
    pub text: &'t str,
    /// The `function_definition` or `class_definition` node.
    pub node: Node<'t>,
    /// What kind of entity it is.
    pub kind: EntityKind,
}

/// A procedural bug: where it can be injected and how.
pub trait Modifier: Send + Sync + std::fmt::Debug {
    /// The snake_case name, as recorded in a candidate's `modifier` and given to `--modifiers`.
    fn name(&self) -> &'static str;
    /// Whether the entity has something this modifier can rewrite.
    fn applies(&self, target: &Target) -> bool;
    /// The edits that inject the bug, choices drawn from `rng`; `None` when nothing applies.
    fn rewrite(&self, target: &Target, rng: &mut Rng) -> Option<Vec<Edit>>;
}

/// Every modifier, in a fixed order.
pub fn all() -> Vec<&'static dyn Modifier> {
    vec![
        &remove_class_bases::RemoveClassBases,
        &remove_method::RemoveMethod,
        &shuffle_methods::ShuffleMethods,
        &invert_if_else::InvertIfElse,
        &shuffle_lines::ShuffleLines,
        &remove_assignment::RemoveAssignment,
        &remove_conditional::RemoveConditional,
        &remove_loop::RemoveLoop,
        &remove_wrapper::RemoveWrapper,
        &change_operator::ChangeOperator,
        &swap_operands::SwapOperands,
        &break_operator_chain::BreakOperatorChain,
        &change_constant::ChangeConstant,
        &flip_comparison::FlipComparison,
        &off_by_one::OffByOne,
        &remove_return::RemoveReturn,
        &swap_call_arguments::SwapCallArguments,
        &change_default::ChangeDefault,
        &negate_condition::NegateCondition,
        &drop_except_handler::DropExceptHandler,
        &remove_self_update::RemoveSelfUpdate,
        &use_other_variable::UseOtherVariable,
    ]
}

/// The names of every modifier, in [`all`]'s order.
pub fn names() -> Vec<&'static str> {
    all().iter().map(|m| m.name()).collect()
}

/// Applies non-overlapping edits to `text`.
pub fn apply(text: &str, edits: &[Edit]) -> String {
    let mut edits: Vec<&Edit> = edits.iter().collect();
    edits.sort_by_key(|e| (e.start, e.end));
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for edit in edits {
        if edit.start < at {
            continue;
        }
        out.push_str(&text[at..edit.start]);
        out.push_str(&edit.text);
        at = edit.end;
    }
    out.push_str(&text[at..]);
    out
}

/// Whether the target is a function or a method (the statement-level modifiers' entities).
pub(crate) fn is_function(target: &Target) -> bool {
    matches!(target.kind, EntityKind::Function | EntityKind::Method)
}

/// The nodes under the target (itself excluded) whose kind is one of `kinds`, in preorder.
pub(crate) fn nodes<'t>(target: &Target<'t>, kinds: &[&str]) -> Vec<Node<'t>> {
    let mut out = Vec::new();
    let mut stack = vec![target.node];
    while let Some(node) = stack.pop() {
        if node != target.node && kinds.contains(&node.kind()) {
            out.push(node);
        }
        let mut cursor = node.walk();
        let children: Vec<Node> = node.children(&mut cursor).collect();
        stack.extend(children.into_iter().rev());
    }
    out
}

/// The source text of a node.
pub(crate) fn text<'t>(target: &Target<'t>, node: Node) -> &'t str {
    &target.text[node.byte_range()]
}

/// An edit replacing a node's text.
pub(crate) fn replace(node: Node, text: impl Into<String>) -> Edit {
    Edit {
        start: node.start_byte(),
        end: node.end_byte(),
        text: text.into(),
    }
}

/// The edit deleting a whole statement (its lines), when that leaves valid Python: the
/// statement is alone on its lines and its block keeps at least one other statement.
pub(crate) fn delete_statement(target: &Target, node: Node) -> Option<Edit> {
    let block = node.parent()?;
    let mut cursor = block.walk();
    let statements = block
        .named_children(&mut cursor)
        .filter(|n| n.kind() != "comment")
        .count();
    if statements < 2 {
        return None;
    }
    let (start, end) = line_span(target.text, node)?;
    Some(Edit {
        start,
        end,
        text: String::new(),
    })
}

/// The byte span of the whole lines a node occupies (with the last line's newline), when
/// nothing else but whitespace shares them.
pub(crate) fn line_span(text: &str, node: Node) -> Option<(usize, usize)> {
    let start = text[..node.start_byte()].rfind('\n').map_or(0, |i| i + 1);
    if !text[start..node.start_byte()].trim().is_empty() {
        return None;
    }
    let rest = &text[node.end_byte()..];
    let line_end = rest
        .find('\n')
        .map_or(text.len(), |i| node.end_byte() + i + 1);
    if !text[node.end_byte()..line_end].trim().is_empty() {
        return None;
    }
    Some((start, line_end))
}

/// The statements of a block (its named children other than comments).
pub(crate) fn statements<'t>(block: Node<'t>) -> Vec<Node<'t>> {
    let mut cursor = block.walk();
    block
        .named_children(&mut cursor)
        .filter(|n| n.kind() != "comment")
        .collect()
}

#[cfg(test)]
pub(crate) mod testing {
    //! `check(modifier, seed, input, expected)`: the first entity the modifier applies to,
    //! rewritten with `Rng::new(seed)`.

    use super::{Modifier, Target, apply};
    use crate::entities::{entities_of, parse, parser};
    use lego_data::Rng;

    pub(crate) fn check(modifier: &dyn Modifier, seed: u64, input: &str, expected: &str) {
        let mut parser = parser().expect("grammar loads");
        let tree = parse(&mut parser, input).expect("parses");
        let root = tree.root_node();
        let target = entities_of("t.py", &tree, input)
            .into_iter()
            .map(|e| Target {
                text: input,
                node: root
                    .descendant_for_byte_range(e.start, e.end)
                    .expect("the entity's node"),
                kind: e.kind,
            })
            .find(|t| modifier.applies(t))
            .expect("the modifier applies to an entity of the fixture");
        let edits = modifier
            .rewrite(&target, &mut Rng::new(seed))
            .expect("a rewrite");
        let out = apply(input, &edits);
        assert_eq!(out, expected, "{} with seed {seed}", modifier.name());
        let tree = parse(&mut parser, &out).expect("parses");
        assert!(!tree.root_node().has_error(), "the rewrite parses:\n{out}");
    }
}
