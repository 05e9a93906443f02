//! The `lego` binary as a user runs it: outputs, exit codes and one-line errors.

// These tests run the built `lego` binary.
#![allow(clippy::disallowed_methods)]
// Test helpers may unwrap: a panic is the failure report.
#![allow(clippy::unwrap_used)]

mod agent;
mod export;
mod mine;
mod output;
mod synth;

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

/// A grading fixture of lego-sandbox.
fn grading_fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../lego-sandbox/tests/data")
        .join(name)
}

#[test]
fn eval_grade_prints_the_swebench_report() {
    let dir = tempfile::tempdir().unwrap();
    let task = dir.path().join("task.json");
    let f2p = "test_slugify (utils_tests.test_text.TestUtilsText.test_slugify)";
    let p2p = "test_phone2numeric (utils_tests.test_text.TestUtilsText.test_phone2numeric)";
    std::fs::write(
        &task,
        serde_json::json!({
            "instance_id": "django__django-1",
            "repo": "django/django",
            // As SWE-bench ships them: JSON-encoded strings.
            "FAIL_TO_PASS": serde_json::to_string(&[f2p]).unwrap(),
            "PASS_TO_PASS": serde_json::to_string(&[p2p]).unwrap(),
        })
        .to_string(),
    )
    .unwrap();
    let log = grading_fixture("logs/django_runtests.log");
    let out = lego(&[
        "eval",
        "grade",
        "--instance",
        task.to_str().unwrap(),
        "--log",
        log.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8(out.stdout).unwrap();
    let report: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        report,
        serde_json::json!({"django__django-1": {
            "patch_is_None": false,
            "patch_exists": true,
            "patch_successfully_applied": true,
            "resolved": false,
            "infra_failure": false,
            "tests_status": {
                "FAIL_TO_PASS": {"success": [f2p], "failure": []},
                "PASS_TO_PASS": {"success": [], "failure": [p2p]},
                "FAIL_TO_FAIL": {"success": [], "failure": []},
                "PASS_TO_FAIL": {"success": [], "failure": []},
            },
        }})
    );
    // SWE-bench's key order.
    let order: Vec<usize> = [
        "patch_is_None",
        "patch_exists",
        "patch_successfully_applied",
    ]
    .iter()
    .map(|k| text.find(k).unwrap())
    .collect();
    assert!(order.is_sorted(), "{text}");

    // A timed-out run is an error: no tests_status at all.
    let timeout = grading_fixture("logs/edge/timeout.log");
    let out = lego(&[
        "eval",
        "grade",
        "--instance",
        task.to_str().unwrap(),
        "--log",
        timeout.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        report["django__django-1"]["patch_successfully_applied"],
        false
    );
    assert!(report["django__django-1"].get("tests_status").is_none());
}

#[test]
fn eval_grade_bad_input_is_a_one_line_error_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let task = dir.path().join("task.json");
    std::fs::write(&task, "{\"instance_id\": 3}").unwrap();
    let log = grading_fixture("logs/django_runtests.log");
    let args = |task: &Path, log: &Path| {
        lego(&[
            "eval",
            "grade",
            "--instance",
            task.to_str().unwrap(),
            "--log",
            log.to_str().unwrap(),
        ])
    };
    let out = args(&task, &log);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("malformed task") && err.contains("task.json"),
        "{err}"
    );

    std::fs::write(
        &task,
        r#"{"instance_id": "x", "log_parser": "parse_log_jest"}"#,
    )
    .unwrap();
    let err = stderr(&args(&task, &log));
    assert!(err.contains("no log parser named parse_log_jest"), "{err}");

    let missing = dir.path().join("missing.log");
    let err = stderr(&args(&task, &missing));
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("cannot read the log") && err.contains("missing.log"),
        "{err}"
    );
}

