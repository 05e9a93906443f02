//! Real tasks from merged pull requests: the record of a pull request, its diff split into the
//! code patch and the test patch, and the filters a candidate must pass before it is worth
//! running (validation, which runs tests, is `lego-sandbox`'s `validate`).
//!
//! A [`PullRequest`] is read in the shape GitHub's REST API gives a pull request
//! (`GET /repos/{owner}/{repo}/pulls/{number}`), trimmed to what mining uses, plus the issues it
//! resolves (`issues`, which GitHub gives through other endpoints; SWE-bench collects them the
//! same way):
//!
//! ```json
//! {"number": 289, "title": "Add assertNotRegex", "body": "Fixes #288",
//!  "base": {"sha": "3a3db75…", "ref": "master", "repo": {"full_name": "benjaminp/six"}},
//!  "merge_commit_sha": "c0be881…", "created_at": "2019-12-01T00:00:00Z",
//!  "issues": [{"number": 288, "title": "assertNotRegex is missing", "body": "…"}]}
//! ```
//!
//! Fields GitHub gives and mining does not use are kept in `extra`. An optional `diff` field
//! holding the pull request's unified diff as text (GitHub's `.diff`) is used as it is; without
//! it the diff is computed from the local clone, base commit to merge commit.

use std::path::Path;

use regex::Regex;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::schema::{Task, TaskSource};

mod diff;

pub use diff::FileDiff;

/// A merged pull request, as GitHub's API gives it, with the issues it resolves.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PullRequest {
    /// The pull request number.
    pub number: u64,
    /// The pull request title.
    #[serde(default)]
    pub title: String,
    /// GitHub gives `null` for an empty description.
    #[serde(default)]
    pub body: Option<String>,
    /// The branch the pull request was merged into, at the commit it started from.
    pub base: GitRef,
    /// The commit the merge made (GitHub's test-merge commit while open, `null` when not
    /// mergeable).
    #[serde(default)]
    pub merge_commit_sha: Option<String>,
    /// When it was opened (ISO 8601), as GitHub gives it.
    #[serde(default)]
    pub created_at: Option<String>,
    /// When it was merged (ISO 8601); `None` when it was not.
    #[serde(default)]
    pub merged_at: Option<String>,
    /// The issues the pull request resolves ("Fixes #N"): their text is the task's problem
    /// statement.
    #[serde(default)]
    pub issues: Vec<LinkedIssue>,
    /// The unified diff of the pull request, when the record carries it (GitHub's `.diff`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub diff: Option<String>,
    /// The rest of GitHub's fields, kept as they came.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `base` (or `head`) of a pull request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GitRef {
    /// The commit (hex).
    pub sha: String,
    /// The branch name.
    #[serde(rename = "ref", default, skip_serializing_if = "Option::is_none")]
    pub branch: Option<String>,
    /// The repository the branch lives in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repo: Option<RepoRef>,
}

/// The repository of a [`GitRef`], as GitHub names it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RepoRef {
    /// `owner/name`.
    pub full_name: String,
}

/// An issue a pull request resolves, as GitHub's issues API gives it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LinkedIssue {
    /// The issue number.
    pub number: u64,
    /// The issue title.
    #[serde(default)]
    pub title: String,
    /// The issue text; GitHub gives `null` for an empty one.
    #[serde(default)]
    pub body: Option<String>,
}

/// The default test paths: a `tests` or `test` directory anywhere, `test_*.py`, `*_test.py`,
/// `conftest.py`.
pub const DEFAULT_TEST_PATTERNS: [&str; 5] =
    ["tests/", "test/", "test_*.py", "*_test.py", "conftest.py"];

