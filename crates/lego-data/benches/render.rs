//! `cargo bench -p lego-data --bench render`: BPE encoding and rendering of the bundled example
//! trajectories, on lego's own encoder and on the `tokenizers` crate with the same file.
//!
//! Needs the bootstrap's Qwen3 `tokenizer.json` in `LEGO_TOKENIZER` (`eval "$(cargo xtask
//! env)"`); without it the bench says so and measures nothing. The comparison with transformers
//! is `cargo xtask bench data`.

use std::hint::black_box;
use std::path::PathBuf;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use lego_data::{
    Backend, NoProgress, RenderOptions, Tokenizer, annotate_steps, example_trajectories,
    render_all, render_chat, render_example,
};

fn benches(c: &mut Criterion) {
    let Some(path) = std::env::var_os("LEGO_TOKENIZER").map(PathBuf::from) else {
        eprintln!("render bench skipped: LEGO_TOKENIZER is not set (eval \"$(cargo xtask env)\")");
        return;
    };
    let load = |backend| Tokenizer::from_file_with(&path, Some(backend)).expect("tokenizer loads");
    let backends = [
        ("lego", load(Backend::Lego)),
        ("tokenizers", load(Backend::Tokenizers)),
    ];
    let mut trajs = example_trajectories();
    for t in &mut trajs {
        annotate_steps(t);
    }
    let texts: Vec<String> = trajs
        .iter()
        .map(|t| render_chat(t, true).expect("examples render").text)
        .collect();
    let bytes: usize = texts.iter().map(String::len).sum();
    let opts = RenderOptions::default();

    let mut group = c.benchmark_group("encode");
    group.throughput(Throughput::Bytes(bytes as u64));
    for (name, tok) in &backends {
        group.bench_function(*name, |b| {
            b.iter(|| {
                for text in &texts {
                    black_box(tok.encode_with_offsets(text).expect("encodes"));
                }
            })
        });
    }
    group.finish();

    let mut group = c.benchmark_group("render");
    group.throughput(Throughput::Elements(trajs.len() as u64));
    let (_, lego) = &backends[0];
    group.bench_function("render_example, one thread", |b| {
        b.iter(|| {
            for t in &trajs {
                black_box(render_example(t, lego, &opts).expect("renders"));
            }
        })
    });
    group.bench_function("render_all, all cores", |b| {
        b.iter(|| black_box(render_all(&trajs, lego, &opts, Some(3), &NoProgress)))
    });
    group.finish();
}

criterion_group! {
    name = render;
    // Short runs: the whole lego-data suite takes about a minute.
    config = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    targets = benches
}
criterion_main!(render);
