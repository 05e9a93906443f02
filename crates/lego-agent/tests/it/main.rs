//! lego-agent integration tests: the agent loop, the scripted expert and rollouts, in local
//! sandboxes over small repositories each test makes.

// The fixture repositories are made with git.
#![allow(clippy::disallowed_methods)]
// Test helpers may unwrap: a panic is the failure report.
#![allow(clippy::unwrap_used)]

mod episode;
mod scripted;

use std::path::Path;
use std::process::Command;

/// Runs git in `dir` with a fixed identity and date (the same commit ids on every run); its
/// standard output.
pub(crate) fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.invalid")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.invalid")
        .env("GIT_AUTHOR_DATE", "2024-01-01T00:00:00Z")
        .env("GIT_COMMITTER_DATE", "2024-01-01T00:00:00Z")
        .output()
        .unwrap();
    assert!(out.status.success(), "git {args:?}: {out:?}");
    String::from_utf8(out.stdout).unwrap()
}

/// A repository in `dir` holding `files` in one commit; the commit's id.
pub(crate) fn commit_files(dir: &Path, files: &[(&str, &str)]) -> String {
    for (path, text) in files {
        let path = dir.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    git(dir, &["init", "-q", "-b", "main"]);
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-qm", "base"]);
    git(dir, &["rev-parse", "HEAD"]).trim().to_owned()
}

/// The diff of `path` in the repository `dir` from the text `from` to the text `to`, as
/// `git diff` writes it (`a/` and `b/` prefixes); the index and work tree are left as committed.
pub(crate) fn diff(dir: &Path, path: &str, from: &str, to: &str) -> String {
    std::fs::write(dir.join(path), from).unwrap();
    git(dir, &["add", path]);
    std::fs::write(dir.join(path), to).unwrap();
    let diff = git(dir, &["diff", "--", path]);
    git(dir, &["checkout", "HEAD", "--", path]);
    diff
}
