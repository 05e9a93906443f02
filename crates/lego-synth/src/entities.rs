//! Python files of a repository and the functions, methods and classes in them.

use std::path::Path;

use lego_data::TestPatterns;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use tree_sitter::{Node, Parser, Tree};

use crate::{Error, Result};

/// What kind of definition an [`Entity`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntityKind {
    /// A function at module level.
    Function,
    /// A function in a class body (its name qualified `Class.method`).
    Method,
    /// A class.
    Class,
}

/// One function, method or class of a Python file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entity {
    /// The file, relative to the repository, with `/` separators.
    pub file: String,
    /// The name; methods and nested classes qualified by their class (`Class.method`).
    pub name: String,
    /// Function, method or class.
    pub kind: EntityKind,
    /// Byte offset of the definition (its `def` or `class` keyword) in the file.
    pub start: usize,
    /// Byte offset just past the definition.
    pub end: usize,
}

/// A parsed Python file and its entities.
#[derive(Debug)]
pub struct SourceFile {
    /// The path relative to the repository, with `/` separators.
    pub path: String,
    /// The file's text.
    pub text: String,
    /// Its syntax tree.
    pub tree: Tree,
    /// Its entities, by offset.
    pub entities: Vec<Entity>,
}

/// A parser for Python.
pub(crate) fn parser() -> Result<Parser> {
    let mut parser = Parser::new();
    parser
        .set_language(&tree_sitter_python::LANGUAGE.into())
        .map_err(Error::Grammar)?;
    Ok(parser)
}

/// Parses `text`; `None` when tree-sitter gives up (it only does on cancellation or timeout,
/// neither of which is set).
pub(crate) fn parse(parser: &mut Parser, text: &str) -> Option<Tree> {
    parser.parse(text, None)
}

/// Whether a tree holds an ERROR or MISSING node.
pub(crate) fn is_broken(tree: &Tree) -> bool {
    tree.root_node().has_error()
}

/// The non-test Python files of `repo`, relative, `/`-separated and sorted. Hidden directories
/// (`.git` among them), `__pycache__`, `node_modules` and virtual environments (a directory
/// holding `pyvenv.cfg`, or named `venv`, `env` or `site-packages`) are skipped.
pub fn python_files(repo: &Path, tests: &TestPatterns) -> Result<Vec<String>> {
    let mut out = Vec::new();
    walk(repo, "", tests, &mut out)?;
    out.sort();
    Ok(out)
}

fn walk(dir: &Path, prefix: &str, tests: &TestPatterns, out: &mut Vec<String>) -> Result<()> {
    let read = |source| Error::Read {
        path: dir.to_owned(),
        source,
    };
    for entry in std::fs::read_dir(dir).map_err(read)? {
        let entry = entry.map_err(read)?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let kind = entry.file_type().map_err(read)?;
        let rel = format!("{prefix}{name}");
        if kind.is_dir() {
            let path = entry.path();
            let skip = name.starts_with('.')
                || matches!(
                    name.as_str(),
                    "__pycache__" | "node_modules" | "venv" | "env" | "site-packages"
                )
                || path.join("pyvenv.cfg").exists();
            if !skip {
                walk(&path, &format!("{rel}/"), tests, out)?;
            }
        } else if kind.is_file() && name.ends_with(".py") && !tests.is_test(&rel) {
            out.push(rel);
        }
    }
    Ok(())
}

/// Reads and parses the non-test Python files of `repo` in parallel; files in path order,
/// entities by offset. A file that is not UTF-8 or does not parse cleanly is skipped (with a
/// debug event): a bug injected into it could not be checked for being valid Python.
pub fn parse_repo(repo: &Path, tests: &TestPatterns) -> Result<Vec<SourceFile>> {
    parser()?;
    let files = python_files(repo, tests)?;
    let parsed: Vec<Option<SourceFile>> = files
        .par_iter()
        .map_init(
            || parser().expect("the grammar loaded above"),
            |parser, path| {
                let full = repo.join(path);
                let bytes =
                    std::fs::read(&full).map_err(|source| Error::Read { path: full, source })?;
                let Ok(text) = String::from_utf8(bytes) else {
                    tracing::debug!(file = %path, "skipped: not UTF-8");
                    return Ok(None);
                };
                let Some(tree) = parse(parser, &text).filter(|t| !is_broken(t)) else {
                    tracing::debug!(file = %path, "skipped: does not parse cleanly");
                    return Ok(None);
                };
                let entities = entities_of(path, &tree, &text);
                Ok(Some(SourceFile {
                    path: path.clone(),
                    text,
                    tree,
                    entities,
                }))
            },
        )
        .collect::<Result<_>>()?;
    Ok(parsed.into_iter().flatten().collect())
}

/// The functions, methods and classes of one parsed file, by offset. Functions nested in
/// functions are part of their enclosing function, not entities of their own.
pub fn entities_of(path: &str, tree: &Tree, text: &str) -> Vec<Entity> {
    let mut out = Vec::new();
    collect(tree.root_node(), None, path, text, &mut out);
    out.sort_by_key(|e| e.start);
    out
}

fn collect(block: Node, class: Option<&str>, path: &str, text: &str, out: &mut Vec<Entity>) {
    let mut cursor = block.walk();
    for child in block.named_children(&mut cursor) {
        let def = if child.kind() == "decorated_definition" {
            match child.child_by_field_name("definition") {
                Some(def) => def,
                None => continue,
            }
        } else {
            child
        };
        let Some(name) = def
            .child_by_field_name("name")
            .and_then(|n| n.utf8_text(text.as_bytes()).ok())
        else {
            continue;
        };
        let qualified = match class {
            Some(class) => format!("{class}.{name}"),
            None => name.to_owned(),
        };
        match def.kind() {
            "function_definition" => out.push(Entity {
                file: path.to_owned(),
                name: qualified,
                kind: if class.is_some() {
                    EntityKind::Method
                } else {
                    EntityKind::Function
                },
                start: def.start_byte(),
                end: def.end_byte(),
            }),
            "class_definition" => {
                out.push(Entity {
                    file: path.to_owned(),
                    name: qualified.clone(),
                    kind: EntityKind::Class,
                    start: def.start_byte(),
                    end: def.end_byte(),
                });
                if let Some(body) = def.child_by_field_name("body") {
                    collect(body, Some(&qualified), path, text, out);
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests;