#[test]
fn tools_replay_runs_calls_in_a_local_sandbox() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    std::fs::create_dir(&repo).unwrap();
    std::fs::write(repo.join("a.py"), "x = 1\n").unwrap();
    let actions = dir.path().join("actions.jsonl");
    let out = dir.path().join("obs.jsonl");
    std::fs::write(
        &actions,
        concat!(
            r#"{"name": "execute_bash", "arguments": {"command": "cd /testbed && cat a.py"}}"#, "\n",
            r#"{"name": "str_replace_editor", "arguments": "{\"command\": \"str_replace\", \"path\": \"/testbed/a.py\", \"old_str\": \"x = 2\", \"new_str\": \"y\"}"}"#, "\n",
            r#"{"name": "str_replace_editor", "arguments": {"command": "str_replace", "path": "/testbed/a.py", "old_str": "x = 1", "new_str": "x = 2"}}"#, "\n",
            r#"{"name": "think", "arguments": {"thought": "ok"}}"#, "\n",
            r#"{"name": "finish", "arguments": {"message": "done"}}"#, "\n",
        ),
    )
    .unwrap();
    let run = |backend: &str| {
        lego(&[
            "tools",
            "replay",
            "--backend",
            backend,
            "--repo",
            repo.to_str().unwrap(),
            "--actions",
            actions.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ])
    };
    let result = run("local");
    assert!(result.status.success(), "{}", stderr(&result));
    let lines: Vec<Value> = std::fs::read_to_string(&out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 5);
    assert!(
        lines[0]["observation"]
            .as_str()
            .unwrap()
            .starts_with("x = 1\n[The command completed with exit code 0.]")
    );
    assert_eq!(lines[0]["error"], Value::Null);
    assert_eq!(lines[0]["exit_code"], 0);
    assert!(
        lines[1]["observation"]
            .as_str()
            .unwrap()
            .starts_with("ERROR:\nNo replacement was performed")
    );
    assert_eq!(lines[1]["error"], "editor_error");
    assert!(
        lines[2]["observation"]
            .as_str()
            .unwrap()
            .starts_with("The file /testbed/a.py has been edited.")
    );
    assert_eq!(lines[3]["observation"], "Your thought has been logged.");
    assert!(lines[4]["duration_s"].is_number());
    // The user's repository is untouched: the sandbox worked on a copy.
    assert_eq!(
        std::fs::read_to_string(repo.join("a.py")).unwrap(),
        "x = 1\n"
    );
    // The same calls in a container give the same observations.
    let local_lines = lines;
    let docker = run("docker");
    if !docker.status.success() && stderr(&docker).contains("cannot reach the Docker engine") {
        assert!(
            std::env::var_os("LEGO_REQUIRE_DOCKER").is_none_or(|v| v != "1"),
            "{}",
            stderr(&docker)
        );
        eprintln!("SKIPPED tools_replay (docker): no Docker engine answers");
        return;
    }
    assert!(docker.status.success(), "{}", stderr(&docker));
    let docker_lines: Vec<Value> = std::fs::read_to_string(&out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(docker_lines.len(), local_lines.len());
    // Where `python` is differs by machine (the base image has only `python3`).
    let strip = |v: &Value| {
        let text = v["observation"].as_str().unwrap_or_default();
        let kept: Vec<&str> = text
            .lines()
            .filter(|l| !l.starts_with("[Python interpreter: "))
            .collect();
        kept.join("\n")
    };
    for (d, l) in docker_lines.iter().zip(&local_lines) {
        assert_eq!(strip(d), strip(l));
        for key in ["name", "error", "exit_code", "finished"] {
            assert_eq!(d[key], l[key], "{key}");
        }
    }
}

