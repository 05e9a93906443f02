//! The Docker engine for the tests: connected once, with the base image, or a loud skip.
//!
//! Without an engine each Docker test prints `SKIPPED name: why` and passes, unless
//! `LEGO_REQUIRE_DOCKER=1` (set by `cargo xtask ci` where a socket exists): then it fails.

use std::path::Path;
use std::process::Command;
use std::sync::OnceLock;
use std::time::Instant;

use lego_sandbox::{
    BaseImageOptions, DockerBackend, EnvSpec, ImageRef, base_image_tag, build_env_image,
    ensure_base_image,
};

pub fn require() -> bool {
    std::env::var_os("LEGO_REQUIRE_DOCKER").is_some_and(|v| v == "1")
}

pub fn skip(test: &str, why: &str) {
    assert!(!require(), "{test}: {why} (LEGO_REQUIRE_DOCKER=1)");
    eprintln!("SKIPPED {test}: {why}");
}

/// The engine and the shared base image, `None` (after saying why) where there is none.
pub fn base(test: &str) -> Option<(DockerBackend, ImageRef)> {
    static BASE: OnceLock<Result<(DockerBackend, ImageRef), String>> = OnceLock::new();
    let got = BASE.get_or_init(|| {
        let docker = DockerBackend::connect().map_err(|_| "no Docker engine answers".to_owned())?;
        let opts = BaseImageOptions::default();
        let have = docker.image_id(&base_image_tag(&opts)).unwrap().is_some();
        if !have
            && Command::new("debootstrap")
                .arg("--version")
                .output()
                .is_err()
        {
            return Err("no base image and no debootstrap to build it".to_owned());
        }
        let t = Instant::now();
        let image = ensure_base_image(&docker, &opts).unwrap();
        eprintln!(
            "base image {} ({}) in {:.1} s",
            image.tag,
            if image.built { "built" } else { "cached" },
            t.elapsed().as_secs_f64()
        );
        Ok((docker, image))
    });
    match got {
        Ok(pair) => Some(pair.clone()),
        Err(why) => {
            skip(test, why);
            None
        }
    }
}

/// The environment image of `repo` (built once, then cached by content: keep it, it is cheap to
/// find again and `lego sandbox gc --images` removes it).
pub fn env_image(
    test: &str,
    repo: &Path,
    name: &str,
    install: &[&str],
) -> Option<(DockerBackend, ImageRef)> {
    let (docker, base) = base(test)?;
    let spec = EnvSpec {
        repo_dir: repo.to_owned(),
        name: Some(name.to_owned()),
        install: install.iter().map(|c| (*c).to_owned()).collect(),
    };
    let t = Instant::now();
    let image = build_env_image(&docker, &base, &spec).unwrap();
    eprintln!(
        "env image {} ({}) in {:.1} s",
        image.tag,
        if image.built { "built" } else { "cached" },
        t.elapsed().as_secs_f64()
    );
    Some((docker, image))
}
