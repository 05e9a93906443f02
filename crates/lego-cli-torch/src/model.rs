use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::{Subcommand, ValueEnum};
use lego_model::tch::{self, Device, Kind, Tensor};
use lego_model::{GenerateOptions, LoadOptions, Qwen3Config, Qwen3Model, Sampling, TokenIds};
use serde_json::{Value, json};

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write a randomly initialised Qwen3 of any shape as a Hugging Face checkpoint.
    Init {
        /// A Qwen3 `config.json`.
        #[arg(long)]
        config: PathBuf,
        /// The checkpoint directory to write (`config.json` + `model.safetensors`).
        #[arg(long)]
        out: PathBuf,
        #[arg(long, default_value_t = 0)]
        seed: u64,
        #[arg(long, value_enum, default_value_t = Dtype::F32)]
        dtype: Dtype,
    },
    /// Logits of one sequence, `[T, vocab]` f32 under the key `logits` of a safetensors file.
    Forward {
        #[command(flatten)]
        model: ModelArgs,
        /// A JSON array of token ids.
        #[arg(long)]
        ids: PathBuf,
        #[arg(long)]
        out: PathBuf,
    },
    /// Continue a prompt; prints `{"ids": [...]}`, the new tokens.
    Generate {
        #[command(flatten)]
        model: ModelArgs,
        /// A JSON array of token ids, or an array of such arrays to decode several prompts
        /// at once (then `ids` is an array of arrays).
        #[arg(long)]
        ids: PathBuf,
        #[arg(long)]
        max_new_tokens: usize,
        /// Take the most likely token at each step (otherwise sample).
        #[arg(long)]
        greedy: bool,
        #[arg(long, default_value_t = 1.0)]
        temperature: f64,
        #[arg(long, default_value_t = 1.0)]
        top_p: f64,
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// More stop tokens, besides the config's `eos_token_id`.
        #[arg(long)]
        stop: Vec<i64>,
    },
}

#[derive(Debug, clap::Args)]
pub struct ModelArgs {
    /// A Hugging Face Qwen3 checkpoint directory.
    #[arg(long)]
    model: PathBuf,
    #[arg(long, value_enum, default_value_t = DeviceArg::Cpu)]
    device: DeviceArg,
    /// Weight precision; f32 on the CPU and bf16 on CUDA unless given.
    #[arg(long, value_enum)]
    dtype: Option<Dtype>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Dtype {
    F32,
    Bf16,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum DeviceArg {
    Cpu,
    Cuda,
}

impl Dtype {
    fn kind(self) -> Kind {
        match self {
            Self::F32 => Kind::Float,
            Self::Bf16 => Kind::BFloat16,
        }
    }
}

pub fn run(cmd: Command) -> Result<()> {
    match cmd {
        Command::Init {
            config,
            out,
            seed,
            dtype,
        } => {
            let config = Qwen3Config::from_file(&config)?;
            let options = LoadOptions {
                device: Device::Cpu,
                kind: dtype.kind(),
            };
            let model = Qwen3Model::init(config, options, seed)?;
            model
                .save(&out)
                .with_context(|| format!("cannot write the model to {}", out.display()))?;
            tracing::info!("wrote {}", out.display());
            Ok(())
        }
        Command::Forward { model, ids, out } => {
            let model = load(&model)?;
            let ids = read_ids(&ids)?;
            let Ids::One(ids) = ids else {
                bail!("forward takes one sequence: a JSON array of token ids");
            };
            check_vocab(&model, &ids)?;
            let t = ids.len() as i64;
            let device = model.net.device();
            let logits = tch::no_grad(|| -> Result<Tensor> {
                let input = Tensor::from_slice(&ids).view([1, t]).to_device(device);
                let positions = Tensor::arange(t, (Kind::Int64, device)).view([1, t]);
                let hidden = model.net.forward(&input, &positions, None)?;
                Ok(model.net.logits(&hidden).squeeze_dim(0))
            })?;
            let logits = logits.to_device(Device::Cpu).contiguous();
            let tmp = out.with_extension("safetensors.tmp");
            Tensor::write_safetensors(&[("logits", &logits)], &tmp)
                .with_context(|| format!("cannot write {}", tmp.display()))?;
            std::fs::rename(&tmp, &out)
                .with_context(|| format!("cannot write {}", out.display()))?;
            tracing::info!(
                "wrote {} (logits [{t}, {}])",
                out.display(),
                logits.size()[1]
            );
            Ok(())
        }
        Command::Generate {
            model,
            ids,
            max_new_tokens,
            greedy,
            temperature,
            top_p,
            seed,
            stop,
        } => {
            let model = load(&model)?;
            let ids = read_ids(&ids)?;
            let prompts = match &ids {
                Ids::One(p) => vec![p.clone()],
                Ids::Many(ps) => ps.clone(),
            };
            let mut stop_tokens: Vec<i64> = match &model.config.eos_token_id {
                Some(TokenIds::One(id)) => vec![i64::from(*id)],
                Some(TokenIds::Many(ids)) => ids.iter().map(|&id| i64::from(id)).collect(),
                None => Vec::new(),
            };
            stop_tokens.extend(stop);
            let sampling = if greedy {
                Sampling::Greedy
            } else {
                Sampling::Sample { temperature, top_p }
            };
            let options = GenerateOptions {
                max_new_tokens,
                sampling,
                stop_tokens,
                seed,
            };
            let new = lego_model::generate(&model.net, &prompts, &options)?;
            let out = match ids {
                Ids::One(_) => json!({ "ids": new[0] }),
                Ids::Many(_) => json!({ "ids": new }),
            };
            println!("{out}");
            Ok(())
        }
    }
}

fn load(args: &ModelArgs) -> Result<Qwen3Model> {
    let (device, default_kind) = match args.device {
        DeviceArg::Cpu => (Device::Cpu, Kind::Float),
        DeviceArg::Cuda => {
            if !tch::Cuda::is_available() {
                bail!("--device cuda: libtorch sees no CUDA device");
            }
            (Device::Cuda(0), Kind::BFloat16)
        }
    };
    let options = LoadOptions {
        device,
        kind: args.dtype.map_or(default_kind, Dtype::kind),
    };
    Qwen3Model::load(&args.model, options)
        .with_context(|| format!("cannot load the model {}", args.model.display()))
}

enum Ids {
    One(Vec<i64>),
    Many(Vec<Vec<i64>>),
}

fn read_ids(path: &Path) -> Result<Ids> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let value: Value =
        serde_json::from_str(&text).with_context(|| format!("{} is not JSON", path.display()))?;
    let ids = if value
        .as_array()
        .is_some_and(|a| a.iter().all(Value::is_array))
        && value.as_array().is_some_and(|a| !a.is_empty())
    {
        serde_json::from_value(value).map(Ids::Many)
    } else {
        serde_json::from_value(value).map(Ids::One)
    };
    let ids = ids.with_context(|| {
        format!(
            "{}: expected a JSON array of token ids (or an array of them)",
            path.display()
        )
    })?;
    let empty = match &ids {
        Ids::One(p) => p.is_empty(),
        Ids::Many(ps) => ps.iter().any(Vec::is_empty),
    };
    if empty {
        bail!("{}: a sequence of token ids is empty", path.display());
    }
    Ok(ids)
}

fn check_vocab(model: &Qwen3Model, ids: &[i64]) -> Result<()> {
    let vocab = model.config.vocab_size as i64;
    if let Some(bad) = ids.iter().find(|&&t| t < 0 || t >= vocab) {
        bail!("token id {bad} is outside the vocabulary of {vocab}");
    }
    Ok(())
}
