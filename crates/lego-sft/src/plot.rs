//! The training curves as one PNG a reader can use without the code: the loss per optimizer step
//! on a log scale (it spans decades while a model learns) with the curriculum's stage boundaries
//! marked, and the learning rate below it, each with a title, labelled axes and ticks.
//!
//! Drawn with `plotters`' bitmap backend into a buffer and encoded with `png`. Text uses the
//! DejaVu Sans file bundled in the crate (`assets/fonts/`, with its licence) through plotters'
//! `ab_glyph` renderer, so the plot looks the same on every machine and needs no system fonts.

use std::path::Path;
use std::sync::OnceLock;

use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::{FontStyle, register_font};

use crate::error::{Error, Result};
use crate::train::StepMetrics;

const WIDTH: u32 = 1000;
const HEIGHT: u32 = 760;
/// The font every text of the plot is drawn in (plotters' default family name).
const FAMILY: &str = "sans-serif";
static FONT: &[u8] = include_bytes!("../assets/fonts/DejaVuSans.ttf");

const LOSS_COLOR: RGBColor = RGBColor(31, 119, 180);
const LR_COLOR: RGBColor = RGBColor(214, 39, 40);
const STAGE_COLOR: RGBColor = RGBColor(110, 110, 110);

/// Writes the loss (top, log scale, stage boundaries dashed) and learning rate (bottom) of
/// `metrics` to `path` as a PNG.
pub fn plot_metrics(metrics: &[StepMetrics], path: &Path) -> Result<()> {
    let err = |message: String| Error::Plot {
        path: path.to_path_buf(),
        message,
    };
    register_bundled_font().map_err(err)?;
    let mut buf = vec![255u8; (WIDTH * HEIGHT * 3) as usize];
    draw_all(&mut buf, metrics).map_err(err)?;
    let file = std::fs::File::create(path).map_err(|source| Error::Write {
        path: path.to_path_buf(),
        source,
    })?;
    let mut encoder = png::Encoder::new(std::io::BufWriter::new(file), WIDTH, HEIGHT);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().map_err(|e| err(e.to_string()))?;
    writer
        .write_image_data(&buf)
        .map_err(|e| err(e.to_string()))?;
    writer.finish().map_err(|e| err(e.to_string()))
}

/// Registers the bundled font under plotters' default family, once per process.
fn register_bundled_font() -> std::result::Result<(), String> {
    static REGISTERED: OnceLock<std::result::Result<(), String>> = OnceLock::new();
    REGISTERED
        .get_or_init(|| {
            register_font(FAMILY, FontStyle::Normal, FONT)
                .map_err(|_| "the bundled DejaVu Sans font does not parse".to_string())
        })
        .clone()
}

type Area<'a> = DrawingArea<BitMapBackend<'a>, plotters::coord::Shift>;
type PlotResult = std::result::Result<(), String>;

fn draw_all(buf: &mut [u8], metrics: &[StepMetrics]) -> PlotResult {
    let root = BitMapBackend::with_buffer(buf, (WIDTH, HEIGHT)).into_drawing_area();
    let e = |e: &dyn std::fmt::Display| e.to_string();
    root.fill(&WHITE).map_err(|x| e(&x))?;
    let steps = metrics.len();
    let last = metrics.last().map_or(0, |m| m.step);
    let title = format!("lego sft train: {steps} optimizer steps (last: step {last})");
    let root = root.titled(&title, (FAMILY, 24)).map_err(|x| e(&x))?;
    let (top, bottom) = root.split_vertically((HEIGHT as f64 * 0.58) as u32);
    draw_loss(&top, metrics)?;
    draw_learning_rate(&bottom, metrics)?;
    root.present().map_err(|x| e(&x))
}

/// The x range shared by both charts: from the first to the last step, never empty.
fn step_range(metrics: &[StepMetrics]) -> std::ops::Range<f64> {
    let first = metrics.first().map_or(1.0, |m| m.step as f64);
    let last = metrics.last().map_or(1.0, |m| m.step as f64);
    if last > first {
        first..last
    } else {
        first - 0.5..first + 0.5
    }
}

/// Steps, printed as integers (plotters picks fractional ticks on short runs otherwise).
fn step_label(x: &f64) -> String {
    if (x - x.round()).abs() < 1e-9 {
        format!("{}", x.round() as i64)
    } else {
        String::new()
    }
}

