//! History sanitisation: a copy of a repository that holds nothing newer than a base commit, so an
//! agent cannot read the fix out of git ("Git hacking", SWE-bench issue #465).
//!
//! The output is built fresh rather than copied and pruned: a new `.git` whose object database
//! holds exactly the objects reachable from what the chosen [`SanitizeMode`] keeps (written by us
//! into one pack, each re-hashed on the way), one branch, `HEAD` on it, and nothing else: no
//! tags, remotes, reflogs, stash, notes, `packed-refs`, `FETCH_HEAD`/`ORIG_HEAD` or config copied
//! from the source. Pruning a copy is where leaks hide (a forgotten reflog, a pack that still
//! holds an unreachable blob); a database that only ever received reachable objects cannot leak.
//!
//! The working tree is the base tree byte for byte: blobs are written as stored, with no
//! checkout filters or line-ending conversion (filters may start processes, and the promise is
//! "equals the tree"), executable bits and symlinks included, and the index records every file
//! with its stat data so `git status` is clean.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use gix::ObjectId;
use gix::bstr::BStr;
#[cfg(not(unix))]
use gix::bstr::ByteSlice as _;
use gix::objs::{Find as _, Kind};
use serde::Serialize;

use crate::error::{Error, Result};

mod pack;

/// What [`sanitize_repo`] keeps of the history before the base commit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SanitizeMode {
    /// One parentless commit holding the base tree, by [`SQUASH_AUTHOR`] with
    /// [`SQUASH_MESSAGE`] and the base commit's committer date (what SWE-smith's and SWE-Lego's
    /// re-init do). Nothing of the history survives.
    Squash,
    /// The base commit and all its ancestors, byte for byte (same ids), so `git log` and
    /// `git blame` still help; nothing newer. No tags, not even on ancestors: a tag object may
    /// be written after the base and say so. A shallow source gives a shallow output with the
    /// same boundary.
    Truncate,
    /// Hack-inclusive: the whole `.git` copied as it is (every ref, reflog, pack, remote), with
    /// `HEAD` detached at the base. Only for measuring how much leaking matters.
    Keep,
}

impl SanitizeMode {
    /// The mode's name on the command line and in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            SanitizeMode::Squash => "squash",
            SanitizeMode::Truncate => "truncate",
            SanitizeMode::Keep => "keep",
        }
    }
}

impl std::fmt::Display for SanitizeMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for SanitizeMode {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
        match s {
            "squash" => Ok(SanitizeMode::Squash),
            "truncate" => Ok(SanitizeMode::Truncate),
            "keep" => Ok(SanitizeMode::Keep),
            other => Err(format!(
                "unknown mode `{other}` (known: squash, truncate, keep)"
            )),
        }
    }
}

/// The author and committer (name, email) of the commit [`SanitizeMode::Squash`] writes.
pub const SQUASH_AUTHOR: (&str, &str) = ("lego", "lego@localhost");
/// The message of the commit [`SanitizeMode::Squash`] writes.
pub const SQUASH_MESSAGE: &str = "Initial commit\n";

/// The delta-base cache of the source's packs.
const PACK_CACHE_BYTES: usize = 96 << 20;

/// How [`sanitize_repo`] builds its output.
#[derive(Debug, Clone)]
pub struct SanitizeOptions {
    /// How much history the output keeps.
    pub mode: SanitizeMode,
    /// The one branch of the output, `HEAD` on it (squash and truncate). A fixed name rather than
    /// the source's: the base may sit on several branches or none, and a fixed name makes the
    /// output a function of the base alone. Default `main`.
    pub branch: String,
}

impl Default for SanitizeOptions {
    fn default() -> Self {
        SanitizeOptions {
            mode: SanitizeMode::Squash,
            branch: "main".to_owned(),
        }
    }
}

/// What [`sanitize_repo`] wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SanitizeReport {
    /// The mode the output was built in.
    pub mode: SanitizeMode,
    /// The base commit the revision resolved to (hex).
    pub base: String,
    /// The commit `HEAD` of the output points at (hex): the base itself except in squash mode.
    pub head: String,
    /// The branch `HEAD` is on; `None` when detached (keep mode).
    pub branch: Option<String>,
    /// Commits in the output's history (keep mode: 0, not counted).
    pub commits: usize,
    /// Objects written into the output's object database (keep mode: 0, copied as files).
    pub objects: usize,
    /// Files, symlinks and submodule directories in the working tree.
    pub files: usize,
}