#[test]
fn sandbox_build_of_a_missing_repo_is_a_one_line_error() {
    let out = lego(&["sandbox", "build", "--repo", "/no/such/repo"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        "error: --repo /no/such/repo is not a directory\n"
    );
}

#[test]
fn sandbox_ls_json_lists_images_and_containers() {
    let out = lego(&["sandbox", "ls", "--json"]);
    if !out.status.success() && stderr(&out).contains("cannot reach the Docker engine") {
        assert!(
            std::env::var_os("LEGO_REQUIRE_DOCKER").is_none_or(|v| v != "1"),
            "{}",
            stderr(&out)
        );
        eprintln!("SKIPPED sandbox_ls_json_lists_images_and_containers: no Docker engine answers");
        return;
    }
    assert!(out.status.success(), "{}", stderr(&out));
    let listing: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(listing["images"].is_array() && listing["containers"].is_array());
    for image in listing["images"].as_array().unwrap() {
        assert!(["base", "env"].contains(&image["kind"].as_str().unwrap()));
    }
}

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .current_dir(dir)
        .args(args)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", "Dev")
        .env("GIT_AUTHOR_EMAIL", "dev@example.invalid")
        .env("GIT_COMMITTER_NAME", "Dev")
        .env("GIT_COMMITTER_EMAIL", "dev@example.invalid")
        .output()
        .unwrap();
    assert!(out.status.success(), "git {args:?}: {}", stderr(&out));
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn repo_sanitize_prints_a_report_and_refuses_bad_input_in_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    std::fs::create_dir(&src).unwrap();
    git(&src, &["init", "-q", "-b", "trunk"]);
    std::fs::write(src.join("a.txt"), "base\n").unwrap();
    git(&src, &["add", "-A"]);
    git(&src, &["commit", "-q", "-m", "base"]);
    std::fs::write(src.join("a.txt"), "later\n").unwrap();
    git(&src, &["commit", "-q", "-am", "later"]);
    let src_arg = src.to_str().unwrap();

    let out_dir = dir.path().join("out");
    let out = lego(&[
        "repo",
        "sanitize",
        "--repo",
        src_arg,
        "--base",
        "HEAD~1",
        "--mode",
        "truncate",
        "--out",
        out_dir.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["mode"], "truncate");
    assert_eq!(report["commits"], 1);
    assert_eq!(report["branch"], "main");
    assert_eq!(
        std::fs::read_to_string(out_dir.join("a.txt")).unwrap(),
        "base\n"
    );
    assert_eq!(git(&out_dir, &["log", "--format=%s"]), "base\n");

    // An existing non-empty output, an unknown revision, a directory that is no repository and an
    // unknown mode: each one line naming what was wrong.
    for (args, needle) in [
        (
            vec![
                "--base",
                "HEAD",
                "--mode",
                "squash",
                "--out",
                out_dir.to_str().unwrap(),
            ],
            out_dir.display().to_string(),
        ),
        (
            vec![
                "--base",
                "nope",
                "--mode",
                "squash",
                "--out",
                dir.path().join("o-nope").to_str().unwrap(),
            ],
            "`nope`".to_owned(),
        ),
    ] {
        let mut all = vec!["repo", "sanitize", "--repo", src_arg];
        all.extend(args);
        let out = lego(&all);
        assert!(!out.status.success());
        let err = stderr(&out);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains(&needle), "{err}");
    }
    let plain = dir.path().join("plain");
    std::fs::create_dir(&plain).unwrap();
    let out = lego(&[
        "repo",
        "sanitize",
        "--repo",
        plain.to_str().unwrap(),
        "--base",
        "HEAD",
        "--mode",
        "squash",
        "--out",
        dir.path().join("o").to_str().unwrap(),
    ]);
    let err = stderr(&out);
    assert!(!out.status.success() && err.lines().count() == 1, "{err}");
    assert!(
        err.contains(&format!("{} is not a git repository", plain.display())),
        "{err}"
    );
    let out = lego(&[
        "repo", "sanitize", "--repo", src_arg, "--base", "HEAD", "--mode", "prune", "--out", "o",
    ]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("unknown mode `prune`"),
        "{}",
        stderr(&out)
    );
}

