//! lego-model against transformers on tiny random Qwen3 checkpoints: logits to 1e-4 (f32),
//! packed batches, checkpoints saved by lego, and errors for broken checkpoints.

use lego_model::tch::{self, Kind, Tensor};
use lego_model::{Error, LoadOptions, Qwen3Model};
use serde_json::json;

use crate::tiny::{self, ids, load, logits_tensor, max_abs_diff, model_dir, reference};

/// The tolerance the issue sets for f32 logits.
const TOL: f64 = 1e-4;

fn lego_logits(model: &Qwen3Model, ids: &[i64]) -> Tensor {
    let t = ids.len() as i64;
    let input = Tensor::from_slice(ids).view([1, t]);
    let positions = Tensor::arange(t, (Kind::Int64, tch::Device::Cpu)).view([1, t]);
    tch::no_grad(|| {
        let hidden = model.net.forward(&input, &positions, None).unwrap();
        model.net.logits(&hidden).squeeze_dim(0)
    })
}

/// One model, several sequences: lego's logits against transformers'.
fn check_forward(test: &str, name: &str, lens: &[usize]) {
    let Some(dir) = model_dir(test, name) else {
        return;
    };
    let model = load(&dir);
    let cases: Vec<_> = lens
        .iter()
        .enumerate()
        .map(|(i, &len)| (format!("{name}-{len}"), ids(i as u64 + 7, len, 1000)))
        .collect();
    let request = json!({"forward": cases.iter().map(|(n, ids)| json!({"name": n, "ids": ids})).collect::<Vec<_>>()});
    let reference = reference(&dir, request);
    for (case, ids) in &cases {
        let expected = logits_tensor(&reference["forward"][case]);
        let diff = max_abs_diff(&lego_logits(&model, ids), &expected);
        eprintln!("parity {case}: max abs diff {diff:e}");
        assert!(diff <= TOL, "{case}: max abs diff {diff:e} > {TOL:e}");
    }
}

/// Every tiny model in one test, so that transformers is imported once (nextest runs each test
/// in a process of its own).
#[test]
fn logits_match_transformers() {
    let test = "logits_match_transformers";
    // GQA 4/2 with an untied head, one token and 37.
    check_forward(test, "gqa-untied", &[1, 37]);
    // head_dim 32 != hidden 64 / 4 heads, tied embeddings.
    check_forward(test, "headdim-tied", &[37]);
    // YaRN over an original 64 positions, run to 200, in both config forms.
    check_forward(test, "yarn", &[200]);
    check_forward(test, "yarn-legacy", &[200]);
    // Dynamic NTK within max_position_embeddings 64 and past it (the base grows).
    check_forward(test, "dynamic", &[40, 200]);
    // The untied model stored in bf16 across shards, loaded in f32.
    check_forward(test, "sharded-bf16", &[37]);
}

/// bf16 weights on the CPU (norms, RoPE and the loss in f32) stay close to f32: the path CUDA
/// runs, checked here without a GPU.
#[test]
fn bf16_weights_stay_close_to_f32() {
    let Some(dir) = model_dir("bf16_weights_stay_close_to_f32", "sharded-bf16") else {
        return;
    };
    let f32_model = load(&dir);
    let bf16_model = Qwen3Model::load(
        &dir,
        LoadOptions {
            kind: Kind::BFloat16,
            ..LoadOptions::default()
        },
    )
    .unwrap();
    assert_eq!(bf16_model.net.kind(), Kind::BFloat16);
    let doc = ids(5, 64, 1000);
    let (a, b) = (
        lego_logits(&f32_model, &doc),
        lego_logits(&bf16_model, &doc),
    );
    assert_eq!(b.kind(), Kind::Float, "logits come out in f32");
    let diff = max_abs_diff(&a, &b);
    let scale = a.abs().max().double_value(&[]);
    eprintln!("bf16 vs f32: max abs diff {diff:e} on logits up to {scale:.2}");
    // bf16 keeps 8 bits of mantissa: a few percent of the largest logit.
    assert!(diff <= 0.05 * scale.max(1.0), "bf16 max abs diff {diff:e}");
}