/// Build at `out` a repository whose working tree is `base`'s tree and whose history is what
/// `options.mode` keeps. `repo` must be a repository (its `.git` or work tree, not a
/// subdirectory); `out` must not exist or be an empty directory.
pub fn sanitize_repo(
    repo: &Path,
    base: &str,
    out: &Path,
    options: &SanitizeOptions,
) -> Result<SanitizeReport> {
    let _span = tracing::info_span!(
        "sanitize",
        repo = %repo.display(),
        base,
        mode = %options.mode
    )
    .entered();
    tracing::debug!(out = %out.display(), "sanitising");
    let started = std::time::Instant::now();
    check_out_is_free(out)?;
    let mut src = gix::open_opts(repo, gix::open::Options::isolated()).map_err(|e| {
        Error::NotARepository {
            path: repo.to_owned(),
            source: Box::new(e),
        }
    })?;
    // Every object of the history is read once, most as deltas against the one before: without
    // a delta-base cache each read would unpack its whole chain again (10x slower).
    src.objects.set_pack_cache(|| {
        Box::new(gix::odb::pack::cache::lru::MemoryCappedHashmap::new(
            PACK_CACHE_BYTES,
        ))
    });
    let base_id = resolve_commit(&src, repo, base)?;
    if options.mode != SanitizeMode::Keep {
        validate_branch(&options.branch)?;
    }
    // Built beside `out` and renamed into place at the end: `out` is whole or absent, never a
    // half-written repository a later run would refuse (or, worse, an agent would get).
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    };
    create_dir_all(&parent)?;
    let tmp = tempfile::Builder::new()
        .prefix(".lego-sanitize-")
        .tempdir_in(&parent)
        .map_err(|source| Error::Write {
            path: parent.clone(),
            source,
        })?;
    let report = build(&src, base_id, tmp.path(), options)?;
    std::fs::rename(tmp.path(), out).map_err(|source| Error::Write {
        path: out.to_owned(),
        source,
    })?;
    // Renamed away: nothing left for the guard to delete.
    let _ = tmp.keep();
    tracing::debug!(
        head = %report.head,
        commits = report.commits,
        objects = report.objects,
        files = report.files,
        seconds = started.elapsed().as_secs_f64(),
        "sanitised"
    );
    Ok(report)
}

/// A sanitised copy of a repository in a temporary directory, removed when dropped: what a
/// sandbox environment is built from, so that no sandbox ever holds more history than its
/// [`SanitizeMode`] keeps.
#[derive(Debug)]
pub struct SanitizedCopy {
    dir: tempfile::TempDir,
    report: SanitizeReport,
}

impl SanitizedCopy {
    /// The repository (work tree with its `.git`).
    pub fn path(&self) -> PathBuf {
        self.dir.path().join("repo")
    }

    /// What the sanitisation wrote.
    pub fn report(&self) -> &SanitizeReport {
        &self.report
    }
}

/// [`sanitize_repo`] into a fresh temporary directory (under the system's temporary directory).
pub fn sanitized_copy(repo: &Path, base: &str, options: &SanitizeOptions) -> Result<SanitizedCopy> {
    let dir = tempfile::Builder::new()
        .prefix("lego-repo-")
        .tempdir()
        .map_err(|source| Error::Write {
            path: std::env::temp_dir(),
            source,
        })?;
    let report = sanitize_repo(repo, base, &dir.path().join("repo"), options)?;
    Ok(SanitizedCopy { dir, report })
}

/// Write the output repository into the empty directory `out`.
fn build(
    src: &gix::Repository,
    base_id: ObjectId,
    out: &Path,
    options: &SanitizeOptions,
) -> Result<SanitizeReport> {
    let git_dir = out.join(".git");
    let mut report = SanitizeReport {
        mode: options.mode,
        base: base_id.to_string(),
        head: base_id.to_string(),
        branch: None,
        commits: 0,
        objects: 0,
        files: 0,
    };
    let head = match options.mode {
        SanitizeMode::Keep => {
            copy_dir(src.common_dir(), &git_dir)?;
            write_file(&git_dir.join("HEAD"), format!("{base_id}\n").as_bytes())?;
            if src.is_bare() {
                unbare(&git_dir)?;
            }
            base_id
        }
        SanitizeMode::Squash | SanitizeMode::Truncate => {
            init_git_dir(&git_dir, &options.branch)?;
            let mut copier = Copier::new(src, &git_dir)?;
            let head = if options.mode == SanitizeMode::Squash {
                copier.squash(base_id)?
            } else {
                copier.truncate(base_id)?
            };
            let Copier {
                dst,
                commits,
                objects,
                shallow,
                ..
            } = copier;
            dst.finish()?;
            let ref_path = git_dir.join("refs/heads").join(&options.branch);
            write_file(&ref_path, format!("{head}\n").as_bytes())?;
            if !shallow.is_empty() {
                let mut lines: Vec<String> = shallow.iter().map(|id| id.to_string()).collect();
                lines.sort();
                write_file(
                    &git_dir.join("shallow"),
                    (lines.join("\n") + "\n").as_bytes(),
                )?;
            }
            report.head = head.to_string();
            report.branch = Some(options.branch.clone());
            report.commits = commits;
            report.objects = objects;
            head
        }
    };
    // The head's tree is the base's tree in every mode, and the head is what the output holds.
    report.files = checkout(&git_dir, out, head, src.object_hash())?;
    Ok(report)
}

