//! The chunked loss equals cross-entropy over full logits, in value and in every gradient.

use lego_model::tch::{self, Kind, Tensor};
use lego_model::{IGNORE_INDEX, LoadOptions, Qwen3Config, Qwen3Model};

fn model() -> Qwen3Model {
    let config = Qwen3Config::from_json_str(
        r#"{"vocab_size": 200, "hidden_size": 32, "intermediate_size": 64,
            "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2,
            "head_dim": 8, "rope_theta": 10000.0, "tie_word_embeddings": true}"#,
    )
    .unwrap();
    Qwen3Model::init(config, LoadOptions::default(), 1).unwrap()
}

/// Two packed rows; labels shifted within each document, -100 on each document's last token
/// and on padding.
fn batch() -> (Tensor, Tensor, Tensor, Tensor) {
    let ids: Vec<i64> = (0..40).map(|i| (i * 17 + 3) % 200).collect();
    let positions: Vec<i64> = [
        (0..12).collect::<Vec<_>>(),
        (0..8).collect(),
        (0..20).collect(),
    ]
    .concat();
    let segments: Vec<i64> = [vec![0; 12], vec![1; 8], vec![0; 17], vec![-1; 3]].concat();
    let mut labels = vec![IGNORE_INDEX; 40];
    for i in 0..39 {
        if segments[i] == segments[i + 1] && segments[i] >= 0 && i != 19 {
            labels[i] = ids[i + 1];
        }
    }
    let t = |v: &[i64]| Tensor::from_slice(v).view([2, 20]);
    (t(&ids), t(&positions), t(&segments), t(&labels))
}

fn grads(model: &Qwen3Model) -> Vec<(String, Tensor)> {
    let mut vars: Vec<_> = model.vs.variables().into_iter().collect();
    vars.sort_by(|a, b| a.0.cmp(&b.0));
    vars.into_iter()
        .map(|(n, v)| (n, v.grad().copy()))
        .collect()
}

#[test]
fn chunked_loss_and_backward_equal_the_full_computation() {
    let model = model();
    let (ids, positions, segments, labels) = batch();
    let hidden = model
        .net
        .forward(&ids, &positions, Some(&segments))
        .unwrap();
    let full = model
        .net
        .logits(&hidden)
        .view([-1, 200])
        .cross_entropy_loss::<Tensor>(
            &labels.view([-1]),
            None,
            tch::Reduction::Sum,
            IGNORE_INDEX,
            0.0,
        );
    let (chunked, n) = model.net.loss_sum(&hidden, &labels, 7).unwrap();
    assert_eq!(n, labels.ne(IGNORE_INDEX).sum(Kind::Int64).int64_value(&[]));
    let (full_v, chunked_v) = (full.double_value(&[]), chunked.double_value(&[]));
    assert!((full_v - chunked_v).abs() < 1e-4, "{full_v} vs {chunked_v}");

    (full * 0.5).backward();
    let expected = grads(&model);
    for (_, v) in model.vs.variables() {
        let _ = v.grad().zero_();
    }
    let hidden = model
        .net
        .forward(&ids, &positions, Some(&segments))
        .unwrap();
    let (value, m) = model.net.loss_backward(&hidden, &labels, 7, 0.5).unwrap();
    assert_eq!(m, n);
    assert!((value - full_v).abs() < 1e-4);
    for ((name, e), (_, g)) in expected.iter().zip(&grads(&model)) {
        let diff = (e - g).abs().max().double_value(&[]);
        assert!(diff < 1e-6, "{name}: gradients differ by {diff:e}");
    }
}
