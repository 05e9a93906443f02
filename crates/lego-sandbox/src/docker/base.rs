//! The base image: a minimal Debian made by `debootstrap` and imported, since nothing can be
//! pulled from a registry.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use bollard::query_parameters::CreateImageOptions;
use futures_util::StreamExt;

use super::{
    DockerBackend, DockerError, DockerResult, ImageRef, content_hash, labels, run_program,
};

/// The repository part of every base image tag.
pub const BASE_REPO: &str = "lego/base";

/// What the base system holds besides `minbase`: python with pip and venv, pytest, setuptools
/// (so `pip install --no-build-isolation -e .` works offline), git, `patch` (the last fallback of
/// SWE-bench's patch-applying chain), certificates and `ps`/`pkill`.
pub const DEFAULT_PACKAGES: &[&str] = &[
    "python3",
    "python3-pip",
    "python3-venv",
    "python3-pytest",
    "python3-setuptools",
    "python3-wheel",
    "git",
    "patch",
    "ca-certificates",
    "procps",
];

/// Bump when what is done to the root filesystem after `debootstrap` changes, so the hash (and
/// thus the tag) changes with it.
const RECIPE: &str = "lego-base/1: rm EXTERNALLY-MANAGED, apt lists and caches; no /dev /proc /sys";

/// How the base image is made.
#[derive(Debug, Clone)]
pub struct BaseImageOptions {
    /// The Debian release.
    pub suite: String,
    /// The package mirror; `None`: the one this machine's apt uses ([`detect_mirror`]).
    pub mirror: Option<String>,
    /// Packages added to `--variant=minbase`.
    pub packages: Vec<String>,
    /// Where the root filesystem is made (it needs about 500 MB); `None`: the system temp dir.
    pub workdir: Option<PathBuf>,
}

impl Default for BaseImageOptions {
    fn default() -> Self {
        BaseImageOptions {
            suite: "bookworm".to_owned(),
            mirror: None,
            packages: DEFAULT_PACKAGES.iter().map(|p| (*p).to_owned()).collect(),
            workdir: None,
        }
    }
}

/// The tag the base image made with `opts` has. The mirror is not part of it: any mirror serves
/// the same release.
pub fn base_image_tag(opts: &BaseImageOptions) -> String {
    let mut packages = opts.packages.clone();
    packages.sort();
    let packages = packages.join(",");
    let hash = content_hash([
        RECIPE.as_bytes(),
        opts.suite.as_bytes(),
        packages.as_bytes(),
    ]);
    format!("{BASE_REPO}:{hash}")
}

/// The base image for `opts`, built (as root, with `debootstrap` and the mirror reachable)
/// unless an image with its tag exists already.
pub fn ensure_base_image(
    docker: &DockerBackend,
    opts: &BaseImageOptions,
) -> DockerResult<ImageRef> {
    let tag = base_image_tag(opts);
    let span = tracing::info_span!("base_image", tag);
    let _entered = span.enter();
    if let Some(id) = docker.image_id(&tag)? {
        tracing::debug!(id, "base image found in the engine");
        return Ok(ImageRef {
            id,
            tag,
            built: false,
        });
    }
    let started = std::time::Instant::now();
    let mirror = match &opts.mirror {
        Some(m) => m.clone(),
        None => detect_mirror(),
    };
    tracing::info!(
        suite = opts.suite,
        mirror,
        packages = opts.packages.len(),
        "bootstrapping the base image with debootstrap (a few minutes)"
    );
    let mut builder = tempfile::Builder::new();
    builder.prefix("lego-base-");
    let dir = match &opts.workdir {
        Some(w) => builder.tempdir_in(w),
        None => builder.tempdir(),
    }
    .map_err(DockerError::io(
        "create a directory for the base root filesystem",
    ))?;
    let root = dir.path().join("root");
    debootstrap(opts, &mirror, &root)?;
    tracing::debug!(
        seconds = started.elapsed().as_secs_f64(),
        "debootstrap done; importing the root filesystem"
    );
    tidy_rootfs(&root)?;
    import_rootfs(docker, &root, &tag)?;
    let id = docker.image_id(&tag)?.ok_or_else(|| DockerError::Failed {
        action: format!("import {tag}"),
        message: "the engine reports no image after the import".to_owned(),
    })?;
    tracing::info!(
        id,
        seconds = started.elapsed().as_secs_f64(),
        "base image bootstrapped"
    );
    Ok(ImageRef {
        id,
        tag,
        built: true,
    })
}

fn debootstrap(opts: &BaseImageOptions, mirror: &str, root: &Path) -> DockerResult<()> {
    let mut cmd = Command::new("debootstrap");
    cmd.arg("--variant=minbase");
    if !opts.packages.is_empty() {
        cmd.arg(format!("--include={}", opts.packages.join(",")));
    }
    cmd.arg(&opts.suite).arg(root).arg(mirror);
    run_program(&mut cmd).map(drop)
}