fn git_error(
    context: impl Into<String>,
    source: impl std::error::Error + Send + Sync + 'static,
) -> Error {
    Error::Git {
        context: context.into(),
        source: Box::new(source),
    }
}

/// `out` may not exist yet or be an empty directory; anything else is refused rather than
/// merged into. Nothing is created here.
fn check_out_is_free(out: &Path) -> Result<()> {
    let free = match std::fs::read_dir(out) {
        Ok(mut entries) => entries.next().is_none(),
        Err(e) => e.kind() == std::io::ErrorKind::NotFound,
    };
    match free {
        true => Ok(()),
        false => Err(Error::OutputNotEmpty {
            path: out.to_owned(),
        }),
    }
}

pub(crate) fn resolve_commit(src: &gix::Repository, repo: &Path, rev: &str) -> Result<ObjectId> {
    let unknown =
        |source: Option<Box<dyn std::error::Error + Send + Sync>>| Error::UnknownRevision {
            rev: rev.to_owned(),
            repo: repo.to_owned(),
            source,
        };
    let id = src
        .rev_parse_single(rev)
        .map_err(|e| unknown(Some(Box::new(e))))?;
    let commit = id
        .object()
        .map_err(|e| unknown(Some(Box::new(e))))?
        .peel_to_commit()
        .map_err(|e| unknown(Some(Box::new(e))))?;
    Ok(commit.id)
}

/// A branch name git accepts as one path under `refs/heads/`, with nothing that could step out.
fn validate_branch(branch: &str) -> Result<()> {
    let ok = !branch.is_empty()
        && !branch.starts_with('-')
        && !branch.ends_with(".lock")
        && branch
            .split('/')
            .all(|c| !c.is_empty() && !c.starts_with('.'))
        && !branch.contains("..")
        && branch
            .chars()
            .all(|c| !c.is_control() && !" ~^:?*[\\@{".contains(c));
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(
            "branch",
            format!("`{branch}` is not a valid branch name"),
        ))
    }
}

/// The skeleton of a fresh `.git`: written by hand so that everything in it is accounted for.
fn init_git_dir(git_dir: &Path, branch: &str) -> Result<()> {
    for dir in [
        "objects/info",
        "objects/pack",
        "refs/heads",
        "refs/tags",
        "info",
    ] {
        create_dir_all(&git_dir.join(dir))?;
    }
    write_file(
        &git_dir.join("HEAD"),
        format!("ref: refs/heads/{branch}\n").as_bytes(),
    )?;
    let symlinks = cfg!(unix);
    let config = format!(
        "[core]\n\trepositoryformatversion = 0\n\tfilemode = {symlinks}\n\tbare = false\n\
         \tlogallrefupdates = true\n\tsymlinks = {symlinks}\n"
    );
    write_file(&git_dir.join("config"), config.as_bytes())
}

/// Copies objects from the source into the output's fresh object database (one pack), each
/// re-hashed on the way so a replaced or corrupt object cannot slip in under another id.
struct Copier<'a> {
    src: &'a gix::Repository,
    dst: pack::PackWriter,
    seen: HashSet<ObjectId>,
    buf: Vec<u8>,
    commits: usize,
    objects: usize,
    /// Commits whose parents the source lacks (a shallow source): the output is shallow there too.
    shallow: HashSet<ObjectId>,
    source_shallow: HashSet<ObjectId>,
}

