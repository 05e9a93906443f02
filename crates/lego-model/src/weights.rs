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
/// The model config of a Hugging Face checkpoint directory.
pub const CONFIG_FILE: &str = "config.json";

/// Where a model lives and in which precision.
#[derive(Debug, Clone, Copy)]
pub struct LoadOptions {
    /// Where the weights are put.
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
    /// The config the model was built from (with any RoPE override).
    pub config: Qwen3Config,
    /// The variables, named by their Hugging Face keys: what optimisers and `save` use.
    pub vs: nn::VarStore,
    /// The network over those variables: forward, loss, generation.
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
        let net = Qwen3::build(vs.root(), &config, Fill::Empty)?;
        let started = std::time::Instant::now();
        let bytes = load_weights(&vs, dir)?;
        // Debug, not info: a command that rejects its input after loading the model (a token
        // id outside the vocabulary) owes the user one line, the error.
        tracing::debug!(
            path = %dir.display(),
            bytes,
            seconds = started.elapsed().as_secs_f64(),
            "checkpoint loaded"
        );
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

/// Copies every variable of `vs` from the checkpoint in `dir`, file by file; returns the bytes
/// of the files read.
///
/// Each file is memory-mapped ([`MappedSafetensors`]) and each tensor copied once, straight from
/// the mapped pages into its variable (converting the dtype on the way); the pages of a tensor
/// are handed back to the kernel as soon as it is copied, so the process holds the model plus
/// about one tensor of the file at a time, never a whole file.
fn load_weights(vs: &nn::VarStore, dir: &Path) -> Result<u64> {
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
    let mut bytes = 0;
    for file in &files {
        let mapped = MappedSafetensors::open(file)?;
        bytes += mapped.len() as u64;
        for (name, entry) in mapped.entries()? {
            let Some(dst) = variables.get_mut(&name) else {
                continue;
            };
            if dst.size() != entry.shape {
                return Err(Error::TensorShape {
                    name,
                    path: file.clone(),
                    expected: dst.size(),
                    found: entry.shape,
                });
            }
            mapped.copy_into(&name, &entry, dst)?;
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
        None => Ok(bytes),
    }
}

/// One tensor as a safetensors header describes it.
#[derive(Debug, serde::Deserialize)]
struct Entry {
    dtype: String,
    shape: Vec<i64>,
    /// Byte range within the data that follows the header.
    data_offsets: [usize; 2],
}

/// A safetensors file mapped into memory: an 8-byte little-endian header length, a JSON header
/// (name -> dtype, shape, offsets; `__metadata__` aside), then the tensors' bytes.
struct MappedSafetensors {
    path: PathBuf,
    map: memmap2::Mmap,
}

impl MappedSafetensors {
    fn open(path: &Path) -> Result<Self> {
        let read_err = |source| Error::Read {
            path: path.to_path_buf(),
            source,
        };
        let file = std::fs::File::open(path).map_err(read_err)?;
        let map = map_read_only(&file).map_err(read_err)?;
        // The tensors are read front to back, once.
        map.advise(memmap2::Advice::Sequential).ok();
        Ok(Self {
            path: path.to_path_buf(),
            map,
        })
    }

    fn len(&self) -> usize {
        self.map.len()
    }

    fn invalid(&self, field: &str, message: impl Into<String>) -> Error {
        Error::Invalid {
            origin: self.path.display().to_string(),
            field: field.to_string(),
            message: message.into(),
        }
    }

    /// The start of the tensor data in the file.
    fn data_start(&self) -> Result<usize> {
        let head: [u8; 8] = self
            .map
            .get(..8)
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| self.invalid("header", "file shorter than its 8-byte header length"))?;
        usize::try_from(u64::from_le_bytes(head))
            .ok()
            .and_then(|n| n.checked_add(8))
            .filter(|&end| end <= self.map.len())
            .ok_or_else(|| self.invalid("header", "header length past the end of the file"))
    }

    /// The tensors of the file, in the order their bytes lie in it.
    fn entries(&self) -> Result<Vec<(String, Entry)>> {
        let start = self.data_start()?;
        let header: serde_json::Map<String, Value> = serde_json::from_slice(&self.map[8..start])
            .map_err(|source| Error::Json {
                origin: format!("the safetensors header of {}", self.path.display()),
                source,
            })?;
        let mut entries = Vec::with_capacity(header.len());
        for (name, value) in header {
            if name == "__metadata__" {
                continue;
            }
            let entry: Entry = serde_json::from_value(value)
                .map_err(|e| self.invalid(&name, format!("bad header entry: {e}")))?;
            entries.push((name, entry));
        }
        entries.sort_by_key(|(_, e)| e.data_offsets[0]);
        Ok(entries)
    }

    /// Copies tensor `name` into `dst` (same shape, any float kind and device), then releases
    /// its pages.
    fn copy_into(&self, name: &str, entry: &Entry, dst: &mut Tensor) -> Result<()> {
        let kind = match entry.dtype.as_str() {
            "F32" => Kind::Float,
            "BF16" => Kind::BFloat16,
            "F16" => Kind::Half,
            "F64" => Kind::Double,
            other => {
                return Err(self.invalid(name, format!("dtype {other} is not a float type")));
            }
        };
        let numel = entry.shape.iter().product::<i64>();
        let [begin, end] = entry.data_offsets;
        let start = self.data_start()?;
        let range = (start + begin)..(start + end);
        let bytes = self
            .map
            .get(range.clone())
            .filter(|b| b.len() as i64 == numel * kind.elt_size_in_bytes() as i64)
            .ok_or_else(|| {
                self.invalid(
                    name,
                    format!(
                        "data_offsets {begin}..{end} do not hold {numel} {} values inside the file",
                        entry.dtype
                    ),
                )
            })?;
        if numel > 0 {
            let src = if bytes.as_ptr().align_offset(kind.elt_size_in_bytes()) == 0 {
                borrow_tensor(bytes, &entry.shape, kind)
            } else {
                // safetensors aligns the data block, not each tensor: after an odd number of
                // 16-bit values the next tensor is misaligned, and gets copied out first.
                Tensor::f_from_data_size(bytes, &entry.shape, kind)
            }
            .map_err(torch(format!("read `{name}` from {}", self.path.display())))?;
            tch::no_grad(|| dst.f_copy_(&src))
                .map_err(torch(format!("copy `{name}` from {}", self.path.display())))?;
        }
        release(&self.map, range.start, range.len());
        Ok(())
    }
}

/// Maps `file` read-only.
#[allow(unsafe_code)]
fn map_read_only(file: &std::fs::File) -> std::io::Result<memmap2::Mmap> {
    // SAFETY: reading the mapping is undefined behaviour only if the file is truncated or
    // written while mapped. lego writes checkpoints to a temporary name and renames them into
    // place (`save`), so a path's file is never written in place; for files others write, not
    // modifying a checkpoint while it loads is the contract of every safetensors loader
    // (`safetensors`' own, PyTorch's `safe_open`). The mapping lives for one load only.
    unsafe { memmap2::Mmap::map(file) }
}

/// A tensor over `bytes` without copying them (contiguous, on the CPU); the caller must drop it
/// before `bytes` goes away.
#[allow(unsafe_code)]
fn borrow_tensor(
    bytes: &[u8],
    shape: &[i64],
    kind: Kind,
) -> std::result::Result<Tensor, tch::TchError> {
    let mut strides = vec![1i64; shape.len()];
    for i in (0..shape.len().saturating_sub(1)).rev() {
        strides[i] = strides[i + 1] * shape[i + 1];
    }
    // SAFETY: `bytes` holds exactly `shape.product()` values of `kind` (checked by the caller)
    // at an address aligned for `kind`, and outlives the tensor: the only caller copies from it
    // and drops it before returning. libtorch only reads through it (it is the source of a
    // copy), so the read-only mapping is never written.
    unsafe { Tensor::f_from_blob(bytes.as_ptr(), shape, &strides, kind, Device::Cpu) }
}

/// Hands the pages of `offset..offset + len` of `map` back to the kernel, so a tensor already
/// copied stops counting in the process's memory. Failure only costs memory, so it is ignored.
#[allow(unsafe_code)]
fn release(map: &memmap2::Mmap, offset: usize, len: usize) {
    // SAFETY: `MADV_DONTNEED` on a read-only shared file mapping drops the pages; a later read
    // faults them in again from the unchanged file, so no reference into the mapping ever sees
    // different bytes. No tensor borrows these bytes any more (`borrow_tensor`'s view is gone).
    unsafe {
        map.unchecked_advise_range(memmap2::UncheckedAdvice::DontNeed, offset, len)
            .ok();
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
