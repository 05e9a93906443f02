use super::*;

fn metrics(losses: &[f64], stages: &[usize]) -> Vec<StepMetrics> {
    losses
        .iter()
        .zip(stages)
        .enumerate()
        .map(|(i, (&loss, &stage))| StepMetrics {
            step: i + 1,
            stage,
            epoch: 0.0,
            loss,
            learning_rate: 1e-4 * (i + 1) as f64,
            grad_norm: 1.0,
            trained_tokens: 10,
            tokens: 20,
            tokens_per_s: 100.0,
        })
        .collect()
}

/// Counts pixels of `color` in an RGB image.
fn count(pixels: &[u8], color: RGBColor) -> usize {
    pixels
        .chunks(3)
        .filter(|p| p == &[color.0, color.1, color.2])
        .count()
}

#[test]
fn a_narrow_loss_range_still_gets_labelled_ticks() {
    // A short run whose loss stays within one decade: plotters' own log ticks label nothing.
    let ticks = log_ticks(2.6, 5.75);
    assert!(ticks.len() >= 3, "{ticks:?}");
    assert!(ticks.iter().all(|t| (2.6..=5.75).contains(t)), "{ticks:?}");
    assert_eq!(
        ticks.iter().map(|&t| format_value(t)).collect::<Vec<_>>(),
        ["3", "4", "5"]
    );
    // Over decades, 1-2-5 per decade.
    assert_eq!(log_ticks(0.09, 11.0), [0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0]);
    assert_eq!(format_value(1e-4), "1.0e-4");
}

#[test]
fn plot_has_text_curves_and_stage_boundaries() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("loss.png");
    // A NaN loss (a diverged step) leaves a gap instead of failing the plot.
    let m = metrics(&[9.0, 5.0, f64::NAN, 2.0, 1.0, 0.5], &[1, 1, 1, 2, 2, 3]);
    plot_metrics(&m, &path).unwrap();

    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&path).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut pixels).unwrap();
    assert_eq!((info.width, info.height), (WIDTH, HEIGHT));
    let pixels = &pixels[..info.buffer_size()];
    assert!(count(pixels, LOSS_COLOR) > 500, "no loss curve");
    assert!(count(pixels, LR_COLOR) > 500, "no learning-rate curve");
    assert!(count(pixels, STAGE_COLOR) > 100, "no stage boundaries");
    // Text is anti-aliased black on white: grey levels that no line of the plot uses. Without a
    // font the plot would hold none.
    let grey = pixels
        .chunks(3)
        .filter(|p| {
            p[0] == p[1] && p[1] == p[2] && (40..200).contains(&p[0]) && p[0] != STAGE_COLOR.0
        })
        .count();
    assert!(grey > 2000, "only {grey} anti-aliased text pixels");
}