/// Which paths of a diff belong to the test patch.
///
/// A pattern is a glob (`*` any characters but `/`, `**` any characters, `?` one character):
/// - ending in `/`, it names a directory: a path with such a directory component is a test
///   (`tests/` takes `tests/a.py` and `pkg/tests/data/x.json`);
/// - holding a `/` otherwise, it matches the whole path (`src/**/fixtures/*.py`);
/// - else it matches the file name (`test_*.py`).
#[derive(Debug, Clone)]
pub struct TestPatterns {
    patterns: Vec<String>,
    dirs: Vec<Regex>,
    paths: Vec<Regex>,
    names: Vec<Regex>,
}

impl Default for TestPatterns {
    fn default() -> Self {
        TestPatterns::new(DEFAULT_TEST_PATTERNS).expect("the default patterns are valid")
    }
}

impl TestPatterns {
    /// Compiles `patterns` (globs as described above); fails on one that does not compile.
    pub fn new<S: AsRef<str>>(patterns: impl IntoIterator<Item = S>) -> Result<Self> {
        let mut out = TestPatterns {
            patterns: Vec::new(),
            dirs: Vec::new(),
            paths: Vec::new(),
            names: Vec::new(),
        };
        for pattern in patterns {
            let pattern = pattern.as_ref();
            if pattern.is_empty() || pattern == "/" {
                return Err(Error::invalid("test pattern", "an empty pattern"));
            }
            out.patterns.push(pattern.to_owned());
            if let Some(dir) = pattern.strip_suffix('/') {
                out.dirs.push(glob(dir)?);
            } else if pattern.contains('/') {
                out.paths.push(glob(pattern.trim_start_matches('/'))?);
            } else {
                out.names.push(glob(pattern)?);
            }
        }
        Ok(out)
    }

    /// The patterns as given.
    pub fn patterns(&self) -> &[String] {
        &self.patterns
    }

    /// Whether `path` (`/`-separated, relative to the repository root) is a test path.
    pub fn is_test(&self, path: &str) -> bool {
        let mut components: Vec<&str> = path.split('/').collect();
        let name = components.pop().unwrap_or_default();
        self.names.iter().any(|r| r.is_match(name))
            || self.paths.iter().any(|r| r.is_match(path))
            || components
                .iter()
                .any(|c| self.dirs.iter().any(|r| r.is_match(c)))
    }
}

/// A glob as an anchored regex.
fn glob(pattern: &str) -> Result<Regex> {
    let mut re = String::from("^");
    let mut chars = pattern.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '*' if chars.peek() == Some(&'*') => {
                chars.next();
                // `**/` also matches no directory at all.
                if chars.peek() == Some(&'/') {
                    chars.next();
                    re.push_str("(?:.*/)?");
                } else {
                    re.push_str(".*");
                }
            }
            '*' => re.push_str("[^/]*"),
            '?' => re.push_str("[^/]"),
            c => re.push_str(&regex::escape(&c.to_string())),
        }
    }
    re.push('$');
    Regex::new(&re).map_err(|e| Error::invalid(format!("test pattern `{pattern}`"), e.to_string()))
}

/// A pull request's diff cut in two by path.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SplitPatch {
    /// The changes to everything that is not a test: the gold patch.
    pub code: String,
    /// The changes to test paths.
    pub test: String,
    /// Paths the code patch changes.
    pub code_files: Vec<String>,
    /// Paths the test patch changes.
    pub test_files: Vec<String>,
    /// Lines added plus lines removed in the code patch.
    pub code_lines: usize,
    /// Lines added plus lines removed in the test patch.
    pub test_lines: usize,
}

/// Cuts a unified diff in git's format into per-file parts (each from its `diff --git` line)
/// and sends each to the code or the test patch by its path.
pub fn split_patch(patch: &str, patterns: &TestPatterns) -> SplitPatch {
    let mut split = SplitPatch::default();
    for part in file_parts(patch) {
        let (added, removed) = count_lines(part);
        match part_path(part) {
            Some(path) if patterns.is_test(&path) => {
                split.test.push_str(part);
                split.test_files.push(path);
                split.test_lines += added + removed;
            }
            path => {
                split.code.push_str(part);
                split.code_files.push(path.unwrap_or_default());
                split.code_lines += added + removed;
            }
        }
    }
    split
}

