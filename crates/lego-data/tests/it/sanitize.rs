//! History sanitisation against real `git`: a repository with every kind of future leak, each
//! carrying a marker, sanitised and then searched by git itself and byte by byte.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use lego_data::{SanitizeMode, SanitizeOptions, sanitize_repo};

const MARKER: &str = "FUTURE-MARKER-";
const MARKERS: usize = 12;

/// Run git in `dir` with a clean environment (no user or system config), returning stdout.
fn git(dir: &Path, args: &[&str]) -> String {
    String::from_utf8(git_bytes(dir, args)).unwrap()
}

fn git_bytes(dir: &Path, args: &[&str]) -> Vec<u8> {
    let out = git_cmd(dir, args).output().unwrap();
    assert!(
        out.status.success(),
        "git {args:?} in {} failed: {}",
        dir.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn git_cmd(dir: &Path, args: &[&str]) -> Command {
    let mut c = Command::new("git");
    c.current_dir(dir)
        .args(args)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", "Dev")
        .env("GIT_AUTHOR_EMAIL", "dev@example.invalid")
        .env("GIT_COMMITTER_NAME", "Dev")
        .env("GIT_COMMITTER_EMAIL", "dev@example.invalid")
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE");
    c
}

fn write(dir: &Path, rel: &str, text: &str) {
    let path = dir.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn commit(dir: &Path, msg: &str) -> String {
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", msg]);
    git(dir, &["rev-parse", "HEAD"]).trim().to_owned()
}

fn marker(n: usize) -> String {
    // Two digits: no marker is a prefix of another.
    format!("{MARKER}{n:02}")
}

/// A source repository: three commits up to the base, then every kind of later leak, each with
/// its own marker. Returns the source and the base commit.
fn leaky_source(root: &Path) -> (PathBuf, String) {
    let src = root.join("src");
    std::fs::create_dir_all(&src).unwrap();
    git(&src, &["init", "-q", "-b", "main"]);

    write(&src, "README.md", "# project\n");
    write(&src, "blame.txt", "one\ntwo\n");
    write(&src, "pkg/mod.py", "def f():\n    return 1\n");
    commit(&src, "first");
    git(&src, &["tag", "v0.1"]);
    write(&src, "blame.txt", "one\ntwo\nthree\n");
    write(&src, "run.sh", "#!/bin/sh\necho hi\n");
    std::fs::set_permissions(
        src.join("run.sh"),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    std::os::unix::fs::symlink("README.md", src.join("link")).unwrap();
    std::os::unix::fs::symlink("pkg", src.join("pkglink")).unwrap();
    write(&src, "pkg/deep/er/file.txt", "deep\n");
    commit(&src, "second");
    write(&src, "blame.txt", "zero\none\ntwo\nthree\n");
    let base = commit(&src, "third: the base");

    // 1: a later commit on main (blob and message). 2: an annotated tag on it. 3: a lightweight
    // tag whose name is the marker.
    write(&src, "future.txt", &format!("{}\n", marker(1)));
    let f1 = commit(&src, &format!("fix, see {}", marker(1)));
    git(&src, &["tag", "-a", "v2.0", "-m", &marker(2)]);
    git(&src, &["tag", &marker(3), &f1]);
    // 4: a branch with its own commit.
    git(&src, &["checkout", "-q", "-b", "feature"]);
    write(&src, "feature.txt", &marker(4));
    commit(&src, "feature");
    git(&src, &["checkout", "-q", "main"]);
    // 5: a stash.
    write(&src, "README.md", &marker(5));
    git(&src, &["stash", "-q"]);
    // 6: a note, on the base commit itself but written later.
    git(&src, &["notes", "add", "-m", &marker(6), &base]);
    // 7: a remote whose URL carries a marker; 8: a remote-tracking ref to a commit of its own.
    git(
        &src,
        &[
            "remote",
            "add",
            "origin",
            &format!("https://example.invalid/{}.git", marker(7)),
        ],
    );
    let blob = git_stdin(&src, &["hash-object", "-w", "--stdin"], &marker(8));
    let tree = git_stdin(
        &src,
        &["mktree"],
        &format!("100644 blob {blob}\tupstream.txt\n"),
    );
    let upstream = git(&src, &["commit-tree", &tree, "-p", &f1, "-m", "upstream"]);
    git(
        &src,
        &["update-ref", "refs/remotes/origin/main", upstream.trim()],
    );
    // 9: a commit only the reflog and ORIG_HEAD remember.
    write(&src, "undone.txt", &marker(9));
    commit(&src, "undone");
    git(&src, &["reset", "-q", "--hard", "HEAD~1"]);
    // 10: FETCH_HEAD naming a marker.
    write(
        &src,
        ".git/FETCH_HEAD",
        &format!(
            "{f1}\t\tbranch '{}' of https://example.invalid/x\n",
            marker(10)
        ),
    );
    // Everything into packs and packed-refs; then 11: an unreachable loose blob, and 12: an
    // unreachable loose commit.
    git(&src, &["pack-refs", "--all"]);
    git(&src, &["gc", "-q"]);
    git_stdin(&src, &["hash-object", "-w", "--stdin"], &marker(11));
    let lost = git(&src, &["commit-tree", &tree, "-m", &marker(12)]);
    assert!(!lost.trim().is_empty());
    assert!(src.join(".git/packed-refs").is_file());
    assert!(src.join(".git/ORIG_HEAD").is_file());
    (src, base)
}

fn git_stdin(dir: &Path, args: &[&str], input: &str) -> String {
    use std::io::Write as _;
    let mut child = git_cmd(dir, args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "git {args:?} failed");
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

fn sanitize(src: &Path, base: &str, out: &Path, mode: SanitizeMode) -> lego_data::SanitizeReport {
    let opts = SanitizeOptions {
        mode,
        ..SanitizeOptions::default()
    };
    sanitize_repo(src, base, out, &opts).unwrap()
}

/// Every place a marker could hide in `out`, as one text: every object git can list, every file
/// under `.git` as raw bytes, and what the history and fsck commands print.
fn everything_git_can_find(out: &Path) -> String {
    let mut all = Vec::new();
    all.extend(git_bytes(
        out,
        &["cat-file", "--batch-all-objects", "--batch"],
    ));
    for args in [
        &["log", "--all", "--reflog", "-p", "--format=%H %B"][..],
        &["for-each-ref"],
        &["reflog", "--all"],
        &["stash", "list"],
        &["notes", "list"],
        &["remote", "-v"],
        &["config", "--list", "--local"],
        &["fsck", "--lost-found", "--unreachable", "--no-reflogs"],
    ] {
        all.extend(git_bytes(out, args));
    }
    for file in files_under(&out.join(".git")) {
        if file.is_file() {
            all.extend(std::fs::read(&file).unwrap());
        }
    }
    String::from_utf8_lossy(&all).into_owned()
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            let meta = std::fs::symlink_metadata(&path).unwrap();
            if meta.is_dir() {
                stack.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files
}

fn markers_in(text: &str) -> BTreeSet<usize> {
    (1..=MARKERS)
        .filter(|&n| text.contains(&marker(n)))
        .collect()
}

/// The working tree of `out` is exactly `base`'s tree in `src`: the same paths, contents, modes
/// and symlink targets, nothing more; and git agrees it is clean.
fn assert_worktree_is_base(src: &Path, base: &str, out: &Path) {
    let listing = git(src, &["ls-tree", "-r", "--full-tree", base]);
    let mut expected = BTreeSet::new();
    for line in listing.lines() {
        let (meta, path) = line.split_once('\t').unwrap();
        let fields: Vec<&str> = meta.split(' ').collect();
        let (mode, id) = (fields[0], fields[2]);
        let content = git_bytes(src, &["cat-file", "blob", id]);
        let file = out.join(path);
        let meta = std::fs::symlink_metadata(&file).unwrap();
        match mode {
            "120000" => {
                assert!(meta.file_type().is_symlink(), "{path} is not a symlink");
                let target = std::fs::read_link(&file).unwrap();
                assert_eq!(
                    target.as_os_str().as_encoded_bytes(),
                    &content[..],
                    "{path}"
                );
            }
            "100755" | "100644" => {
                use std::os::unix::fs::PermissionsExt as _;
                assert!(meta.is_file(), "{path} is not a file");
                let exec = meta.permissions().mode() & 0o111 != 0;
                assert_eq!(exec, mode == "100755", "executable bit of {path}");
                assert_eq!(std::fs::read(&file).unwrap(), content, "{path}");
            }
            other => panic!("unexpected mode {other} in the fixture"),
        }
        expected.insert(PathBuf::from(path));
    }
    let actual: BTreeSet<PathBuf> = files_under(out)
        .into_iter()
        .map(|p| p.strip_prefix(out).unwrap().to_owned())
        .filter(|p| !p.starts_with(".git"))
        .collect();
    assert_eq!(actual, expected, "files of the working tree");
    assert_eq!(git(out, &["status", "--porcelain", "--ignored"]), "");
    // The index holds exactly the tree.
    assert_eq!(
        git(out, &["write-tree"]).trim(),
        git(src, &["rev-parse", &format!("{base}^{{tree}}")]).trim()
    );
}

/// The object database of `out` holds exactly what `head` reaches, and nothing is dangling.
fn assert_only_reachable_objects(out: &Path) {
    let all: BTreeSet<String> = git(
        out,
        &[
            "cat-file",
            "--batch-all-objects",
            "--batch-check=%(objectname)",
        ],
    )
    .lines()
    .map(str::to_owned)
    .collect();
    let reachable: BTreeSet<String> = git(out, &["rev-list", "--objects", "--all"])
        .lines()
        .map(|l| l.split(' ').next().unwrap().to_owned())
        .collect();
    assert_eq!(all, reachable);
    let fsck = git(
        out,
        &["fsck", "--full", "--strict", "--unreachable", "--dangling"],
    );
    assert_eq!(fsck.trim(), "", "fsck: {fsck}");
    assert_eq!(
        git(out, &["for-each-ref", "--format=%(refname)"]),
        "refs/heads/main\n"
    );
    assert_eq!(
        git(out, &["symbolic-ref", "HEAD"]).trim(),
        "refs/heads/main"
    );
}

#[test]
fn the_fixture_leaks_every_marker() {
    // The search must be able to fail: the source itself shows every marker.
    let dir = tempfile::tempdir().unwrap();
    let (src, _) = leaky_source(dir.path());
    let found = everything_git_can_find(&src);
    assert_eq!(markers_in(&found), (1..=MARKERS).collect());
}

#[test]
fn squash_leaves_one_commit_with_the_base_tree_and_no_marker() {
    let dir = tempfile::tempdir().unwrap();
    let (src, base) = leaky_source(dir.path());
    let out = dir.path().join("out");
    let report = sanitize(&src, &base, &out, SanitizeMode::Squash);
    assert_eq!(report.base, base);
    assert_eq!(report.commits, 1);
    assert_eq!(report.branch.as_deref(), Some("main"));

    assert_eq!(markers_in(&everything_git_can_find(&out)), BTreeSet::new());
    assert_only_reachable_objects(&out);
    assert_worktree_is_base(&src, &base, &out);
    let log = git(&out, &["log", "--format=%H|%P|%an <%ae>|%cn|%s|%ct"]);
    let base_time = git(&src, &["log", "-1", "--format=%ct", &base]);
    assert_eq!(
        log,
        format!(
            "{}||lego <lego@localhost>|lego|Initial commit|{}",
            report.head, base_time
        )
    );
    // Deterministic: the same base gives the same commit. An existing empty output is fine.
    let again = dir.path().join("again");
    std::fs::create_dir(&again).unwrap();
    assert_eq!(
        sanitize(&src, &base, &again, SanitizeMode::Squash).head,
        report.head
    );
}

#[test]
fn truncate_keeps_exactly_the_ancestry_of_the_base_and_no_marker() {
    let dir = tempfile::tempdir().unwrap();
    let (src, base) = leaky_source(dir.path());
    let out = dir.path().join("out");
    let report = sanitize(&src, "HEAD~1", &out, SanitizeMode::Truncate);
    // `HEAD~1` in the source is the base (HEAD is the commit after it).
    assert_eq!(report.head, base);
    assert_eq!(report.commits, 3);

    assert_eq!(markers_in(&everything_git_can_find(&out)), BTreeSet::new());
    assert_only_reachable_objects(&out);
    assert_worktree_is_base(&src, &base, &out);
    assert_eq!(
        git(&out, &["log", "--format=%H %s"]),
        git(&src, &["log", "--format=%H %s", &base])
    );
    let all_objects = |dir: &Path, rev: &str| -> BTreeSet<String> {
        git(dir, &["rev-list", "--objects", rev])
            .lines()
            .map(|l| l.split(' ').next().unwrap().to_owned())
            .collect()
    };
    assert_eq!(all_objects(&out, "HEAD"), all_objects(&src, &base));
    assert_eq!(report.objects, all_objects(&src, &base).len());
    // blame still tells who wrote which line, as in the source at the base.
    assert_eq!(
        git(&out, &["blame", "-s", "blame.txt"]),
        git(&src, &["blame", "-s", &base, "--", "blame.txt"])
    );
}

#[test]
fn keep_mode_leaks_the_markers() {
    let dir = tempfile::tempdir().unwrap();
    let (src, base) = leaky_source(dir.path());
    let out = dir.path().join("out");
    let report = sanitize(&src, &base, &out, SanitizeMode::Keep);
    assert_eq!(report.branch, None);
    assert_eq!(
        markers_in(&everything_git_can_find(&out)),
        (1..=MARKERS).collect()
    );
    assert_eq!(git(&out, &["rev-parse", "HEAD"]).trim(), base);
    assert_worktree_is_base(&src, &base, &out);
}

#[test]
fn a_bare_source_works_in_every_mode() {
    let dir = tempfile::tempdir().unwrap();
    let (src, base) = leaky_source(dir.path());
    let bare = dir.path().join("bare.git");
    git(
        dir.path(),
        &[
            "clone",
            "-q",
            "--bare",
            src.to_str().unwrap(),
            bare.to_str().unwrap(),
        ],
    );
    for mode in [
        SanitizeMode::Squash,
        SanitizeMode::Truncate,
        SanitizeMode::Keep,
    ] {
        let out = dir.path().join(mode.as_str());
        sanitize(&bare, &base, &out, mode);
        assert_worktree_is_base(&src, &base, &out);
    }
}

#[test]
fn bad_inputs_are_one_line_errors_naming_them() {
    let dir = tempfile::tempdir().unwrap();
    let (src, base) = leaky_source(dir.path());
    let opts = SanitizeOptions::default();
    let chain = |e: lego_data::Error| {
        let mut text = e.to_string();
        let mut source = std::error::Error::source(&e);
        while let Some(s) = source {
            text.push_str(": ");
            text.push_str(&s.to_string());
            source = s.source();
        }
        text
    };

    let err = chain(sanitize_repo(&src, "no-such-rev", &dir.path().join("o1"), &opts).unwrap_err());
    assert!(
        err.contains("`no-such-rev`") && err.contains(&src.display().to_string()),
        "{err}"
    );
    // A blob is not a commit.
    let blob = git(&src, &["rev-parse", &format!("{base}:README.md")]);
    let err = chain(sanitize_repo(&src, blob.trim(), &dir.path().join("o2"), &opts).unwrap_err());
    assert!(err.contains("does not resolve to a commit"), "{err}");

    let not_repo = dir.path().join("plain");
    std::fs::create_dir(&not_repo).unwrap();
    let err = chain(sanitize_repo(&not_repo, &base, &dir.path().join("o3"), &opts).unwrap_err());
    assert!(
        err.starts_with(&format!("{} is not a git repository", not_repo.display())),
        "{err}"
    );

    let full = dir.path().join("full");
    write(&full, "x", "x");
    let err = chain(sanitize_repo(&src, &base, &full, &opts).unwrap_err());
    assert_eq!(
        err,
        format!(
            "output directory {} exists and is not empty",
            full.display()
        )
    );
}
