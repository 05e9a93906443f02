//! The `local` policy of `lego agent run`: the checkpoint and tokenizer loaded once, shared by
//! every episode.

use std::sync::{Arc, Mutex};

use anyhow::{Context, Result};
use lego_agent::Policy;
use lego_agent_local::{LocalOptions, LocalPolicy};
use lego_cli::agent::{LocalArgs, PolicyMaker};
use lego_data::{Task, Tokenizer};
use lego_model::{LoadOptions, Qwen3Model, Sampling};

/// Loads `args.model_dir` and its tokenizer; each (task, rollout) gets a policy over them,
/// seeded by the rollout.
pub fn local_policies(args: &LocalArgs) -> Result<PolicyMaker> {
    let model = Qwen3Model::load(&args.model_dir, LoadOptions::default())
        .with_context(|| format!("cannot load the model {}", args.model_dir.display()))?;
    let tokenizer_path = args
        .tokenizer
        .clone()
        .unwrap_or_else(|| args.model_dir.join("tokenizer.json"));
    let tokenizer = Tokenizer::from_file(&tokenizer_path)
        .with_context(|| format!("cannot load the tokenizer {}", tokenizer_path.display()))?;
    let sampling = match args.temperature {
        Some(t) if t > 0.0 => Sampling::Sample {
            temperature: t,
            top_p: args.top_p.unwrap_or(1.0),
        },
        _ => Sampling::Greedy,
    };
    let model = Arc::new(Mutex::new(model));
    let tokenizer = Arc::new(tokenizer);
    let name = args.model_dir.display().to_string();
    let (max_new_tokens, seed) = (args.max_new_tokens, args.seed);
    Ok(Box::new(
        move |_task: &Task, rollout: usize| -> Box<dyn Policy> {
            Box::new(LocalPolicy::new(
                Arc::clone(&model),
                Arc::clone(&tokenizer),
                LocalOptions {
                    max_new_tokens,
                    sampling,
                    seed: seed.wrapping_add(rollout as u64),
                    max_context: None,
                },
                name.clone(),
            ))
        },
    ))
}