/// The per-file parts of a git diff, each ending with its newline. Text before the first
/// `diff --git` line (a commit message of a `format-patch` mail) is dropped.
fn file_parts(patch: &str) -> Vec<&str> {
    let mut starts: Vec<usize> = Vec::new();
    let mut offset = 0;
    for line in patch.split_inclusive('\n') {
        if line.starts_with("diff --git ") {
            starts.push(offset);
        }
        offset += line.len();
    }
    let mut parts = Vec::with_capacity(starts.len());
    for (i, &start) in starts.iter().enumerate() {
        let end = starts.get(i + 1).copied().unwrap_or(patch.len());
        parts.push(&patch[start..end]);
    }
    parts
}

/// Lines added and removed by one file's part (hunk lines only, not the `---`/`+++` headers).
fn count_lines(part: &str) -> (usize, usize) {
    let (mut added, mut removed) = (0, 0);
    let mut in_hunk = false;
    for line in part.lines() {
        if line.starts_with("@@") {
            in_hunk = true;
        } else if in_hunk && line.starts_with('+') {
            added += 1;
        } else if in_hunk && line.starts_with('-') {
            removed += 1;
        }
    }
    (added, removed)
}

/// The path of one file's part: the `+++ b/` name, or the `--- a/` name of a deletion, or the
/// `diff --git` line's (which is ambiguous only for paths with ` b/` in them).
fn part_path(part: &str) -> Option<String> {
    let mut minus = None;
    for line in part.lines() {
        if line.starts_with("@@") {
            break;
        }
        if let Some(name) = line.strip_prefix("+++ ") {
            if name != "/dev/null" {
                return Some(unquote(name, "b/"));
            }
        } else if let Some(name) = line.strip_prefix("--- ")
            && name != "/dev/null"
        {
            minus = Some(unquote(name, "a/"));
        }
    }
    if minus.is_some() {
        return minus;
    }
    let header = part.lines().next()?.strip_prefix("diff --git ")?;
    if header.starts_with('"') {
        // `"a/x" "b/x"` or `a/x "b/x"`: the second quoted name.
        let at = header.rfind(" \"")?;
        return Some(unquote(&header[at + 1..], "b/"));
    }
    let (_, b) = header.split_once(" b/")?;
    Some(b.to_owned())
}

/// A header name without its `a/`/`b/` prefix, C-unquoted where git quoted it.
fn unquote(name: &str, prefix: &str) -> String {
    let name = name.trim_end_matches('\t');
    let Some(inner) = name.strip_prefix('"').and_then(|n| n.strip_suffix('"')) else {
        return name.strip_prefix(prefix).unwrap_or(name).to_owned();
    };
    let mut bytes = Vec::new();
    let mut chars = inner.bytes().peekable();
    while let Some(b) = chars.next() {
        if b != b'\\' {
            bytes.push(b);
            continue;
        }
        match chars.next() {
            Some(b'n') => bytes.push(b'\n'),
            Some(b't') => bytes.push(b'\t'),
            Some(b'r') => bytes.push(b'\r'),
            Some(b'a') => bytes.push(0x07),
            Some(b'b') => bytes.push(0x08),
            Some(b'v') => bytes.push(0x0b),
            Some(b'f') => bytes.push(0x0c),
            Some(d @ b'0'..=b'7') => {
                let mut v = u32::from(d - b'0');
                for _ in 0..2 {
                    if let Some(&d @ b'0'..=b'7') = chars.peek() {
                        v = v * 8 + u32::from(d - b'0');
                        chars.next();
                    }
                }
                bytes.push(u8::try_from(v).unwrap_or(b'?'));
            }
            Some(other) => bytes.push(other),
            None => bytes.push(b'\\'),
        }
    }
    let text = String::from_utf8_lossy(&bytes).into_owned();
    text.strip_prefix(prefix).map(str::to_owned).unwrap_or(text)
}

