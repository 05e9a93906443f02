//! The `lego` binary as a user runs it: outputs, exit codes and one-line errors.

// These tests run the built `lego` binary.
#![allow(clippy::disallowed_methods)]
// Test helpers may unwrap: a panic is the failure report.
#![allow(clippy::unwrap_used)]

mod model;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn lego(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lego"))
        .args(args)
        .output()
        .unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../lego-data/data/examples.jsonl")
}

/// The bootstrap's tokenizer, as a string argument.
fn tokenizer(test: &str) -> Option<String> {
    lego_testkit::tokenizer(test).map(|p| p.display().to_string())
}

fn read_lines(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn malformed_input_is_a_one_line_error_naming_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.jsonl");
    let good = std::fs::read_to_string(examples()).unwrap();
    let first = good.lines().next().unwrap();
    std::fs::write(
        &bad,
        format!("{first}\n{{\"instance_id\": \"x\", \"messages\": 3}}\n"),
    )
    .unwrap();
    let out_path = dir.path().join("out.jsonl");
    let out = lego(&[
        "data",
        "render",
        "--tokenizer",
        "unused.json",
        "--input",
        bad.to_str().unwrap(),
        "--out",
        out_path.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(err.contains("bad.jsonl:2: malformed record"), "{err}");
    assert!(!out_path.exists(), "nothing is written on bad input");
}

#[test]
fn missing_input_names_the_path() {
    let out = lego(&[
        "data",
        "stats",
        "--tokenizer",
        "t.json",
        "--input",
        "/nonexistent/x.jsonl",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("/nonexistent/x.jsonl"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn render_writes_aligned_examples_and_honours_max_len() {
    let Some(tok) = tokenizer("render_writes_aligned_examples_and_honours_max_len") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let out_path = dir.path().join("ex.jsonl");
    let input = examples();
    let render = |extra: &[&str]| {
        let mut args = vec![
            "data",
            "render",
            "--tokenizer",
            &tok,
            "--input",
            input.to_str().unwrap(),
        ];
        args.extend(["--out", out_path.to_str().unwrap()]);
        args.extend(extra);
        let out = lego(&args);
        assert!(out.status.success(), "{}", stderr(&out));
        (read_lines(&out_path), stderr(&out))
    };

    let (all, _) = render(&[]);
    assert_eq!(all.len(), 7);
    for ex in &all {
        let ids = ex["input_ids"].as_array().unwrap();
        let labels = ex["labels"].as_array().unwrap();
        assert_eq!(ids.len(), labels.len());
        let trained = labels.iter().filter(|l| l.as_i64() != Some(-100)).count();
        assert!(trained > 0 && trained < ids.len());
        // A trained label is the token at its own position (HF alignment; the loss shifts).
        for (id, label) in ids.iter().zip(labels) {
            assert!(label.as_i64() == Some(-100) || label.as_i64() == id.as_i64());
        }
        assert!(ex["tier"].as_u64().unwrap() < 3);
    }

    // A limit at the median length keeps about half.
    let mut lengths: Vec<usize> = all
        .iter()
        .map(|e| e["input_ids"].as_array().unwrap().len())
        .collect();
    lengths.sort_unstable();
    let limit = lengths[lengths.len() / 2];
    let over = lengths.iter().filter(|&&l| l > limit).count();
    let max_len = limit.to_string();
    let (kept, note) = render(&["--max-len", &max_len]);
    assert_eq!(kept.len(), all.len() - over);
    assert!(over > 0 && !kept.is_empty());
    assert!(
        note.contains(&format!("{over} dropped over max length")),
        "{note}"
    );
    assert!(
        kept.iter()
            .all(|e| e["input_ids"].as_array().unwrap().len() <= limit)
    );

    let (truncated, note) = render(&["--max-len", &max_len, "--truncate"]);
    assert_eq!(truncated.len(), all.len());
    assert!(note.contains(&format!("{over} truncated")), "{note}");
    assert!(
        truncated
            .iter()
            .all(|e| e["input_ids"].as_array().unwrap().len() <= limit)
    );

    // Masking off trains strictly more tokens.
    let trained = |set: &[Value]| -> usize {
        set.iter()
            .map(|e| {
                e["labels"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|l| l.as_i64() != Some(-100))
                    .count()
            })
            .sum()
    };
    let (unmasked, _) = render(&["--no-error-mask"]);
    assert!(trained(&unmasked) > trained(&all));

    let plan = lego(&["data", "plan", "--examples", out_path.to_str().unwrap()]);
    assert!(plan.status.success(), "{}", stderr(&plan));
    let plan: Value = serde_json::from_slice(&plan.stdout).unwrap();
    assert_eq!(plan.as_array().unwrap().len(), 3);
    assert_eq!(plan[0]["tier"], 0);
}

#[test]
fn sharegpt_round_trip_renders_the_same() {
    let Some(tok) = tokenizer("sharegpt_round_trip_renders_the_same") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let p = |name: &str| dir.path().join(name).to_str().unwrap().to_owned();
    let input = examples();
    let run = |args: &[&str]| {
        let out = lego(args);
        assert!(out.status.success(), "{}", stderr(&out));
    };
    run(&[
        "data",
        "export-sharegpt",
        "--input",
        input.to_str().unwrap(),
        "--out",
        &p("sg.jsonl"),
    ]);
    run(&[
        "data",
        "render",
        "--tokenizer",
        &tok,
        "--input",
        input.to_str().unwrap(),
        "--out",
        &p("a.jsonl"),
    ]);
    run(&[
        "data",
        "render",
        "--tokenizer",
        &tok,
        "--sharegpt",
        "--input",
        &p("sg.jsonl"),
        "--out",
        &p("b.jsonl"),
    ]);
    let a = read_lines(Path::new(&p("a.jsonl")));
    let b = read_lines(Path::new(&p("b.jsonl")));
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(&b) {
        // Compare without printing tens of thousands of ids on failure.
        assert!(
            x["input_ids"] == y["input_ids"],
            "{}: ids differ after the round trip",
            x["instance_id"]
        );
        assert!(
            x["labels"] == y["labels"],
            "{}: labels differ after the round trip",
            x["instance_id"]
        );
    }
}

#[test]
fn import_tiktoken_is_deterministic_and_matches_the_bootstrap() {
    let Some(tok) = tokenizer("import_tiktoken_is_deterministic_and_matches_the_bootstrap") else {
        return;
    };
    let Some(ranks) = lego_testkit::qwen_ranks("import_tiktoken_is_deterministic") else {
        return;
    };
    let ranks = ranks.display().to_string();
    let dir = tempfile::tempdir().unwrap();
    let out_path = dir.path().join("tokenizer.json");
    let out = lego(&[
        "tokenizer",
        "import-tiktoken",
        "--ranks",
        &ranks,
        "--preset",
        "qwen3",
        "--out",
        out_path.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(std::fs::read(&out_path).unwrap() == std::fs::read(&tok).unwrap());

    let bad = lego(&[
        "tokenizer",
        "import-tiktoken",
        "--ranks",
        &ranks,
        "--preset",
        "llama9",
        "--out",
        "x",
    ]);
    assert_eq!(bad.status.code(), Some(2), "clap rejects an unknown preset");
}
