//! What the benches share: short measurements, so that `cargo bench -p lego-sandbox` takes
//! about a minute.

use std::time::Duration;

use criterion::Criterion;

/// Criterion with short warm-ups and measurements (20 samples in a second per benchmark).
pub fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1))
        .sample_size(20)
}
