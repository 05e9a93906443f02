//! A real Python project for the pool tests: `six` 1.16.0 from its PyPI source distribution
//! (pinned by version and SHA-256; `test_six.py`, about 200 pytest tests, runs in a second), and
//! a virtualenv with pytest for the local backend (the host's python has none).
//!
//! Both are fetched with pip on first use and cached under the test target directory
//! (`CARGO_TARGET_TMPDIR/pypi`), built in a temporary directory and renamed into place, so
//! parallel test processes never see half of one. Without network the tests say they skip (and
//! fail under `LEGO_REQUIRE_BOOTSTRAP=1`).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

pub const NAME: &str = "six";
pub const VERSION: &str = "1.16.0";
const SHA256: &str = "1e61c37477a1626458e36f7b1d82aa5c9b094fa4802892072e49de9c60c4c926";
const PYTEST: &str = "pytest==8.3.3";

/// The test command of the project, run in `/testbed`. One case is left out: it imports
/// `dbm.ndbm`, which a python built without the gdbm/ndbm headers (pyenv's, on some hosts) lacks.
pub const TEST_COMMAND: &str =
    "python3 -m pytest -q -p no:cacheprovider -k 'not dbm_ndbm' test_six.py";

fn cache() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("pypi")
}

fn run(cmd: &mut Command) -> Result<String, String> {
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("{cmd:?}: {e}"))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(format!(
            "{cmd:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
                .lines()
                .last()
                .unwrap_or("")
        ))
    }
}

/// Makes `dest` with `make` (into a temporary sibling, then renamed) unless it exists.
fn cached(dest: &Path, make: impl FnOnce(&Path) -> Result<(), String>) -> Result<(), String> {
    if dest.exists() {
        return Ok(());
    }
    std::fs::create_dir_all(cache()).map_err(|e| e.to_string())?;
    let tmp = tempfile::tempdir_in(cache()).map_err(|e| e.to_string())?;
    let work = tmp.path().join("out");
    make(&work)?;
    // Another process may have won the race: then its copy is as good as ours.
    if std::fs::rename(&work, dest).is_err() && !dest.exists() {
        return Err(format!("cannot move {} into place", dest.display()));
    }
    Ok(())
}

fn git(dir: &Path, args: &[&str]) -> Result<String, String> {
    run(Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .env("GIT_AUTHOR_NAME", "lego")
        .env("GIT_AUTHOR_EMAIL", "lego@example.invalid")
        .env("GIT_COMMITTER_NAME", "lego")
        .env("GIT_COMMITTER_EMAIL", "lego@example.invalid")
        .env("GIT_AUTHOR_DATE", "2024-01-01T00:00:00Z")
        .env("GIT_COMMITTER_DATE", "2024-01-01T00:00:00Z"))
}

/// The unpacked sdist, committed to git (a fixed date: the same commit, so the same cached
/// environment image, every time).
fn try_project() -> Result<PathBuf, String> {
    let dest = cache().join(format!("{NAME}-{VERSION}"));
    cached(&dest, |work| {
        let dl = work.with_extension("dl");
        run(Command::new("python3")
            .args([
                "-m",
                "pip",
                "download",
                "--quiet",
                "--no-deps",
                "--no-binary",
                ":all:",
                &format!("{NAME}=={VERSION}"),
                "-d",
            ])
            .arg(&dl))?;
        let archive = dl.join(format!("{NAME}-{VERSION}.tar.gz"));
        let sum = run(Command::new("sha256sum").arg(&archive))?;
        if !sum.starts_with(SHA256) {
            return Err(format!(
                "{} has SHA-256 {sum}, not {SHA256}",
                archive.display()
            ));
        }
        run(Command::new("tar")
            .args(["--no-same-owner", "-xzf"])
            .arg(&archive)
            .arg("-C")
            .arg(&dl))?;
        std::fs::rename(dl.join(format!("{NAME}-{VERSION}")), work).map_err(|e| e.to_string())?;
        git(work, &["init", "-q"])?;
        git(work, &["add", "-A"])?;
        git(work, &["commit", "-qm", &format!("{NAME} {VERSION}")])?;
        Ok(())
    })?;
    Ok(dest)
}

/// A virtualenv with pytest, for running the suite on the local backend.
fn try_venv() -> Result<PathBuf, String> {
    let dest = cache().join("venv-pytest");
    cached(&dest, |work| {
        run(Command::new("python3").args(["-m", "venv"]).arg(work))?;
        run(Command::new(work.join("bin/pip")).args(["install", "--quiet", PYTEST]))?;
        Ok(())
    })?;
    Ok(dest)
}

/// The project and the pytest virtualenv, or `None` after saying why `test` skips.
pub fn project(test: &str) -> Option<(PathBuf, PathBuf)> {
    match try_project().and_then(|p| Ok((p, try_venv()?))) {
        Ok(pair) => Some(pair),
        Err(why) => {
            lego_testkit::skip_or_fail(
                test,
                &format!("cannot fetch {NAME} {VERSION} from PyPI: {why}"),
                "LEGO_REQUIRE_BOOTSTRAP",
            );
            None
        }
    }
}