impl<'a> Copier<'a> {
    fn new(src: &'a gix::Repository, git_dir: &Path) -> Result<Self> {
        let source_shallow = src
            .shallow_commits()
            .map_err(|e| git_error("failed to read the shallow file of the source", e))?
            .map(|c| c.iter().copied().collect())
            .unwrap_or_default();
        Ok(Copier {
            src,
            dst: pack::PackWriter::new(git_dir, src.object_hash())?,
            seen: HashSet::new(),
            buf: Vec::new(),
            commits: 0,
            objects: 0,
            shallow: HashSet::new(),
            source_shallow,
        })
    }

    /// Read `id` from the source into `self.buf`, returning its kind.
    fn read(&mut self, id: ObjectId) -> Result<Kind> {
        let data = self
            .src
            .objects
            .try_find(&id, &mut self.buf)
            .map_err(|e| git_error(format!("failed to read object {id}"), e))?;
        match data {
            Some(data) => Ok(data.kind),
            None => Err(Error::invalid(
                format!("object {id}"),
                "missing from the source repository",
            )),
        }
    }

    /// Write what `self.buf` holds, checking it hashes to `id`.
    fn write(&mut self, kind: Kind, id: ObjectId) -> Result<()> {
        let written = self.dst.write(kind, &self.buf)?;
        if written != id {
            return Err(Error::invalid(
                format!("object {id}"),
                format!("its content hashes to {written} (a replaced or corrupt object)"),
            ));
        }
        self.objects += 1;
        Ok(())
    }

    /// Copy the tree `root` and everything under it. A tree already copied is skipped whole: its
    /// contents went with it.
    fn copy_tree(&mut self, root: ObjectId) -> Result<()> {
        let mut stack = vec![root];
        while let Some(tree) = stack.pop() {
            if !self.seen.insert(tree) {
                continue;
            }
            let kind = self.read(tree)?;
            if kind != Kind::Tree {
                return Err(Error::invalid(format!("object {tree}"), "expected a tree"));
            }
            let mut blobs = Vec::new();
            for entry in gix::objs::TreeRefIter::from_bytes(&self.buf, self.src.object_hash()) {
                let entry =
                    entry.map_err(|e| git_error(format!("failed to parse tree {tree}"), e))?;
                let oid = entry.oid.to_owned();
                if entry.mode.is_tree() {
                    stack.push(oid);
                } else if entry.mode.is_blob_or_symlink() {
                    blobs.push(oid);
                }
                // Gitlinks (submodules) name commits of another repository: nothing to copy.
            }
            self.write(Kind::Tree, tree)?;
            for blob in blobs {
                if self.seen.insert(blob) {
                    self.read(blob)?;
                    self.write(Kind::Blob, blob)?;
                }
            }
        }
        Ok(())
    }

    fn squash(&mut self, base: ObjectId) -> Result<ObjectId> {
        self.read(base)?;
        let commit = gix::objs::CommitRef::from_bytes(&self.buf, self.src.object_hash())
            .map_err(|e| git_error(format!("failed to parse commit {base}"), e))?;
        let tree = commit.tree();
        let time = commit
            .committer()
            .and_then(|c| c.time())
            .map_err(|e| git_error(format!("failed to parse the committer of {base}"), e))?;
        drop(commit);
        let signature = gix::actor::Signature {
            name: SQUASH_AUTHOR.0.into(),
            email: SQUASH_AUTHOR.1.into(),
            time,
        };
        let commit = gix::objs::Commit {
            tree,
            parents: Default::default(),
            author: signature.clone(),
            committer: signature,
            encoding: None,
            message: SQUASH_MESSAGE.into(),
            extra_headers: Vec::new(),
        };
        self.copy_tree(tree)?;
        let mut bytes = Vec::new();
        gix::objs::WriteTo::write_to(&commit, &mut bytes)
            .map_err(|e| git_error("failed to serialise the squashed commit", e))?;
        let id = self.dst.write(Kind::Commit, &bytes)?;
        self.objects += 1;
        self.commits = 1;
        Ok(id)
    }

