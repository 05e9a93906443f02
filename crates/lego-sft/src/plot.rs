//! The loss and learning-rate curves as one PNG: loss on top, learning rate below, step on the
//! x axis. Drawn with `plotters`' bitmap backend into a buffer and encoded with `png`, so no
//! font or image-codec stack is built; the curves carry no text (the numbers are in
//! `metrics.jsonl`).

use std::path::Path;

use plotters::prelude::*;

use crate::error::{Error, Result};
use crate::train::StepMetrics;

const WIDTH: u32 = 800;
const HEIGHT: u32 = 600;

/// Writes the loss (blue, top) and learning rate (red, bottom) of `metrics` to `path`.
pub fn plot_metrics(metrics: &[StepMetrics], path: &Path) -> Result<()> {
    let err = |message: String| Error::Plot {
        path: path.to_path_buf(),
        message,
    };
    let mut buf = vec![255u8; (WIDTH * HEIGHT * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut buf, (WIDTH, HEIGHT)).into_drawing_area();
        let (top, bottom) = root.split_vertically(HEIGHT / 2);
        let loss: Vec<(f64, f64)> = metrics.iter().map(|m| (m.step as f64, m.loss)).collect();
        let lr: Vec<(f64, f64)> = metrics
            .iter()
            .map(|m| (m.step as f64, m.learning_rate))
            .collect();
        draw(&top, &loss, BLUE).map_err(err)?;
        draw(&bottom, &lr, RED).map_err(err)?;
        root.present().map_err(|e| err(e.to_string()))?;
    }
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

type Area<'a> = DrawingArea<BitMapBackend<'a>, plotters::coord::Shift>;

fn draw(
    area: &Area<'_>,
    points: &[(f64, f64)],
    color: RGBColor,
) -> std::result::Result<(), String> {
    let x_max = points.iter().map(|p| p.0).fold(1.0, f64::max);
    let y_min = points
        .iter()
        .map(|p| p.1)
        .fold(f64::INFINITY, f64::min)
        .min(0.0);
    let mut y_max = points.iter().map(|p| p.1).fold(f64::NEG_INFINITY, f64::max);
    if y_max.is_nan() || y_max <= y_min {
        y_max = y_min + 1.0;
    }
    let mut chart = ChartBuilder::on(&area.margin(20, 20, 20, 20))
        .build_cartesian_2d(0.0..x_max, y_min..y_max * 1.05)
        .map_err(|e| e.to_string())?;
    chart
        .plotting_area()
        .draw(&Rectangle::new(
            [(0.0, y_min), (x_max, y_max * 1.05)],
            BLACK.stroke_width(1),
        ))
        .map_err(|e| e.to_string())?;
    chart
        .draw_series(LineSeries::new(
            points.iter().copied(),
            color.stroke_width(2),
        ))
        .map_err(|e| e.to_string())?;
    Ok(())
}
