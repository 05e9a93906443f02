//! Hugging Face checkpoints: a directory with `config.json` and either `model.safetensors` or
//! shards listed in `model.safetensors.index.json`, in any float dtype, embeddings tied or not.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use serde_json::Value;
use tch::{Device, Kind, Tensor, nn};

use crate::config::Qwen3Config;
use crate::error::{Error, Result, torch};
use crate::qwen3::{Fill, Qwen3};

/// The single-file weights of a Hugging Face checkpoint.
pub const WEIGHTS_FILE: &str = "model.safetensors";
/// The index of a sharded checkpoint (`weight_map`: tensor name -> shard file).
pub const WEIGHTS_INDEX_FILE: &str = "model.safetensors.index.json";
pub const CONFIG_FILE: &str = "config.json";

/// Where a model lives and in which precision.
#[derive(Debug, Clone, Copy)]
pub struct LoadOptions {
    pub device: Device,
    /// `Kind::Float` (CPU) or `Kind::BFloat16` (CUDA); checkpoint tensors are converted.
    pub kind: Kind,
}

impl Default for LoadOptions {
    /// CPU in f32.
    fn default() -> Self {
        Self {
            device: Device::Cpu,
            kind: Kind::Float,
        }
    }
}

/// A Qwen3 model with its variables: the network for forward passes and generation, the
/// `VarStore` for optimisers and saving.
#[derive(Debug)]
pub struct Qwen3Model {
    pub config: Qwen3Config,
    pub vs: nn::VarStore,
    pub net: Qwen3,
}

impl Qwen3Model {
    /// A freshly initialised model of `config`'s shape (normal(0, `initializer_range`) weights,
    /// unit norms), random under `tch::manual_seed(seed)`. That generator is libtorch's global
    /// one: the same seed gives the same model unless another thread draws from it meanwhile.
    pub fn init(config: Qwen3Config, options: LoadOptions, seed: u64) -> Result<Self> {
        tch::manual_seed(seed as i64);
        // Initialise in f32 and convert, so the same seed gives the same model in either kind.
        let mut vs = nn::VarStore::new(options.device);
        let net = Qwen3::new(vs.root(), &config)?;
        set_float_kind(&mut vs, options.kind);
        Ok(Self { config, vs, net })
    }

    /// Loads a Hugging Face checkpoint directory: `config.json`, then `model.safetensors` or, if
    /// absent, the shards of `model.safetensors.index.json`. Every tensor the config implies
    /// must be present with its exact shape (the error names the tensor and the file); extra
    /// tensors are ignored.
    pub fn load(dir: impl AsRef<Path>, options: LoadOptions) -> Result<Self> {
        let dir = dir.as_ref();
        let config = Qwen3Config::from_file(dir.join(CONFIG_FILE))?;
        Self::load_with_config(dir, config, options)
    }

    /// As [`Qwen3Model::load`] with a config given by the caller (a RoPE override, say).
    pub fn load_with_config(
        dir: impl AsRef<Path>,
        config: Qwen3Config,
        options: LoadOptions,
    ) -> Result<Self> {
        let dir = dir.as_ref();
        let mut vs = nn::VarStore::new(options.device);
        vs.set_kind(options.kind);
        let net = Qwen3::build(vs.root(), &config, Fill::Zeros)?;
        load_weights(&vs, dir)?;
        Ok(Self { config, vs, net })
    }

    /// Writes the model as a Hugging Face checkpoint that `transformers` loads:
    /// `config.json` (with `model_type`, `architectures` and the saved dtype) and one
    /// `model.safetensors` in the weights' kind. Each file is written atomically; a stale
    /// shard index in `dir` is removed so that the directory holds one checkpoint.
    pub fn save(&self, dir: impl AsRef<Path>) -> Result<()> {
        let dir = dir.as_ref();
        std::fs::create_dir_all(dir).map_err(|source| Error::Write {
            path: dir.to_path_buf(),
            source,
        })?;
        let kind = self.net.kind();
        let mut config = self.config.to_json();
        if let Value::Object(map) = &mut config {
            map.entry("model_type").or_insert_with(|| "qwen3".into());
            map.entry("architectures")
                .or_insert_with(|| Value::from(vec!["Qwen3ForCausalLM"]));
            let dtype = if kind == Kind::BFloat16 {
                "bfloat16"
            } else {
                "float32"
            };
            map.insert("torch_dtype".into(), dtype.into());
        }
        let text = serde_json::to_string_pretty(&config).map_err(|source| Error::Json {
            origin: "the config to save".into(),
            source,
        })?;
        write_atomic(&dir.join(CONFIG_FILE), |tmp| {
            std::fs::write(tmp, text.as_bytes()).map_err(|source| Error::Write {
                path: tmp.to_path_buf(),
                source,
            })
        })?;

        let mut named: Vec<(String, Tensor)> = self
            .vs
            .variables()
            .into_iter()
            .map(|(name, t)| (name, t.detach().to_device(Device::Cpu).contiguous()))
            .collect();
        named.sort_by(|a, b| a.0.cmp(&b.0));
        write_atomic(&dir.join(WEIGHTS_FILE), |tmp| {
            Tensor::write_safetensors(&named, tmp)
                .map_err(torch(format!("write {}", tmp.display())))
        })?;
        let index = dir.join(WEIGHTS_INDEX_FILE);
        if index.exists() {
            std::fs::remove_file(&index).map_err(|source| Error::Write {
                path: index,
                source,
            })?;
        }
        Ok(())
    }
}