/// The unified diff from commit `base` to commit `target` of the repository at `repo`, in
/// `git diff --full-index` form, one [`FileDiff`] per path in path order; or why it cannot be a
/// text patch (a binary file, a submodule).
pub fn diff_commits(
    repo: &Path,
    base: &str,
    target: &str,
) -> Result<std::result::Result<Vec<FileDiff>, Rejection>> {
    let src = open(repo)?;
    let base_id = crate::sanitize::resolve_commit(&src, repo, base)?;
    let target_id = crate::sanitize::resolve_commit(&src, repo, target)?;
    Ok(
        diff::diff_commits(&src, base_id, target_id)?.map_err(|u| Rejection::Unsupported {
            path: u.path,
            what: u.what.to_owned(),
        }),
    )
}

fn open(repo: &Path) -> Result<gix::Repository> {
    gix::open_opts(repo, gix::open::Options::isolated()).map_err(|e| Error::NotARepository {
        path: repo.to_owned(),
        source: Box::new(e),
    })
}

/// The unified diff (hunks only) turning text `old` into text `new`, with three lines of
/// context, as `git diff` writes it below the `+++` line.
pub fn diff_text(old: &str, new: &str) -> String {
    let mut out = String::new();
    diff::hunks(old.as_bytes(), new.as_bytes(), &mut out);
    out
}

/// What mining asks of a pull request before its tests are run.
#[derive(Debug, Clone)]
pub struct MineOptions {
    /// Which paths are tests.
    pub test_patterns: TestPatterns,
    /// `owner/name` of the repository in instance ids; `None`: the record's
    /// `base.repo.full_name`, else the clone's directory name.
    pub repo_name: Option<String>,
    /// Keep only pull requests that resolve an issue (the problem statement is its text).
    pub require_issue: bool,
    /// Most files the code patch may touch.
    pub max_files: Option<usize>,
    /// Most lines (added plus removed) the code patch may change.
    pub max_lines: Option<usize>,
    /// The test command stored in the tasks (`None`: the runner's default, over the test
    /// patch's files).
    pub test_cmd: Option<String>,
    /// SWE-bench's log parser name stored in the tasks (`log_parser`), `None` for the
    /// repository's default.
    pub log_parser: Option<String>,
}

impl Default for MineOptions {
    fn default() -> Self {
        MineOptions {
            test_patterns: TestPatterns::default(),
            repo_name: None,
            require_issue: true,
            max_files: Some(20),
            max_lines: Some(1000),
            test_cmd: None,
            log_parser: None,
        }
    }
}

/// Why a pull request gives no task. [`Rejection::code`] is a stable snake_case name for
/// files; `Display` says it in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rejection {
    /// The record has no `merge_commit_sha` (not merged) and no `diff`.
    NotMerged,
    /// It names a commit the clone does not have.
    UnknownCommit {
        /// The commit named.
        sha: String,
    },
    /// It resolves no issue, so there is no problem statement.
    NoLinkedIssue,
    /// Its diff holds a change a text patch cannot carry.
    Unsupported {
        /// The file whose change cannot be carried.
        path: String,
        /// What kind of change it is (`binary file`, `submodule`).
        what: String,
    },
    /// It changes tests only.
    NoCodeChange,
    /// It changes no test.
    NoTestChange,
    /// The code patch touches more files than allowed.
    TooManyFiles {
        /// Files the code patch touches.
        files: usize,
        /// The most allowed.
        max: usize,
    },
    /// The code patch changes more lines than allowed.
    TooManyLines {
        /// Lines the code patch changes.
        lines: usize,
        /// The most allowed.
        max: usize,
    },
    /// Its tests gave no FAIL_TO_PASS test (validation).
    NoFailToPass,
    /// Its tests gave no PASS_TO_PASS test (validation, when one is required).
    NoPassToPass,
    /// The test patch does not apply to the base commit (validation).
    TestPatchDoesNotApply,
    /// The code patch does not apply over the test patch (validation).
    CodePatchDoesNotApply,
    /// A test run gave no result: timed out, lost its markers, or reported nothing (validation).
    NoTestResult {
        /// Which run (`before` or `after` the code patch).
        run: String,
        /// What went wrong with it.
        why: String,
    },
}

