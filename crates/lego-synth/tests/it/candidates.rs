use std::collections::HashSet;

use lego_synth::{CandidateOptions, Error, candidates, modifier_names};

use crate::{fixture, git};

fn run(options: &CandidateOptions) -> (tempfile::TempDir, Vec<lego_synth::Candidate>) {
    let dir = tempfile::tempdir().unwrap();
    fixture(dir.path());
    let found = candidates(dir.path(), options).unwrap();
    (dir, found)
}

#[test]
fn every_candidate_applies_and_parses() {
    let (dir, found) = run(&CandidateOptions::default());
    assert!(found.len() >= 20, "{} candidates", found.len());
    let mut parser = tree_sitter::Parser::new();
    parser
        .set_language(&tree_sitter_python::LANGUAGE.into())
        .unwrap();
    for c in &found {
        assert!(c.file.starts_with("pkg/"), "{}", c.file);
        let patch = dir.path().join("bug.diff");
        std::fs::write(&patch, &c.bug_patch).unwrap();
        let (ok, err) = git(dir.path(), &["apply", "--check", "bug.diff"]);
        assert!(ok, "{}: {err}\n{}", c.candidate_id, c.bug_patch);
        // Apply it, parse the buggy file, and put the original back.
        let original = std::fs::read_to_string(dir.path().join(&c.file)).unwrap();
        assert!(git(dir.path(), &["apply", "bug.diff"]).0);
        let buggy = std::fs::read_to_string(dir.path().join(&c.file)).unwrap();
        std::fs::write(dir.path().join(&c.file), &original).unwrap();
        let tree = parser.parse(&buggy, None).unwrap();
        assert!(
            !tree.root_node().has_error(),
            "{}:\n{buggy}",
            c.candidate_id
        );
        assert_ne!(buggy, original);
    }
}

#[test]
fn every_modifier_finds_something_in_the_fixture() {
    let options = CandidateOptions {
        max_per_entity: 100,
        ..CandidateOptions::default()
    };
    let (_dir, found) = run(&options);
    let used: HashSet<&str> = found.iter().map(|c| c.modifier.as_str()).collect();
    for name in modifier_names() {
        assert!(used.contains(name), "{name} made no candidate");
    }
    let entities: HashSet<&str> = found.iter().map(|c| c.entity.as_str()).collect();
    for e in [
        "clamp",
        "Stack",
        "Stack.push",
        "Stack.pop",
        "ratio",
        "shift",
    ] {
        assert!(entities.contains(e), "{e}: {entities:?}");
    }
    assert!(!entities.contains("hidden"), "the virtualenv was scanned");
    assert!(!entities.contains("test_clamp"), "a test file was scanned");
}

#[test]
fn the_same_seed_gives_the_same_candidates_and_another_seed_others() {
    let (_a, first) = run(&CandidateOptions::default());
    let (_b, again) = run(&CandidateOptions::default());
    assert_eq!(
        serde_json::to_string(&first).unwrap(),
        serde_json::to_string(&again).unwrap()
    );
    let (_c, other) = run(&CandidateOptions {
        seed: 7,
        ..CandidateOptions::default()
    });
    assert_ne!(first, other);
}

#[test]
fn candidates_are_unique() {
    let options = CandidateOptions {
        max_per_entity: 100,
        ..CandidateOptions::default()
    };
    let (_dir, found) = run(&options);
    let ids: HashSet<&str> = found.iter().map(|c| c.candidate_id.as_str()).collect();
    assert_eq!(ids.len(), found.len());
    let patches: HashSet<&str> = found.iter().map(|c| c.bug_patch.as_str()).collect();
    assert_eq!(patches.len(), found.len());
}

#[test]
fn duplicate_rewrites_are_kept_once() {
    // change_constant and change_default both make the default 0 a 1: one candidate.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.py"), "def f(flag=0):\n    return flag\n").unwrap();
    let options = CandidateOptions {
        modifiers: Some(vec!["change_constant".into(), "change_default".into()]),
        max_per_entity: 100,
        ..CandidateOptions::default()
    };
    let found = candidates(dir.path(), &options).unwrap();
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].bug_patch.contains("+def f(flag=1):"));
    // A rewrite that changes nothing (swapping equal operands) is no candidate.
    std::fs::write(dir.path().join("a.py"), "def g(a):\n    return a + a\n").unwrap();
    let options = CandidateOptions {
        modifiers: Some(vec!["swap_operands".into()]),
        ..CandidateOptions::default()
    };
    assert!(candidates(dir.path(), &options).unwrap().is_empty());
}

#[test]
fn the_modifier_filter_holds_and_unknown_names_are_errors() {
    let options = CandidateOptions {
        modifiers: Some(vec!["flip_comparison".into(), "remove_loop".into()]),
        max_per_entity: 100,
        ..CandidateOptions::default()
    };
    let (_dir, found) = run(&options);
    assert!(!found.is_empty());
    assert!(
        found
            .iter()
            .all(|c| c.modifier == "flip_comparison" || c.modifier == "remove_loop")
    );
    let dir = tempfile::tempdir().unwrap();
    let err = candidates(
        dir.path(),
        &CandidateOptions {
            modifiers: Some(vec!["no_such_thing".into()]),
            ..CandidateOptions::default()
        },
    )
    .unwrap_err();
    assert!(matches!(err, Error::UnknownModifier { .. }));
    let message = err.to_string();
    assert!(message.contains("no_such_thing") && message.contains("invert_if_else"));
    assert!(!message.contains('\n'));
}
