//! The unified diff between two commits, written the way `git diff --full-index` writes it, so
//! that `git apply` (and `patch -p1`) take it: new and deleted files with their modes, mode
//! changes, symbolic links, a missing newline at the end of a file.
//!
//! Why a diff of our own: gix's unified diff sits behind its `blob-diff` feature, which brings
//! attributes, the checkout filter pipeline and `gix-command` (filter drivers are processes)
//! into the one crate that promises to start none; and what a patch needs here is small: the
//! changed paths from the two trees (read with gix), and a line diff. The line diff is Myers'
//! O((N+M)D) algorithm in linear space (the middle-snake bisection), as GNU diff and git's xdiff
//! use, so hunks are minimal, as git's are in the common case; where it gives up on a huge
//! difference ([`MAX_EDIT_COST`]) the patch is still correct, only less tidy.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

use gix::ObjectId;
use gix::bstr::{BString, ByteSlice as _};
use gix::objs::{Find as _, Kind};

use crate::error::{Error, Result};

/// Lines of context around each change (git's default).
const CONTEXT: usize = 3;

/// How many diagonals the bisection explores (per half) before it calls the rest one change.
const MAX_EDIT_COST: usize = 1 << 14;

/// One path that differs between the two commits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileDiff {
    /// The path, `/`-separated, as in the tree.
    pub path: String,
    /// The git text of this file's change (`diff --git` line, extended headers, hunks).
    pub text: String,
    /// Lines added and removed.
    pub added: usize,
    /// Lines removed.
    pub removed: usize,
}

/// A change a text patch cannot carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unsupported {
    /// The path of the file, `/`-separated.
    pub path: String,
    /// `binary file` or `submodule`.
    pub what: &'static str,
}

/// What [`diff_commits`] found: the file diffs in path order, or the first change it cannot
/// write as text.
pub type CommitDiff = std::result::Result<Vec<FileDiff>, Unsupported>;

/// Mode and blob of one tree entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Entry {
    mode: u32,
    id: ObjectId,
}

const MODE_TREE: u32 = 0o040000;
const MODE_LINK: u32 = 0o120000;
const MODE_GITLINK: u32 = 0o160000;

/// The diff from commit `base` to commit `target` of `repo`.
pub(crate) fn diff_commits(
    repo: &gix::Repository,
    base: ObjectId,
    target: ObjectId,
) -> Result<CommitDiff> {
    let mut buf = Vec::new();
    let base_tree = commit_tree(repo, base, &mut buf)?;
    let target_tree = commit_tree(repo, target, &mut buf)?;
    let mut changes: BTreeMap<BString, (Option<Entry>, Option<Entry>)> = BTreeMap::new();
    walk(
        repo,
        Some(base_tree),
        Some(target_tree),
        BString::default(),
        &mut changes,
    )?;
    let mut files = Vec::new();
    for (path, (old, new)) in changes {
        let path = match path.to_str() {
            Ok(p) => p.to_owned(),
            Err(_) => {
                return Ok(Err(Unsupported {
                    path: path.to_str_lossy().into_owned(),
                    what: "non-UTF-8 path",
                }));
            }
        };
        if [old, new].iter().flatten().any(|e| e.mode == MODE_GITLINK) {
            return Ok(Err(Unsupported {
                path,
                what: "submodule",
            }));
        }
        // A file that became a link or back is, as git writes it, a deletion and an addition.
        let kind_changed = matches!((old, new), (Some(o), Some(n)) if (o.mode == MODE_LINK) != (n.mode == MODE_LINK));
        let pairs = if kind_changed {
            vec![(old, None), (None, new)]
        } else {
            vec![(old, new)]
        };
        for (old, new) in pairs {
            let old_data = old.map(|e| blob(repo, e.id)).transpose()?;
            let new_data = new.map(|e| blob(repo, e.id)).transpose()?;
            let binary = [&old_data, &new_data]
                .iter()
                .any(|d| d.as_ref().is_some_and(|d| is_binary(d)));
            if binary {
                return Ok(Err(Unsupported {
                    path,
                    what: "binary file",
                }));
            }
            files.push(file_diff(
                &path,
                old.map(|e| (e, old_data.as_deref().unwrap_or_default())),
                new.map(|e| (e, new_data.as_deref().unwrap_or_default())),
            ));
        }
    }
    Ok(Ok(files))
}

