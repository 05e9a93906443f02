use super::*;

fn close(actual: f64, expected: f64, rel: f64) -> bool {
    ((actual - expected) / expected).abs() <= rel
}

#[track_caller]
fn check(freqs: &[f64], index: usize, expected: f64) {
    assert!(
        close(freqs[index], expected, 1e-4),
        "inv_freq[{index}] = {}, expected {expected}",
        freqs[index]
    );
}

#[test]
fn yarn_matches_the_reference_vector() {
    let rope = RopeConfig {
        theta: 1e6,
        scaling: RopeScaling::yarn(4.0, 32768),
    };
    assert_eq!(
        yarn_correction_range(32.0, 1.0, 128, 1e6, 32768, true),
        (23.0, 40.0)
    );
    let (freqs, attention_factor) = inv_freq(&rope, 128, 40960);
    assert_eq!(freqs.len(), 64);
    assert!(
        close(attention_factor, 1.138629, 1e-6),
        "{attention_factor}"
    );
    check(&freqs, 0, 1.0);
    check(&freqs, 23, 6.9783e-3);
    check(&freqs, 30, 1.06436e-3);
    check(&freqs, 40, 4.4457e-5);
    check(&freqs, 63, 3.1023e-7);
}

#[test]
fn yarn_takes_a_given_attention_factor_and_no_factor_means_none() {
    let mut scaling = RopeScaling::yarn(1.0, 32768);
    let rope = RopeConfig {
        theta: 1e6,
        scaling,
    };
    let (freqs, attention_factor) = inv_freq(&rope, 128, 40960);
    assert_eq!(attention_factor, 1.0);
    let plain = inv_freq(&RopeConfig::new(1e6), 128, 40960).0;
    assert!(freqs.iter().zip(&plain).all(|(a, b)| close(*a, *b, 1e-12)));
    if let RopeScaling::Yarn {
        attention_factor, ..
    } = &mut scaling
    {
        *attention_factor = Some(0.5);
    }
    let (_, attention_factor) = inv_freq(
        &RopeConfig {
            theta: 1e6,
            scaling,
        },
        128,
        40960,
    );
    assert_eq!(attention_factor, 0.5);
}

#[test]
fn default_is_base_to_the_minus_2i_over_dim() {
    let (freqs, attention_factor) = inv_freq(&RopeConfig::new(10_000.0), 8, 2048);
    assert_eq!(attention_factor, 1.0);
    let expected = [1.0, 0.1, 0.01, 0.001];
    for (i, e) in expected.into_iter().enumerate() {
        assert!(close(freqs[i], e, 1e-12), "{freqs:?}");
    }
}

#[test]
fn linear_divides_every_frequency_by_the_factor() {
    let rope = RopeConfig {
        theta: 10_000.0,
        scaling: RopeScaling::Linear { factor: 4.0 },
    };
    let (freqs, attention_factor) = inv_freq(&rope, 8, 2048);
    assert_eq!(attention_factor, 1.0);
    for (i, e) in [0.25, 0.025, 0.0025, 0.00025].into_iter().enumerate() {
        assert!(close(freqs[i], e, 1e-12), "{freqs:?}");
    }
}

#[test]
fn dynamic_is_default_up_to_max_and_grows_the_base_beyond() {
    let rope = RopeConfig {
        theta: 10_000.0,
        scaling: RopeScaling::Dynamic {
            factor: 2.0,
            original_max_position_embeddings: None,
        },
    };
    let plain = inv_freq(&RopeConfig::new(10_000.0), 8, 1000).0;
    assert_eq!(inv_freq(&rope, 8, 1000).0, plain);
    assert_eq!(dynamic_inv_freq(&rope, 8, 1000, 500).0, plain);
    // seq 2000 over max 1000 with factor 2: base * (4 - 1)^(8/6).
    let base = 10_000.0 * 3f64.powf(8.0 / 6.0);
    let (freqs, attention_factor) = dynamic_inv_freq(&rope, 8, 1000, 2000);
    assert_eq!(attention_factor, 1.0);
    assert_eq!(freqs[0], 1.0);
    assert!(close(freqs[1], 1.0 / base.powf(0.25), 1e-12));
    assert!(close(freqs[3], 1.0 / base.powf(0.75), 1e-12));
}
