use super::*;

#[test]
fn norms_and_biases_take_no_weight_decay() {
    for name in [
        "model.norm.weight",
        "model.layers.0.input_layernorm.weight",
        "model.layers.0.post_attention_layernorm.weight",
        "model.layers.0.self_attn.q_norm.weight",
        "model.layers.0.self_attn.k_norm.weight",
        "model.layers.0.self_attn.q_proj.bias",
    ] {
        assert!(!takes_weight_decay(name), "{name}");
    }
    for name in [
        "model.embed_tokens.weight",
        "lm_head.weight",
        "model.layers.0.self_attn.q_proj.weight",
        "model.layers.1.mlp.down_proj.weight",
    ] {
        assert!(takes_weight_decay(name), "{name}");
    }
}

#[test]
fn schedule_warms_up_from_zero_then_follows_half_a_cosine() {
    let (total, warmup) = (100, warmup_steps(100, 0.1));
    assert_eq!(warmup, 10);
    assert_eq!(warmup_steps(25, 0.1), 3);
    assert_eq!(lr_at(0, total, warmup, 1.0, LrSchedule::Cosine), 0.0);
    assert!((lr_at(5, total, warmup, 1.0, LrSchedule::Cosine) - 0.5).abs() < 1e-12);
    assert_eq!(lr_at(10, total, warmup, 1.0, LrSchedule::Cosine), 1.0);
    assert!((lr_at(55, total, warmup, 1.0, LrSchedule::Cosine) - 0.5).abs() < 1e-12);
    assert!(lr_at(99, total, warmup, 1.0, LrSchedule::Cosine) < 1e-3);
    assert_eq!(lr_at(60, total, warmup, 2.0, LrSchedule::Constant), 2.0);
}

#[test]
fn adamw_matches_the_closed_form_of_its_first_step() {
    // First step: m/(1-b1) = g, sqrt(v/(1-b2)) = |g|, so the update is lr * sign(g) (+eps).
    let vs = nn::VarStore::new(tch::Device::Cpu);
    let w = (vs.root() / "w").var("weight", &[3], nn::Init::Const(1.0));
    let n = (vs.root() / "n_norm").var("weight", &[1], nn::Init::Const(1.0));
    let mut opt = AdamW::new(&vs, AdamWConfig::default());
    assert_eq!(opt.decayed(), vec!["w.weight"]);
    let loss =
        (&w * Tensor::from_slice(&[2.0f32, -3.0, 0.5])).sum(Kind::Float) + n.sum(Kind::Float);
    loss.backward();
    let norm = opt.clip_grad_norm(0.0);
    assert!((norm - (4.0f64 + 9.0 + 0.25 + 1.0).sqrt()).abs() < 1e-5);
    opt.step(0.1);
    let got: Vec<f32> = Vec::try_from(&w).unwrap();
    let decayed = 1.0 - 0.1 * 0.01;
    for (g, want) in got
        .iter()
        .zip([decayed - 0.1, decayed + 0.1, decayed - 0.1])
    {
        assert!((f64::from(*g) - want).abs() < 1e-6, "{got:?}");
    }
    let n: Vec<f32> = Vec::try_from(&n).unwrap();
    assert!(
        (f64::from(n[0]) - 0.9).abs() < 1e-6,
        "no decay on norms: {n:?}"
    );
}
