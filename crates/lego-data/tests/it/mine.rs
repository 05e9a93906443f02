//! Mining against real `git`: the diff between two commits is a patch `git apply` takes and
//! that turns the base tree into the target tree exactly (modes, links, new and deleted files,
//! missing final newlines, odd paths), and the split and filters of a pull request.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

use lego_data::{
    GitRef, LinkedIssue, MineOptions, PullRequest, Rejection, TestPatterns, candidate_task,
    diff_commits, split_patch,
};

fn git(dir: &Path, args: &[&str]) -> String {
    git_stdin(dir, args, None)
}

fn git_stdin(dir: &Path, args: &[&str], stdin: Option<&str>) -> String {
    use std::io::Write as _;
    let mut child = Command::new("git")
        .current_dir(dir)
        .args(args)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", "Dev")
        .env("GIT_AUTHOR_EMAIL", "dev@example.invalid")
        .env("GIT_COMMITTER_NAME", "Dev")
        .env("GIT_COMMITTER_EMAIL", "dev@example.invalid")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.unwrap_or_default().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "git {args:?} in {} failed: {}",
        dir.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn write(dir: &Path, rel: &str, text: &str) {
    let path = dir.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn commit(dir: &Path, msg: &str) -> String {
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "--allow-empty", "-m", msg]);
    git(dir, &["rev-parse", "HEAD"]).trim().to_owned()
}

fn tree_of(dir: &Path, rev: &str) -> String {
    git(dir, &["rev-parse", &format!("{rev}^{{tree}}")])
        .trim()
        .to_owned()
}

/// Applies `patch` to a fresh checkout of `base` with `git apply --index` and returns the tree
/// that results.
fn applied_tree(repo: &Path, base: &str, patch: &str) -> String {
    let work = tempfile::tempdir().unwrap();
    let w = work.path().join("w");
    git(
        repo,
        &[
            "worktree",
            "add",
            "-q",
            "--detach",
            w.to_str().unwrap(),
            base,
        ],
    );
    git_stdin(&w, &["apply", "--index", "-"], Some(patch));
    let tree = git(&w, &["write-tree"]).trim().to_owned();
    git(
        repo,
        &["worktree", "remove", "--force", w.to_str().unwrap()],
    );
    tree
}

fn patch_of(repo: &Path, base: &str, target: &str) -> String {
    diff_commits(repo, base, target)
        .unwrap()
        .unwrap()
        .into_iter()
        .map(|f| f.text)
        .collect()
}

fn lines(n: usize, tag: &str) -> String {
    (0..n).map(|i| format!("{tag} line {i}\n")).collect()
}

