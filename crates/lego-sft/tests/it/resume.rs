//! A run stopped at step k and resumed ends with the same weights as one that never stopped.

use std::sync::Mutex;

use lego_data::{NoProgress, Progress};
use lego_sft::{Resume, TrainConfig, TrainOptions, train};

use crate::*;

/// What a progress display was told, in order.
#[derive(Default)]
struct Recorder(Mutex<Vec<String>>);

impl Progress for Recorder {
    fn set_total(&self, total: u64) {
        self.0.lock().unwrap().push(format!("total {total}"));
    }
    fn set_position(&self, done: u64) {
        self.0.lock().unwrap().push(format!("position {done}"));
    }
    fn advance(&self, n: u64) {
        self.0.lock().unwrap().push(format!("advance {n}"));
    }
    fn set_message(&self, message: &str) {
        self.0.lock().unwrap().push(format!("message {message}"));
    }
}

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
    let opts = TrainOptions::default();

    let whole = train(&cfg("whole"), &opts, &NoProgress).unwrap();
    assert_eq!(whole.total_steps, 6);
    let stopped = train(
        &cfg("stopped"),
        &TrainOptions {
            stop_after: Some(3),
        },
        &NoProgress,
    )
    .unwrap();
    assert_eq!(stopped.end_step, 3);
    let progress = Recorder::default();
    let resumed = train(
        &TrainConfig {
            resume: Resume::Flag(true),
            ..cfg("stopped")
        },
        &opts,
        &progress,
    )
    .unwrap();
    assert_eq!((resumed.start_step, resumed.end_step), (3, 6));
    // A progress display starts a resumed run at its step and counts each step, told its loss
    // before the count moves.
    let mut expected = vec!["total 6".to_string(), "position 3".to_string()];
    for m in &resumed.metrics[3..] {
        expected.push(format!("message loss {:.4}", m.loss));
        expected.push("advance 1".into());
    }
    assert_eq!(*progress.0.lock().unwrap(), expected);

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
        &opts,
        &NoProgress,
    )
    .unwrap_err();
    assert!(err.to_string().contains("cannot resume"), "{err}");
}
