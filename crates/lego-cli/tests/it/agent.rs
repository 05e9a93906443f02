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

/// The six repository, its mined tasks and the PATH with pytest, in `dir`; `None` after saying
/// why `test` skips.
fn six_tasks(test: &str, dir: &Path) -> Option<(PathBuf, PathBuf, String)> {
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
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(read_lines(&tasks).len(), 2);
    Some((repo, tasks, path))
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
        assert_eq!(
            t["outcome"], "resolved",
            "{}: {}",
            t["instance_id"], t["report"]
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
}

/// An OpenAI-compatible server for the test (a test double): it plays the scripted expert over
/// HTTP, one expert per task it recognises in the conversation, and answers the first `fail`
/// requests with a 500. `hermes`: the tool call as Hermes text in `content` (a server without a
/// tool-call parser), else as native `tool_calls`.
fn expert_server(tasks: Vec<Task>, hermes: bool, fail: usize) -> ScriptedServer {
    let experts: Mutex<HashMap<String, ScriptedExpert>> = Mutex::new(HashMap::new());
    let seen = AtomicUsize::new(0);
    ScriptedServer::with_handler(move |request| {
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
