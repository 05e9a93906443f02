//! History sanitisation time, lego against `git` doing the equivalent by hand, in the same run.
//!
//! The bench makes its own repository with `git fast-import`: `COMMITS` commits over `FILES`
//! files of a few KiB (each commit rewrites two of them), packed by `git gc` as a real clone is.
//! The base is two thirds of the way up, so a third of the history is "future" to cut away.
//!
//! - squash: `sanitize_repo(Squash)` against SWE-smith's re-init (`git archive` of the base into
//!   a fresh directory, `git init`, `git add -A`, `git commit`).
//! - truncate: `sanitize_repo(Truncate)` against `git clone --no-local --single-branch --no-tags`
//!   of a branch at the base, then `remote remove`, `reflog expire --expire=now --all` and
//!   `gc --prune=now` (SWE-bench's counter-measures on a clone).
//!
//! Each is run `RUNS` times; the best time is reported (the machines are noisy).

use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use lego_data::{SanitizeMode, SanitizeOptions, sanitize_repo};

const COMMITS: usize = 3000;
const FILES: usize = 200;
const RUNS: usize = 3;

pub fn run() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let src = dir.path().join("src");
    let start = Instant::now();
    make_repo(&src)?;
    let made = start.elapsed().as_secs_f64();
    let base = git(&src, &["rev-parse", &format!("main~{}", COMMITS / 3)])?;
    let base = base.trim().to_owned();
    git(&src, &["branch", "bench-base", &base])?;
    let objects = git(&src, &["count-objects", "-v"])?;
    let in_pack = objects
        .lines()
        .find_map(|l| l.strip_prefix("in-pack: "))
        .unwrap_or("?")
        .to_owned();
    println!(
        "sanitise: {COMMITS} commits, {FILES} files, {in_pack} packed objects (made in {made:.1} s), \
         base main~{}",
        COMMITS / 3
    );

    let mut n = 0;
    let mut fresh = || {
        n += 1;
        dir.path().join(format!("out-{n}"))
    };
    let lego = |mode: SanitizeMode, out: &Path| -> Result<()> {
        let opts = SanitizeOptions {
            mode,
            ..SanitizeOptions::default()
        };
        sanitize_repo(&src, &base, out, &opts)?;
        Ok(())
    };
    let squash_lego = best(|| lego(SanitizeMode::Squash, &fresh()))?;
    let squash_git = best(|| reinit(&src, &base, &fresh()))?;
    let truncate_lego = best(|| lego(SanitizeMode::Truncate, &fresh()))?;
    let truncate_git = best(|| clone_and_clean(&src, &fresh()))?;
    let keep_lego = best(|| lego(SanitizeMode::Keep, &fresh()))?;

    println!("  {:<64} {:>9} {:>9}", "", "best s", "vs git");
    let row = |name: &str, secs: f64, reference: f64| {
        println!("  {name:<64} {secs:>9.3} {:>8.1}x", reference / secs);
    };
    row(
        "git archive + init + add + commit (SWE-smith re-init)",
        squash_git,
        squash_git,
    );
    row("lego sanitize --mode squash", squash_lego, squash_git);
    row(
        "git clone --no-local --single-branch + reflog expire + gc",
        truncate_git,
        truncate_git,
    );
    row("lego sanitize --mode truncate", truncate_lego, truncate_git);
    row(
        "lego sanitize --mode keep (copies .git, no sanitising)",
        keep_lego,
        truncate_git,
    );
    Ok(())
}

/// The shortest of `RUNS` runs, in seconds.
fn best(mut f: impl FnMut() -> Result<()>) -> Result<f64> {
    let mut best = f64::INFINITY;
    for _ in 0..RUNS {
        let start = Instant::now();
        f()?;
        best = best.min(start.elapsed().as_secs_f64());
    }
    Ok(best)
}

