//! Loads a Qwen3 checkpoint and generates: the shortest path from a Hugging Face directory to
//! new token ids with lego-model.
//!
//! `cargo run -p lego-examples --example generate -- [MODEL_DIR]`
//!
//! Without an argument it makes a tiny random Qwen3 first (a few hundred KB, written like any
//! Hugging Face checkpoint), so it runs in seconds anywhere; its output is random tokens. Given a
//! real Qwen3 directory (`config.json` + `model.safetensors`), it generates from that. lego does
//! not tokenise here: the prompt is token ids (lego-data's tokenizer makes them from text).

use lego_model::{GenerateOptions, LoadOptions, Qwen3Config, Qwen3Model, Sampling, generate};

fn main() -> anyhow::Result<()> {
    let scratch = tempfile::tempdir()?;
    let dir = match std::env::args_os().nth(1) {
        Some(dir) => dir.into(),
        None => {
            // A tiny Qwen3: 2 layers, GQA 4/2 heads, vocabulary of 1000.
            let config = Qwen3Config::from_json_str(
                r#"{"vocab_size": 1000, "hidden_size": 64, "intermediate_size": 128,
                    "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2,
                    "head_dim": 16, "rope_theta": 1000000.0, "max_position_embeddings": 4096,
                    "tie_word_embeddings": true}"#,
            )?;
            let dir = scratch.path().join("tiny-qwen3");
            Qwen3Model::init(config, LoadOptions::default(), 0)?.save(&dir)?;
            dir
        }
    };

    // CPU in f32 by default; `LoadOptions { device: Device::Cuda(0), kind: Kind::BFloat16 }` on
    // a GPU. The safetensors files are memory-mapped and copied once into the weights.
    let model = Qwen3Model::load(&dir, LoadOptions::default())?;
    println!(
        "loaded {} ({} layers, vocabulary {})",
        dir.display(),
        model.config.num_hidden_layers,
        model.config.vocab_size
    );

    // Two prompts of different lengths decode together in one left-padded batch.
    let prompts = vec![vec![1, 2, 3, 4, 5], vec![42, 7]];
    let options = GenerateOptions {
        max_new_tokens: 16,
        // Greedy; `Sampling::Sample { temperature, top_p }` samples (seeded by `seed`).
        sampling: Sampling::Greedy,
        ..GenerateOptions::default()
    };
    let outputs = generate(&model.net, &prompts, &options)?;
    for (prompt, new) in prompts.iter().zip(&outputs) {
        println!("{prompt:?} -> {new:?}");
    }
    Ok(())
}
