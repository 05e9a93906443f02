//! `lego model init | forward | generate` as a user runs them, checked against transformers.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use lego_model::tch::{Kind, Tensor};
use serde_json::{Value, json};

use crate::{lego, stderr};

const CONFIG: &str = r#"{
  "vocab_size": 500, "hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2,
  "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 16, "rope_theta": 10000.0,
  "tie_word_embeddings": false, "eos_token_id": 2, "initializer_range": 0.2
}"#;

/// `lego model init` of the small config into `dir/model`.
fn init(dir: &Path, extra: &[&str]) -> String {
    let config = dir.join("config.json");
    std::fs::write(&config, CONFIG).unwrap();
    let model = dir.join("model");
    let mut args = vec![
        "model",
        "init",
        "--config",
        config.to_str().unwrap(),
        "--out",
        model.to_str().unwrap(),
    ];
    args.extend(extra);
    let out = lego(&args);
    assert!(out.status.success(), "{}", stderr(&out));
    model.display().to_string()
}

/// transformers' logits and greedy continuation, through lego-model's `reference.py`.
fn transformers(test: &str, model: &str, ids: &[i64], new_tokens: usize) -> Option<Value> {
    let python = lego_testkit::python(test)?;
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../lego-model/tests/parity/reference.py"
    );
    let request = json!({
        "model": model,
        "forward": [{"name": "x", "ids": ids}],
        "generate": [{"name": "x", "ids": ids, "max_new_tokens": new_tokens}],
    });
    let mut child = Command::new(python)
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(child.stdin.take().unwrap(), "{request}").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let answer: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(answer.get("error").is_none(), "{}", answer["error"]);
    Some(answer)
}

#[test]
fn init_forward_generate_agree_with_transformers() {
    let dir = tempfile::tempdir().unwrap();
    let model = init(dir.path(), &["--seed", "5"]);
    let prompt = [11i64, 42, 7, 300, 12, 99];
    let ids = dir.path().join("ids.json");
    std::fs::write(&ids, serde_json::to_string(&prompt).unwrap()).unwrap();
    let ids = ids.to_str().unwrap();

    let logits_path = dir.path().join("logits.safetensors");
    let out = lego(&[
        "model",
        "forward",
        "--model",
        &model,
        "--ids",
        ids,
        "--out",
        logits_path.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let tensors = Tensor::read_safetensors(&logits_path).unwrap();
    let (name, logits) = &tensors[0];
    assert_eq!(name, "logits");
    assert_eq!(logits.size(), [6, 500]);
    assert_eq!(logits.kind(), Kind::Float);

    let out = lego(&[
        "model",
        "generate",
        "--model",
        &model,
        "--ids",
        ids,
        "--max-new-tokens",
        "12",
        "--greedy",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let generated: Value = serde_json::from_slice(&out.stdout).unwrap();
    let new: Vec<i64> = serde_json::from_value(generated["ids"].clone()).unwrap();
    assert!(!new.is_empty() && new.len() <= 12);

    let Some(reference) = transformers(
        "init_forward_generate_agree_with_transformers",
        &model,
        &prompt,
        12,
    ) else {
        return;
    };
    let rows = reference["forward"]["x"].as_array().unwrap();
    let expected: Vec<f32> = rows
        .iter()
        .flat_map(|r| {
            r.as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_f64().unwrap() as f32)
        })
        .collect();
    let expected = Tensor::from_slice(&expected).view([6, 500]);
    let diff = (logits - expected).abs().max().double_value(&[]);
    assert!(diff <= 1e-4, "logits differ from transformers by {diff:e}");
    let expected_ids: Vec<i64> =
        serde_json::from_value(reference["generate"]["x"].clone()).unwrap();
    assert_eq!(new, expected_ids);
}

#[test]
fn init_writes_bf16_and_the_same_seed_writes_the_same_model() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let ma = init(a.path(), &["--seed", "9", "--dtype", "bf16"]);
    let mb = init(b.path(), &["--seed", "9", "--dtype", "bf16"]);
    let read = |m: &str| {
        let mut t = Tensor::read_safetensors(Path::new(m).join("model.safetensors")).unwrap();
        t.sort_by(|x, y| x.0.cmp(&y.0));
        t
    };
    let (ta, tb) = (read(&ma), read(&mb));
    assert_eq!(ta.len(), tb.len());
    for ((na, xa), (nb, xb)) in ta.iter().zip(&tb) {
        assert_eq!(na, nb);
        assert_eq!(xa.kind(), Kind::BFloat16, "{na}");
        assert!(xa.equal(xb), "{na} differs between two runs with one seed");
    }
    let config: Value =
        serde_json::from_str(&std::fs::read_to_string(Path::new(&ma).join("config.json")).unwrap())
            .unwrap();
    assert_eq!(config["torch_dtype"], "bfloat16");
    assert_eq!(config["model_type"], "qwen3");
}

#[test]
fn bad_ids_are_a_one_line_error() {
    let dir = tempfile::tempdir().unwrap();
    let model = init(dir.path(), &[]);
    let ids = dir.path().join("ids.json");
    for (text, expected) in [
        ("{\"ids\": 1}", "expected a JSON array of token ids"),
        (
            "[1, 2, 500]",
            "token id 500 is outside the vocabulary of 500",
        ),
        ("[]", "a sequence of token ids is empty"),
    ] {
        std::fs::write(&ids, text).unwrap();
        let out = lego(&[
            "model",
            "forward",
            "--model",
            &model,
            "--ids",
            ids.to_str().unwrap(),
            "--out",
            dir.path().join("l.safetensors").to_str().unwrap(),
        ]);
        assert!(!out.status.success());
        let err = stderr(&out);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains(expected), "{err}");
    }
    let out = lego(&[
        "model",
        "generate",
        "--model",
        dir.path().join("nowhere").to_str().unwrap(),
        "--ids",
        ids.to_str().unwrap(),
        "--max-new-tokens",
        "3",
        "--greedy",
    ]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("nowhere"), "{}", stderr(&out));
}