    fn truncate(&mut self, base: ObjectId) -> Result<ObjectId> {
        let mut stack = vec![base];
        let mut seen_commits = HashSet::new();
        while let Some(id) = stack.pop() {
            if !seen_commits.insert(id) {
                continue;
            }
            let kind = self.read(id)?;
            if kind != Kind::Commit {
                return Err(Error::invalid(format!("object {id}"), "expected a commit"));
            }
            let commit = gix::objs::CommitRefIter::from_bytes(&self.buf, self.src.object_hash());
            let mut tree = None;
            let mut parents = Vec::new();
            for token in commit {
                match token.map_err(|e| git_error(format!("failed to parse commit {id}"), e))? {
                    gix::objs::commit::ref_iter::Token::Tree { id } => tree = Some(id),
                    gix::objs::commit::ref_iter::Token::Parent { id } => parents.push(id),
                    _ => break,
                }
            }
            let tree = tree.ok_or_else(|| Error::invalid(format!("commit {id}"), "has no tree"))?;
            self.write(Kind::Commit, id)?;
            self.commits += 1;
            if self.source_shallow.contains(&id) {
                self.shallow.insert(id);
            } else {
                stack.extend(parents);
            }
            self.copy_tree(tree)?;
        }
        Ok(base)
    }
}

/// Write the working tree of `commit` under `workdir` from the output's own object database (so
/// the output provably holds it) and the index that describes it. Returns the number of entries.
fn checkout(
    git_dir: &Path,
    workdir: &Path,
    commit: ObjectId,
    hash: gix::hash::Kind,
) -> Result<usize> {
    let odb = gix::odb::at(git_dir.join("objects"), hash).map_err(|e| {
        git_error(
            format!(
                "failed to open the object database of {}",
                git_dir.display()
            ),
            e,
        )
    })?;
    let mut buf = Vec::new();
    let tree = {
        let data = odb
            .try_find(&commit, &mut buf)
            .map_err(|e| git_error(format!("failed to read commit {commit}"), e))?
            .ok_or_else(|| Error::invalid(format!("commit {commit}"), "missing from the output"))?;
        gix::objs::CommitRefIter::from_bytes(data.data, hash)
            .tree_id()
            .map_err(|e| git_error(format!("failed to parse commit {commit}"), e))?
    };
    // Path components are validated here (no `..`, `.git`, separators, NTFS/HFS tricks).
    let mut state = gix::index::State::from_tree(&tree, &odb, Default::default())
        .map_err(|e| git_error(format!("failed to read tree {tree}"), e))?;
    let mut dirs: HashSet<PathBuf> = HashSet::new();
    let mut count = 0;
    for (entry, path) in state.entries_mut_with_paths() {
        let dest = workdir.join(bytes_to_path(path)?);
        make_parents(workdir, &dest, path, &mut dirs)?;
        let mode = entry.mode;
        if mode.contains(gix::index::entry::Mode::COMMIT) {
            // An uninitialised submodule: an empty directory, as git leaves it.
            create_dir(&dest)?;
            dirs.insert(dest.clone());
        } else {
            let data = odb
                .try_find(&entry.id, &mut buf)
                .map_err(|e| git_error(format!("failed to read blob {} of {path}", entry.id), e))?
                .ok_or_else(|| Error::invalid(format!("blob {} of {path}", entry.id), "missing"))?;
            if mode.contains(gix::index::entry::Mode::SYMLINK) {
                write_symlink(&dest, data.data)?;
            } else {
                write_new_file(
                    &dest,
                    data.data,
                    mode.contains(gix::index::entry::Mode::FILE_EXECUTABLE),
                )?;
            }
        }
        let meta =
            gix::index::fs::Metadata::from_path_no_follow(&dest).map_err(|source| Error::Read {
                path: dest.clone(),
                source,
            })?;
        entry.stat = gix::index::entry::Stat::from_fs(&meta)
            .map_err(|e| git_error(format!("failed to stat {}", dest.display()), e))?;
        count += 1;
    }
    let mut file = gix::index::File::from_state(state, git_dir.join("index"));
    file.write(Default::default()).map_err(|e| {
        git_error(
            format!("failed to write the index of {}", git_dir.display()),
            e,
        )
    })?;
    Ok(count)
}

#[cfg(unix)]
fn bytes_to_path(path: &BStr) -> Result<&Path> {
    use std::os::unix::ffi::OsStrExt as _;
    Ok(Path::new(std::ffi::OsStr::from_bytes(path)))
}

#[cfg(not(unix))]
fn bytes_to_path(path: &BStr) -> Result<&Path> {
    path.to_path()
        .map_err(|_| Error::invalid(format!("path {path}"), "is not valid UTF-8"))
}