impl Rejection {
    /// The stable snake_case name of the rejection, for files and counts.
    pub fn code(&self) -> &'static str {
        match self {
            Rejection::NotMerged => "not_merged",
            Rejection::UnknownCommit { .. } => "unknown_commit",
            Rejection::NoLinkedIssue => "no_linked_issue",
            Rejection::Unsupported { .. } => "unsupported_change",
            Rejection::NoCodeChange => "no_code_change",
            Rejection::NoTestChange => "no_test_change",
            Rejection::TooManyFiles { .. } => "too_many_files",
            Rejection::TooManyLines { .. } => "too_many_lines",
            Rejection::NoFailToPass => "no_fail_to_pass",
            Rejection::NoPassToPass => "no_pass_to_pass",
            Rejection::TestPatchDoesNotApply => "test_patch_does_not_apply",
            Rejection::CodePatchDoesNotApply => "code_patch_does_not_apply",
            Rejection::NoTestResult { .. } => "no_test_result",
        }
    }
}

impl std::fmt::Display for Rejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Rejection::NotMerged => f.write_str("not merged (no merge_commit_sha)"),
            Rejection::UnknownCommit { sha } => write!(f, "commit {sha} is not in the clone"),
            Rejection::NoLinkedIssue => f.write_str("resolves no issue"),
            Rejection::Unsupported { path, what } => write!(f, "{path}: {what} change"),
            Rejection::NoCodeChange => f.write_str("changes tests only"),
            Rejection::NoTestChange => f.write_str("changes no test"),
            Rejection::TooManyFiles { files, max } => {
                write!(f, "code patch touches {files} files (at most {max})")
            }
            Rejection::TooManyLines { lines, max } => {
                write!(f, "code patch changes {lines} lines (at most {max})")
            }
            Rejection::NoFailToPass => f.write_str("no test fails before and passes after"),
            Rejection::NoPassToPass => f.write_str("no test passes both before and after"),
            Rejection::TestPatchDoesNotApply => f.write_str("the test patch does not apply"),
            Rejection::CodePatchDoesNotApply => f.write_str("the code patch does not apply"),
            Rejection::NoTestResult { run, why } => write!(f, "{run} run gave no result: {why}"),
        }
    }
}

/// The repository name of `pr` under `options`: see [`MineOptions::repo_name`].
pub fn repo_name(repo: &Path, pr: &PullRequest, options: &MineOptions) -> String {
    if let Some(name) = &options.repo_name {
        return name.clone();
    }
    if let Some(r) = &pr.base.repo {
        return r.full_name.clone();
    }
    repo.canonicalize()
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "repo".to_owned())
}

/// SWE-bench's instance id: `owner__name-NUMBER`.
pub fn instance_id(repo_name: &str, number: u64) -> String {
    format!("{}-{number}", repo_name.replace('/', "__"))
}

/// SWE-bench's problem statement: each resolved issue's title and body.
pub fn problem_statement(issues: &[LinkedIssue]) -> String {
    let mut text = String::new();
    for issue in issues {
        text.push_str(&issue.title);
        text.push('\n');
        text.push_str(issue.body.as_deref().unwrap_or_default());
        text.push('\n');
    }
    text
}