#[test]
fn diff_of_every_kind_of_change_applies_to_the_target_tree() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path();
    git(repo, &["init", "-q", "-b", "main"]);
    write(repo, "keep.py", &lines(40, "keep"));
    write(repo, "edit.py", &lines(60, "edit"));
    write(repo, "gone.py", "bye\n");
    write(repo, "nonl.txt", "a\nb\nc");
    write(repo, "addnl.txt", "x\ny");
    write(repo, "exec.sh", "#!/bin/sh\necho hi\n");
    write(repo, "both.sh", "#!/bin/sh\necho one\n");
    write(repo, "becomes_link", "plain file\n");
    write(repo, "empty_gone", "");
    write(repo, "dir/deep/mod.py", &lines(5, "deep"));
    write(repo, "was_dir/inner.py", "inner\n");
    std::os::unix::fs::symlink("keep.py", repo.join("link")).unwrap();
    let base = commit(repo, "base");

    let mut edit: Vec<String> = lines(60, "edit").lines().map(str::to_owned).collect();
    edit[2] = "changed near the top".to_owned();
    edit.insert(30, "inserted in the middle".to_owned());
    edit.remove(45);
    edit[58] = "changed at the end".to_owned();
    write(repo, "edit.py", &(edit.join("\n") + "\n"));
    std::fs::remove_file(repo.join("gone.py")).unwrap();
    write(repo, "nonl.txt", "a\nB\nc");
    write(repo, "addnl.txt", "x\ny\n");
    std::fs::set_permissions(repo.join("exec.sh"), PermissionsExt::from_mode(0o755)).unwrap();
    write(repo, "both.sh", "#!/bin/sh\necho two\n");
    std::fs::set_permissions(repo.join("both.sh"), PermissionsExt::from_mode(0o755)).unwrap();
    std::fs::remove_file(repo.join("becomes_link")).unwrap();
    std::os::unix::fs::symlink("keep.py", repo.join("becomes_link")).unwrap();
    std::fs::remove_file(repo.join("link")).unwrap();
    std::os::unix::fs::symlink("edit.py", repo.join("link")).unwrap();
    std::fs::remove_file(repo.join("empty_gone")).unwrap();
    write(repo, "new empty", "");
    write(repo, "dir/deep/new.py", &lines(3, "new"));
    write(repo, "with \"quote\" and ü.py", "odd path\n");
    std::fs::remove_dir_all(repo.join("was_dir")).unwrap();
    write(repo, "was_dir", "now a file\n");
    let target = commit(repo, "target");

    let patch = patch_of(repo, &base, &target);
    assert_eq!(
        applied_tree(repo, &base, &patch),
        tree_of(repo, &target),
        "{patch}"
    );
    // The same files as git's own diff, in git's header shapes.
    let git_patch = git(
        repo,
        &["diff", "--full-index", "--no-renames", &base, &target],
    );
    let headers = |p: &str| -> Vec<String> {
        p.lines()
            .filter(|l| l.starts_with("diff --git") || l.contains(" mode "))
            .map(str::to_owned)
            .collect()
    };
    let mut ours = headers(&patch);
    let mut theirs = headers(&git_patch);
    ours.sort();
    theirs.sort();
    assert_eq!(ours, theirs);
    // Hunks where Myers and xdiff agree: the edited file's part is byte for byte git's, but for
    // the function context git writes after a hunk header (optional; `git apply` ignores it).
    let part = |p: &str, name: &str| -> String {
        p.split_inclusive('\n')
            .map(
                |l| match l.strip_prefix("@@ ").and_then(|r| r.split_once(" @@")) {
                    Some((ranges, _)) => format!("@@ {ranges} @@\n"),
                    None => l.to_owned(),
                },
            )
            .skip_while(|l| *l != format!("diff --git a/{name} b/{name}\n"))
            .take_while({
                let mut first = true;
                move |l| std::mem::take(&mut first) || !l.starts_with("diff --git")
            })
            .collect()
    };
    for name in ["edit.py", "nonl.txt", "addnl.txt", "dir/deep/new.py"] {
        assert_eq!(part(&patch, name), part(&git_patch, name), "{name}");
    }
}

