//! `cargo bench -p lego-sft`: one optimizer step of a tiny Qwen3 on the CPU, as `train` does it:
//! zeroed gradients, forward, chunked loss and backward (plain and with activation
//! checkpointing), gradient clipping, AdamW.

use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use lego_model::tch::{self, Kind, Tensor};
use lego_model::{LoadOptions, Qwen3Config, Qwen3Model};
use lego_sft::{AdamW, AdamWConfig};

const ROWS: i64 = 2;
const TOKENS: i64 = 128;

fn train_step(c: &mut Criterion) {
    tch::set_num_threads(1);
    let config = Qwen3Config::from_json_str(
        r#"{"vocab_size": 2048, "hidden_size": 64, "intermediate_size": 192,
            "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2,
            "head_dim": 16, "rope_theta": 1000000.0, "max_position_embeddings": 4096,
            "tie_word_embeddings": true}"#,
    )
    .expect("the bench config is valid");
    let model = Qwen3Model::init(config, LoadOptions::default(), 0).expect("init a tiny model");
    let mut opt = AdamW::new(&model.vs, AdamWConfig::default());
    let cpu = tch::Device::Cpu;
    let ids = Tensor::randint(2048, [ROWS, TOKENS], (Kind::Int64, cpu));
    let positions = Tensor::arange(TOKENS, (Kind::Int64, cpu))
        .view([1, TOKENS])
        .repeat([ROWS, 1]);
    // Labels already shifted: each token predicts the next; the last one predicts nothing.
    let labels = Tensor::cat(
        &[
            ids.narrow(1, 1, TOKENS - 1),
            Tensor::full([ROWS, 1], -100, (Kind::Int64, cpu)),
        ],
        1,
    );
    let scale = 1.0 / (ROWS * (TOKENS - 1)) as f64;

    let mut group = c.benchmark_group("qwen3 tiny train step, 2 x 128 tokens");
    group.bench_function("forward + backward + AdamW", |b| {
        b.iter(|| {
            opt.zero_grad();
            let hidden = model.net.forward(&ids, &positions, None).expect("forward");
            let loss = model
                .net
                .loss_backward(&hidden, &labels, 64, scale)
                .expect("backward");
            opt.clip_grad_norm(1.0);
            opt.step(1e-4);
            loss
        })
    });
    group.bench_function("with activation checkpointing", |b| {
        b.iter(|| {
            opt.zero_grad();
            let loss = model
                .net
                .loss_backward_checkpointed(&ids, &positions, None, &labels, 64, scale)
                .expect("backward");
            opt.clip_grad_norm(1.0);
            opt.step(1e-4);
            loss
        })
    });
    group.finish();
}

criterion_group! {
    name = benches;
    // Short runs: a regression check on a noisy shared machine.
    config = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = train_step
}
criterion_main!(benches);
