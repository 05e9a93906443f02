//! A run stopped at step k and resumed ends with the same weights as one that never stopped.

use lego_sft::{Resume, TrainConfig, TrainOptions, train};

use crate::*;

#[test]
fn resumed_run_ends_bitwise_equal() {
    let dir = tmp();
    let model = path(&dir, "model");
    init_model(&model, 1000, 64);
    let data = path(&dir, "examples.jsonl");
    write_examples(&data, &synthetic_examples(10, 1000, 9));
    let cfg = |out: &str| TrainConfig {
        epochs: 2,
        warmup_ratio: 0.2,
        save_steps: Some(2),
        ..tiny_train_config(&model, &data, &path(&dir, out))
    };
    let quiet = TrainOptions {
        quiet: true,
        ..Default::default()
    };

    let whole = train(&cfg("whole"), &quiet).unwrap();
    assert_eq!(whole.total_steps, 6);
    let stopped = train(
        &cfg("stopped"),
        &TrainOptions {
            stop_after: Some(3),
            ..quiet.clone()
        },
    )
    .unwrap();
    assert_eq!(stopped.end_step, 3);
    let resumed = train(
        &TrainConfig {
            resume: Resume::Flag(true),
            ..cfg("stopped")
        },
        &quiet,
    )
    .unwrap();
    assert_eq!((resumed.start_step, resumed.end_step), (3, 6));

    let diff = max_abs_diff(
        &checkpoint_weights(&path(&dir, "whole"), 6),
        &checkpoint_weights(&path(&dir, "stopped"), 6),
    );
    eprintln!("resume: max |w_whole - w_resumed| = {diff:e}");
    assert_eq!(diff, 0.0, "resumed weights differ by {diff}");
    let losses = |m: &[lego_sft::StepMetrics]| m.iter().map(|m| m.loss).collect::<Vec<_>>();
    assert_eq!(losses(&whole.metrics), losses(&resumed.metrics));
    // metrics.jsonl holds each step once.
    let written =
        lego_sft::read_metrics(&path(&dir, "stopped").join(lego_sft::METRICS_FILE)).unwrap();
    assert_eq!(
        written.iter().map(|m| m.step).collect::<Vec<_>>(),
        vec![1, 2, 3, 4, 5, 6]
    );

    // A checkpoint of other data is refused.
    write_examples(&data, &synthetic_examples(10, 1000, 10));
    let err = train(
        &TrainConfig {
            resume: Resume::Flag(true),
            ..cfg("stopped")
        },
        &quiet,
    )
    .unwrap_err();
    assert!(err.to_string().contains("cannot resume"), "{err}");
}
