//! The `local` policy with a tiny random Qwen3 made by lego-model and Qwen3's real tokenizer:
//! its prompt is what SFT renders, and it drives whole episodes through the loop.

// The fixture repository is made with git.
#![allow(clippy::disallowed_methods)]
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex};

use lego_agent::{Context, EndReason, EpisodeOptions, Policy, run_episode};
use lego_agent_local::{LocalOptions, LocalPolicy};
use lego_data::{
    Message, RenderOptions, Role, Task, Tokenizer, Trajectory, openhands_tools, render_example,
};
use lego_model::{LoadOptions, Qwen3Config, Qwen3Model};
use lego_sandbox::{LocalOptions as SandboxOptions, LocalSandbox};

/// Qwen3's vocabulary (the special tokens included), a tiny network.
fn tiny_model() -> Qwen3Model {
    let json = serde_json::json!({
        "vocab_size": 151936,
        "hidden_size": 32,
        "intermediate_size": 64,
        "num_hidden_layers": 2,
        "num_attention_heads": 4,
        "num_key_value_heads": 2,
        "head_dim": 8,
        "max_position_embeddings": 8192,
        "rms_norm_eps": 1e-6,
        "rope_theta": 10000.0,
        "tie_word_embeddings": true,
        "initializer_range": 0.1,
    });
    let config = Qwen3Config::from_json_str(&json.to_string()).unwrap();
    Qwen3Model::init(config, LoadOptions::default(), 5).unwrap()
}

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn task() -> Task {
    serde_json::from_value(serde_json::json!({
        "instance_id": "demo__calc-1",
        "repo": "demo/calc",
        "problem_statement": "add(2, 2) returns 5.",
    }))
    .unwrap()
}

#[test]
fn the_prompt_is_what_sft_renders_and_episodes_run() {
    let test = "the_prompt_is_what_sft_renders_and_episodes_run";
    let Some(tokenizer) = lego_testkit::tokenizer(test) else {
        return;
    };
    let tokenizer = Arc::new(Tokenizer::from_file(&tokenizer).unwrap());
    let model = Arc::new(Mutex::new(tiny_model()));
    let options = LocalOptions {
        max_new_tokens: 12,
        ..LocalOptions::default()
    };
    let mut policy = LocalPolicy::new(model, Arc::clone(&tokenizer), options, "tiny".to_owned());
    let task = task();

    // The prompt of a step, then the step's answer: together, token for token, what
    // `lego data render` makes of the trajectory that holds the answer.
    let tools = openhands_tools();
    let messages = vec![
        Message::new(Role::System, "You are a careful engineer."),
        Message::new(Role::User, "Fix add."),
    ];
    let context = Context {
        task: &task,
        tools: &tools,
        messages: &messages,
    };
    let prompt = policy.prompt_ids(&context).unwrap();
    let turn = policy.next(&context).unwrap();
    let mut with_answer = messages.clone();
    with_answer.push(turn.message.clone());
    let trajectory = Trajectory {
        instance_id: task.instance_id.clone(),
        tools: tools.clone(),
        messages: with_answer,
        outcome: None,
        final_patch: None,
        extra: Default::default(),
    };
    let rendered = render_example(&trajectory, &tokenizer, &RenderOptions::default()).unwrap();
    let ids = rendered.example.unwrap().input_ids;
    assert_eq!(&ids[..prompt.len()], &prompt[..]);
    let usage = turn.usage.unwrap();
    assert_eq!(usage.prompt_tokens, prompt.len() as u64);
    assert!(usage.completion_tokens >= 1 && usage.completion_tokens <= 12);

    // A whole episode: a random model calls no tool, so each step is labelled and answered,
    // and the episode ends at the turn limit.
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("calc");
    std::fs::create_dir_all(&repo).unwrap();
    std::fs::write(
        repo.join("calc.py"),
        "def add(a, b):\n    return a + b + 1\n",
    )
    .unwrap();
    git(&repo, &["init", "-q", "-b", "main"]);
    git(&repo, &["add", "-A"]);
    git(
        &repo,
        &[
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@t",
            "commit",
            "-qm",
            "init",
        ],
    );
    let mut sandbox = LocalSandbox::start(&repo, SandboxOptions::default()).unwrap();
    let episode = run_episode(
        &mut sandbox,
        &task,
        &mut policy,
        &EpisodeOptions {
            max_turns: 2,
            ..EpisodeOptions::default()
        },
    );
    assert_eq!(episode.end, EndReason::MaxTurns);
    assert_eq!(episode.turns, 2);
    assert!(episode.usage.prompt_tokens > 0);
    let steps: Vec<&Message> = episode
        .messages
        .iter()
        .filter(|m| m.role == Role::Assistant)
        .collect();
    assert_eq!(steps.len(), 2);
    assert_eq!(policy.name(), "local");
    assert_eq!(policy.model(), "tiny");
}
