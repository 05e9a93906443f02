//! `lego-agent-local`: lego-agent's `local` policy, a lego-model checkpoint and its `tokenizer.json` on this
//! machine. The prompt is the conversation rendered by lego-data exactly as SFT renders its
//! training data, then `<|im_start|>assistant\n`: one format from training to inference. The
//! answer is decoded with lego-model's KV cache up to `<|im_end|>`, and its Hermes
//! `<tool_call>` blocks are read by the loop.
//!
//! Episodes share one model behind a lock and decode one at a time; batching the rollouts of a
//! task together is the job of a batched engine, which this policy does not have.
//!
//! A crate of its own rather than a feature of lego-agent: cargo unifies features across the
//! packages of one build, so a feature would link libtorch into `lego` whenever `lego-torch`
//! is built with it.

#![warn(missing_docs)]

use std::sync::{Arc, Mutex};

use lego_data::{Message, Tokenizer, Trajectory, render_chat};
use lego_model::{GenerateOptions, Qwen3Model, Sampling, generate};
use serde_json::Map;

use lego_agent::{Context, Policy, PolicyError, Turn, Usage};

/// The generation prompt of an assistant turn (the chat template's, no think block).
const ASSISTANT_HEADER: &str = "<|im_start|>assistant\n";
/// Ends an assistant turn.
const IM_END: &str = "<|im_end|>";

/// How the `local` policy generates.
#[derive(Debug, Clone, PartialEq)]
pub struct LocalOptions {
    /// Most new tokens per step.
    pub max_new_tokens: usize,
    /// Greedy or nucleus sampling.
    pub sampling: Sampling,
    /// The sampler's seed (the runner adds the rollout index).
    pub seed: u64,
    /// The longest prompt plus answer; `None`: the model's `max_position_embeddings`.
    pub max_context: Option<usize>,
}

impl Default for LocalOptions {
    fn default() -> Self {
        LocalOptions {
            max_new_tokens: 1024,
            sampling: Sampling::Greedy,
            seed: 0,
            max_context: None,
        }
    }
}

/// The `local` policy for one episode; model and tokenizer are shared by all episodes.
#[derive(Debug, Clone)]
pub struct LocalPolicy {
    model: Arc<Mutex<Qwen3Model>>,
    tokenizer: Arc<Tokenizer>,
    options: LocalOptions,
    name: String,
}

impl LocalPolicy {
    /// A policy generating with `model` and `tokenizer`; `name` is what predictions call the
    /// model (its directory).
    pub fn new(
        model: Arc<Mutex<Qwen3Model>>,
        tokenizer: Arc<Tokenizer>,
        options: LocalOptions,
        name: String,
    ) -> Self {
        LocalPolicy {
            model,
            tokenizer,
            options,
            name,
        }
    }

    /// The token ids of the prompt for the next step of `context`: the conversation as SFT
    /// renders it, then the assistant header.
    pub fn prompt_ids(&self, context: &Context<'_>) -> Result<Vec<u32>, PolicyError> {
        let conversation = Trajectory {
            instance_id: context.task.instance_id.clone(),
            tools: context.tools.to_vec(),
            messages: context.messages.to_vec(),
            outcome: None,
            final_patch: None,
            extra: Map::new(),
        };
        let chat = render_chat(&conversation, false)
            .map_err(|e| PolicyError::Failed(format!("cannot render the prompt: {e}")))?;
        let text = chat.text + ASSISTANT_HEADER;
        self.tokenizer
            .encode(&text)
            .map_err(|e| PolicyError::Failed(format!("cannot tokenize the prompt: {e}")))
    }
}

impl Policy for LocalPolicy {
    fn name(&self) -> &str {
        "local"
    }

    fn model(&self) -> String {
        self.name.clone()
    }

    fn next(&mut self, context: &Context<'_>) -> Result<Turn, PolicyError> {
        let prompt = self.prompt_ids(context)?;
        let im_end = self
            .tokenizer
            .token_to_id(IM_END)
            .ok_or_else(|| PolicyError::Failed(format!("the tokenizer has no {IM_END}")))?;
        let model = self.model.lock().unwrap_or_else(|e| e.into_inner());
        let limit = self
            .options
            .max_context
            .unwrap_or(model.config.max_position_embeddings);
        if prompt.len() + 1 > limit {
            return Err(PolicyError::ContextFull(format!(
                "the prompt has {} tokens; the context holds {limit}",
                prompt.len()
            )));
        }
        let options = GenerateOptions {
            max_new_tokens: self.options.max_new_tokens.min(limit - prompt.len()),
            sampling: self.options.sampling,
            stop_tokens: vec![i64::from(im_end)],
            seed: self.options.seed,
        };
        let ids: Vec<i64> = prompt.iter().map(|&i| i64::from(i)).collect();
        let new = generate(&model.net, &[ids], &options)
            .map_err(|e| PolicyError::Failed(format!("generation failed: {e}")))?
            .pop()
            .unwrap_or_default();
        drop(model);
        let completion_tokens = new.len() as u64;
        let answer: Vec<u32> = new
            .into_iter()
            .take_while(|&t| t != i64::from(im_end))
            .filter_map(|t| u32::try_from(t).ok())
            .collect();
        let text = self
            .tokenizer
            .decode(&answer)
            .map_err(|e| PolicyError::Failed(format!("cannot decode the answer: {e}")))?;
        // The next request renders from the messages, so a turn is seeded differently each time.
        self.options.seed = self.options.seed.wrapping_add(1);
        Ok(Turn {
            message: Message::assistant(text, Vec::new()),
            usage: Some(Usage {
                prompt_tokens: prompt.len() as u64,
                completion_tokens,
            }),
        })
    }
}
