//! One-step and three-step parity with `tests/parity/reference_train.py`: the same tiny Qwen3
//! (written by transformers), batch and hyperparameters through PyTorch's AdamW with the
//! Trainer's decay groups, warmup + cosine, clipping and accumulation with the global-token
//! normalisation give the same losses, grad norms and weights.
//!
//! Tolerances (f32 on CPU, LR 1e-3): losses 1e-5 relative, grad norms 1e-4 relative, weights 1e-5
//! max absolute difference after the steps.

use std::path::Path;
use std::process::Command;

use lego_sft::{PlanOptions, TrainOptions, plan_steps, train};
use serde_json::{Value, json};

use crate::*;

const SCRIPT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/parity/reference_train.py"
);

fn reference(python: &Path, request: &Value, dir: &Path) -> Value {
    let req = dir.join("request.json");
    std::fs::write(&req, request.to_string()).unwrap();
    let out = Command::new(python)
        .arg(SCRIPT)
        .arg("train")
        .arg(&req)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "reference_train.py failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    serde_json::from_str(stdout.lines().last().unwrap()).unwrap()
}

#[test]
fn one_and_three_steps_match_pytorch() {
    let Some(python) = lego_testkit::python("one_and_three_steps_match_pytorch") else {
        return;
    };
    let dir = tmp();
    let model = path(&dir, "model");
    let made = Command::new(&python)
        .arg(SCRIPT)
        .arg("make")
        .arg(&model)
        .output()
        .unwrap();
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let examples = synthetic_examples(6, 1000, 5);
    let data = path(&dir, "examples.jsonl");
    write_examples(&data, &examples);

    for (steps, warmup_ratio, label) in [(1usize, 0.0, "one step"), (3, 0.3, "three steps")] {
        // At SWE-Lego-like rates: Adam's first steps divide by |g| + eps, so the weight error
        // grows with the learning rate on near-zero gradients (1e-2 gives 3e-5).
        let base = lego_sft::TrainConfig {
            learning_rate: 1e-3,
            ..tiny_train_config(&model, &data, &path(&dir, "unused"))
        };
        let plan = plan_steps(
            &vec![None; examples.len()],
            &PlanOptions {
                global_batch: base.global_batch,
                epochs: base.epochs,
                max_steps: Some(steps),
                curriculum: false,
                seed: base.seed,
            },
        )
        .unwrap();
        let want_path = path(&dir, &format!("reference-{steps}.safetensors"));
        let want = reference(
            &python,
            &json!({
                "model": model,
                "examples": examples,
                "steps": plan.iter().map(|s| s.examples.clone()).collect::<Vec<_>>(),
                "learning_rate": base.learning_rate,
                "weight_decay": base.weight_decay,
                "max_grad_norm": base.max_grad_norm,
                "warmup_ratio": warmup_ratio,
                "out": want_path,
            }),
            dir.path(),
        );
        let decayed: Vec<String> = serde_json::from_value(want["decay"].clone()).unwrap();
        let ours: Vec<String> = read_weights(&model.join("model.safetensors"))
            .into_iter()
            .map(|(n, _)| n)
            .filter(|n| lego_sft::takes_weight_decay(n))
            .collect();
        assert_eq!(
            ours, decayed,
            "weight-decay groups differ from the Trainer's"
        );

        // Packed (with accumulation over several micro-batches), packed with activation
        // checkpointing, and padded micro-batches must all give the reference's numbers.
        for (variant, packing, checkpointing) in [
            ("packed", true, false),
            ("checkpointed", true, true),
            ("padded", false, false),
        ] {
            let out = path(&dir, &format!("out-{steps}-{variant}"));
            let cfg = lego_sft::TrainConfig {
                max_steps: Some(steps),
                warmup_ratio,
                packing,
                micro_batch: 2,
                gradient_checkpointing: checkpointing,
                ..base.clone()
            };
            let cfg = lego_sft::TrainConfig {
                output_dir: out.clone(),
                ..cfg
            };
            let report = train(&cfg, &TrainOptions::default(), &lego_data::NoProgress).unwrap();
            assert_eq!(report.metrics.len(), steps);
            for (k, m) in report.metrics.iter().enumerate() {
                let loss = want["losses"][k].as_f64().unwrap();
                let norm = want["grad_norms"][k].as_f64().unwrap();
                let lr = want["lrs"][k].as_f64().unwrap();
                eprintln!(
                    "{label} {variant} step {}: loss {:.8} vs {loss:.8}, grad_norm {:.6} vs {norm:.6}, lr {:.3e} vs {lr:.3e}",
                    m.step, m.loss, m.grad_norm, m.learning_rate
                );
                assert!(
                    (m.loss - loss).abs() <= 1e-5 * loss.abs(),
                    "{label} {variant}: loss"
                );
                assert!(
                    (m.grad_norm - norm).abs() <= 1e-4 * norm,
                    "{label} {variant}: grad norm"
                );
                assert!(
                    (m.learning_rate - lr).abs() <= 1e-12,
                    "{label} {variant}: lr"
                );
            }
            let diff = max_abs_diff(&checkpoint_weights(&out, steps), &read_weights(&want_path));
            eprintln!("{label} {variant}: max |w_lego - w_torch| = {diff:.3e}");
            assert!(diff <= 1e-5, "{label} {variant}: weights differ by {diff}");
        }
    }
}
