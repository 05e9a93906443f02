use lego_model::{Qwen3Config, RopeConfig, RopeForm, RopeScaling, TokenIds, inv_freq};

use crate::fixture;

#[test]
fn reads_qwen3_8b() {
    let config = Qwen3Config::from_file(fixture("qwen3-8b-config.json")).unwrap();
    assert_eq!(config.vocab_size, 151936);
    assert_eq!(config.hidden_size, 4096);
    assert_eq!(config.intermediate_size, 12288);
    assert_eq!(config.num_hidden_layers, 36);
    assert_eq!(
        (config.num_attention_heads, config.num_key_value_heads),
        (32, 8)
    );
    assert_eq!(config.head_dim, 128);
    assert_eq!(config.max_position_embeddings, 40960);
    assert_eq!(config.rms_norm_eps, 1e-6);
    assert!(!config.tie_word_embeddings);
    assert_eq!(config.eos_token_id, Some(TokenIds::One(151645)));
    assert_eq!(config.rope, RopeConfig::new(1e6));
    assert_eq!(config.rope_form, RopeForm::Legacy);
    assert_eq!(config.extra["model_type"], "qwen3");

    // A run stretching it to 128k, as SWE-Lego does.
    let long = config
        .clone()
        .with_rope_scaling(RopeScaling::yarn(4.0, 32768))
        .unwrap();
    let (_, attention_factor) = inv_freq(&long.rope, long.head_dim, long.max_position_embeddings);
    assert!((attention_factor - 1.138629).abs() < 1e-6);

    let again = Qwen3Config::from_json_str(&config.to_json().to_string()).unwrap();
    assert_eq!(again, config);
}

#[test]
fn reads_a_32b_shape_where_heads_times_head_dim_is_not_hidden() {
    let config = Qwen3Config::from_file(fixture("qwen3-32b-shaped-config.json")).unwrap();
    assert_eq!(config.hidden_size, 5120);
    assert_eq!(config.num_attention_heads, 64);
    assert_eq!(config.head_dim, 128);
    assert_eq!(config.rope, RopeConfig::new(1e6));
    assert_eq!(config.rope_form, RopeForm::Parameters);
    let json = config.to_json();
    assert_eq!(json["rope_parameters"]["rope_type"], "default");
    assert_eq!(
        Qwen3Config::from_json_str(&json.to_string()).unwrap(),
        config
    );
}

#[test]
fn errors_name_the_file() {
    let err = Qwen3Config::from_file(fixture("no-such-config.json")).unwrap_err();
    assert!(err.to_string().contains("no-such-config.json"), "{err}");
}
