//! Greedy generation against transformers' `generate(do_sample=False)`: lego decodes prompts of
//! different lengths in one left-padded batch, transformers each prompt alone.

use lego_model::{GenerateOptions, generate};
use serde_json::json;

use crate::tiny::{ids, load, model_dir, reference};

fn check_greedy(test: &str, name: &str, prompt_lens: &[usize], new_tokens: usize) {
    let Some(dir) = model_dir(test, name) else {
        return;
    };
    let model = load(&dir);
    let prompts: Vec<Vec<i64>> = prompt_lens
        .iter()
        .enumerate()
        .map(|(i, &len)| ids(100 + i as u64, len, 1000))
        .collect();
    let options = GenerateOptions {
        max_new_tokens: new_tokens,
        // The tiny models' eos, as transformers stops on it.
        stop_tokens: vec![2],
        ..GenerateOptions::default()
    };
    let ours = generate(&model.net, &prompts, &options).unwrap();
    let request = json!({"generate": prompts.iter().enumerate().map(|(i, p)| json!({
        "name": i.to_string(), "ids": p, "max_new_tokens": new_tokens,
    })).collect::<Vec<_>>()});
    let reference = reference(&dir, request);
    for (i, got) in ours.iter().enumerate() {
        let expected: Vec<i64> =
            serde_json::from_value(reference["generate"][i.to_string()].clone()).unwrap();
        assert_eq!(
            got,
            &expected,
            "{name}: prompt {i} of length {}",
            prompts[i].len()
        );
    }
    eprintln!(
        "generate {name}: {} prompts x {new_tokens} tokens equal transformers",
        prompts.len()
    );
}

/// One test for every model, so that transformers is imported once.
#[test]
fn greedy_generation_matches_transformers() {
    let test = "greedy_generation_matches_transformers";
    check_greedy(test, "gqa-untied", &[5, 12, 1], 24);
    check_greedy(test, "headdim-tied", &[9, 9], 24);
    // Prompts of 50 and 30 tokens, 40 new ones: decoding crosses position 64, YaRN's original
    // context.
    check_greedy(test, "yarn", &[50, 30], 40);
}