fn git_error(context: String, source: impl std::error::Error + Send + Sync + 'static) -> Error {
    Error::Git {
        context,
        source: Box::new(source),
    }
}

fn commit_tree(repo: &gix::Repository, commit: ObjectId, buf: &mut Vec<u8>) -> Result<ObjectId> {
    let data = repo
        .objects
        .try_find(&commit, buf)
        .map_err(|e| git_error(format!("failed to read commit {commit}"), e))?
        .ok_or_else(|| Error::invalid(format!("commit {commit}"), "missing from the repository"))?;
    if data.kind != Kind::Commit {
        return Err(Error::invalid(
            format!("object {commit}"),
            "is not a commit",
        ));
    }
    gix::objs::CommitRefIter::from_bytes(data.data, repo.object_hash())
        .tree_id()
        .map_err(|e| git_error(format!("failed to parse commit {commit}"), e))
}

fn blob(repo: &gix::Repository, id: ObjectId) -> Result<Vec<u8>> {
    let mut buf = Vec::new();
    let data = repo
        .objects
        .try_find(&id, &mut buf)
        .map_err(|e| git_error(format!("failed to read blob {id}"), e))?
        .ok_or_else(|| Error::invalid(format!("blob {id}"), "missing from the repository"))?;
    Ok(data.data.to_vec())
}

/// The entries of a tree by name.
fn tree_entries(repo: &gix::Repository, tree: ObjectId) -> Result<BTreeMap<BString, Entry>> {
    let mut buf = Vec::new();
    let data = repo
        .objects
        .try_find(&tree, &mut buf)
        .map_err(|e| git_error(format!("failed to read tree {tree}"), e))?
        .ok_or_else(|| Error::invalid(format!("tree {tree}"), "missing from the repository"))?;
    let mut entries = BTreeMap::new();
    for entry in gix::objs::TreeRefIter::from_bytes(data.data, repo.object_hash()) {
        let entry = entry.map_err(|e| git_error(format!("failed to parse tree {tree}"), e))?;
        entries.insert(
            entry.filename.to_owned(),
            Entry {
                mode: entry.mode.value().into(),
                id: entry.oid.to_owned(),
            },
        );
    }
    Ok(entries)
}

/// Collect the differing leaves under two trees (either may be absent), skipping equal subtrees
/// whole.
fn walk(
    repo: &gix::Repository,
    old: Option<ObjectId>,
    new: Option<ObjectId>,
    prefix: BString,
    out: &mut BTreeMap<BString, (Option<Entry>, Option<Entry>)>,
) -> Result<()> {
    if old == new {
        return Ok(());
    }
    let old = old.map(|t| tree_entries(repo, t)).transpose()?;
    let new = new.map(|t| tree_entries(repo, t)).transpose()?;
    let empty = BTreeMap::new();
    let (old, new) = (
        old.as_ref().unwrap_or(&empty),
        new.as_ref().unwrap_or(&empty),
    );
    let mut names: Vec<&BString> = old.keys().chain(new.keys()).collect();
    names.sort();
    names.dedup();
    for name in names {
        let (o, n) = (old.get(name).copied(), new.get(name).copied());
        if o == n {
            continue;
        }
        let mut path = prefix.clone();
        if !path.is_empty() {
            path.push(b'/');
        }
        path.extend_from_slice(name);
        let is_tree = |e: Option<Entry>| e.filter(|e| e.mode == MODE_TREE);
        let not_tree = |e: Option<Entry>| e.filter(|e| e.mode != MODE_TREE);
        let (ot, nt) = (is_tree(o), is_tree(n));
        if ot.is_some() || nt.is_some() {
            walk(repo, ot.map(|e| e.id), nt.map(|e| e.id), path.clone(), out)?;
        }
        let (ob, nb) = (not_tree(o), not_tree(n));
        if ob.is_some() || nb.is_some() {
            out.insert(path, (ob, nb));
        }
    }
    Ok(())
}

