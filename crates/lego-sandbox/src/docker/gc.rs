//! Finding what lego left in the engine (by label) and removing what no live process owns.

use std::collections::{HashMap, HashSet};

use bollard::query_parameters::{ListContainersOptions, ListImagesOptions, RemoveImageOptions};

use super::container::remove;
use super::{BaseImageOptions, base_image_tag};
use super::{DockerBackend, DockerError, DockerResult, labels};
use crate::owner::owner_alive;
pub(crate) use crate::owner::process_start;

/// An image lego made.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ImageEntry {
    /// The engine's id (`sha256:...`).
    pub id: String,
    /// Its tags (`lego/env:NAME-HASH`), none when untagged.
    pub tags: Vec<String>,
    /// `base` or `env`.
    pub kind: String,
    /// The repository of an environment image.
    pub repo: Option<String>,
    /// Its size on disk as the engine reports it.
    pub size_bytes: i64,
    /// Unix seconds.
    pub created: i64,
    /// Containers using it, where the engine counts them (API 1.41 does not).
    pub containers: Option<i64>,
}

/// A sandbox container lego started.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ContainerEntry {
    /// The engine's id.
    pub id: String,
    /// The image it was started from (a tag or an id).
    pub image: String,
    /// `running`, `exited`, ...
    pub state: String,
    /// The pid of the process that started it (its `lego.owner` label).
    pub owner_pid: Option<u32>,
    /// Whether the owning process still lives (on this host); `false` means `gc` removes it.
    pub owner_alive: bool,
    /// Unix seconds.
    pub created: i64,
}

/// Everything lego made that the engine holds.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize)]
pub struct Listing {
    /// lego's base and environment images, by kind then tags.
    pub images: Vec<ImageEntry>,
    /// lego's sandbox containers, oldest first.
    pub containers: Vec<ContainerEntry>,
}

/// What [`gc`] removes besides orphaned sandboxes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GcOptions {
    /// Also remove lego's images that no container uses: environment images, and base images
    /// of other recipes than the default one (which takes minutes to rebuild, so it stays).
    /// All are rebuilt on demand.
    pub images: bool,
}

/// What [`gc`] removed.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct GcReport {
    /// The ids of the sandbox containers removed.
    pub containers: Vec<String>,
    /// The ids of the images removed.
    pub images: Vec<String>,
}

/// lego's images and sandbox containers.
pub fn list(docker: &DockerBackend) -> DockerResult<Listing> {
    docker.block_on(list_async(docker))
}

async fn list_async(docker: &DockerBackend) -> DockerResult<Listing> {
    let client = docker.client();
    let images = client
        .list_images(Some(ListImagesOptions {
            filters: Some(HashMap::from([(
                "label".to_owned(),
                vec![labels::KIND.to_owned()],
            )])),
            ..Default::default()
        }))
        .await
        .map_err(DockerError::engine("list images"))?;
    let containers = client
        .list_containers(Some(ListContainersOptions {
            all: true,
            filters: Some(HashMap::from([(
                "label".to_owned(),
                vec![format!("{}=sandbox", labels::KIND)],
            )])),
            ..Default::default()
        }))
        .await
        .map_err(DockerError::engine("list containers"))?;
    let here = hostname();
    let mut listing = Listing::default();
    for image in images {
        let tags = image
            .repo_tags
            .into_iter()
            .filter(|t| t != "<none>:<none>")
            .collect();
        listing.images.push(ImageEntry {
            id: image.id,
            tags,
            kind: image.labels.get(labels::KIND).cloned().unwrap_or_default(),
            repo: image.labels.get(labels::REPO).cloned(),
            size_bytes: image.size,
            created: image.created,
            containers: (image.containers >= 0).then_some(image.containers),
        });
    }
    for c in containers {
        let labels_map = c.labels.unwrap_or_default();
        let owner_pid = labels_map.get(labels::OWNER).and_then(|p| p.parse().ok());
        let same_host = labels_map
            .get(labels::OWNER_HOST)
            .is_none_or(|h| *h == here);
        let owner_alive = match owner_pid {
            // A sandbox of another host is never ours to judge: count it alive.
            _ if !same_host => true,
            Some(pid) => owner_alive(pid, labels_map.get(labels::OWNER_START).map(String::as_str)),
            None => false,
        };
        listing.containers.push(ContainerEntry {
            id: c.id.unwrap_or_default(),
            image: c.image.unwrap_or_default(),
            state: c.state.map(|s| s.to_string()).unwrap_or_default(),
            owner_pid,
            owner_alive,
            created: c.created.unwrap_or_default(),
        });
    }
    listing
        .images
        .sort_by(|a, b| (&a.kind, &a.tags).cmp(&(&b.kind, &b.tags)));
    listing.containers.sort_by_key(|c| c.created);
    Ok(listing)
}

/// Removes every sandbox container whose owner process is gone (a Ctrl-C, a crash, a kill),
/// and with `images`, lego's images no container uses.
pub fn gc(docker: &DockerBackend, opts: &GcOptions) -> DockerResult<GcReport> {
    let span = tracing::info_span!("docker_gc", images = opts.images);
    let _entered = span.enter();
    let report = docker.block_on(async {
        let listing = list_async(docker).await?;
        let mut report = GcReport::default();
        for c in listing.containers.iter().filter(|c| !c.owner_alive) {
            remove(docker, &c.id).await?;
            tracing::info!(
                container = super::container::short(&c.id),
                owner_pid = c.owner_pid,
                image = c.image,
                "removed a sandbox container whose owner is gone"
            );
            report.containers.push(c.id.clone());
        }
        if opts.images {
            let listing = list_async(docker).await?;
            let used: HashSet<&str> = listing
                .containers
                .iter()
                .map(|c| c.image.as_str())
                .collect();
            // Environment images first: base images cannot go while something is built on them.
            let mut images: Vec<&ImageEntry> = listing.images.iter().collect();
            images.sort_by_key(|i| i.kind != "env");
            let current_base = base_image_tag(&BaseImageOptions::default());
            for image in images {
                if image.tags.contains(&current_base)
                    || image.containers.is_some_and(|n| n > 0)
                    || used.contains(image.id.as_str())
                    || image.tags.iter().any(|t| used.contains(t.as_str()))
                {
                    continue;
                }
                match docker
                    .client()
                    .remove_image(&image.id, Some(RemoveImageOptions::default()), None)
                    .await
                {
                    Ok(_) => {
                        tracing::info!(id = image.id, tags = ?image.tags, "removed an unused image");
                        report.images.push(image.id.clone());
                    }
                    // 409: an image something else is built on; it stays.
                    Err(bollard::errors::Error::DockerResponseServerError {
                        status_code: 409,
                        ..
                    }) => {}
                    Err(err) if DockerError::is_not_found(&err) => {}
                    Err(err) => {
                        return Err(DockerError::engine(format!("remove image {}", image.id))(
                            err,
                        ));
                    }
                }
            }
        }
        Ok(report)
    })?;
    tracing::info!(
        containers = report.containers.len(),
        images = report.images.len(),
        "Docker garbage collected"
    );
    Ok(report)
}

pub(crate) fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_owned())
        .unwrap_or_default()
}
