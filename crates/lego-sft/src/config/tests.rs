use std::path::Path;

use super::*;

fn parse(text: &str) -> Result<TrainConfig> {
    TrainConfig::from_toml_str(text, Path::new("/cfg/train.toml"), Path::new("/cfg"))
}

const MINIMAL: &str = "model = \"m\"\ndata = \"d.jsonl\"\noutput_dir = \"out\"\n";

#[test]
fn defaults_are_swe_lego_and_paths_resolve_against_the_config() {
    let cfg = parse(MINIMAL).unwrap();
    assert_eq!(cfg.model, Path::new("/cfg/m"));
    assert_eq!(cfg.output_dir, Path::new("/cfg/out"));
    assert_eq!(cfg.learning_rate, 1e-4);
    assert_eq!(cfg.warmup_ratio, 0.1);
    assert_eq!(cfg.weight_decay, 0.01);
    assert_eq!(cfg.max_grad_norm, 1.0);
    assert_eq!(cfg.global_batch, 64);
    assert_eq!(cfg.lr_schedule, LrSchedule::Cosine);
    assert!(cfg.packing && cfg.curriculum && cfg.error_mask);
    assert_eq!(cfg.resume, Resume::Flag(false));
}

#[test]
fn unknown_keys_name_the_key_and_the_file() {
    let err = parse(&format!("{MINIMAL}learning_rat = 1e-5\n"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("/cfg/train.toml"), "{err}");
    assert!(err.contains("learning_rat"), "{err}");
}

#[test]
fn missing_and_bad_values_are_named() {
    let err = parse("data = \"d\"\noutput_dir = \"o\"\n")
        .unwrap_err()
        .to_string();
    assert!(err.contains("`model`"), "{err}");
    let err = parse(&format!("{MINIMAL}global_batch = 0\n"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("global_batch"), "{err}");
    let err = parse(&format!("{MINIMAL}lr_schedule = \"linear\"\n"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("linear"), "{err}");
}

#[test]
fn resume_is_a_flag_or_a_path_and_rope_scaling_a_table() {
    let cfg = parse(&format!(
        "{MINIMAL}resume = \"out/checkpoint-3\"\nrope_scaling = {{ rope_type = \"yarn\", factor = 4.0, original_max_position_embeddings = 32768 }}\n"
    ))
    .unwrap();
    assert_eq!(cfg.resume, Resume::Path("/cfg/out/checkpoint-3".into()));
    assert_eq!(
        cfg.rope_scaling.unwrap().to_scaling().unwrap(),
        RopeScaling::yarn(4.0, 32768)
    );
    let cfg = parse(&format!("{MINIMAL}resume = true\n")).unwrap();
    assert_eq!(cfg.resume, Resume::Flag(true));
}