/// A sandbox gets the repository at `--base` with its history sanitised: by default (truncate)
/// the base and its ancestors and nothing of a later commit can be found from inside (not by
/// `git log --all`, not by reading any object); `--history squash` keeps one new commit;
/// `--hack-inclusive` keeps it all.
#[test]
fn tools_replay_sandboxes_hold_sanitised_history_unless_asked() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("proj");
    std::fs::create_dir(&src).unwrap();
    git(&src, &["init", "-q", "-b", "trunk"]);
    std::fs::write(src.join("a.py"), "x = 1\n").unwrap();
    git(&src, &["add", "-A"]);
    git(&src, &["commit", "-q", "-m", "first"]);
    std::fs::write(src.join("a.py"), "x = 2\n").unwrap();
    git(&src, &["commit", "-q", "-am", "second"]);
    let base = git(&src, &["rev-parse", "HEAD"]).trim().to_owned();
    std::fs::write(src.join("a.py"), "x = 'FUTURE_FIX_MARKER'\n").unwrap();
    git(&src, &["commit", "-q", "-am", "the fix FUTURE_FIX_MARKER"]);

    let actions = dir.path().join("actions.jsonl");
    // Every commit message any ref or object holds, and the content of every object.
    let probe = "cd /testbed && cat a.py && git log --all --format=%s | tr '\\n' ' ' && echo && \
                 git cat-file --batch-all-objects --batch | grep -c FUTURE_FIX_MARKER";
    std::fs::write(
        &actions,
        format!(
            "{}\n",
            serde_json::json!({"name": "execute_bash", "arguments": {"command": probe}})
        ),
    )
    .unwrap();
    let out = dir.path().join("obs.jsonl");
    let run = |backend: &str, history: &[&str]| -> Option<String> {
        let mut args = vec![
            "tools",
            "replay",
            "--backend",
            backend,
            "--repo",
            src.to_str().unwrap(),
            "--base",
            &base,
            "--actions",
            actions.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ];
        args.extend(history);
        let result = lego(&args);
        if backend == "docker"
            && !result.status.success()
            && stderr(&result).contains("cannot reach the Docker engine")
        {
            assert!(
                std::env::var_os("LEGO_REQUIRE_DOCKER").is_none_or(|v| v != "1"),
                "{}",
                stderr(&result)
            );
            eprintln!("SKIPPED sanitised history (docker): no Docker engine answers");
            return None;
        }
        assert!(result.status.success(), "{}", stderr(&result));
        let lines = read_lines(&out);
        Some(lines[0]["observation"].as_str().unwrap().to_owned())
    };
    for backend in ["local", "docker"] {
        let Some(truncate) = run(backend, &[]) else {
            continue;
        };
        assert!(
            truncate.starts_with("x = 2\nsecond first \n0\n"),
            "{backend}: {truncate}"
        );
        let squash = run(backend, &["--history", "squash"]).unwrap();
        assert!(
            squash.starts_with("x = 2\nInitial commit \n0\n"),
            "{backend}: {squash}"
        );
        let keep = run(backend, &["--hack-inclusive"]).unwrap();
        assert!(keep.starts_with("x = 2\n"), "{backend}: {keep}");
        assert!(
            keep.contains("the fix FUTURE_FIX_MARKER"),
            "{backend}: {keep}"
        );
    }
}

/// `lego data stats` compiles the tokenizer into `$LEGO_CACHE/compiled-tokenizers` on its first
/// run and reads it on the next, printing the same; nothing is written beside the
/// `tokenizer.json`.
#[test]
fn stats_caches_the_compiled_tokenizer_in_lego_s_cache() {
    let Some(tok) = tokenizer("stats_caches_the_compiled_tokenizer_in_lego_s_cache") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let tok_dir = dir.path().join("tokenizer");
    std::fs::create_dir(&tok_dir).unwrap();
    let copy = tok_dir.join("tokenizer.json");
    std::fs::copy(&tok, &copy).unwrap();
    let cache = dir.path().join("cache");
    let stats = || {
        let out = Command::new(env!("CARGO_BIN_EXE_lego"))
            .args([
                "data",
                "stats",
                "--tokenizer",
                copy.to_str().unwrap(),
                "--input",
            ])
            .arg(examples())
            .env("LEGO_CACHE", &cache)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        String::from_utf8(out.stdout).unwrap()
    };
    let first = stats();
    let entries: Vec<_> = std::fs::read_dir(cache.join("compiled-tokenizers"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(entries.len(), 1, "{entries:?}");
    let written = std::fs::metadata(&entries[0]).unwrap().modified().unwrap();
    assert_eq!(stats(), first);
    assert_eq!(
        std::fs::metadata(&entries[0]).unwrap().modified().unwrap(),
        written,
        "the second run reads the entry"
    );
    assert!(first.contains("tokens"), "{first}");
    assert_eq!(std::fs::read_dir(&tok_dir).unwrap().count(), 1);
}
