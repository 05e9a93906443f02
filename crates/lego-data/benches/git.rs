//! `cargo bench -p lego-data --bench git`: the diff of two commits (gix trees and lego's Myers
//! line diff) and history sanitisation, on a repository generated here with `git fast-import`:
//! 120 commits over 200 Python-like files, each commit editing a few lines of ten files.

// The fixture is made by real git, once, before anything is measured.
#![allow(clippy::disallowed_methods)]

use std::fmt::Write as _;
use std::hint::black_box;
use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use lego_data::{SanitizeMode, SanitizeOptions, diff_commits, diff_text, sanitize_repo};

const FILES: usize = 200;
const COMMITS: usize = 120;
const LINES: usize = 150;

/// A small deterministic generator, so the repository is the same on every run.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

fn file_text(file: usize, lines: &[usize]) -> String {
    let mut text = String::new();
    for (i, version) in lines.iter().enumerate() {
        let _ = writeln!(
            text,
            "def f{file}_{i}(x):  # v{version}\n    return x + {i}"
        );
    }
    text
}

/// The fast-import stream of the whole history, on `main`, one commit per `mark`.
fn history() -> String {
    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    let mut versions = vec![vec![0usize; LINES]; FILES];
    let mut stream = String::new();
    for commit in 1..=COMMITS {
        let touched: Vec<usize> = if commit == 1 {
            (0..FILES).collect()
        } else {
            (0..10).map(|_| rng.below(FILES)).collect()
        };
        for &f in &touched {
            for _ in 0..5 {
                let line = rng.below(LINES);
                versions[f][line] = commit;
            }
        }
        let _ = write!(
            stream,
            "commit refs/heads/main\nmark :{commit}\n\
             author Dev <dev@example.invalid> {t} +0000\n\
             committer Dev <dev@example.invalid> {t} +0000\ndata 10\ncommit {commit:03}\n",
            t = 1_700_000_000 + commit * 60
        );
        for &f in &touched {
            let text = file_text(f, &versions[f]);
            let _ = write!(
                stream,
                "M 100644 inline pkg/mod{}/file{f}.py\ndata {}\n{text}\n",
                f % 10,
                text.len()
            );
        }
    }
    stream
}

fn make_repo(dir: &Path) {
    let git = |args: &[&str]| {
        let mut c = Command::new("git");
        c.current_dir(dir)
            .args(args)
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1");
        c
    };
    assert!(
        git(&["init", "-q", "-b", "main"])
            .status()
            .expect("git runs")
            .success()
    );
    let mut import = git(&["fast-import", "--quiet"])
        .stdin(Stdio::piped())
        .spawn()
        .expect("git fast-import starts");
    import
        .stdin
        .take()
        .expect("piped")
        .write_all(history().as_bytes())
        .expect("git fast-import reads the history");
    assert!(import.wait().expect("git fast-import ends").success());
    assert!(
        git(&["reset", "-q", "--hard", "main"])
            .status()
            .expect("git runs")
            .success()
    );
}

fn benches(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let repo = dir.path().join("repo");
    std::fs::create_dir(&repo).expect("repository directory");
    make_repo(&repo);
    let base = format!("main~{}", COMMITS - 2);

    let mut group = c.benchmark_group("diff");
    group.bench_function("diff_commits, 118 commits apart", |b| {
        b.iter(|| {
            let files = diff_commits(&repo, &base, "main")
                .expect("repository reads")
                .expect("text changes only");
            black_box(files)
        })
    });
    let old = file_text(0, &[0; 2000]);
    let new = file_text(0, &(0..2000).map(|i| i % 7 / 6).collect::<Vec<_>>());
    group.bench_function("diff_text, 4000 lines, 1 in 7 changed", |b| {
        b.iter(|| black_box(diff_text(&old, &new)))
    });
    group.finish();

    let mut group = c.benchmark_group("sanitize");
    for mode in [SanitizeMode::Squash, SanitizeMode::Truncate] {
        let options = SanitizeOptions {
            mode,
            ..SanitizeOptions::default()
        };
        group.bench_function(format!("{mode}, {FILES} files"), |b| {
            b.iter_batched(
                || tempfile::tempdir().expect("temporary directory"),
                |out| {
                    let report = sanitize_repo(&repo, "main~10", &out.path().join("r"), &options)
                        .expect("sanitises");
                    black_box(report);
                    out
                },
                BatchSize::PerIteration,
            )
        });
    }
    group.finish();
}

criterion_group! {
    name = git;
    // Short runs: the whole lego-data suite takes about a minute.
    config = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    targets = benches
}
criterion_main!(git);