/// Create the parent directories of `dest` one by one. Every directory we create is recorded, so
/// a parent that already exists and is not recorded is a file or symlink written earlier: a tree
/// with a file/directory conflict (`a` and `a/x`), which could otherwise write through a symlink
/// out of the working tree.
fn make_parents(
    workdir: &Path,
    dest: &Path,
    path: &BStr,
    dirs: &mut HashSet<PathBuf>,
) -> Result<()> {
    let Some(parent) = dest.parent() else {
        return Ok(());
    };
    if parent == workdir || dirs.contains(parent) {
        return Ok(());
    }
    let rel = parent.strip_prefix(workdir).unwrap_or(parent);
    let mut current = workdir.to_owned();
    for component in rel.components() {
        current.push(component);
        if dirs.contains(&current) {
            continue;
        }
        match std::fs::create_dir(&current) {
            Ok(()) => {
                dirs.insert(current.clone());
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                return Err(Error::invalid(
                    format!("path {path}"),
                    "conflicts with a file or symlink of the same tree",
                ));
            }
            Err(source) => {
                return Err(Error::Write {
                    path: current,
                    source,
                });
            }
        }
    }
    Ok(())
}

fn write_new_file(dest: &Path, data: &[u8], executable: bool) -> Result<()> {
    use std::io::Write as _;
    let werr = |source| Error::Write {
        path: dest.to_owned(),
        source,
    };
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        // As git: 0666 or 0777, less the umask.
        options.mode(if executable { 0o777 } else { 0o666 });
    }
    #[cfg(not(unix))]
    let _ = executable;
    let mut file = options.open(dest).map_err(werr)?;
    file.write_all(data).map_err(werr)
}

#[cfg(unix)]
fn write_symlink(dest: &Path, target: &[u8]) -> Result<()> {
    use std::os::unix::ffi::OsStrExt as _;
    std::os::unix::fs::symlink(std::ffi::OsStr::from_bytes(target), dest).map_err(|source| {
        Error::Write {
            path: dest.to_owned(),
            source,
        }
    })
}

/// Without symlinks git writes the target as a plain file (`core.symlinks = false`).
#[cfg(not(unix))]
fn write_symlink(dest: &Path, target: &[u8]) -> Result<()> {
    write_new_file(dest, target, false)
}

/// Copy a directory tree as it is (keep mode), symlinks as symlinks.
fn copy_dir(from: &Path, to: &Path) -> Result<()> {
    create_dir_all(to)?;
    let entries = std::fs::read_dir(from).map_err(|source| Error::Read {
        path: from.to_owned(),
        source,
    })?;
    for entry in entries {
        let entry = entry.map_err(|source| Error::Read {
            path: from.to_owned(),
            source,
        })?;
        let src = entry.path();
        let dst = to.join(entry.file_name());
        let kind = entry.file_type().map_err(|source| Error::Read {
            path: src.clone(),
            source,
        })?;
        if kind.is_dir() {
            copy_dir(&src, &dst)?;
        } else if kind.is_symlink() {
            let target = std::fs::read_link(&src).map_err(|source| Error::Read {
                path: src.clone(),
                source,
            })?;
            #[cfg(unix)]
            std::os::unix::fs::symlink(&target, &dst).map_err(|source| Error::Write {
                path: dst.clone(),
                source,
            })?;
            #[cfg(not(unix))]
            let _ = target;
        } else if kind.is_file() {
            std::fs::copy(&src, &dst).map_err(|source| Error::Write {
                path: dst.clone(),
                source,
            })?;
        }
    }
    Ok(())
}

/// A bare source copied in keep mode gets a work tree: `core.bare = false`.
fn unbare(git_dir: &Path) -> Result<()> {
    let path = git_dir.join("config");
    let text = std::fs::read_to_string(&path).map_err(|source| Error::Read {
        path: path.clone(),
        source,
    })?;
    let text: String = text
        .lines()
        .map(|line| {
            if line.trim().replace(' ', "") == "bare=true" {
                "\tbare = false".to_owned()
            } else {
                line.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n";
    write_file(&path, text.as_bytes())
}

fn create_dir(path: &Path) -> Result<()> {
    std::fs::create_dir(path).map_err(|source| Error::Write {
        path: path.to_owned(),
        source,
    })
}

fn create_dir_all(path: &Path) -> Result<()> {
    std::fs::create_dir_all(path).map_err(|source| Error::Write {
        path: path.to_owned(),
        source,
    })
}

fn write_file(path: &Path, data: &[u8]) -> Result<()> {
    if let Some(parent) = path.parent() {
        create_dir_all(parent)?;
    }
    std::fs::write(path, data).map_err(|source| Error::Write {
        path: path.to_owned(),
        source,
    })
}

#[cfg(test)]
mod tests;
