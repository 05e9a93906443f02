//! Forward and backward of a small model at 32k tokens on the CPU: attention through
//! `scaled_dot_product_attention` (no `[T, T]` scores) and the chunked loss keep memory linear in
//! the sequence. Full logits here would be 32768 x 8192 f32 = 1 GiB, several times over for the
//! softmax and its gradient.

use std::time::Instant;

use lego_model::tch::{self, Kind, Tensor};
use lego_model::{LoadOptions, Qwen3Config, Qwen3Model};

/// The process's peak resident memory (`VmHWM`) in MiB; 0 where `/proc` is absent.
fn peak_rss_mib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map_or(0, |kb| kb / 1024)
}

fn run(tokens: i64) -> (f64, i64) {
    // Two heads and no GQA keep the test quick: libtorch's CPU flash-attention backward
    // parallelises over key/value heads only, so one KV head runs on one core (measured at 32k:
    // 40s per layer with 2 query heads on 1 KV head, 5s with 2 on 2); GQA is covered by parity.
    let config = Qwen3Config::from_json_str(
        r#"{"vocab_size": 8192, "hidden_size": 64, "intermediate_size": 128,
            "num_hidden_layers": 2, "num_attention_heads": 2, "num_key_value_heads": 2,
            "head_dim": 16, "rope_theta": 1000000.0, "max_position_embeddings": 32768}"#,
    )
    .unwrap();
    let model = Qwen3Model::init(config, LoadOptions::default(), 0).unwrap();
    let ids = Tensor::randint(8192, [1, tokens], (Kind::Int64, tch::Device::Cpu));
    let positions = Tensor::arange(tokens, (Kind::Int64, tch::Device::Cpu)).view([1, tokens]);
    // Labels already shifted: each token predicts the next; the last one predicts nothing.
    let labels = Tensor::cat(
        &[
            ids.narrow(1, 1, tokens - 1),
            Tensor::full([1, 1], -100, (Kind::Int64, tch::Device::Cpu)),
        ],
        1,
    );
    let t0 = Instant::now();
    let hidden = model.net.forward(&ids, &positions, None).unwrap();
    let forward = t0.elapsed();
    let (loss, n) = model
        .net
        .loss_backward(&hidden, &labels, 2048, 1.0 / tokens as f64)
        .unwrap();
    eprintln!(
        "  forward {forward:.1?}, chunked loss + backward {:.1?}",
        t0.elapsed() - forward
    );
    for (name, var) in model.vs.variables() {
        let grad = var.grad();
        assert!(grad.defined(), "{name} has no gradient");
        assert!(
            grad.isfinite().all().int64_value(&[]) == 1,
            "{name} has a non-finite gradient"
        );
    }
    (loss, n)
}

/// One sequence: the demanding case for attention. Packed rows attend per document with the
/// same kernel; their parity and loss are tested in `parity.rs` and `loss.rs`.
#[test]
fn forward_and_backward_at_32k_tokens_fit_on_the_cpu() {
    let start = Instant::now();
    let (loss, n) = run(32768);
    let mean = loss / n as f64;
    eprintln!(
        "32k forward+backward: mean loss {mean:.3} over {n} tokens in {:.1?}, process peak RSS {} MiB",
        start.elapsed(),
        peak_rss_mib()
    );
    assert_eq!(n, 32767);
    // A random model predicts about uniformly: ln(8192) = 9.01.
    assert!((mean - 8192f64.ln()).abs() < 0.5, "mean loss {mean}");
    // The whole test process, other tests included when they share it.
    assert!(peak_rss_mib() < 3072, "peak RSS {} MiB", peak_rss_mib());
}
