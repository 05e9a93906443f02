//! Masked tokens give no gradient. A trailing masked segment (a final tool turn, say) is input
//! that no trained position can see, so changing its tokens must change nothing: not the loss,
//! not one bit of the weights after an optimizer step, even packed next to another document.
//! The control shows the check can fail: when the segment is trained, the weights change.

use lego_sft::{TrainConfig, TrainOptions, train};

use crate::*;

fn run(
    dir: &tempfile::TempDir,
    name: &str,
    examples: &[lego_data::Example],
) -> Vec<(String, lego_model::tch::Tensor)> {
    let model = path(dir, "model");
    let data = path(dir, &format!("{name}.jsonl"));
    write_examples(&data, examples);
    let out = path(dir, name);
    let cfg = TrainConfig {
        max_steps: Some(1),
        warmup_ratio: 0.0,
        max_len: 4096,
        ..tiny_train_config(&model, &data, &out)
    };
    train(&cfg, &TrainOptions::default(), &lego_data::NoProgress).unwrap();
    checkpoint_weights(&out, 1)
}

#[test]
fn masked_tokens_give_no_gradient() {
    let dir = tmp();
    init_model(&path(&dir, "model"), 1000, 64);
    let base = synthetic_examples(3, 1000, 21);
    // The last 4 tokens of every example carry no loss.
    let masked: Vec<_> = base
        .iter()
        .cloned()
        .map(|mut e| {
            let n = e.labels.len();
            e.labels[n - 4..].fill(-100);
            e
        })
        .collect();
    let changed: Vec<_> = masked
        .iter()
        .cloned()
        .map(|mut e| {
            let n = e.input_ids.len();
            for t in &mut e.input_ids[n - 4..] {
                *t = 3 + (*t * 7 + 1) % 997;
            }
            e
        })
        .collect();
    let a = run(&dir, "masked", &masked);
    let b = run(&dir, "changed", &changed);
    assert_eq!(max_abs_diff(&a, &b), 0.0, "masked tokens moved the weights");

    // Control: the same change where those tokens are trained does move them.
    let trained: Vec<_> = changed
        .iter()
        .cloned()
        .map(|mut e| {
            let n = e.labels.len();
            for i in n - 4..n {
                e.labels[i] = i64::from(e.input_ids[i]);
            }
            e
        })
        .collect();
    let c = run(&dir, "trained", &trained);
    assert!(
        max_abs_diff(&a, &c) > 1e-6,
        "the control did not change anything"
    );
}