/// The task a pull request would make, before validation (`FAIL_TO_PASS` and `PASS_TO_PASS`
/// empty), or why it makes none: the diff split into code and test patch and the filters of
/// `options` applied. `Err` only for a repository that cannot be read.
pub fn candidate_task(
    repo: &Path,
    pr: &PullRequest,
    options: &MineOptions,
) -> Result<std::result::Result<Task, Rejection>> {
    let _span = tracing::debug_span!("candidate", pr = pr.number).entered();
    let result = filter_pull_request(repo, pr, options)?;
    match &result {
        Ok(task) => tracing::debug!(instance_id = %task.instance_id, "candidate task"),
        Err(rejection) => tracing::debug!(
            reason = rejection.code(),
            why = %rejection,
            "pull request rejected"
        ),
    }
    Ok(result)
}

/// [`candidate_task`] without its logging: the filters in order, then the task.
fn filter_pull_request(
    repo: &Path,
    pr: &PullRequest,
    options: &MineOptions,
) -> Result<std::result::Result<Task, Rejection>> {
    if options.require_issue && pr.issues.is_empty() {
        return Ok(Err(Rejection::NoLinkedIssue));
    }
    let src = open(repo)?;
    let known = |sha: &str| crate::sanitize::resolve_commit(&src, repo, sha).ok();
    let Some(base) = known(&pr.base.sha) else {
        return Ok(Err(Rejection::UnknownCommit {
            sha: pr.base.sha.clone(),
        }));
    };
    let patch = match (&pr.diff, &pr.merge_commit_sha) {
        (Some(diff), _) => diff.clone(),
        (None, None) => return Ok(Err(Rejection::NotMerged)),
        (None, Some(merge)) => {
            let Some(merge_id) = known(merge) else {
                return Ok(Err(Rejection::UnknownCommit { sha: merge.clone() }));
            };
            match diff::diff_commits(&src, base, merge_id)? {
                Ok(files) => files.into_iter().map(|f| f.text).collect(),
                Err(u) => {
                    return Ok(Err(Rejection::Unsupported {
                        path: u.path,
                        what: u.what.to_owned(),
                    }));
                }
            }
        }
    };
    let split = split_patch(&patch, &options.test_patterns);
    if split.code_files.is_empty() {
        return Ok(Err(Rejection::NoCodeChange));
    }
    if split.test_files.is_empty() {
        return Ok(Err(Rejection::NoTestChange));
    }
    if let Some(max) = options.max_files
        && split.code_files.len() > max
    {
        return Ok(Err(Rejection::TooManyFiles {
            files: split.code_files.len(),
            max,
        }));
    }
    if let Some(max) = options.max_lines
        && split.code_lines > max
    {
        return Ok(Err(Rejection::TooManyLines {
            lines: split.code_lines,
            max,
        }));
    }
    let name = repo_name(repo, pr, options);
    let mut extra = Map::new();
    extra.insert("pull_number".to_owned(), Value::from(pr.number));
    extra.insert(
        "issue_numbers".to_owned(),
        Value::from(pr.issues.iter().map(|i| i.number).collect::<Vec<_>>()),
    );
    if let Some(merge) = &pr.merge_commit_sha {
        extra.insert("merge_commit_sha".to_owned(), Value::from(merge.clone()));
    }
    if let Some(parser) = &options.log_parser {
        extra.insert("log_parser".to_owned(), Value::from(parser.clone()));
    }
    Ok(Ok(Task {
        instance_id: instance_id(&name, pr.number),
        repo: name,
        base_commit: base.to_string(),
        patch: split.code,
        test_patch: split.test,
        problem_statement: if pr.issues.is_empty() {
            // Only when no issue is required: the pull request describes itself.
            format!("{}\n{}\n", pr.title, pr.body.as_deref().unwrap_or_default())
        } else {
            problem_statement(&pr.issues)
        },
        hints_text: String::new(),
        created_at: pr.created_at.clone().unwrap_or_default(),
        version: String::new(),
        fail_to_pass: Vec::new(),
        pass_to_pass: Vec::new(),
        environment_setup_commit: base.to_string(),
        image_name: None,
        source: Some(TaskSource::Real),
        bug_kind: None,
        test_cmd: options.test_cmd.clone(),
        extra,
    }))
}

#[cfg(test)]
mod tests;
