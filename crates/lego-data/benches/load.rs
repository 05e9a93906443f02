//! `cargo bench -p lego-data --bench load`: loading the Qwen3 `tokenizer.json` (18 MB) by
//! parsing and checking it (`Tokenizer::from_file`) and from the cache of compiled tokenizers
//! (`Tokenizer::from_file_cached`, a hit), the start-up cost of every `lego data` command.
//!
//! Needs the bootstrap's tokenizer in `LEGO_TOKENIZER` (`eval "$(cargo xtask env)"`); without it
//! the bench says so and measures nothing.

use std::hint::black_box;
use std::path::PathBuf;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use lego_data::{Backend, Tokenizer};

fn benches(c: &mut Criterion) {
    let Some(path) = std::env::var_os("LEGO_TOKENIZER").map(PathBuf::from) else {
        eprintln!("load bench skipped: LEGO_TOKENIZER is not set (eval \"$(cargo xtask env)\")");
        return;
    };
    let cache = tempfile::tempdir().expect("a temporary cache directory");
    let warm = Tokenizer::from_file_cached(&path, cache.path()).expect("tokenizer loads");
    assert_eq!(
        warm.backend(),
        Backend::Lego,
        "the bench measures lego's encoder"
    );

    let mut group = c.benchmark_group("load");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(10));
    group.bench_function("from_file (parse and check)", |b| {
        b.iter(|| black_box(Tokenizer::from_file(&path).expect("tokenizer loads")))
    });
    group.bench_function("from_file_cached (hit)", |b| {
        b.iter(|| black_box(Tokenizer::from_file_cached(&path, cache.path()).expect("loads")))
    });
    group.finish();
}

criterion_group!(load, benches);
criterion_main!(load);
