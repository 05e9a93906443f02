//! `lego synth candidates` on a small Python repository written here.

use std::process::Command;

use crate::{lego, read_lines, stderr};

fn fixture(dir: &std::path::Path) {
    std::fs::create_dir_all(dir.join("pkg")).unwrap();
    std::fs::write(
        dir.join("pkg/core.py"),
        "def clamp(x, lo=0, hi=10):\n    if x < lo:\n        return lo\n    return min(x, hi)\n\n\nclass Box(object):\n    def put(self, x):\n        self.x = x + 1\n        return self\n\n    def get(self):\n        return self.x\n",
    )
    .unwrap();
}

#[test]
fn candidates_are_written_as_jsonl() {
    let dir = tempfile::tempdir().unwrap();
    fixture(dir.path());
    let out = dir.path().join("cands.jsonl");
    let run = lego(&[
        "synth",
        "candidates",
        "--repo",
        dir.path().to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--seed",
        "3",
    ]);
    assert!(run.status.success(), "{}", stderr(&run));
    let lines = read_lines(&out);
    assert!(lines.len() >= 5, "{lines:?}");
    for line in &lines {
        for field in ["candidate_id", "file", "entity", "modifier", "bug_patch"] {
            assert!(line[field].is_string(), "{field} in {line}");
        }
        assert_eq!(line["file"], "pkg/core.py");
        assert!(
            line["bug_patch"]
                .as_str()
                .unwrap()
                .starts_with("diff --git a/pkg/core.py b/pkg/core.py\n")
        );
    }
}

#[test]
fn base_reads_a_revision_and_the_filter_holds() {
    let dir = tempfile::tempdir().unwrap();
    fixture(dir.path());
    let git = |args: &[&str]| {
        let out = Command::new("git")
            .args(["-c", "user.name=t", "-c", "user.email=t@t"])
            .args(args)
            .current_dir(dir.path())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    git(&["init", "-q"]);
    git(&["add", "-A"]);
    git(&["commit", "-qm", "base"]);
    // A later file that the base does not have (and that flip_comparison would change).
    std::fs::write(
        dir.path().join("pkg/new.py"),
        "def later(a, b):\n    return a < b\n",
    )
    .unwrap();
    let out = dir.path().join("cands.jsonl");
    let run = lego(&[
        "synth",
        "candidates",
        "--repo",
        dir.path().to_str().unwrap(),
        "--base",
        "HEAD",
        "--modifiers",
        "flip_comparison,remove_class_bases",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(run.status.success(), "{}", stderr(&run));
    let lines = read_lines(&out);
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(lines.iter().all(|l| l["file"] == "pkg/core.py"));
    let modifiers: Vec<&str> = lines
        .iter()
        .map(|l| l["modifier"].as_str().unwrap())
        .collect();
    assert!(modifiers.contains(&"flip_comparison") && modifiers.contains(&"remove_class_bases"));
}

#[test]
fn an_unknown_modifier_is_a_one_line_error() {
    let dir = tempfile::tempdir().unwrap();
    fixture(dir.path());
    let out = dir.path().join("cands.jsonl");
    let run = lego(&[
        "synth",
        "candidates",
        "--repo",
        dir.path().to_str().unwrap(),
        "--modifiers",
        "invert_if_else,bogus",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(!run.status.success());
    let err = stderr(&run);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(
        err.contains("bogus") && err.contains("swap_operands"),
        "{err}"
    );
    assert!(!out.exists());
}