/// `COMMITS` commits through `git fast-import`, then a checkout and `gc`.
fn make_repo(src: &Path) -> Result<()> {
    std::fs::create_dir_all(src)?;
    git(src, &["init", "-q", "-b", "main"])?;
    let mut stream = Vec::new();
    let file = |k: usize, rev: usize| {
        let mut text = format!("# module {k}, revision {rev}\n");
        for line in 0..60 {
            text.push_str(&format!(
                "def function_{k}_{line}(x):\n    return x * {} + {line}\n",
                (rev + line) % 97
            ));
        }
        text
    };
    for i in 1..=COMMITS {
        let msg = format!("change {i}\n");
        write!(
            stream,
            "commit refs/heads/main\nmark :{i}\ncommitter Dev <dev@example.invalid> {} +0000\n\
             data {}\n{msg}",
            1_600_000_000 + i * 60,
            msg.len()
        )?;
        if i > 1 {
            writeln!(stream, "from :{}", i - 1)?;
        }
        let touched: Vec<usize> = if i == 1 {
            (0..FILES).collect()
        } else {
            vec![i % FILES, (i * 7 + 3) % FILES]
        };
        for k in touched {
            let text = file(k, i);
            write!(
                stream,
                "M 100644 inline pkg{}/mod_{k}.py\ndata {}\n{text}\n",
                k % 10,
                text.len()
            )?;
        }
    }
    let mut child = git_cmd(src, &["fast-import", "--quiet"])
        .stdin(Stdio::piped())
        .spawn()
        .context("cannot run git fast-import")?;
    child
        .stdin
        .take()
        .context("no stdin for git fast-import")?
        .write_all(&stream)?;
    if !child.wait()?.success() {
        bail!("git fast-import failed");
    }
    git(src, &["reset", "-q", "--hard", "main"])?;
    git(src, &["gc", "-q"])?;
    Ok(())
}

/// SWE-smith's re-init: the base tree into a fresh repository with one commit.
fn reinit(src: &Path, base: &str, out: &Path) -> Result<()> {
    std::fs::create_dir_all(out)?;
    let archive = git_cmd(src, &["archive", base])
        .stdout(Stdio::piped())
        .spawn()
        .context("cannot run git archive")?;
    let status = Command::new("tar")
        .arg("-x")
        .arg("-C")
        .arg(out)
        .stdin(archive.stdout.context("no stdout from git archive")?)
        .status()?;
    if !status.success() {
        bail!("tar -x failed");
    }
    git(out, &["init", "-q", "-b", "main"])?;
    git(out, &["add", "-A"])?;
    git(out, &["commit", "-q", "-m", "Initial commit"])?;
    Ok(())
}

/// A clone holding the base's history only, then SWE-bench's counter-measures.
fn clone_and_clean(src: &Path, out: &Path) -> Result<()> {
    let (src_s, out_s) = (path_str(src)?, path_str(out)?);
    git(
        Path::new("."),
        &[
            "clone",
            "-q",
            "--no-local",
            "--single-branch",
            "--no-tags",
            "--branch",
            "bench-base",
            &src_s,
            &out_s,
        ],
    )?;
    git(out, &["remote", "remove", "origin"])?;
    git(out, &["reflog", "expire", "--expire=now", "--all"])?;
    git(out, &["gc", "-q", "--prune=now"])?;
    Ok(())
}

fn path_str(p: &Path) -> Result<String> {
    p.to_str()
        .map(str::to_owned)
        .with_context(|| format!("{} is not UTF-8", p.display()))
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
        .env("GIT_COMMITTER_EMAIL", "dev@example.invalid");
    c
}

fn git(dir: &Path, args: &[&str]) -> Result<String> {
    let out = git_cmd(dir, args)
        .output()
        .with_context(|| format!("cannot run git {args:?}"))?;
    if !out.status.success() {
        bail!(
            "git {args:?} in {} failed: {}",
            dir.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(String::from_utf8(out.stdout)?)
}
