//! Environment images: one per repository at its base commit, on the base image, with the
//! repository at `/testbed` and installed.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use bollard::query_parameters::BuildImageOptions;
use futures_util::StreamExt;

use super::{
    DockerBackend, DockerError, DockerResult, ImageRef, content_hash, labels, run_program,
};

/// The repository part of every environment image tag.
pub const ENV_REPO: &str = "lego/env";

/// Bump when the generated Dockerfile changes shape.
const RECIPE: &str = "lego-env/1";

/// A repository to make an environment image of.
#[derive(Debug, Clone)]
pub struct EnvSpec {
    /// The repository checkout, at the commit tasks start from; copied whole (`.git` included,
    /// so the agent's diff is a `git diff`).
    pub repo_dir: PathBuf,
    /// Its name in tags and labels (`owner/name` or a directory name); `None`: the directory's.
    pub name: Option<String>,
    /// Shell commands run in `/testbed` at build time, in order, with network, e.g.
    /// `pip install -e .` and the test dependencies.
    pub install: Vec<String>,
}

impl EnvSpec {
    /// A spec for `repo_dir` with no install commands.
    pub fn new(repo_dir: impl Into<PathBuf>) -> Self {
        EnvSpec {
            repo_dir: repo_dir.into(),
            name: None,
            install: Vec::new(),
        }
    }

    fn name(&self) -> String {
        self.name.clone().unwrap_or_else(|| {
            self.repo_dir
                .canonicalize()
                .unwrap_or_else(|_| self.repo_dir.clone())
                .file_name()
                .map_or_else(|| "repo".to_owned(), |n| n.to_string_lossy().into_owned())
        })
    }
}

/// The tag the environment image of `spec` on `base` gets: a hash of the base image id, the
/// repository's HEAD commit, its history (what `.git` holds: a squashed, a truncated and a
/// hack-inclusive copy of one commit are three images), its files outside `.git`, and the
/// install commands.
pub fn env_image_tag(base: &ImageRef, spec: &EnvSpec) -> DockerResult<String> {
    let head = git_head(&spec.repo_dir).unwrap_or_default();
    let history = git_dir_hash(&spec.repo_dir.join(".git"))?;
    let files = files_hash(&spec.repo_dir)?;
    let install = spec.install.join("\n");
    let hash = content_hash([
        RECIPE.as_bytes(),
        base.id.as_bytes(),
        head.as_bytes(),
        history.as_bytes(),
        files.as_bytes(),
        install.as_bytes(),
    ]);
    Ok(format!("{ENV_REPO}:{}-{hash}", tag_safe(&spec.name())))
}

/// The environment image of `spec` on `base`, built unless one with its tag exists.
pub fn build_env_image(
    docker: &DockerBackend,
    base: &ImageRef,
    spec: &EnvSpec,
) -> DockerResult<ImageRef> {
    let tag = env_image_tag(base, spec)?;
    let span = tracing::info_span!("env_image", tag);
    let _entered = span.enter();
    if let Some(id) = docker.image_id(&tag)? {
        tracing::debug!(id, "environment image found in the engine");
        return Ok(ImageRef {
            id,
            tag,
            built: false,
        });
    }
    let started = std::time::Instant::now();
    tracing::info!(
        repo = %spec.repo_dir.display(),
        install_commands = spec.install.len(),
        "building the environment image"
    );
    let context = build_context(base, spec)?;
    let hash = tag.rsplit('-').next().unwrap_or_default().to_owned();
    let image_labels = HashMap::from([
        (labels::KIND.to_owned(), "env".to_owned()),
        (labels::REPO.to_owned(), spec.name()),
        (labels::HASH.to_owned(), hash),
        (
            labels::VERSION.to_owned(),
            env!("CARGO_PKG_VERSION").to_owned(),
        ),
    ]);
    let options = BuildImageOptions {
        dockerfile: "Dockerfile".to_owned(),
        t: Some(tag.clone()),
        rm: true,
        forcerm: true,
        labels: Some(image_labels),
        ..Default::default()
    };
    let action = format!("build {tag}");
    docker.block_on(async {
        let mut stream =
            docker
                .client()
                .build_image(options, None, Some(bollard::body_full(context.into())));
        let mut log = String::new();
        while let Some(item) = stream.next().await {
            let info = item.map_err(|source| match source {
                // The engine reports a failed RUN as a stream error; keep the build's output.
                bollard::errors::Error::DockerStreamError { error } => DockerError::Failed {
                    action: action.clone(),
                    message: format!("{error}{}", log_tail(&log)),
                },
                other => DockerError::engine(action.clone())(other),
            })?;
            if let Some(text) = info.stream {
                // The build's own output (install commands included), for whoever debugs one.
                tracing::trace!(output = text.trim_end(), "build output");
                log.push_str(&text);
            }
            if let Some(detail) = info.error_detail {
                return Err(DockerError::Failed {
                    action: action.clone(),
                    message: format!("{}{}", detail.message.unwrap_or_default(), log_tail(&log)),
                });
            }
        }
        Ok(())
    })?;
    let id = docker.image_id(&tag)?.ok_or_else(|| DockerError::Failed {
        action: format!("build {tag}"),
        message: "the engine reports no image after the build".to_owned(),
    })?;
    tracing::info!(
        id,
        seconds = started.elapsed().as_secs_f64(),
        "environment image built"
    );
    Ok(ImageRef {
        id,
        tag,
        built: true,
    })
}

