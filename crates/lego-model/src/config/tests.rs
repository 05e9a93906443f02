use super::*;

const SMALL: &str = r#"{
  "architectures": ["Qwen3ForCausalLM"],
  "vocab_size": 1000, "hidden_size": 64, "intermediate_size": 128,
  "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2,
  "rope_theta": 1000000.0, "rope_scaling": null, "torch_dtype": "bfloat16"
}"#;

#[track_caller]
fn check_err(text: &str, expected: &str) {
    let err = Qwen3Config::from_json_str(text).expect_err("config should be rejected");
    assert_eq!(err.to_string(), expected);
}

#[test]
fn defaults_follow_transformers_and_head_dim_is_derived_only_when_absent() {
    let config = Qwen3Config::from_json_str(SMALL).unwrap();
    assert_eq!(config.head_dim, 16);
    assert_eq!(config.max_position_embeddings, 32768);
    assert_eq!(config.rms_norm_eps, 1e-6);
    assert_eq!(config.hidden_act, "silu");
    assert!(!config.tie_word_embeddings);
    assert_eq!(config.rope, RopeConfig::new(1e6));
    assert_eq!(config.rope_form, RopeForm::Legacy);
    let with_head_dim = SMALL.replace("\"vocab_size\"", "\"head_dim\": 32, \"vocab_size\"");
    assert_eq!(
        Qwen3Config::from_json_str(&with_head_dim).unwrap().head_dim,
        32
    );
}

#[test]
fn both_rope_forms_read_the_same() {
    let legacy = SMALL.replace(
        "\"rope_scaling\": null",
        r#""rope_scaling": {"type": "yarn", "factor": 4.0, "original_max_position_embeddings": 32768}"#,
    );
    let new = SMALL.replace("\"rope_theta\": 1000000.0, \"rope_scaling\": null", r#""rope_parameters": {"rope_type": "yarn", "rope_theta": 1e6, "factor": 4, "original_max_position_embeddings": 32768}"#);
    let legacy = Qwen3Config::from_json_str(&legacy).unwrap();
    let new = Qwen3Config::from_json_str(&new).unwrap();
    let expected = RopeConfig {
        theta: 1e6,
        scaling: RopeScaling::yarn(4.0, 32768),
    };
    assert_eq!(legacy.rope, expected);
    assert_eq!(new.rope, expected);
    assert_eq!(new.rope_form, RopeForm::Parameters);
}

#[test]
fn round_trip_keeps_unknown_fields_and_the_rope_form() {
    for text in [
        SMALL.to_string(),
        SMALL.replace(
            "\"rope_theta\": 1000000.0, \"rope_scaling\": null",
            r#""rope_parameters": {"rope_type": "linear", "rope_theta": 5e5, "factor": 2, "mscale": 0.7}"#,
        ),
    ] {
        let config = Qwen3Config::from_json_str(&text).unwrap();
        let json = config.to_json();
        assert_eq!(json["architectures"][0], "Qwen3ForCausalLM");
        assert_eq!(json["torch_dtype"], "bfloat16");
        let again = Qwen3Config::from_json_str(&json.to_string()).unwrap();
        assert_eq!(again, config);
    }
}

#[test]
fn override_sets_yarn_and_is_validated() {
    let config = Qwen3Config::from_json_str(SMALL).unwrap();
    let long = config
        .clone()
        .with_rope_scaling(RopeScaling::yarn(4.0, 32768))
        .unwrap();
    assert_eq!(long.rope.scaling, RopeScaling::yarn(4.0, 32768));
    assert_eq!(long.to_json()["rope_scaling"]["rope_type"], "yarn");
    let err = config
        .with_rope_scaling(RopeScaling::yarn(0.5, 32768))
        .unwrap_err();
    assert!(err.to_string().contains("`rope_scaling.factor`"), "{err}");
}

#[test]
fn errors_name_the_field() {
    check_err(
        &SMALL.replace("\"num_key_value_heads\": 2", "\"num_key_value_heads\": 3"),
        "config JSON: field `num_key_value_heads`: 3 does not divide num_attention_heads 4",
    );
    check_err(
        &SMALL.replace("\"hidden_size\": 64", "\"hidden_size\": \"64\""),
        "config JSON: field `hidden_size`: expected a non-negative integer, found \"64\"",
    );
    check_err(
        &SMALL.replace("\"vocab_size\": 1000, ", ""),
        "config JSON: field `vocab_size`: missing",
    );
    check_err(
        &SMALL.replace("\"num_hidden_layers\": 2", "\"num_hidden_layers\": 0"),
        "config JSON: field `num_hidden_layers`: must be positive",
    );
    check_err(
        &SMALL.replace(
            "\"rope_scaling\": null",
            r#""rope_scaling": {"type": "yarn", "factor": 0.5}"#,
        ),
        "config JSON: field `rope_scaling.factor`: yarn factor must be >= 1, got 0.5",
    );
    check_err(
        &SMALL.replace(
            "\"rope_scaling\": null",
            r#""rope_scaling": {"rope_type": "linear", "factor": "x"}"#,
        ),
        "config JSON: field `rope_scaling.factor`: expected a number, found \"x\"",
    );
    check_err(
        &SMALL.replace(
            "\"rope_scaling\": null",
            r#""rope_scaling": {"rope_type": "longrope"}"#,
        ),
        "config JSON: field `rope_scaling.rope_type`: unsupported rope_type \"longrope\" (lego knows default, linear, dynamic, yarn)",
    );
}
