//! Candidates: every applicable modifier on every entity, kept when the result is new valid
//! Python.

use std::collections::HashSet;
use std::path::Path;

use lego_data::TestPatterns;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::entities::{Entity, SourceFile, is_broken, parse, parse_repo, parser};
use crate::modifiers::{self, Modifier, Target};
use crate::{Error, Result};
use lego_data::Rng;

/// What [`candidates`] looks for.
#[derive(Debug, Clone)]
pub struct CandidateOptions {
    /// The modifiers to use, by name; `None`: all of them.
    pub modifiers: Option<Vec<String>>,
    /// At most this many candidates per entity (each from a different modifier).
    pub max_per_entity: usize,
    /// The seed every choice is drawn from.
    pub seed: u64,
    /// Which files are tests (never modified).
    pub test_patterns: TestPatterns,
}

impl Default for CandidateOptions {
    fn default() -> Self {
        CandidateOptions {
            modifiers: None,
            max_per_entity: 3,
            seed: 0,
            test_patterns: TestPatterns::default(),
        }
    }
}

/// One bug candidate: a rewrite of one entity of one file, not yet validated by tests.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Candidate {
    /// `<modifier>-<12 hex digits of the hash of the buggy file>`: unique in a run.
    pub candidate_id: String,
    /// The file, relative to the repository, `/`-separated.
    pub file: String,
    /// The entity rewritten (`function`, `Class.method` or `Class`).
    pub entity: String,
    /// The modifier's name.
    pub modifier: String,
    /// The `git apply`-able diff of the file that injects the bug.
    pub bug_patch: String,
}

/// The modifiers named in `names` (all of them for `None`); an unknown name is an error
/// listing the known ones.
pub fn select_modifiers(names: Option<&[String]>) -> Result<Vec<&'static dyn Modifier>> {
    let all = modifiers::all();
    let Some(names) = names else {
        return Ok(all);
    };
    let mut out = Vec::new();
    for name in names {
        let Some(m) = all.iter().find(|m| m.name() == name) else {
            return Err(Error::UnknownModifier {
                name: name.clone(),
                known: modifiers::names().join(", "),
            });
        };
        if !out.iter().any(|o: &&dyn Modifier| o.name() == m.name()) {
            out.push(*m);
        }
    }
    Ok(out)
}

/// The bug candidates of the repository work tree at `repo`: its non-test Python files parsed
/// in parallel, each entity given up to `max_per_entity` applicable modifiers (in an order
/// drawn from the seed), each rewrite kept when the file still parses without ERROR or
/// MISSING nodes, differs from the original beyond whitespace, and is not a duplicate of an
/// earlier candidate. Files in path order, entities by offset: the same tree and seed give
/// the same candidates.
pub fn candidates(repo: &Path, options: &CandidateOptions) -> Result<Vec<Candidate>> {
    let chosen = select_modifiers(options.modifiers.as_deref())?;
    let files = parse_repo(repo, &options.test_patterns)?;
    parser()?;
    // One work item per entity: a repository's files differ a lot in size, entities less.
    let originals: Vec<String> = files.par_iter().map(|f| normalise(&f.text)).collect();
    let work: Vec<(&SourceFile, &str, &Entity)> = files
        .iter()
        .zip(&originals)
        .flat_map(|(f, o)| f.entities.iter().map(move |e| (f, o.as_str(), e)))
        .collect();
    let per_entity: Vec<Vec<(blake3::Hash, Candidate)>> = work
        .par_iter()
        .map_init(
            || parser().expect("the grammar loaded above"),
            |parser, item| entity_candidates(parser, *item, &chosen, options),
        )
        .collect();
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    let mut duplicates = 0usize;
    for (hash, candidate) in per_entity.into_iter().flatten() {
        if seen.insert(hash) {
            out.push(candidate);
        } else {
            duplicates += 1;
        }
    }
    tracing::info!(
        files = files.len(),
        candidates = out.len(),
        duplicates,
        "bug candidates"
    );
    Ok(out)
}

fn entity_candidates(
    parser: &mut tree_sitter::Parser,
    (file, original, entity): (&SourceFile, &str, &Entity),
    chosen: &[&'static dyn Modifier],
    options: &CandidateOptions,
) -> Vec<(blake3::Hash, Candidate)> {
    let mut out = Vec::new();
    let Some(node) = file
        .tree
        .root_node()
        .descendant_for_byte_range(entity.start, entity.end)
    else {
        return out;
    };
    let target = Target {
        text: &file.text,
        node,
        kind: entity.kind,
    };
    let mut applicable: Vec<&dyn Modifier> = chosen
        .iter()
        .copied()
        .filter(|m| m.applies(&target))
        .collect();
    Rng::keyed(options.seed, &[&file.path, &entity.name]).shuffle(&mut applicable);
    let mut kept = 0;
    for modifier in applicable {
        if kept >= options.max_per_entity {
            break;
        }
        let mut rng = Rng::keyed(options.seed, &[&file.path, &entity.name, modifier.name()]);
        let Some(edits) = modifier.rewrite(&target, &mut rng) else {
            continue;
        };
        let new = modifiers::apply(&file.text, &edits);
        let normalised = normalise(&new);
        if normalised == original {
            continue;
        }
        if parse(parser, &new).is_none_or(|t| is_broken(&t)) {
            tracing::debug!(file = %file.path, entity = %entity.name, modifier = modifier.name(), "rewrite does not parse");
            continue;
        }
        let mut hasher = blake3::Hasher::new();
        hasher.update(file.path.as_bytes());
        hasher.update(b"\0");
        hasher.update(normalised.as_bytes());
        let hash = hasher.finalize();
        kept += 1;
        out.push((
            hash,
            Candidate {
                candidate_id: format!("{}-{}", modifier.name(), &hash.to_hex()[..12]),
                file: file.path.clone(),
                entity: entity.name.clone(),
                modifier: modifier.name().to_owned(),
                bug_patch: file_patch(&file.path, &file.text, &new),
            },
        ));
    }
    out
}

/// The text with every run of whitespace made one space: two rewrites that differ only in
/// layout are the same bug.
fn normalise(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The `git apply`-able diff of one modified file, as `git diff` writes it.
pub fn file_patch(path: &str, old: &str, new: &str) -> String {
    format!(
        "diff --git a/{path} b/{path}\n--- a/{path}\n+++ b/{path}\n{}",
        lego_data::diff_text(old, new)
    )
}
