//! lego's RoPE frequencies against transformers' `ROPE_INIT_FUNCTIONS`, for every supported
//! type in both config forms (`rope_theta` + `rope_scaling`, and `rope_parameters`).

use std::io::Write;
use std::process::{Command, Stdio};

use lego_model::{Qwen3Config, dynamic_inv_freq, inv_freq};
use serde_json::{Value, json};

use lego_testkit as env;

/// transformers computes in f32; lego in f64.
const REL_TOL: f64 = 1e-6;

/// A Qwen3-8B-shaped config with the given RoPE keys.
fn config(rope: Value) -> Value {
    let mut config = json!({
        "vocab_size": 151936, "hidden_size": 4096, "intermediate_size": 12288,
        "num_hidden_layers": 36, "num_attention_heads": 32, "num_key_value_heads": 8,
        "head_dim": 128, "max_position_embeddings": 40960,
    });
    for (k, v) in rope.as_object().unwrap() {
        config[k] = v.clone();
    }
    config
}

/// Each case in the legacy and the new form, and the sequence length (dynamic only).
fn cases() -> Vec<(String, Value, Option<usize>)> {
    let blocks = [
        ("default", json!(null), None),
        (
            "linear",
            json!({"rope_type": "linear", "factor": 2.0}),
            None,
        ),
        (
            "dynamic-at-max",
            json!({"rope_type": "dynamic", "factor": 2.0}),
            None,
        ),
        (
            "dynamic-beyond-max",
            json!({"rope_type": "dynamic", "factor": 2.0}),
            Some(3 * 40960),
        ),
        (
            "yarn-128k",
            json!({"rope_type": "yarn", "factor": 4.0, "original_max_position_embeddings": 32768}),
            None,
        ),
        (
            "yarn-untruncated-with-attention-factor",
            json!({"type": "yarn", "factor": 8.0, "original_max_position_embeddings": 4096,
                   "truncate": false, "attention_factor": 1.5, "beta_fast": 16.0, "beta_slow": 2.0}),
            None,
        ),
    ];
    let mut cases = Vec::new();
    for (name, block, seq_len) in blocks {
        let legacy = config(json!({"rope_theta": 1e6, "rope_scaling": block}));
        let mut params = match &block {
            Value::Null => json!({"rope_type": "default"}),
            b => b.clone(),
        };
        params["rope_theta"] = json!(1e6);
        let new = config(json!({"rope_parameters": params}));
        cases.push((format!("{name}/legacy"), legacy, seq_len));
        cases.push((format!("{name}/rope_parameters"), new, seq_len));
    }
    cases
}

#[test]
fn rope_matches_transformers() {
    let Some(python) = env::python("rope_matches_transformers") else {
        return;
    };
    let cases = cases();
    let input: Vec<Value> = cases
        .iter()
        .map(|(name, config, seq_len)| json!({"name": name, "config": config, "seq_len": seq_len}))
        .collect();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/parity/rope_parity.py");
    let mut child = Command::new(python)
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(serde_json::to_string(&input).unwrap().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "rope_parity.py failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let reference: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(reference.len(), cases.len());

    let mut worst = 0f64;
    for ((name, config_json, seq_len), expected) in cases.iter().zip(&reference) {
        assert_eq!(expected["name"], name.as_str());
        let config = Qwen3Config::from_json_str(&config_json.to_string()).unwrap();
        let (freqs, attention_factor) = match seq_len {
            Some(seq) => dynamic_inv_freq(
                &config.rope,
                config.head_dim,
                config.max_position_embeddings,
                *seq,
            ),
            None => inv_freq(
                &config.rope,
                config.head_dim,
                config.max_position_embeddings,
            ),
        };
        assert_eq!(
            expected["rope_type"].as_str().unwrap(),
            config.rope.scaling.rope_type(),
            "{name}"
        );
        let expected_freqs: Vec<f64> =
            serde_json::from_value(expected["inv_freq"].clone()).unwrap();
        assert_eq!(freqs.len(), expected_freqs.len(), "{name}");
        for (i, (a, e)) in freqs.iter().zip(&expected_freqs).enumerate() {
            let rel = ((a - e) / e).abs();
            worst = worst.max(rel);
            assert!(
                rel <= REL_TOL,
                "{name}: inv_freq[{i}] lego {a} transformers {e} (rel {rel:e})"
            );
        }
        let expected_af = expected["attention_factor"].as_f64().unwrap();
        assert!(
            ((attention_factor - expected_af) / expected_af).abs() <= REL_TOL,
            "{name}: attention factor lego {attention_factor} transformers {expected_af}"
        );
    }
    eprintln!(
        "rope parity: {} cases, worst relative difference {worst:e}",
        cases.len()
    );
}