fn draw_loss(area: &Area<'_>, metrics: &[StepMetrics]) -> PlotResult {
    let e = |e: &dyn std::fmt::Display| e.to_string();
    // A log axis holds only positive, finite values; a step without a usable loss is a gap.
    let points: Vec<(f64, f64)> = metrics
        .iter()
        .filter(|m| m.loss.is_finite() && m.loss > 0.0)
        .map(|m| (m.step as f64, m.loss))
        .collect();
    let lo = points.iter().map(|p| p.1).fold(f64::INFINITY, f64::min);
    let hi = points.iter().map(|p| p.1).fold(f64::NEG_INFINITY, f64::max);
    let (lo, hi) = if lo.is_finite() && hi.is_finite() {
        // A little room above and below, in log terms.
        (lo / 1.15, hi * 1.15)
    } else {
        (0.1, 10.0)
    };
    let x = step_range(metrics);
    let mut chart = ChartBuilder::on(area)
        .caption(
            "Training loss (cross-entropy per trained token, log scale)",
            (FAMILY, 18),
        )
        .margin(12)
        .x_label_area_size(44)
        .y_label_area_size(76)
        .build_cartesian_2d(
            x.clone(),
            (lo..hi).log_scale().with_key_points(log_ticks(lo, hi)),
        )
        .map_err(|x| e(&x))?;
    chart
        .configure_mesh()
        .x_desc("optimizer step")
        .y_desc("loss (nats / token)")
        .x_label_formatter(&step_label)
        .y_label_formatter(&|v| format_value(*v))
        .axis_desc_style((FAMILY, 15))
        .label_style((FAMILY, 13))
        .light_line_style(RGBColor(235, 235, 235))
        .max_light_lines(4)
        .draw()
        .map_err(|x| e(&x))?;
    chart
        .draw_series(LineSeries::new(points, LOSS_COLOR.stroke_width(2)))
        .map_err(|x| e(&x))?
        .label("loss")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], LOSS_COLOR.stroke_width(2)));

    // A boundary sits halfway between the last step of one stage and the first of the next.
    let boundaries: Vec<(f64, usize)> = metrics
        .windows(2)
        .filter(|w| w[0].stage != w[1].stage)
        .map(|w| ((w[0].step + w[1].step) as f64 / 2.0, w[1].stage))
        .collect();
    let stage_label = |x: f64, stage: usize| {
        Text::new(
            format!(" stage {stage}"),
            (x, hi / 1.04),
            (FAMILY, 13).into_font().color(&STAGE_COLOR),
        )
    };
    if let (Some(first), false) = (metrics.first(), boundaries.is_empty()) {
        chart
            .draw_series(std::iter::once(stage_label(x.start, first.stage)))
            .map_err(|x| e(&x))?;
    }
    for (i, &(bx, stage)) in boundaries.iter().enumerate() {
        let series = chart
            .draw_series(DashedLineSeries::new(
                vec![(bx, lo), (bx, hi)],
                6,
                4,
                STAGE_COLOR.stroke_width(1),
            ))
            .map_err(|x| e(&x))?;
        if i == 0 {
            series.label("curriculum stage boundary").legend(|(x, y)| {
                DashedPathElement::new(vec![(x, y), (x + 24, y)], 6, 4, STAGE_COLOR.stroke_width(1))
            });
        }
        chart
            .draw_series(std::iter::once(stage_label(bx, stage)))
            .map_err(|x| e(&x))?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .label_font((FAMILY, 14))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()
        .map_err(|x| e(&x))
}

fn draw_learning_rate(area: &Area<'_>, metrics: &[StepMetrics]) -> PlotResult {
    let e = |e: &dyn std::fmt::Display| e.to_string();
    let points: Vec<(f64, f64)> = metrics
        .iter()
        .filter(|m| m.learning_rate.is_finite())
        .map(|m| (m.step as f64, m.learning_rate))
        .collect();
    let hi = points.iter().map(|p| p.1).fold(0.0, f64::max);
    let hi = if hi > 0.0 { hi * 1.1 } else { 1.0 };
    let mut chart = ChartBuilder::on(area)
        .caption("Learning rate (warmup, then the schedule)", (FAMILY, 18))
        .margin(12)
        .x_label_area_size(44)
        .y_label_area_size(76)
        .build_cartesian_2d(step_range(metrics), 0.0..hi)
        .map_err(|x| e(&x))?;
    chart
        .configure_mesh()
        .x_desc("optimizer step")
        .y_desc("learning rate")
        .x_label_formatter(&step_label)
        .y_label_formatter(&|v| format_value(*v))
        .axis_desc_style((FAMILY, 15))
        .label_style((FAMILY, 13))
        .light_line_style(RGBColor(235, 235, 235))
        .max_light_lines(4)
        .draw()
        .map_err(|x| e(&x))?;
    chart
        .draw_series(LineSeries::new(points, LR_COLOR.stroke_width(2)))
        .map_err(|x| e(&x))?;
    Ok(())
}

/// Tick values for a log axis over `lo..hi`: 1-2-5 per decade when the range spans decades,
/// finer steps within a narrow one (plotters' own log ticks leave a range inside one decade
/// without any label).
fn log_ticks(lo: f64, hi: f64) -> Vec<f64> {
    let candidates = |mantissas: &[f64]| -> Vec<f64> {
        let (first, last) = (lo.log10().floor() as i32, hi.log10().ceil() as i32);
        (first..=last)
            .flat_map(|k| mantissas.iter().map(move |m| m * 10f64.powi(k)))
            .filter(|v| (lo..=hi).contains(v))
            .collect()
    };
    let coarse = candidates(&[1.0, 2.0, 5.0]);
    if coarse.len() >= 4 {
        return coarse;
    }
    let fine = candidates(&[1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0]);
    if fine.len() >= 3 {
        return fine;
    }
    // Within a sliver of a decade: five evenly spaced values.
    (0..5)
        .map(|i| lo + (hi - lo) * (i as f64 + 0.5) / 5.0)
        .collect()
}

/// A tick value in few characters: plain for ordinary magnitudes, scientific for tiny ones
/// (learning rates like 1e-4).
fn format_value(v: f64) -> String {
    let a = v.abs();
    if a == 0.0 {
        "0".into()
    } else if !(1e-2..1e4).contains(&a) {
        format!("{v:.1e}")
    } else {
        // Three decimals at most, trailing zeros dropped: 5, 0.5, 2.75, 0.125.
        let text = format!("{v:.3}");
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

#[cfg(test)]
mod tests;
