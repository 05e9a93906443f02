//! What every command shares: the help that lists everything, the hand-over of the libtorch
//! commands to `lego-torch`, the log flags (`-q`, `-v`, `--log-format json`, `RUST_LOG`).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

use crate::{git, lego, stderr};

/// A repository with two commits, and the arguments of a `lego repo sanitize` of it into `out`.
fn sanitize_args(dir: &Path) -> Vec<String> {
    let src = dir.join("src");
    std::fs::create_dir(&src).unwrap();
    git(&src, &["init", "-q", "-b", "trunk"]);
    std::fs::write(src.join("a.txt"), "base\n").unwrap();
    git(&src, &["add", "-A"]);
    git(&src, &["commit", "-q", "-m", "base"]);
    [
        "repo",
        "sanitize",
        "--repo",
        src.to_str().unwrap(),
        "--base",
        "HEAD",
        "--mode",
        "squash",
        "--out",
        dir.join("out").to_str().unwrap(),
    ]
    .map(str::to_owned)
    .to_vec()
}

fn lego_with(args: &[String], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_lego"));
    command.args(args).env_remove("RUST_LOG");
    for (key, value) in env {
        command.env(key, value);
    }
    command.output().unwrap()
}

#[test]
fn help_lists_every_command_group_including_the_libtorch_ones() {
    let out = lego(&["--help"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let help = String::from_utf8(out.stdout).unwrap();
    for group in [
        "tokenizer",
        "data",
        "eval",
        "tools",
        "repo",
        "sandbox",
        "model",
        "sft",
    ] {
        assert!(help.contains(&format!("\n  {group} ")), "{group}: {help}");
    }
    for flag in ["--verbose", "--quiet", "--log-format"] {
        assert!(help.contains(flag), "{flag}: {help}");
    }
}

/// `lego-torch` next to `lego`, as cargo builds the workspace; `None` (said loudly) when only
/// lego-cli was built.
pub(crate) fn torch_binary(test: &str) -> Option<PathBuf> {
    let lego = PathBuf::from(env!("CARGO_BIN_EXE_lego"));
    let torch = lego.with_file_name("lego-torch");
    if torch.is_file() {
        return Some(torch);
    }
    assert!(
        std::env::var_os("LEGO_REQUIRE_BOOTSTRAP").is_none_or(|v| v != "1"),
        "{test}: {} is missing; build the workspace",
        torch.display()
    );
    eprintln!(
        "SKIPPED {test}: lego-torch is not built next to lego (cargo build -p lego-cli-torch)"
    );
    None
}

#[test]
fn model_and_sft_run_in_lego_torch_with_the_output_flags_handed_on() {
    if torch_binary("model_and_sft_run_in_lego_torch").is_none() {
        return;
    }
    let out = lego(&["model", "--help"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let help = String::from_utf8(out.stdout).unwrap();
    assert!(help.contains("Usage: lego model"), "{help}");
    for command in ["init", "forward", "generate"] {
        assert!(help.contains(command), "{command}: {help}");
    }
    let out = lego(&["sft", "train", "--help"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("--config"));

    // A flag given before the group reaches lego-torch: its error is a JSON object.
    let out = lego(&[
        "--log-format",
        "json",
        "sft",
        "train",
        "--config",
        "/no/such/train.toml",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    let line: Value = serde_json::from_str(err.trim()).unwrap();
    assert_eq!(line["level"], "ERROR");
    assert!(
        line["fields"]["message"]
            .as_str()
            .unwrap()
            .contains("/no/such/train.toml"),
        "{err}"
    );
}

#[test]
fn quiet_prints_nothing_but_errors_and_results() {
    let dir = tempfile::tempdir().unwrap();
    let mut args = vec!["-q".to_owned()];
    args.extend(sanitize_args(dir.path()));
    let out = lego_with(&args, &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stderr(&out), "");
    // The result on stdout stays.
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["mode"], "squash");
}

#[test]
fn json_logs_are_one_object_per_line_and_text_logs_read_plainly() {
    let dir = tempfile::tempdir().unwrap();
    let args = sanitize_args(dir.path());

    let text = lego_with(&args, &[]);
    assert!(text.status.success(), "{}", stderr(&text));
    let text = stderr(&text);
    assert!(text.starts_with("wrote "), "{text}");

    std::fs::remove_dir_all(dir.path().join("out")).unwrap();
    let mut json_args = vec!["--log-format".to_owned(), "json".to_owned()];
    json_args.extend(args.iter().cloned());
    // With `-v` too, so span and debug lines are among them.
    json_args.push("-v".to_owned());
    let json = lego_with(&json_args, &[]);
    assert!(json.status.success(), "{}", stderr(&json));
    let lines: Vec<Value> = stderr(&json)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert!(!lines.is_empty());
    for line in &lines {
        assert!(
            line["timestamp"].is_string() && line["level"].is_string(),
            "{line}"
        );
    }
    assert!(
        lines.iter().any(|l| l["fields"]["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("wrote "))),
        "{lines:?}"
    );
}

#[test]
fn rust_log_chooses_what_is_shown() {
    let dir = tempfile::tempdir().unwrap();
    let args = sanitize_args(dir.path());
    // Only errors of lego's CLI: the summary (info) is filtered out.
    let out = lego_with(&args, &[("RUST_LOG", "lego=error")]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stderr(&out), "");
}

/// `RUST_LOG=lego_sandbox=debug` shows what the sandbox does, inside its spans (the sandbox,
/// each tool call), as plain text in a pipe.
#[test]
fn rust_log_shows_the_sandbox_spans_of_a_replay() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    std::fs::create_dir(&repo).unwrap();
    std::fs::write(repo.join("a.py"), "x = 1\n").unwrap();
    let actions = dir.path().join("actions.jsonl");
    std::fs::write(
        &actions,
        r#"{"name": "execute_bash", "arguments": {"command": "cat /testbed/a.py"}}"#,
    )
    .unwrap();
    let args = [
        "tools",
        "replay",
        "--backend",
        "local",
        "--repo",
        repo.to_str().unwrap(),
        "--actions",
        actions.to_str().unwrap(),
        "--out",
        dir.path().join("obs.jsonl").to_str().unwrap(),
    ]
    .map(str::to_owned);
    let out = lego_with(&args, &[("RUST_LOG", "lego_sandbox=debug")]);
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(!err.contains('\x1b'), "no colours in a pipe: {err}");
    let span_line = err
        .lines()
        .find(|l| l.contains("sandbox{") && l.contains(":tool_call{"))
        .unwrap_or_else(|| panic!("no event inside a tool call's span: {err}"));
    assert!(span_line.starts_with("debug lego_sandbox"), "{span_line}");
    assert!(err.contains(r#"backend="local""#), "{err}");
    // The CLI's own summary is not lego_sandbox's: RUST_LOG left it out.
    assert!(!err.contains("replayed 1 calls"), "{err}");
}
