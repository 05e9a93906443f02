//! `cargo bench -p lego-model`: the forward pass of a tiny Qwen3 on the CPU, one 256-token
//! sequence and a packed row of four documents, to final hidden states and to logits.

use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use lego_model::tch::{self, Kind, Tensor};
use lego_model::{LoadOptions, Qwen3Config, Qwen3Model};

const TOKENS: i64 = 256;

fn forward(c: &mut Criterion) {
    tch::set_num_threads(1);
    let config = Qwen3Config::from_json_str(
        r#"{"vocab_size": 4096, "hidden_size": 128, "intermediate_size": 384,
            "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2,
            "head_dim": 32, "rope_theta": 1000000.0, "max_position_embeddings": 4096,
            "tie_word_embeddings": true}"#,
    )
    .expect("the bench config is valid");
    let model = Qwen3Model::init(config, LoadOptions::default(), 0).expect("init a tiny model");
    let cpu = tch::Device::Cpu;
    let ids = Tensor::randint(4096, [1, TOKENS], (Kind::Int64, cpu));
    let positions = Tensor::arange(TOKENS, (Kind::Int64, cpu)).view([1, TOKENS]);
    // Four documents of 64 tokens packed in one row: positions restart, attention per document.
    let packed_positions = Tensor::arange(TOKENS, (Kind::Int64, cpu))
        .remainder(64)
        .view([1, TOKENS]);
    let segments = Tensor::arange(TOKENS, (Kind::Int64, cpu))
        .divide_scalar_mode(64, "floor")
        .view([1, TOKENS]);

    let mut group = c.benchmark_group("qwen3 tiny forward, 256 tokens");
    group.bench_function("hidden states", |b| {
        b.iter(|| tch::no_grad(|| model.net.forward(&ids, &positions, None).expect("forward")))
    });
    group.bench_function("hidden states, 4 packed documents", |b| {
        b.iter(|| {
            tch::no_grad(|| {
                model
                    .net
                    .forward(&ids, &packed_positions, Some(&segments))
                    .expect("forward")
            })
        })
    });
    group.bench_function("logits", |b| {
        b.iter(|| {
            tch::no_grad(|| {
                let hidden = model.net.forward(&ids, &positions, None).expect("forward");
                model.net.logits(&hidden)
            })
        })
    });
    group.finish();
}

criterion_group! {
    name = benches;
    // Short runs: this is a regression check on a noisy shared machine, not a paper figure.
    config = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = forward
}
criterion_main!(benches);