/// Converts the floating variables of `vs` to `kind` (and makes it the default for new ones).
fn set_float_kind(vs: &mut nn::VarStore, kind: Kind) {
    match kind {
        Kind::BFloat16 => vs.bfloat16(),
        Kind::Half => vs.half(),
        Kind::Double => vs.double(),
        _ => vs.float(),
    }
}

/// Copies every variable of `vs` from the checkpoint in `dir`, file by file, so that at most one
/// shard is in memory at a time.
fn load_weights(vs: &nn::VarStore, dir: &Path) -> Result<()> {
    let single = dir.join(WEIGHTS_FILE);
    let (files, origin) = if single.exists() {
        (vec![single.clone()], single)
    } else {
        let index = dir.join(WEIGHTS_INDEX_FILE);
        if !index.exists() {
            return Err(Error::Read {
                path: single,
                source: std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    format!("neither {WEIGHTS_FILE} nor {WEIGHTS_INDEX_FILE} exists"),
                ),
            });
        }
        (shard_files(&index)?, index)
    };
    let mut variables: HashMap<String, Tensor> = vs.variables();
    let mut found = BTreeSet::new();
    for file in &files {
        let tensors =
            Tensor::read_safetensors(file).map_err(torch(format!("read {}", file.display())))?;
        for (name, src) in tensors {
            let Some(dst) = variables.get_mut(&name) else {
                continue;
            };
            if dst.size() != src.size() {
                return Err(Error::TensorShape {
                    name,
                    path: file.clone(),
                    expected: dst.size(),
                    found: src.size(),
                });
            }
            tch::no_grad(|| dst.f_copy_(&src))
                .map_err(torch(format!("copy `{name}` from {}", file.display())))?;
            found.insert(name);
        }
    }
    let mut missing: Vec<&String> = variables.keys().filter(|n| !found.contains(*n)).collect();
    missing.sort();
    match missing.first() {
        Some(name) => Err(Error::MissingTensor {
            name: (*name).clone(),
            path: origin,
        }),
        None => Ok(()),
    }
}

/// The distinct shard files named by an index's `weight_map`, in first-seen order.
fn shard_files(index: &Path) -> Result<Vec<PathBuf>> {
    let text = std::fs::read_to_string(index).map_err(|source| Error::Read {
        path: index.to_path_buf(),
        source,
    })?;
    let origin = index.display().to_string();
    let value: Value = serde_json::from_str(&text).map_err(|source| Error::Json {
        origin: origin.clone(),
        source,
    })?;
    let Some(map) = value.get("weight_map").and_then(Value::as_object) else {
        return Err(Error::Invalid {
            origin,
            field: "weight_map".into(),
            message: "missing or not an object".into(),
        });
    };
    let dir = index.parent().unwrap_or(Path::new("."));
    let mut files: Vec<PathBuf> = Vec::new();
    for (name, file) in map {
        let Some(file) = file.as_str() else {
            return Err(Error::Invalid {
                origin,
                field: format!("weight_map.{name}"),
                message: "expected a file name".into(),
            });
        };
        let path = dir.join(file);
        if !files.contains(&path) {
            files.push(path);
        }
    }
    Ok(files)
}

/// Writes through `write` into a temporary sibling of `path`, then renames it into place.
fn write_atomic(path: &Path, write: impl FnOnce(&Path) -> Result<()>) -> Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    write(&tmp)?;
    std::fs::rename(&tmp, path).map_err(|source| Error::Write {
        path: path.to_path_buf(),
        source,
    })
}