/// A small deterministic generator (xorshift), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[test]
fn random_edits_diff_to_patches_that_git_applies_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path();
    git(repo, &["init", "-q", "-b", "main"]);
    let mut rng = Rng(0x5eed_1e60);
    // Few distinct lines, so there are many equal lines to align (the hard case for a diff).
    let vocab = ["a\n", "b\n", "c\n", "}\n", "\n", "return x\n", "pass\n"];
    let mut files: Vec<Vec<&str>> = (0..12)
        .map(|_| {
            (0..rng.below(80))
                .map(|_| vocab[rng.below(vocab.len())])
                .collect()
        })
        .collect();
    let save = |files: &Vec<Vec<&str>>| {
        for (i, f) in files.iter().enumerate() {
            write(repo, &format!("f{i}.txt"), &f.concat());
        }
    };
    save(&files);
    let mut prev = commit(repo, "0");
    for round in 1..=20 {
        for f in files.iter_mut() {
            for _ in 0..rng.below(12) {
                match rng.below(3) {
                    0 if !f.is_empty() => {
                        let i = rng.below(f.len());
                        f.remove(i);
                    }
                    1 if !f.is_empty() => {
                        let i = rng.below(f.len());
                        f[i] = vocab[rng.below(vocab.len())];
                    }
                    _ => {
                        let i = rng.below(f.len() + 1);
                        f.insert(i, vocab[rng.below(vocab.len())]);
                    }
                }
            }
        }
        save(&files);
        let next = commit(repo, &round.to_string());
        let patch = patch_of(repo, &prev, &next);
        assert_eq!(
            applied_tree(repo, &prev, &patch),
            tree_of(repo, &next),
            "round {round}:\n{patch}"
        );
        // Minimal, as git's: never more changed lines than git's own diff.
        let count = |p: &str| {
            p.lines()
                .filter(|l| {
                    (l.starts_with('+') || l.starts_with('-'))
                        && !l.starts_with("+++")
                        && !l.starts_with("---")
                })
                .count()
        };
        let git_patch = git(repo, &["diff", "--full-index", "--minimal", &prev, &next]);
        assert_eq!(count(&patch), count(&git_patch), "round {round}");
        prev = next;
    }
}

#[test]
fn binary_and_submodule_changes_are_refused_with_their_path() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path();
    git(repo, &["init", "-q", "-b", "main"]);
    write(repo, "a.py", "a\n");
    let base = commit(repo, "base");
    std::fs::write(repo.join("blob.bin"), b"\x00\x01\x02").unwrap();
    let target = commit(repo, "binary");
    let got = diff_commits(repo, &base, &target).unwrap();
    assert_eq!(
        got.unwrap_err(),
        Rejection::Unsupported {
            path: "blob.bin".to_owned(),
            what: "binary file".to_owned()
        }
    );
    let sub = format!("160000,{base},vendor/lib");
    git(repo, &["update-index", "--add", "--cacheinfo", &sub]);
    git(repo, &["commit", "-q", "-m", "submodule"]);
    let with_sub = git(repo, &["rev-parse", "HEAD"]).trim().to_owned();
    assert_eq!(
        diff_commits(repo, &target, &with_sub).unwrap().unwrap_err(),
        Rejection::Unsupported {
            path: "vendor/lib".to_owned(),
            what: "submodule".to_owned()
        }
    );
}

fn pr(base: &str, merge: &str, issues: bool) -> PullRequest {
    PullRequest {
        number: 7,
        title: "Fix sub".to_owned(),
        body: None,
        base: GitRef {
            sha: base.to_owned(),
            branch: Some("main".to_owned()),
            repo: None,
        },
        merge_commit_sha: Some(merge.to_owned()),
        created_at: Some("2024-01-01T00:00:00Z".to_owned()),
        merged_at: None,
        issues: if issues {
            vec![LinkedIssue {
                number: 6,
                title: "sub adds".to_owned(),
                body: Some("sub(2, 1) gives 3".to_owned()),
            }]
        } else {
            Vec::new()
        },
        diff: None,
        extra: Default::default(),
    }
}