/// The Dockerfile of an environment image.
pub(crate) fn dockerfile(base_tag: &str, install: &[String]) -> String {
    let mut text = format!("FROM {base_tag}\nCOPY repo/ /testbed/\nWORKDIR /testbed\n");
    for cmd in install {
        // One RUN per command, in bash, so a failure names its command in the build log.
        let json = serde_json::to_string(&["bash", "-c", cmd]).expect("strings serialise");
        text.push_str(&format!("RUN {json}\n"));
    }
    text
}

fn build_context(base: &ImageRef, spec: &EnvSpec) -> DockerResult<Vec<u8>> {
    let mut tar = tar::Builder::new(Vec::new());
    tar.follow_symlinks(false);
    let dockerfile = dockerfile(&base.tag, &spec.install);
    let mut header = tar::Header::new_gnu();
    header.set_size(dockerfile.len() as u64);
    header.set_mode(0o644);
    header.set_cksum();
    let action = format!("pack {} into a build context", spec.repo_dir.display());
    tar.append_data(&mut header, "Dockerfile", dockerfile.as_bytes())
        .map_err(DockerError::io(action.clone()))?;
    tar.append_dir_all("repo", &spec.repo_dir)
        .map_err(DockerError::io(action.clone()))?;
    tar.into_inner().map_err(DockerError::io(action))
}

fn git_head(dir: &Path) -> Option<String> {
    if !dir.join(".git").exists() {
        return None;
    }
    let out = run_program(
        Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(["rev-parse", "HEAD"]),
    )
    .ok()?;
    Some(String::from_utf8_lossy(&out).trim().to_owned())
}