/// As git decides: a NUL byte in the first 8000 bytes. Text that is not UTF-8 cannot go into a
/// task's patch string either.
fn is_binary(data: &[u8]) -> bool {
    data[..data.len().min(8000)].contains(&0) || std::str::from_utf8(data).is_err()
}

/// The git text of one file's change.
fn file_diff(path: &str, old: Option<(Entry, &[u8])>, new: Option<(Entry, &[u8])>) -> FileDiff {
    let quoted_a = quote_path("a/", path);
    let quoted_b = quote_path("b/", path);
    let mut text = format!("diff --git {quoted_a} {quoted_b}\n");
    let zero = "0".repeat(40);
    let (old_data, new_data) = (old.map_or(&[][..], |o| o.1), new.map_or(&[][..], |n| n.1));
    let same_content = matches!((old, new), (Some(o), Some(n)) if o.0.id == n.0.id);
    match (old, new) {
        (None, Some((n, _))) => {
            let _ = writeln!(text, "new file mode {:06o}", n.mode);
            let _ = writeln!(text, "index {zero}..{}", n.id);
        }
        (Some((o, _)), None) => {
            let _ = writeln!(text, "deleted file mode {:06o}", o.mode);
            let _ = writeln!(text, "index {}..{zero}", o.id);
        }
        (Some((o, _)), Some((n, _))) => {
            if o.mode != n.mode {
                let _ = writeln!(text, "old mode {:06o}", o.mode);
                let _ = writeln!(text, "new mode {:06o}", n.mode);
                if !same_content {
                    let _ = writeln!(text, "index {}..{}", o.id, n.id);
                }
            } else {
                let _ = writeln!(text, "index {}..{} {:06o}", o.id, n.id, n.mode);
            }
        }
        (None, None) => {}
    }
    let (mut added, mut removed) = (0, 0);
    let nothing_to_show = same_content || (old_data.is_empty() && new_data.is_empty());
    if !nothing_to_show {
        let a_name = if old.is_some() {
            quoted_a
        } else {
            "/dev/null".to_owned()
        };
        let b_name = if new.is_some() {
            quoted_b
        } else {
            "/dev/null".to_owned()
        };
        let _ = writeln!(text, "--- {a_name}\n+++ {b_name}");
        (added, removed) = hunks(old_data, new_data, &mut text);
    }
    FileDiff {
        path: path.to_owned(),
        text,
        added,
        removed,
    }
}

