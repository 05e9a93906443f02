//! `lego-synth`: synthetic bugs for SWE tasks, made by rewriting Python syntax trees (the
//! SWE-smith way, with tree-sitter-python).
//!
//! - [`parse_repo`] and [`entities_of`]: the non-test Python files of a repository (tests by
//!   lego-data's [`TestPatterns`](lego_data::TestPatterns); hidden directories and virtual
//!   environments skipped), parsed in parallel, and their functions, methods (`Class.method`)
//!   and classes ([`Entity`]) with byte spans, in path and offset order.
//! - [`Modifier`]: one procedural bug, one file per modifier under `src/modifiers/` (each
//!   with its rationale, an example and a fixture test): whether it applies to an entity,
//!   and the byte-range [`Edit`]s that inject it, choices drawn from a seeded [`Rng`]
//!   (SplitMix64). [`modifier_names`] lists them.
//! - [`candidates`]: every entity given up to `max_per_entity` applicable modifiers; a
//!   rewrite is kept when the file still parses with no ERROR or MISSING node, differs from
//!   the original beyond whitespace and is not a duplicate (blake3 of the normalised file).
//!   Each [`Candidate`] carries a `git apply`-able `bug_patch`. The same tree and seed give
//!   byte-identical candidates.
//!
//! It does not yet validate candidates (running tests to find FAIL_TO_PASS and
//! PASS_TO_PASS), write tasks, or ask a language model for rewrites; it never links `tch`
//! and starts no process.

#![warn(missing_docs)]

mod candidates;
mod entities;
mod error;
mod modifiers;

pub use candidates::{Candidate, CandidateOptions, candidates, file_patch, select_modifiers};
pub use entities::{Entity, EntityKind, SourceFile, entities_of, parse_repo, python_files};
pub use error::{Error, Result};
pub use lego_data::Rng;
pub use modifiers::{Edit, Modifier, Target, all as all_modifiers, apply, names as modifier_names};
