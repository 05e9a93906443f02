//! The reference side of a bench: a committed script under `benches/python/`, run by the
//! bootstrap venv's python, answering one JSON object on stdout.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

/// Runs `benches/python/{script}` with `args` and parses the last line of its stdout as JSON.
pub fn run_json<I, S>(script: &str, args: I) -> Result<serde_json::Value>
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let python = env_path("LEGO_PYTHON")?;
    let script = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("python")
        .join(script);
    let out = Command::new(&python)
        .arg(&script)
        .args(args)
        .output()
        .with_context(|| format!("cannot run {}", script.display()))?;
    if !out.status.success() {
        bail!(
            "{} failed: {}",
            script.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    let last = stdout.lines().last().unwrap_or_default();
    serde_json::from_str(last)
        .with_context(|| format!("{} printed no JSON: {last:?}", script.display()))
}

/// A path the bootstrap environment names (`cargo xtask bench` sets them).
pub fn env_path(var: &str) -> Result<PathBuf> {
    match std::env::var_os(var) {
        Some(v) if !v.is_empty() => Ok(PathBuf::from(v)),
        _ => bail!("{var} is not set: run through `cargo xtask bench`"),
    }
}

/// A scratch directory for this bench process.
pub fn tempfile_dir() -> Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("lego-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// A JSON number field of the reference's answer (NaN when missing, so it shows in the table).
pub fn f64_field(v: &serde_json::Value, key: &str) -> f64 {
    v[key].as_f64().unwrap_or(f64::NAN)
}