/// A path as git writes it in headers: C-quoted when it holds a quote, a backslash, a control
/// character or a non-ASCII byte (`core.quotePath`'s default).
fn quote_path(prefix: &str, path: &str) -> String {
    let needs = path
        .bytes()
        .any(|b| b == b'"' || b == b'\\' || !(0x20..0x7f).contains(&b));
    if !needs {
        return format!("{prefix}{path}");
    }
    let mut out = String::from("\"");
    out.push_str(prefix);
    for b in path.bytes() {
        match b {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            b'\t' => out.push_str("\\t"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            0x07 => out.push_str("\\a"),
            0x08 => out.push_str("\\b"),
            0x0b => out.push_str("\\v"),
            0x0c => out.push_str("\\f"),
            b if !(0x20..0x7f).contains(&b) => {
                let _ = write!(out, "\\{b:03o}");
            }
            b => out.push(char::from(b)),
        }
    }
    out.push('"');
    out
}

/// Split into lines, each with its `\n` (the last may lack one).
fn lines(data: &[u8]) -> Vec<&[u8]> {
    data.split_inclusive(|&b| b == b'\n').collect()
}

/// Append the hunks turning `old` into `new` to `out`; returns (added, removed).
pub(crate) fn hunks(old: &[u8], new: &[u8], out: &mut String) -> (usize, usize) {
    let a = lines(old);
    let b = lines(new);
    // Lines as small integers: equal lines, equal ids.
    let mut ids: HashMap<&[u8], u32> = HashMap::new();
    let mut ai = Vec::with_capacity(a.len());
    for &l in &a {
        let n = u32::try_from(ids.len()).unwrap_or(u32::MAX);
        ai.push(*ids.entry(l).or_insert(n));
    }
    let mut bi = Vec::with_capacity(b.len());
    for &l in &b {
        let n = u32::try_from(ids.len()).unwrap_or(u32::MAX);
        bi.push(*ids.entry(l).or_insert(n));
    }
    let mut del = vec![false; a.len()];
    let mut ins = vec![false; b.len()];
    compare(&ai, &bi, 0, 0, &mut del, &mut ins);

    // The edit script: (op, index) with '-' before '+' within a change, as git orders them.
    let mut ops: Vec<(u8, usize, usize)> = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        if i < a.len() && del[i] {
            ops.push((b'-', i, j));
            i += 1;
        } else if j < b.len() && ins[j] {
            ops.push((b'+', i, j));
            j += 1;
        } else {
            ops.push((b' ', i, j));
            i += 1;
            j += 1;
        }
    }
    let changed: Vec<usize> = (0..ops.len()).filter(|&k| ops[k].0 != b' ').collect();
    let (mut added, mut removed) = (0, 0);
    let mut k = 0;
    while k < changed.len() {
        // Grow the hunk while the next change is close enough for the contexts to touch.
        let mut last = k;
        while last + 1 < changed.len() && changed[last + 1] - changed[last] <= 2 * CONTEXT + 1 {
            last += 1;
        }
        let start = changed[k].saturating_sub(CONTEXT);
        let end = (changed[last] + CONTEXT + 1).min(ops.len());
        let span = &ops[start..end];
        let old_len = span.iter().filter(|o| o.0 != b'+').count();
        let new_len = span.iter().filter(|o| o.0 != b'-').count();
        let (old_start, new_start) = (span[0].1, span[0].2);
        let _ = writeln!(
            out,
            "@@ -{} +{} @@",
            range(old_start, old_len),
            range(new_start, new_len)
        );
        for &(op, i, j) in span {
            let line = if op == b'+' { b[j] } else { a[i] };
            match op {
                b'+' => added += 1,
                b'-' => removed += 1,
                _ => {}
            }
            out.push(char::from(op));
            // Binary content was refused before: the text is UTF-8.
            out.push_str(&String::from_utf8_lossy(line));
            if !line.ends_with(b"\n") {
                out.push_str("\n\\ No newline at end of file\n");
            }
        }
        k = last + 1;
    }
    (added, removed)
}

/// A hunk range: `start,len` 1-based; `start` alone for one line; the line before for none.
fn range(start0: usize, len: usize) -> String {
    match len {
        0 => format!("{start0},0"),
        1 => format!("{}", start0 + 1),
        n => format!("{},{n}", start0 + 1),
    }
}

