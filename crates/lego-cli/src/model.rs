use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Subcommand;
use lego_model::{LoadOptions, Qwen3Config, Qwen3Model};

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write a freshly initialised Qwen3 checkpoint (Hugging Face layout) of a given shape.
    Init {
        /// A `config.json` to take the shape from; the flags below override it. Without it, a
        /// tiny model with Qwen3's vocabulary (151936) is made.
        #[arg(long)]
        config: Option<PathBuf>,
        #[arg(long)]
        vocab_size: Option<usize>,
        #[arg(long)]
        hidden_size: Option<usize>,
        #[arg(long)]
        layers: Option<usize>,
        #[arg(long, default_value_t = 0)]
        seed: u64,
        #[arg(long)]
        out: PathBuf,
    },
}

pub fn run(cmd: Command) -> Result<()> {
    match cmd {
        Command::Init {
            config,
            vocab_size,
            hidden_size,
            layers,
            seed,
            out,
        } => {
            let mut json = match &config {
                Some(path) => {
                    let text = std::fs::read_to_string(path)
                        .with_context(|| format!("cannot read {}", path.display()))?;
                    serde_json::from_str::<serde_json::Value>(&text)
                        .with_context(|| format!("{} is not JSON", path.display()))?
                }
                None => serde_json::json!({
                    "vocab_size": 151936,
                    "hidden_size": 32,
                    "intermediate_size": 64,
                    "num_hidden_layers": 2,
                    "num_attention_heads": 2,
                    "num_key_value_heads": 1,
                    "head_dim": 16,
                    "max_position_embeddings": 40960,
                    "rms_norm_eps": 1e-6,
                    "rope_theta": 1000000.0,
                    "tie_word_embeddings": true,
                    "bos_token_id": 151643,
                    "eos_token_id": 151645,
                }),
            };
            if let Some(map) = json.as_object_mut() {
                if let Some(v) = vocab_size {
                    map.insert("vocab_size".into(), v.into());
                }
                if let Some(h) = hidden_size {
                    map.insert("hidden_size".into(), h.into());
                    map.insert("intermediate_size".into(), (2 * h).into());
                }
                if let Some(l) = layers {
                    map.insert("num_hidden_layers".into(), l.into());
                }
            }
            let cfg = Qwen3Config::from_json_str(&json.to_string())?;
            let model = Qwen3Model::init(cfg, LoadOptions::default(), seed)?;
            model.save(&out)?;
            eprintln!("wrote a random Qwen3 to {}", out.display());
            Ok(())
        }
    }
}