#[test]
fn a_pull_request_splits_into_code_and_test_patch_and_is_filtered() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("calc");
    std::fs::create_dir(&repo).unwrap();
    git(&repo, &["init", "-q", "-b", "main"]);
    write(&repo, "calc.py", "def sub(a, b):\n    return a + b\n");
    write(&repo, "tests/test_calc.py", "");
    let base = commit(&repo, "base");
    write(&repo, "calc.py", "def sub(a, b):\n    return a - b\n");
    write(&repo, "CHANGES", "fixed sub\n");
    write(
        &repo,
        "tests/test_calc.py",
        "from calc import sub\n\ndef test_sub():\n    assert sub(2, 1) == 1\n",
    );
    write(&repo, "pkg/conftest.py", "");
    let merge = commit(&repo, "fix");
    let only_code = {
        write(&repo, "calc.py", "def sub(a, b):\n    return -(b - a)\n");
        commit(&repo, "refactor")
    };

    let options = MineOptions::default();
    let task = candidate_task(&repo, &pr(&base, &merge, true), &options)
        .unwrap()
        .unwrap();
    assert_eq!(task.instance_id, "calc-7");
    assert_eq!(task.base_commit, base);
    assert_eq!(task.problem_statement, "sub adds\nsub(2, 1) gives 3\n");
    assert_eq!(diff_files(&task.patch), ["CHANGES", "calc.py"]);
    assert_eq!(
        diff_files(&task.test_patch),
        ["pkg/conftest.py", "tests/test_calc.py"]
    );
    assert_eq!(task.extra["pull_number"], 7);
    // The two halves together are the whole diff: applying both gives the merge's tree.
    assert_eq!(
        applied_tree(&repo, &base, &(task.patch.clone() + &task.test_patch)),
        tree_of(&repo, &merge)
    );

    let reject = |pr: PullRequest, options: &MineOptions| {
        candidate_task(&repo, &pr, options).unwrap().unwrap_err()
    };
    assert_eq!(
        reject(pr(&base, &merge, false), &options),
        Rejection::NoLinkedIssue
    );
    assert_eq!(
        reject(pr(&merge, &only_code, true), &options),
        Rejection::NoTestChange
    );
    assert_eq!(
        reject(pr(&base, &"f".repeat(40), true), &options),
        Rejection::UnknownCommit {
            sha: "f".repeat(40)
        }
    );
    let small = MineOptions {
        max_files: Some(1),
        ..MineOptions::default()
    };
    assert_eq!(
        reject(pr(&base, &merge, true), &small),
        Rejection::TooManyFiles { files: 2, max: 1 }
    );
    let tiny = MineOptions {
        max_lines: Some(2),
        ..MineOptions::default()
    };
    assert_eq!(
        reject(pr(&base, &merge, true), &tiny),
        Rejection::TooManyLines { lines: 3, max: 2 }
    );
    // Everything a test: no code change.
    let all_tests = MineOptions {
        test_patterns: TestPatterns::new(["*"]).unwrap(),
        ..MineOptions::default()
    };
    assert_eq!(
        reject(pr(&base, &merge, true), &all_tests),
        Rejection::NoCodeChange
    );
    // A diff given as text is split the same way.
    let mut given = pr(&base, &merge, true);
    given.diff = Some(git(&repo, &["diff", &base, &merge]));
    given.merge_commit_sha = None;
    let from_text = candidate_task(&repo, &given, &options).unwrap().unwrap();
    assert_eq!(
        split_patch(&from_text.patch, &options.test_patterns).code_files,
        ["CHANGES", "calc.py"]
    );
}

/// The `diff --git` file names of a patch.
fn diff_files(patch: &str) -> Vec<String> {
    patch
        .lines()
        .filter_map(|l| l.strip_prefix("diff --git a/"))
        .map(|l| l.split_once(" b/").unwrap().1.to_owned())
        .collect()
}

#[test]
fn pull_requests_read_in_githubs_shape() {
    let text = r#"{"number": 289, "title": "Add assertNotRegex", "body": null,
        "base": {"sha": "abc", "ref": "master", "repo": {"full_name": "benjaminp/six"}},
        "merge_commit_sha": "def", "state": "closed", "user": {"login": "x"},
        "issues": [{"number": 288, "title": "t", "body": null}]}"#;
    let pr: PullRequest = serde_json::from_str(text).unwrap();
    assert_eq!(pr.base.repo.as_ref().unwrap().full_name, "benjaminp/six");
    assert_eq!(pr.extra["state"], "closed");
    assert_eq!(
        lego_data::instance_id("benjaminp/six", pr.number),
        "benjaminp__six-289"
    );
}