/// A hash over every path, mode bit and content outside `.git`, in sorted order.
pub(crate) fn files_hash(dir: &Path) -> DockerResult<String> {
    let mut parts: Vec<Vec<u8>> = Vec::new();
    let mut stack = vec![PathBuf::new()];
    while let Some(rel) = stack.pop() {
        let abs = dir.join(&rel);
        let read = |source| DockerError::Read {
            path: abs.clone(),
            source,
        };
        let mut entries: Vec<_> = std::fs::read_dir(&abs)
            .map_err(read)?
            .collect::<Result<_, _>>()
            .map_err(|source| DockerError::Read {
                path: abs.clone(),
                source,
            })?;
        entries.sort_by_key(|e| e.file_name());
        for entry in entries {
            let name = entry.file_name();
            if rel.as_os_str().is_empty() && name == ".git" {
                continue;
            }
            let rel_path = rel.join(&name);
            let path = entry.path();
            let meta = std::fs::symlink_metadata(&path).map_err(|source| DockerError::Read {
                path: path.clone(),
                source,
            })?;
            let key = rel_path.to_string_lossy().into_owned();
            if meta.is_dir() {
                stack.push(rel_path);
            } else if meta.file_type().is_symlink() {
                let target = std::fs::read_link(&path).map_err(|source| DockerError::Read {
                    path: path.clone(),
                    source,
                })?;
                parts.push(format!("l {key}").into_bytes());
                parts.push(target.to_string_lossy().into_owned().into_bytes());
            } else {
                use std::os::unix::fs::PermissionsExt;
                let exec = meta.permissions().mode() & 0o111 != 0;
                parts.push(format!("f {key} {exec}").into_bytes());
                parts.push(std::fs::read(&path).map_err(|source| DockerError::Read {
                    path: path.clone(),
                    source,
                })?);
            }
        }
    }
    // The walk is depth-first from a stack; sort the (key, content) pairs so order is canonical.
    let mut pairs: Vec<(Vec<u8>, Vec<u8>)> = parts
        .chunks(2)
        .map(|c| (c[0].clone(), c.get(1).cloned().unwrap_or_default()))
        .collect();
    pairs.sort();
    Ok(content_hash(
        pairs.iter().flat_map(|(k, v)| [k.as_slice(), v.as_slice()]),
    ))
}

/// A hash of what a `.git` holds: every ref, `HEAD`, config, reflog and shallow file by content,
/// and the object database by file name and size (object and pack file names are their
/// checksums, so that is their content). The index is left out: it holds stat times, which every
/// copy changes, and it is derived from `HEAD`'s tree.
fn git_dir_hash(git_dir: &Path) -> DockerResult<String> {
    let read_error = |path: &Path| {
        let path = path.to_owned();
        move |source| DockerError::Read { path, source }
    };
    let meta = match std::fs::symlink_metadata(git_dir) {
        Ok(meta) => meta,
        Err(_) => return Ok(String::new()),
    };
    if !meta.is_dir() {
        // A worktree's `.git` file, pointing elsewhere: its text is what we have.
        let text = std::fs::read(git_dir).map_err(read_error(git_dir))?;
        return Ok(content_hash([text.as_slice()]));
    }
    let mut pairs: Vec<(String, Vec<u8>)> = Vec::new();
    let mut stack = vec![PathBuf::new()];
    while let Some(rel) = stack.pop() {
        let abs = git_dir.join(&rel);
        for entry in std::fs::read_dir(&abs).map_err(read_error(&abs))? {
            let entry = entry.map_err(read_error(&abs))?;
            let rel_path = rel.join(entry.file_name());
            let path = entry.path();
            let meta = std::fs::symlink_metadata(&path).map_err(read_error(&path))?;
            let key = rel_path.to_string_lossy().into_owned();
            if meta.is_dir() {
                stack.push(rel_path);
            } else if rel_path.starts_with("objects") {
                pairs.push((format!("o {key}"), meta.len().to_string().into_bytes()));
            } else if key != "index" {
                let content = std::fs::read(&path).map_err(read_error(&path))?;
                pairs.push((format!("f {key}"), content));
            }
        }
    }
    pairs.sort();
    Ok(content_hash(
        pairs.iter().flat_map(|(k, v)| [k.as_bytes(), v.as_slice()]),
    ))
}

/// `name` in the characters a tag allows, lowercase.
pub(crate) fn tag_safe(name: &str) -> String {
    let s: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '_' {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    let s = s.trim_start_matches(['.', '_']).to_owned();
    let s: String = s.chars().take(100).collect();
    if s.is_empty() { "repo".to_owned() } else { s }
}

/// The last lines of a build log, on one line (errors are one line).
pub(crate) fn log_tail(log: &str) -> String {
    let lines: Vec<&str> = log
        .lines()
        .map(str::trim)
        .filter(|l| {
            !l.is_empty() && !l.starts_with("--->") && !l.starts_with("Removing intermediate")
        })
        .collect();
    if lines.is_empty() {
        return String::new();
    }
    let tail = &lines[lines.len().saturating_sub(4)..];
    format!(" (build log ends: {})", tail.join(" | "))
}