/// Makes the root filesystem an image: pip may install system-wide (the container is the
/// isolation, PEP 668's marker would refuse), and apt's downloads go.
fn tidy_rootfs(root: &Path) -> DockerResult<()> {
    let lib = root.join("usr/lib");
    let entries = std::fs::read_dir(&lib).map_err(|source| DockerError::Read {
        path: lib.clone(),
        source,
    })?;
    for entry in entries.flatten() {
        if entry.file_name().to_string_lossy().starts_with("python3") {
            let marker = entry.path().join("EXTERNALLY-MANAGED");
            if marker.exists() {
                std::fs::remove_file(&marker)
                    .map_err(DockerError::io(format!("remove {}", marker.display())))?;
            }
        }
    }
    for dir in ["var/cache/apt/archives", "var/lib/apt/lists"] {
        let dir = root.join(dir);
        if let Ok(entries) = std::fs::read_dir(&dir) {
            for entry in entries.flatten() {
                let path = entry.path();
                if path.is_file() {
                    std::fs::remove_file(&path)
                        .map_err(DockerError::io(format!("remove {}", path.display())))?;
                }
            }
        }
    }
    Ok(())
}

/// Streams `tar` of the root filesystem into the engine's import (`docker import -`).
fn import_rootfs(docker: &DockerBackend, root: &Path, tag: &str) -> DockerResult<()> {
    let (repo, version) = tag.split_once(':').unwrap_or((tag, "latest"));
    let mut child = Command::new("tar")
        .arg("--numeric-owner")
        .arg("-C")
        .arg(root)
        .args([
            "--exclude=./dev/*",
            "--exclude=./proc/*",
            "--exclude=./sys/*",
        ])
        .args(["-cf", "-", "."])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|source| DockerError::Spawn {
            program: "tar".to_owned(),
            source,
        })?;
    let mut stdout = child.stdout.take().ok_or_else(|| DockerError::Failed {
        action: "tar the base root filesystem".to_owned(),
        message: "no stdout".to_owned(),
    })?;
    // A thread reads tar's output and hands it to the request body chunk by chunk.
    let (tx, rx) = tokio::sync::mpsc::channel::<std::io::Result<bytes::Bytes>>(8);
    let reader = std::thread::spawn(move || {
        let mut buf = vec![0u8; 1 << 20];
        loop {
            match stdout.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => {
                    if tx
                        .blocking_send(Ok(bytes::Bytes::copy_from_slice(&buf[..n])))
                        .is_err()
                    {
                        break;
                    }
                }
                Err(err) => {
                    let _ = tx.blocking_send(Err(err));
                    break;
                }
            }
        }
    });
    let body = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    });
    let options = CreateImageOptions {
        from_src: Some("-".to_owned()),
        repo: Some(repo.to_owned()),
        tag: Some(version.to_owned()),
        changes: vec![
            format!("LABEL {}=base", labels::KIND),
            format!("LABEL {}={}", labels::VERSION, env!("CARGO_PKG_VERSION")),
            format!("LABEL {}={}", labels::HASH, version),
            "ENV LANG=C.UTF-8".to_owned(),
            "CMD [\"/bin/bash\"]".to_owned(),
        ],
        ..Default::default()
    };
    let action = format!("import the base root filesystem as {tag}");
    let result = docker.block_on(async {
        let mut stream =
            docker
                .client()
                .create_image(Some(options), Some(bollard::body_try_stream(body)), None);
        while let Some(item) = stream.next().await {
            let info = item.map_err(DockerError::engine(action.clone()))?;
            if let Some(detail) = info.error_detail {
                return Err(DockerError::Failed {
                    action: action.clone(),
                    message: detail.message.unwrap_or_default(),
                });
            }
        }
        Ok(())
    });
    let _ = reader.join();
    let output = child
        .wait_with_output()
        .map_err(DockerError::io("wait for tar"))?;
    result?;
    if !output.status.success() {
        return Err(DockerError::Program {
            program: "tar".to_owned(),
            status: output.status.to_string(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        });
    }
    Ok(())
}

/// The Debian mirror this machine's apt uses (deb822 `URIs:` or one-line `deb` entries under
/// `/etc/apt`), else `http://deb.debian.org/debian`.
pub fn detect_mirror() -> String {
    let mut files = vec![PathBuf::from("/etc/apt/sources.list")];
    if let Ok(entries) = std::fs::read_dir("/etc/apt/sources.list.d") {
        let mut more: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
        more.sort();
        files.extend(more);
    }
    files
        .iter()
        .filter_map(|f| std::fs::read_to_string(f).ok())
        .find_map(|text| mirror_in(&text))
        .unwrap_or_else(|| "http://deb.debian.org/debian".to_owned())
}

/// The first Debian archive (not the security archive) named in an apt sources text.
pub(crate) fn mirror_in(text: &str) -> Option<String> {
    text.lines().find_map(|line| {
        let line = line.trim();
        let uris: Vec<&str> = if let Some(rest) = line.strip_prefix("URIs:") {
            rest.split_whitespace().collect()
        } else if let Some(rest) = line.strip_prefix("deb ") {
            // `deb [options] URI suite components`
            let rest = rest.trim_start();
            let rest = match rest.strip_prefix('[') {
                Some(r) => r.split_once(']').map_or("", |(_, after)| after),
                None => rest,
            };
            rest.split_whitespace().take(1).collect()
        } else {
            Vec::new()
        };
        uris.into_iter()
            .find(|u| {
                let u = u.trim_end_matches('/');
                u.ends_with("/debian") && (u.starts_with("http://") || u.starts_with("https://"))
            })
            .map(|u| u.trim_end_matches('/').to_owned())
    })
}
