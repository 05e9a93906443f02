//! `lego agent run` and `lego eval run` on real tasks: the ones `lego data mine` makes from
//! `six`'s release history (see `mine.rs`), solved by the scripted expert in sandboxes.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use lego_agent::{Context, ExpertOptions, Policy, ScriptedExpert};
use lego_data::{Message, Task};
use lego_testkit::http::{Reply, ScriptedServer};
use serde_json::{Value, json};

use crate::mine::{TEST_CMD, mine, path_with, setup};
use crate::{read_lines, stderr};

/// The six repository, its tasks mined on `backend` (FAIL_TO_PASS and PASS_TO_PASS depend on the
/// environment the tests ran in) and the PATH with pytest, in `dir`; `None` after saying why
/// `test` skips.
fn six_tasks_on(test: &str, dir: &Path, backend: &str) -> Option<(PathBuf, PathBuf, String)> {
    let (repo, _, prs, venv) = setup(test, dir)?;
    let tasks = dir.join("tasks.jsonl");
    let path = path_with(&venv);
    let out = mine(
        &path,
        &[
            "--repo",
            repo.to_str().unwrap(),
            "--prs",
            prs.to_str().unwrap(),
            "--out",
            tasks.to_str().unwrap(),
            "--test-cmd",
            TEST_CMD,
            "--jobs",
            "2",
            "--timeout",
            "300",
            "--backend",
            backend,
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(read_lines(&tasks).len(), 2);
    Some((repo, tasks, path))
}

fn six_tasks(test: &str, dir: &Path) -> Option<(PathBuf, PathBuf, String)> {
    six_tasks_on(test, dir, "local")
}

fn lego_with_path(path: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lego"))
        .args(args)
        .env("PATH", path)
        .output()
        .unwrap()
}

/// Every trajectory is graded resolved, by the scripted expert, and names its rollout.
fn check_resolved(trajectories: &[Value], expected: usize) {
    assert_eq!(trajectories.len(), expected);
    for t in trajectories {
        assert_eq!(t["policy"], "scripted-expert");
        let messages = t["messages"].as_array().unwrap();
        let tail: Vec<String> = messages[messages.len().saturating_sub(6)..]
            .iter()
            .map(|m| format!("{}: {} {}", m["role"], m["content"], m["tool_calls"]))
            .collect();
        assert_eq!(
            t["end"],
            "finish",
            "{} ended after:\n{}",
            t["instance_id"],
            tail.join("\n")
        );
        let status = &t["report"]["tests_status"];
        assert_eq!(
            t["outcome"], "resolved",
            "{}: failing FAIL_TO_PASS {}, PASS_TO_PASS {}",
            t["instance_id"], status["FAIL_TO_PASS"]["failure"], status["PASS_TO_PASS"]["failure"]
        );
        let patch = t["final_patch"].as_str().unwrap();
        assert!(patch.contains("diff --git a/six.py b/six.py"), "{patch}");
        assert!(
            !patch.contains("test_six.py"),
            "test files stay out: {patch}"
        );
        assert_eq!(t["report"]["resolved"], true);
    }
}

fn error_steps(trajectory: &Value) -> Vec<String> {
    trajectory["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["step"]["error"].as_str().map(str::to_owned))
        .collect()
}

#[test]
fn scripted_expert_resolves_mined_six_tasks_on_the_local_backend() {
    let test = "scripted_expert_resolves_mined_six_tasks_on_the_local_backend";
    let dir = tempfile::tempdir().unwrap();
    let Some((repo, tasks, path)) = six_tasks(test, dir.path()) else {
        return;
    };
    let out = dir.path().join("traj.jsonl");
    let preds = dir.path().join("preds.jsonl");
    let run = lego_with_path(
        &path,
        &[
            "agent",
            "run",
            "--tasks",
            tasks.to_str().unwrap(),
            "--repo",
            repo.to_str().unwrap(),
            "--policy",
            "scripted-expert",
            "--out",
            out.to_str().unwrap(),
            "--predictions",
            preds.to_str().unwrap(),
            "--jobs",
            "2",
            "--timeout",
            "300",
        ],
    );
    let err = stderr(&run);
    assert!(run.status.success(), "{err}");
    assert!(err.contains("rollouts 2/2 (100%)"), "{err}");
    let trajectories = read_lines(&out);
    check_resolved(&trajectories, 2);
    for t in &trajectories {
        assert!(error_steps(t).is_empty(), "no mistakes asked for: {t}");
    }
    assert_eq!(read_lines(&preds).len(), 2);

    // Mistakes on: every task still resolved, and the trajectories hold labelled error steps.
    let noisy = dir.path().join("noisy.jsonl");
    let run = lego_with_path(
        &path,
        &[
            "agent",
            "run",
            "--tasks",
            tasks.to_str().unwrap(),
            "--repo",
            repo.to_str().unwrap(),
            "--policy",
            "scripted-expert",
            "--out",
            noisy.to_str().unwrap(),
            "--rollouts",
            "2",
            "--mistake-rate",
            "0.6",
            "--seed",
            "7",
            "--jobs",
            "2",
            "--timeout",
            "300",
        ],
    );
    assert!(run.status.success(), "{}", stderr(&run));
    let trajectories = read_lines(&noisy);
    check_resolved(&trajectories, 4);
    let errors: Vec<String> = trajectories.iter().flat_map(error_steps).collect();
    assert!(errors.len() >= 4, "{errors:?}");
    for kind in ["editor_error", "command_not_found"] {
        assert!(
            errors.iter().any(|e| e == kind),
            "{kind} missing from {errors:?}"
        );
    }

    // The error steps round-trip through SWE-Lego's ShareGPT shape as `turn_mask`, and
    // rendering gives them no loss: fewer trained tokens than with error masking off.
    let sharegpt = dir.path().join("sharegpt.jsonl");
    let export = crate::lego(&[
        "data",
        "export-sharegpt",
        "--input",
        noisy.to_str().unwrap(),
        "--out",
        sharegpt.to_str().unwrap(),
    ]);
    assert!(export.status.success(), "{}", stderr(&export));
    let masked: usize = read_lines(&sharegpt)
        .iter()
        .map(|t| {
            let messages = t["messages"].as_array().unwrap();
            messages.iter().filter(|m| m["turn_mask"] == true).count()
        })
        .sum();
    assert_eq!(masked, errors.len());
    let Some(tokenizer) = crate::tokenizer(test) else {
        return;
    };
    let trained = |extra: &[&str]| -> usize {
        let rendered = dir.path().join("rendered.jsonl");
        let mut args = vec![
            "data",
            "render",
            "--tokenizer",
            &tokenizer,
            "--input",
            noisy.to_str().unwrap(),
            "--out",
            rendered.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        let run = crate::lego(&args);
        assert!(run.status.success(), "{}", stderr(&run));
        read_lines(&rendered)
            .iter()
            .flat_map(|e| e["labels"].as_array().unwrap().clone())
            .filter(|l| l.as_i64() != Some(-100))
            .count()
    };
    assert!(trained(&[]) < trained(&["--no-error-mask"]));
}

/// An OpenAI-compatible server for the test (a test double): it plays the scripted expert over
/// HTTP, one expert per task it recognises in the conversation, and answers the first `fail`
/// requests with a 500. `hermes`: the tool call as Hermes text in `content` (a server without a
/// tool-call parser), else as native `tool_calls`.
fn expert_server(tasks: Vec<Task>, hermes: bool, fail: usize) -> ScriptedServer {
    let experts: Mutex<HashMap<String, ScriptedExpert>> = Mutex::new(HashMap::new());
    let seen = AtomicUsize::new(0);
    ScriptedServer::with_handler(move |request| {
        if request.path.ends_with("/models") {
            return Reply::json(
                200,
                json!({"object": "list", "data": [{"id": "expert-over-http", "object": "model"}]}),
            );
        }
        if seen.fetch_add(1, Ordering::SeqCst) < fail {
            return Reply::json(500, json!({"error": {"message": "overloaded"}}));
        }
        let messages: Vec<Message> =
            serde_json::from_value(request.body["messages"].clone()).unwrap();
        let task = tasks
            .iter()
            .find(|t| messages[1].content.contains(t.problem_statement.trim_end()))
            .expect("the conversation is about one of the tasks");
        let mut experts = experts.lock().unwrap();
        let expert = experts
            .entry(task.instance_id.clone())
            .or_insert_with(|| ScriptedExpert::new(task, ExpertOptions::default()));
        let context = Context {
            task,
            tools: &[],
            messages: &messages,
        };
        let turn = expert.next(&context).unwrap();
        let call = &turn.message.tool_calls[0];
        let message = if hermes {
            let args: Value = serde_json::from_str(&call.function.arguments).unwrap();
            let block = json!({"name": call.function.name, "arguments": args});
            json!({"role": "assistant", "content": format!("{}\n<tool_call>\n{block}\n</tool_call>", turn.message.content)})
        } else {
            json!({"role": "assistant", "content": turn.message.content, "tool_calls": [{
                "id": format!("srv_{}", messages.len()),
                "type": "function",
                "function": {"name": call.function.name, "arguments": call.function.arguments},
            }]})
        };
        Reply::json(
            200,
            json!({
                "id": "chatcmpl-test",
                "object": "chat.completion",
                "model": "expert-over-http",
                "choices": [{"index": 0, "message": message,
                             "finish_reason": if hermes { "stop" } else { "tool_calls" }}],
                "usage": {"prompt_tokens": 100 * messages.len(), "completion_tokens": 20,
                          "total_tokens": 100 * messages.len() + 20},
            }),
        )
    })
}

/// The `openai` policy runs whole episodes against an HTTP server on loopback: one with native
/// tool calls that fails twice first, and one that returns only Hermes text.
#[test]
fn openai_policy_runs_whole_episodes_over_http() {
    let test = "openai_policy_runs_whole_episodes_over_http";
    let dir = tempfile::tempdir().unwrap();
    let Some((repo, tasks_path, path)) = six_tasks(test, dir.path()) else {
        return;
    };
    let tasks: Vec<Task> = read_lines(&tasks_path)
        .into_iter()
        .map(|v| serde_json::from_value(v).unwrap())
        .collect();
    for (hermes, fail) in [(false, 2), (true, 0)] {
        let server = expert_server(tasks.clone(), hermes, fail);
        let out = dir.path().join(format!("openai-{hermes}.jsonl"));
        let run = lego_with_path(
            &path,
            &[
                "agent",
                "run",
                "--tasks",
                tasks_path.to_str().unwrap(),
                "--repo",
                repo.to_str().unwrap(),
                "--policy",
                "openai",
                "--base-url",
                &server.base_url,
                "--model",
                "expert-over-http",
                "--temperature",
                "0",
                "--out",
                out.to_str().unwrap(),
                "--timeout",
                "300",
            ],
        );
        let err = stderr(&run);
        assert!(run.status.success(), "{err}");
        let trajectories = read_lines(&out);
        assert_eq!(trajectories.len(), 2);
        for t in &trajectories {
            assert_eq!(t["policy"], "openai");
            assert_eq!(t["model"], "expert-over-http");
            assert_eq!(t["outcome"], "resolved", "{}", t["report"]);
            assert!(t["usage"]["prompt_tokens"].as_u64().unwrap() > 0);
            // Hermes text or native, the steps hold parsed tool calls answered by tool messages.
            let messages = t["messages"].as_array().unwrap();
            // Token usage per turn, as the server counted it.
            for m in messages.iter().filter(|m| m["role"] == "assistant") {
                assert_eq!(m["step"]["usage"]["completion_tokens"], 20, "{m}");
                assert!(m["step"]["usage"]["prompt_tokens"].as_u64().unwrap() >= 200);
            }
            for (i, m) in messages.iter().enumerate() {
                if m["role"] == "assistant" && m["tool_calls"][0]["function"]["name"] != "finish" {
                    assert!(!m["content"].as_str().unwrap().contains("<tool_call>"));
                    assert_eq!(messages[i + 1]["tool_call_id"], m["tool_calls"][0]["id"]);
                }
            }
        }
        let requests = server.requests();
        let chat: Vec<_> = requests
            .iter()
            .filter(|r| r.path.ends_with("/chat/completions"))
            .collect();
        assert_eq!(chat[0].body["tools"].as_array().unwrap().len(), 4);
        assert_eq!(chat[0].body["temperature"], 0.0);
        if fail > 0 {
            // The first request was answered 500 twice and retried.
            assert_eq!(chat[0].body, chat[2].body);
            assert!(err.contains("retry") || err.contains("retrying"), "{err}");
        }
    }
}

/// `lego eval run` over the agent's predictions: the per-instance reports equal what
/// `swebench`'s `get_eval_report` makes of the same logs, and the summary has swebench's shape;
/// empty and wrong patches are counted as swebench counts them.
#[test]
fn eval_run_reports_equal_swebench_on_agent_predictions() {
    let test = "eval_run_reports_equal_swebench_on_agent_predictions";
    let Some(python) = lego_testkit::python(test) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let Some((repo, tasks, path)) = six_tasks(test, dir.path()) else {
        return;
    };
    let trajectories = dir.path().join("traj.jsonl");
    let preds = dir.path().join("preds.jsonl");
    let run = lego_with_path(
        &path,
        &[
            "agent",
            "run",
            "--tasks",
            tasks.to_str().unwrap(),
            "--repo",
            repo.to_str().unwrap(),
            "--policy",
            "scripted-expert",
            "--out",
            trajectories.to_str().unwrap(),
            "--predictions",
            preds.to_str().unwrap(),
            "--timeout",
            "300",
        ],
    );
    assert!(run.status.success(), "{}", stderr(&run));

    // A second set: one empty patch, one that changes nothing the tests see.
    let wrong = dir.path().join("wrong.jsonl");
    let ids: Vec<String> = read_lines(&preds)
        .iter()
        .map(|p| p["instance_id"].as_str().unwrap().to_owned())
        .collect();
    let touch = "diff --git a/setup.cfg b/setup.cfg\n--- a/setup.cfg\n+++ b/setup.cfg\n@@ -1,2 +1,3 @@\n+# touched\n";
    let setup_cfg = std::fs::read_to_string(repo.join("setup.cfg")).unwrap();
    let first_two: Vec<&str> = setup_cfg.lines().take(2).collect();
    let touch = format!("{touch} {}\n {}\n", first_two[0], first_two[1]);
    std::fs::write(
        &wrong,
        format!(
            "{}\n{}\n",
            json!({"instance_id": ids[0], "model_name_or_path": "m", "model_patch": ""}),
            json!({"instance_id": ids[1], "model_name_or_path": "m", "model_patch": touch}),
        ),
    )
    .unwrap();

    for (predictions, resolved, unresolved, empty) in [(&preds, 2, 0, 0), (&wrong, 0, 1, 1)] {
        let out = dir.path().join(format!(
            "eval-{}",
            predictions.file_stem().unwrap().to_str().unwrap()
        ));
        let run = lego_with_path(
            &path,
            &[
                "eval",
                "run",
                "--tasks",
                tasks.to_str().unwrap(),
                "--repo",
                repo.to_str().unwrap(),
                "--predictions",
                predictions.to_str().unwrap(),
                "--out",
                out.to_str().unwrap(),
                "--jobs",
                "2",
                "--timeout",
                "300",
            ],
        );
        assert!(run.status.success(), "{}", stderr(&run));
        let summary: Value = serde_json::from_slice(&run.stdout).unwrap();
        let on_disk: Value =
            serde_json::from_slice(&std::fs::read(out.join("report.json")).unwrap()).unwrap();
        assert_eq!(summary, on_disk);
        assert_eq!(summary["total_instances"], 2);
        assert_eq!(summary["submitted_instances"], 2);
        assert_eq!(summary["resolved_instances"], resolved, "{summary}");
        assert_eq!(summary["unresolved_instances"], unresolved, "{summary}");
        assert_eq!(summary["empty_patch_instances"], empty, "{summary}");
        assert_eq!(summary["error_instances"], 0, "{summary}");
        assert_eq!(summary["schema_version"], 2);

        let expected = Command::new(&python)
            .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/parity/swebench_reports.py"))
            .args([&tasks, predictions, &out])
            .output()
            .unwrap();
        assert!(expected.status.success(), "{}", stderr(&expected));
        let expected: Value = serde_json::from_slice(&expected.stdout).unwrap();
        let reports = expected.as_object().unwrap();
        assert_eq!(reports.len(), resolved + unresolved);
        for (id, report) in reports {
            let dir = out.join("logs").join(id);
            for file in ["patch.diff", "test_output.txt", "report.json"] {
                assert!(dir.join(file).exists(), "{id}: {file}");
            }
            let ours: Value =
                serde_json::from_slice(&std::fs::read(dir.join("report.json")).unwrap()).unwrap();
            assert_eq!(ours[id], *report, "{id}");
        }
    }
}

/// A `kill -9` in the middle of `lego agent run`, then a rerun: every (task, rollout) pair once,
/// none lost, and `lego sandbox gc` leaves nothing of the killed run.
#[test]
fn agent_run_resumes_after_kill_9() {
    let test = "agent_run_resumes_after_kill_9";
    let dir = tempfile::tempdir().unwrap();
    let Some((repo, tasks, path)) = six_tasks(test, dir.path()) else {
        return;
    };
    let out = dir.path().join("traj.jsonl");
    let preds = dir.path().join("preds.jsonl");
    let args = [
        "agent",
        "run",
        "--tasks",
        tasks.to_str().unwrap(),
        "--repo",
        repo.to_str().unwrap(),
        "--policy",
        "scripted-expert",
        "--out",
        out.to_str().unwrap(),
        "--predictions",
        preds.to_str().unwrap(),
        "--rollouts",
        "2",
        "--timeout",
        "300",
    ];
    let mut child = Command::new(env!("CARGO_BIN_EXE_lego"))
        .args(args)
        .env("PATH", &path)
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    while std::fs::read_to_string(&out).map_or(0, |s| s.lines().count()) < 1 {
        assert!(
            started.elapsed().as_secs() < 120,
            "no trajectory within 2 minutes"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    // Mid-way through the second episode.
    std::thread::sleep(std::time::Duration::from_millis(700));
    child.kill().unwrap();
    child.wait().unwrap();
    let before = std::fs::read_to_string(&out).unwrap().lines().count();
    assert!(
        before < 4,
        "the run was not interrupted ({before} trajectories)"
    );

    let gc = lego_with_path(&path, &["sandbox", "gc"]);
    assert!(gc.status.success(), "{}", stderr(&gc));
    let rerun = lego_with_path(&path, &args);
    let err = stderr(&rerun);
    assert!(rerun.status.success(), "{err}");
    assert!(
        err.contains(&format!("resuming: {before} of 4 rollouts")),
        "{err}"
    );
    let trajectories = read_lines(&out);
    let mut pairs: Vec<(String, u64)> = trajectories
        .iter()
        .map(|t| {
            (
                t["instance_id"].as_str().unwrap().to_owned(),
                t["rollout"].as_u64().unwrap(),
            )
        })
        .collect();
    pairs.sort();
    pairs.dedup();
    assert_eq!(pairs.len(), 4, "{pairs:?}");
    assert_eq!(trajectories.len(), 4);
    let predictions = read_lines(&preds);
    assert_eq!(predictions.len(), 2, "one prediction per task, rollout 0");
    // Nothing of the killed run is left for gc to find.
    let gc = lego_with_path(&path, &["sandbox", "gc"]);
    assert!(gc.status.success(), "{}", stderr(&gc));
    let left = std::fs::read_dir(std::env::temp_dir())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with(&format!("lego-sandbox-{}-", child.id()))
        })
        .count();
    assert_eq!(left, 0);
}

/// The same on the Docker backend, mistakes on: every task resolved, error steps labelled.
#[test]
fn scripted_expert_resolves_mined_six_tasks_on_the_docker_backend() {
    use lego_sandbox::{BaseImageOptions, DockerBackend, base_image_tag};

    let test = "scripted_expert_resolves_mined_six_tasks_on_the_docker_backend";
    let Ok(docker) = DockerBackend::connect() else {
        lego_testkit::skip_or_fail(test, "no Docker engine answers", "LEGO_REQUIRE_DOCKER");
        return;
    };
    if docker
        .image_id(&base_image_tag(&BaseImageOptions::default()))
        .unwrap()
        .is_none()
    {
        lego_testkit::skip_or_fail(
            test,
            "the sandbox base image is missing (`cargo xtask bootstrap` makes it)",
            "LEGO_REQUIRE_DOCKER",
        );
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let Some((repo, tasks, path)) = six_tasks_on(test, dir.path(), "docker") else {
        return;
    };
    let out = dir.path().join("traj.jsonl");
    let run = lego_with_path(
        &path,
        &[
            "agent",
            "run",
            "--backend",
            "docker",
            "--tasks",
            tasks.to_str().unwrap(),
            "--repo",
            repo.to_str().unwrap(),
            "--policy",
            "scripted-expert",
            "--out",
            out.to_str().unwrap(),
            "--mistake-rate",
            "0.6",
            "--seed",
            "3",
            "--jobs",
            "2",
            "--timeout",
            "300",
        ],
    );
    assert!(run.status.success(), "{}", stderr(&run));
    let trajectories = read_lines(&out);
    check_resolved(&trajectories, 2);
    for t in &trajectories {
        assert_eq!(t["backend"], "docker");
    }
    let errors: Vec<String> = trajectories.iter().flat_map(error_steps).collect();
    assert!(errors.iter().any(|e| e == "editor_error"), "{errors:?}");
}

/// `lego agent run --policy local` is handed to `lego-torch` and runs a checkpoint made by
/// `lego model init` (a tiny random Qwen3 with Qwen3's vocabulary): whole episodes, each step
/// labelled (a random model calls no tool), graded, the policy recorded as `local`.
#[test]
fn local_policy_runs_in_lego_torch() {
    let test = "local_policy_runs_in_lego_torch";
    if crate::output::torch_binary(test).is_none() {
        return;
    }
    let Some(tokenizer) = crate::tokenizer(test) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let Some((repo, tasks, path)) = six_tasks(test, dir.path()) else {
        return;
    };
    let config = dir.path().join("config.json");
    std::fs::write(
        &config,
        json!({
            "vocab_size": 151936, "hidden_size": 32, "intermediate_size": 64,
            "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2,
            "head_dim": 8, "max_position_embeddings": 16384, "rms_norm_eps": 1e-6,
            "rope_theta": 10000.0, "tie_word_embeddings": true,
        })
        .to_string(),
    )
    .unwrap();
    let model = dir.path().join("tiny");
    let init = crate::lego(&[
        "model",
        "init",
        "--config",
        config.to_str().unwrap(),
        "--out",
        model.to_str().unwrap(),
    ]);
    assert!(init.status.success(), "{}", stderr(&init));
    std::fs::copy(&tokenizer, model.join("tokenizer.json")).unwrap();
    let out = dir.path().join("local.jsonl");
    let run = lego_with_path(
        &path,
        &[
            "agent",
            "run",
            "--tasks",
            tasks.to_str().unwrap(),
            "--repo",
            repo.to_str().unwrap(),
            "--policy",
            "local",
            "--model-dir",
            model.to_str().unwrap(),
            "--max-turns",
            "2",
            "--max-tokens",
            "8",
            "--out",
            out.to_str().unwrap(),
            "--timeout",
            "300",
        ],
    );
    assert!(run.status.success(), "{}", stderr(&run));
    let trajectories = read_lines(&out);
    assert_eq!(trajectories.len(), 2);
    for t in &trajectories {
        assert_eq!(t["policy"], "local");
        assert_eq!(t["end"], "max_turns");
        assert_eq!(t["turns"], 2);
        assert_eq!(t["outcome"], "unresolved");
        assert!(t["usage"]["prompt_tokens"].as_u64().unwrap() > 0);
        assert_eq!(error_steps(t), ["tool_call_parse", "tool_call_parse"]);
    }
}

/// A second real project: `inflection` 0.5.1 from PyPI (pinned), with synthetic bugs written
/// here (what lego-synth will make), validated by its own test suite in a sandbox, then solved
/// by `lego agent run` with mistakes on, and graded.
const INFLECTION: (&str, &str) = (
    "0.5.1",
    "1a29730d366e996aaacffb2f1f1cb9593dc38e2ddd30c91250c6dde09ea9b417",
);

/// Each bug: a text of `inflection/__init__.py` and what it becomes.
const INFLECTION_BUGS: [(&str, &str, &str); 4] = [
    ("ordinal", "in (11, 12, 13):", "in (11, 12):"),
    (
        "dasherize",
        "word.replace('_', '-')",
        "word.replace('-', '_')",
    ),
    (
        "tableize",
        "return pluralize(underscore(word))",
        "return underscore(word)",
    ),
    (
        "camelize",
        "string[0].lower() + camelize",
        "string[0].upper() + camelize",
    ),
];

const INFLECTION_TEST_CMD: &str = "python3 -m pytest -rA -p no:cacheprovider test_inflection.py";

/// The unpacked sdist committed as one repository, and its validated synthetic tasks.
fn inflection_tasks(test: &str, dir: &Path, path: &str) -> Option<(PathBuf, PathBuf)> {
    use crate::mine::{cache, cached, git, python, run};
    use lego_agent::{Repos, TaskRepo};
    use lego_sandbox::{ValidateOptions, validate};

    let (version, sha) = INFLECTION;
    let sdist = cache().join(format!("inflection-{version}"));
    let fetched = cached(&sdist, |work| {
        std::fs::create_dir_all(work).map_err(|e| e.to_string())?;
        run(Command::new(python())
            .args([
                "-m",
                "pip",
                "download",
                "--quiet",
                "--no-deps",
                "--no-binary",
                ":all:",
            ])
            .arg(format!("inflection=={version}"))
            .arg("-d")
            .arg(work))?;
        let archive = work.join(format!("inflection-{version}.tar.gz"));
        let sum = run(Command::new("sha256sum").arg(&archive))?;
        if !sum.starts_with(sha) {
            return Err(format!(
                "{} has SHA-256 {sum}, not {sha}",
                archive.display()
            ));
        }
        Ok(())
    });
    if let Err(why) = fetched {
        lego_testkit::skip_or_fail(
            test,
            &format!("cannot fetch inflection from PyPI: {why}"),
            "LEGO_REQUIRE_BOOTSTRAP",
        );
        return None;
    }
    let repo = dir.join("inflection");
    std::fs::create_dir_all(&repo).unwrap();
    run(Command::new("tar")
        .args(["xzf"])
        .arg(sdist.join(format!("inflection-{version}.tar.gz")))
        .args(["--strip-components=1", "-C"])
        .arg(&repo))
    .unwrap();
    std::fs::write(repo.join(".gitignore"), "__pycache__/\n").unwrap();
    git(&repo, &["init", "-q", "-b", "main"]);
    git(&repo, &["add", "-A"]);
    git(&repo, &["commit", "-qm", &format!("inflection {version}")]);
    let base = git(&repo, &["rev-parse", "HEAD"]).trim().to_owned();

    let source = repo.join("inflection/__init__.py");
    let clean = std::fs::read_to_string(&source).unwrap();
    let starter = lego_sandbox::Starter::local(Default::default());
    let options = ValidateOptions {
        run: lego_sandbox::RunOptions {
            env: vec![("PATH".to_owned(), path.to_owned())],
            ..Default::default()
        },
        ..Default::default()
    };
    let mut lines = String::new();
    for (i, (function, from, to)) in INFLECTION_BUGS.iter().enumerate() {
        assert_eq!(clean.matches(from).count(), 1, "{function}");
        std::fs::write(&source, clean.replace(from, to)).unwrap();
        let bug = git(&repo, &["diff"]);
        // `-R` swaps the prefixes too: swapped back, so the gold patch reads `a/... b/...`.
        let gold = git(&repo, &["diff", "-R", "--src-prefix=b/", "--dst-prefix=a/"]);
        git(&repo, &["checkout", "--", "."]);
        let mut task: Task = serde_json::from_value(json!({
            "instance_id": format!("jpvanhal__inflection-synth-{i}"),
            "repo": "jpvanhal/inflection",
            "base_commit": base,
            "patch": gold,
            "problem_statement": format!("`inflection.{function}` gives wrong results."),
            "test_cmd": INFLECTION_TEST_CMD,
            "bug_patch": bug,
            "bug_kind": "handwritten",
        }))
        .unwrap();
        task.source = Some(lego_data::TaskSource::Synthetic);
        let prepared = TaskRepo::prepare(
            &Repos::One(repo.clone()),
            &task,
            lego_data::SanitizeMode::Truncate,
        )
        .unwrap();
        let (mut sandbox, local) = prepared.start(&starter, &task).unwrap();
        let validation = validate(sandbox.as_mut(), &local, &options).unwrap();
        assert!(
            validation.rejection.is_none(),
            "{function}: {:?}",
            validation.rejection
        );
        let task = validation.apply_to(&task);
        assert!(
            !task.fail_to_pass.is_empty() && task.pass_to_pass.len() > 100,
            "{function}"
        );
        lines.push_str(&serde_json::to_string(&task).unwrap());
        lines.push('\n');
    }
    let tasks = dir.join("inflection-tasks.jsonl");
    std::fs::write(&tasks, lines).unwrap();
    Some((repo, tasks))
}

#[test]
fn scripted_expert_resolves_synthetic_inflection_tasks() {
    let test = "scripted_expert_resolves_synthetic_inflection_tasks";
    let dir = tempfile::tempdir().unwrap();
    let venv = match crate::mine::venv() {
        Ok(v) => v,
        Err(why) => {
            lego_testkit::skip_or_fail(test, &why, "LEGO_REQUIRE_BOOTSTRAP");
            return;
        }
    };
    let path = path_with(&venv);
    let Some((repo, tasks)) = inflection_tasks(test, dir.path(), &path) else {
        return;
    };
    let out = dir.path().join("traj.jsonl");
    let run = lego_with_path(
        &path,
        &[
            "agent",
            "run",
            "--tasks",
            tasks.to_str().unwrap(),
            "--repo",
            repo.to_str().unwrap(),
            "--policy",
            "scripted-expert",
            "--out",
            out.to_str().unwrap(),
            "--mistake-rate",
            "0.5",
            "--seed",
            "11",
            "--jobs",
            "2",
            "--timeout",
            "300",
        ],
    );
    assert!(run.status.success(), "{}", stderr(&run));
    let trajectories = read_lines(&out);
    assert_eq!(trajectories.len(), INFLECTION_BUGS.len());
    for t in &trajectories {
        assert_eq!(
            t["outcome"], "resolved",
            "{}: {}",
            t["instance_id"], t["report"]
        );
        let patch = t["final_patch"].as_str().unwrap();
        assert!(
            patch.contains("diff --git a/inflection/__init__.py"),
            "{patch}"
        );
    }
    let errors: Vec<String> = trajectories.iter().flat_map(error_steps).collect();
    assert!(!errors.is_empty());
}

/// A `kill -9` in the middle of `lego eval run`, then a rerun: the instance done before the kill
/// is not run again (its log is untouched), the other is, and the summary counts each once.
#[test]
fn eval_run_resumes_after_kill_9() {
    let test = "eval_run_resumes_after_kill_9";
    let dir = tempfile::tempdir().unwrap();
    let Some((repo, tasks, path)) = six_tasks(test, dir.path()) else {
        return;
    };
    let preds = dir.path().join("preds.jsonl");
    let gold: String = read_lines(&tasks)
        .iter()
        .map(|t| {
            json!({"instance_id": t["instance_id"], "model_name_or_path": "gold",
                   "model_patch": t["patch"]})
            .to_string()
                + "\n"
        })
        .collect();
    std::fs::write(&preds, gold).unwrap();
    let out = dir.path().join("eval");
    let args = [
        "eval",
        "run",
        "--tasks",
        tasks.to_str().unwrap(),
        "--repo",
        repo.to_str().unwrap(),
        "--predictions",
        preds.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--timeout",
        "300",
    ];
    let reports = || -> Vec<PathBuf> {
        let Ok(entries) = std::fs::read_dir(out.join("logs")) else {
            return Vec::new();
        };
        entries
            .filter_map(|e| e.ok())
            .map(|e| e.path().join("report.json"))
            .filter(|p| p.exists())
            .collect()
    };
    let mut child = Command::new(env!("CARGO_BIN_EXE_lego"))
        .args(args)
        .env("PATH", &path)
        .stderr(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    while reports().is_empty() {
        assert!(
            started.elapsed().as_secs() < 120,
            "no report within 2 minutes"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let done = reports();
    assert_eq!(done.len(), 1, "the run was not interrupted");
    let before = std::fs::metadata(&done[0]).unwrap().modified().unwrap();

    let rerun = lego_with_path(&path, &args);
    let err = stderr(&rerun);
    assert!(rerun.status.success(), "{err}");
    assert!(
        err.contains("resuming: 1 of 2 instances already evaluated"),
        "{err}"
    );
    assert_eq!(
        std::fs::metadata(&done[0]).unwrap().modified().unwrap(),
        before
    );
    let summary: Value = serde_json::from_slice(&rerun.stdout).unwrap();
    assert_eq!(summary["completed_instances"], 2, "{summary}");
    assert_eq!(summary["resolved_instances"], 2, "{summary}");
    assert_eq!(reports().len(), 2);
}

/// `--repos ROOT` finds each task's repository as `ROOT/owner__name`.
#[test]
fn repos_root_holds_one_repository_per_task_repo() {
    let test = "repos_root_holds_one_repository_per_task_repo";
    let dir = tempfile::tempdir().unwrap();
    let Some((repo, tasks, path)) = six_tasks(test, dir.path()) else {
        return;
    };
    let root = dir.path().join("repos");
    std::fs::create_dir_all(&root).unwrap();
    std::fs::rename(&repo, root.join("benjaminp__six")).unwrap();
    let out = dir.path().join("traj.jsonl");
    let run = lego_with_path(
        &path,
        &[
            "agent",
            "run",
            "--tasks",
            tasks.to_str().unwrap(),
            "--repos",
            root.to_str().unwrap(),
            "--policy",
            "scripted-expert",
            "--out",
            out.to_str().unwrap(),
            "--jobs",
            "2",
            "--timeout",
            "300",
        ],
    );
    assert!(run.status.success(), "{}", stderr(&run));
    check_resolved(&read_lines(&out), 2);
    // A task whose repository is not under the root fails alone, saying which and where.
    let other = dir.path().join("other.jsonl");
    let mut task = read_lines(&tasks)[0].clone();
    task["repo"] = json!("nobody/nothing");
    std::fs::write(&other, format!("{task}\n")).unwrap();
    let run = lego_with_path(
        &path,
        &[
            "agent",
            "run",
            "--tasks",
            other.to_str().unwrap(),
            "--repos",
            root.to_str().unwrap(),
            "--policy",
            "scripted-expert",
            "--out",
            dir.path().join("other-traj.jsonl").to_str().unwrap(),
        ],
    );
    assert!(!run.status.success());
    let err = stderr(&run);
    assert!(err.contains("nobody__nothing is not a directory"), "{err}");
}