/// Three documents packed in one row and two in another (with padding) give each document the
/// logits transformers gives it alone.
#[test]
fn packed_batch_matches_documents_one_by_one() {
    let Some(dir) = model_dir("packed_batch_matches_documents_one_by_one", "gqa-untied") else {
        return;
    };
    let model = load(&dir);
    let rows: [&[usize]; 2] = [&[10, 17, 5], &[20, 9]];
    let width = 32;
    let mut docs = Vec::new();
    let (mut input, mut positions, mut segments) = (Vec::new(), Vec::new(), Vec::new());
    for (r, lens) in rows.iter().enumerate() {
        let mut used = 0;
        for (d, &len) in lens.iter().enumerate() {
            let doc = ids((r * 10 + d) as u64, len, 1000);
            input.extend(&doc);
            positions.extend(0..len as i64);
            segments.extend(std::iter::repeat_n(d as i64, len));
            docs.push((format!("row{r}-doc{d}"), doc, r as i64, used as i64));
            used += len;
        }
        let pad = width - used;
        input.extend(std::iter::repeat_n(0i64, pad));
        positions.extend(0..pad as i64);
        segments.extend(std::iter::repeat_n(-1i64, pad));
    }
    let shape = [rows.len() as i64, width as i64];
    let logits = tch::no_grad(|| {
        let hidden = model
            .net
            .forward(
                &Tensor::from_slice(&input).view(shape),
                &Tensor::from_slice(&positions).view(shape),
                Some(&Tensor::from_slice(&segments).view(shape)),
            )
            .unwrap();
        model.net.logits(&hidden)
    });
    let request = json!({"forward": docs.iter().map(|(n, ids, _, _)| json!({"name": n, "ids": ids})).collect::<Vec<_>>()});
    let reference = reference(&dir, request);
    let mut worst = 0f64;
    for (name, doc, row, start) in &docs {
        let got = logits.get(*row).narrow(0, *start, doc.len() as i64);
        let diff = max_abs_diff(&got, &logits_tensor(&reference["forward"][name]));
        // The packed run must also equal lego's own unpacked run.
        let alone = max_abs_diff(&got, &lego_logits(&model, doc));
        worst = worst.max(diff);
        assert!(
            diff <= TOL,
            "{name}: max abs diff {diff:e} against transformers"
        );
        assert!(
            alone <= TOL,
            "{name}: max abs diff {alone:e} against lego unpacked"
        );
    }
    eprintln!(
        "parity packed: {} documents, worst max abs diff {worst:e}",
        docs.len()
    );
}

/// A checkpoint lego saves (tied and untied) loads in transformers with the same logits, and
/// loads back in lego.
#[test]
fn saved_checkpoint_loads_in_transformers() {
    for name in ["gqa-untied", "headdim-tied"] {
        let Some(src) = model_dir("saved_checkpoint_loads_in_transformers", name) else {
            return;
        };
        let model = load(&src);
        let out = tempfile::tempdir().unwrap();
        model.save(out.path()).unwrap();
        let doc = ids(99, 23, 1000);
        let ours = lego_logits(&model, &doc);
        let reference = reference(out.path(), json!({"forward": [{"name": "x", "ids": doc}]}));
        let diff = max_abs_diff(&ours, &logits_tensor(&reference["forward"]["x"]));
        eprintln!("parity saved {name}: max abs diff {diff:e}");
        assert!(diff <= TOL, "saved {name}: max abs diff {diff:e}");
        let again = load(out.path());
        assert_eq!(max_abs_diff(&ours, &lego_logits(&again, &doc)), 0.0);
    }
}

#[test]
fn missing_or_misshaped_tensor_is_named() {
    let Some(src) = model_dir("missing_or_misshaped_tensor_is_named", "gqa-untied") else {
        return;
    };
    let tensors = Tensor::read_safetensors(src.join("model.safetensors")).unwrap();
    let broken = tempfile::tempdir().unwrap();
    std::fs::copy(src.join("config.json"), broken.path().join("config.json")).unwrap();
    let file = broken.path().join("model.safetensors");

    let victim = "model.layers.1.self_attn.k_norm.weight";
    let kept: Vec<_> = tensors.iter().filter(|(n, _)| n != victim).collect();
    Tensor::write_safetensors(
        &kept
            .iter()
            .map(|(n, t)| (n.as_str(), t))
            .collect::<Vec<_>>(),
        &file,
    )
    .unwrap();
    match Qwen3Model::load(broken.path(), LoadOptions::default()) {
        Err(err @ Error::MissingTensor { .. }) => {
            let msg = err.to_string();
            assert!(
                msg.contains(victim) && msg.contains("model.safetensors"),
                "{msg}"
            );
        }
        other => panic!("expected a missing-tensor error, got {other:?}"),
    }

    let reshaped: Vec<(String, Tensor)> = tensors
        .iter()
        .map(|(n, t)| {
            let t = if n == victim {
                Tensor::ones([8], (Kind::Float, tch::Device::Cpu))
            } else {
                t.shallow_clone()
            };
            (n.clone(), t)
        })
        .collect();
    Tensor::write_safetensors(&reshaped, &file).unwrap();
    match Qwen3Model::load(broken.path(), LoadOptions::default()) {
        Err(err @ Error::TensorShape { .. }) => {
            let msg = err.to_string();
            assert!(
                msg.contains(victim) && msg.contains("[8]") && msg.contains("[16]"),
                "{msg}"
            );
        }
        other => panic!("expected a shape error, got {other:?}"),
    }
}

#[test]
fn tiny_models_agree_on_their_shape() {
    // Guards the cases the parity tests rely on.
    let Some(dir) = model_dir("tiny_models_agree_on_their_shape", "headdim-tied") else {
        return;
    };
    let model = tiny::load(&dir);
    assert!(model.config.tie_word_embeddings);
    assert_ne!(
        model.config.head_dim,
        model.config.hidden_size / model.config.num_attention_heads
    );
    assert!(!model.vs.variables().contains_key("lm_head.weight"));
}
