use super::*;
use crate::{LoadOptions, Qwen3Config, Qwen3Model};

fn tiny() -> Qwen3Model {
    let config = Qwen3Config::from_json_str(
        r#"{"vocab_size": 300, "hidden_size": 32, "intermediate_size": 64,
            "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2,
            "head_dim": 8, "rope_theta": 10000.0, "initializer_range": 0.2}"#,
    )
    .unwrap();
    Qwen3Model::init(config, LoadOptions::default(), 7).unwrap()
}

fn greedy(n: usize) -> GenerateOptions {
    GenerateOptions {
        max_new_tokens: n,
        ..GenerateOptions::default()
    }
}

/// Greedy decoding without a cache: the whole sequence through `forward` at every step.
fn greedy_by_recomputation(model: &Qwen3Model, prompt: &[i64], n: usize) -> Vec<i64> {
    let mut seq = prompt.to_vec();
    for _ in 0..n {
        let t = seq.len() as i64;
        let next = tch::no_grad(|| {
            let ids = Tensor::from_slice(&seq).view([1, t]);
            let pos = Tensor::arange(t, (Kind::Int64, tch::Device::Cpu)).view([1, t]);
            let hidden = model.net.forward(&ids, &pos, None).unwrap();
            model
                .net
                .logits(&hidden.select(1, t - 1))
                .argmax(-1, false)
                .int64_value(&[0])
        });
        seq.push(next);
    }
    seq[prompt.len()..].to_vec()
}

#[test]
fn cached_padded_batch_equals_each_prompt_recomputed() {
    let model = tiny();
    let prompts = vec![vec![5, 17, 33, 2, 99, 150, 7], vec![44], vec![8, 9, 10]];
    let batched = generate(&model.net, &prompts, &greedy(12)).unwrap();
    for (prompt, got) in prompts.iter().zip(&batched) {
        assert_eq!(
            got,
            &greedy_by_recomputation(&model, prompt, 12),
            "{prompt:?}"
        );
        let alone = generate(&model.net, std::slice::from_ref(prompt), &greedy(12)).unwrap();
        assert_eq!(got, &alone[0]);
    }
}

#[test]
fn a_row_stops_after_its_stop_token_while_others_go_on() {
    let model = tiny();
    let prompts = vec![vec![5, 17, 33], vec![44, 45]];
    let free = generate(&model.net, &prompts, &greedy(6)).unwrap();
    let stop = free[0][2];
    let options = GenerateOptions {
        stop_tokens: vec![stop],
        ..greedy(6)
    };
    let stopped = generate(&model.net, &prompts, &options).unwrap();
    let first_stop = free[0].iter().position(|&t| t == stop).unwrap();
    assert_eq!(stopped[0], free[0][..=first_stop]);
    let cut = free[1]
        .iter()
        .position(|&t| t == stop)
        .map_or(free[1].len(), |i| i + 1);
    assert_eq!(stopped[1], free[1][..cut]);
}

#[test]
fn sampling_is_seeded_and_top_p_near_zero_is_greedy() {
    let model = tiny();
    let prompts = vec![vec![1, 2, 3], vec![4]];
    let sample = |seed, temperature, top_p| {
        let options = GenerateOptions {
            max_new_tokens: 16,
            sampling: Sampling::Sample { temperature, top_p },
            stop_tokens: Vec::new(),
            seed,
        };
        generate(&model.net, &prompts, &options).unwrap()
    };
    let a = sample(1, 1.5, 1.0);
    assert_eq!(a, sample(1, 1.5, 1.0));
    assert_ne!(a, sample(2, 1.5, 1.0));
    assert!(a.iter().flatten().all(|&t| (0..300).contains(&t)));
    let greedy_ids = generate(&model.net, &prompts, &greedy(16)).unwrap();
    assert_eq!(sample(3, 1.0, 1e-9), greedy_ids);
    assert_eq!(sample(3, 0.0, 0.9), greedy_ids);
}

#[test]
fn bad_prompts_are_refused() {
    let model = tiny();
    let err = |prompts: Vec<Vec<i64>>| {
        generate(&model.net, &prompts, &greedy(2))
            .unwrap_err()
            .to_string()
    };
    assert_eq!(err(vec![]), "bad input: no prompts to generate from");
    assert_eq!(err(vec![vec![1], vec![]]), "bad input: prompt 1 is empty");
    assert_eq!(
        err(vec![vec![1, 300]]),
        "bad input: prompt 0 holds token 300, outside the vocabulary of 300"
    );
}