/// Marks in `del`/`ins` (indexed from `a0`/`b0`) the lines of `a` and `b` outside a longest
/// common subsequence.
fn compare(a: &[u32], b: &[u32], a0: usize, b0: usize, del: &mut [bool], ins: &mut [bool]) {
    let prefix = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let (a, b) = (&a[prefix..], &b[prefix..]);
    let (a0, b0) = (a0 + prefix, b0 + prefix);
    let suffix = a
        .iter()
        .rev()
        .zip(b.iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let (a, b) = (&a[..a.len() - suffix], &b[..b.len() - suffix]);
    if a.is_empty() || b.is_empty() {
        del[a0..a0 + a.len()].fill(true);
        ins[b0..b0 + b.len()].fill(true);
        return;
    }
    match bisect(a, b) {
        // A split strictly inside the problem: both halves are smaller.
        Some((x, y)) if (x, y) != (0, 0) && (x, y) != (a.len(), b.len()) => {
            compare(&a[..x], &b[..y], a0, b0, del, ins);
            compare(&a[x..], &b[y..], a0 + x, b0 + y, del, ins);
        }
        _ => {
            del[a0..a0 + a.len()].fill(true);
            ins[b0..b0 + b.len()].fill(true);
        }
    }
}

/// Myers' middle snake: a point on an optimal edit path roughly halfway through it, found by
/// running the search from both ends until they meet. `None` when the halves did not meet
/// within [`MAX_EDIT_COST`] (then the caller treats the whole as one change).
fn bisect(a: &[u32], b: &[u32]) -> Option<(usize, usize)> {
    let n = a.len() as isize;
    let m = b.len() as isize;
    let max_d = ((n + m + 1) / 2).min(MAX_EDIT_COST as isize);
    let offset = max_d + 1;
    let width = (2 * max_d + 3) as usize;
    let mut v1 = vec![-1isize; width];
    let mut v2 = vec![-1isize; width];
    v1[(offset + 1) as usize] = 0;
    v2[(offset + 1) as usize] = 0;
    let delta = n - m;
    // With an odd delta the forward search is the one that can meet the reverse one.
    let front = delta % 2 != 0;
    let (mut k1start, mut k1end, mut k2start, mut k2end) = (0isize, 0isize, 0isize, 0isize);
    let at = |k: isize| (offset + k) as usize;
    for d in 0..=max_d {
        let mut k1 = -d + k1start;
        while k1 <= d - k1end {
            let mut x1 = if k1 == -d || (k1 != d && v1[at(k1 - 1)] < v1[at(k1 + 1)]) {
                v1[at(k1 + 1)]
            } else {
                v1[at(k1 - 1)] + 1
            };
            let mut y1 = x1 - k1;
            while x1 < n && y1 < m && a[x1 as usize] == b[y1 as usize] {
                x1 += 1;
                y1 += 1;
            }
            v1[at(k1)] = x1;
            if x1 > n {
                k1end += 2;
            } else if y1 > m {
                k1start += 2;
            } else if front {
                let k2 = delta - k1;
                if (-max_d..=max_d).contains(&k2) && v2[at(k2)] != -1 && x1 >= n - v2[at(k2)] {
                    return Some((x1 as usize, y1 as usize));
                }
            }
            k1 += 2;
        }
        let mut k2 = -d + k2start;
        while k2 <= d - k2end {
            let mut x2 = if k2 == -d || (k2 != d && v2[at(k2 - 1)] < v2[at(k2 + 1)]) {
                v2[at(k2 + 1)]
            } else {
                v2[at(k2 - 1)] + 1
            };
            let mut y2 = x2 - k2;
            while x2 < n && y2 < m && a[(n - x2 - 1) as usize] == b[(m - y2 - 1) as usize] {
                x2 += 1;
                y2 += 1;
            }
            v2[at(k2)] = x2;
            if x2 > n {
                k2end += 2;
            } else if y2 > m {
                k2start += 2;
            } else if !front {
                let k1 = delta - k2;
                if (-max_d..=max_d).contains(&k1) && v1[at(k1)] != -1 {
                    let x1 = v1[at(k1)];
                    let y1 = x1 - k1;
                    if x1 >= n - x2 {
                        return Some((x1 as usize, y1 as usize));
                    }
                }
            }
            k2 += 2;
        }
    }
    None
}
