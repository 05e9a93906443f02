//! Sanitises a git repository at a base commit: the copy holds the base's files and, in
//! `truncate` mode, the base's own history; nothing newer (no later commits, tags, reflogs or
//! remotes an agent could read a fix from). Prints the report as JSON.
//!
//! `cargo run -p lego-examples --example sanitize_repo -- REPO BASE OUT [squash|truncate]`
//!
//! With no arguments it squashes this workspace's own repository at `HEAD` into a temporary
//! directory.

use anyhow::bail;
use lego_data::{SanitizeOptions, sanitize_repo};

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    // Kept until the end of main: the default output lives in it.
    let scratch = tempfile::tempdir()?;
    let workspace = concat!(env!("CARGO_MANIFEST_DIR"), "/..").to_owned();
    let default_out = scratch.path().join("sanitized").display().to_string();
    let head = "HEAD".to_owned();
    let (repo, base, out, mode) = match args.as_slice() {
        [] => (&workspace, &head, &default_out, "squash"),
        [repo, base, out] => (repo, base, out, "squash"),
        [repo, base, out, mode] => (repo, base, out, mode.as_str()),
        _ => bail!("usage: sanitize_repo REPO BASE OUT [squash|truncate]"),
    };
    let options = SanitizeOptions {
        // `squash` (one commit holding the base's tree) is what sandboxes are made from.
        mode: mode.parse().map_err(anyhow::Error::msg)?,
        ..SanitizeOptions::default()
    };
    // OUT must not exist or be empty: the copy is built beside it and renamed into place, so
    // it is whole or absent.
    let report = sanitize_repo(repo.as_ref(), base, out.as_ref(), &options)?;
    println!("{}", serde_json::to_string_pretty(&report)?);
    Ok(())
}
