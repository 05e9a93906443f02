use serde_json::json;

use super::*;
use crate::schema::{StepMeta, ToolCall};

fn trajectory(messages: Vec<Message>) -> Trajectory {
    Trajectory {
        instance_id: "demo__x-1".into(),
        tools: vec![
            json!({"type": "function", "function": {"name": "think", "parameters": {"type": "object", "properties": {"thought": {"type": "string"}}, "required": ["thought"]}}}),
        ],
        messages,
        outcome: None,
        final_patch: None,
        extra: Default::default(),
    }
}

/// The exact text the Qwen3 (no-think) template renders, written out by hand.
#[test]
fn renders_chatml_with_hermes_tools() {
    let traj = trajectory(vec![
        Message::new(Role::System, "You are an agent."),
        Message::new(Role::User, "Fix the bug."),
        Message::assistant(
            "",
            vec![ToolCall::new(
                "",
                "think",
                r#"{"thought":"Let me look — é"}"#,
            )],
        ),
        Message::tool_result(None, "Your thought has been logged."),
        Message::assistant(
            "Two calls.",
            vec![
                ToolCall::new("", "a", r#"{"x": 1, "y": [1.5, "z"]}"#),
                ToolCall::new("", "b", "not json"),
            ],
        ),
        Message::tool_result(None, "A"),
        Message::tool_result(None, "B"),
        Message::assistant("Done.", vec![]),
    ]);
    let chat = render_chat(&traj, true).unwrap();
    let expected = concat!(
        "<|im_start|>system\nYou are an agent.\n\n# Tools\n\nYou may call one or more functions to assist with the user query.\n\n",
        "You are provided with function signatures within <tools></tools> XML tags:\n<tools>\n",
        r#"{"type": "function", "function": {"name": "think", "parameters": {"type": "object", "properties": {"thought": {"type": "string"}}, "required": ["thought"]}}}"#,
        "\n</tools>\n\nFor each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\n<tool_call>\n",
        r#"{"name": <function-name>, "arguments": <args-json-object>}"#,
        "\n</tool_call><|im_end|>\n",
        "<|im_start|>user\nFix the bug.<|im_end|>\n",
        "<|im_start|>assistant\n<tool_call>\n{\"name\": \"think\", \"arguments\": {\"thought\": \"Let me look — é\"}}\n</tool_call><|im_end|>\n",
        "<|im_start|>user\n<tool_response>\nYour thought has been logged.\n</tool_response><|im_end|>\n",
        "<|im_start|>assistant\nTwo calls.\n<tool_call>\n{\"name\": \"a\", \"arguments\": {\"x\": 1, \"y\": [1.5, \"z\"]}}\n</tool_call>\n<tool_call>\n{\"name\": \"b\", \"arguments\": not json}\n</tool_call><|im_end|>\n",
        "<|im_start|>user\n<tool_response>\nA\n</tool_response>\n<tool_response>\nB\n</tool_response><|im_end|>\n",
        "<|im_start|>assistant\nDone.<|im_end|>\n",
    );
    assert_eq!(chat.text, expected);
    let trained: Vec<&str> = chat.trained.iter().map(|r| &chat.text[r.clone()]).collect();
    assert_eq!(trained.len(), 3);
    assert!(trained[0].starts_with("<tool_call>\n{\"name\": \"think\""));
    assert!(trained.iter().all(|t| t.ends_with("<|im_end|>\n")));
    assert_eq!(trained[2], "Done.<|im_end|>\n");
    assert_eq!(
        chat.turns,
        TurnCounts {
            assistant: 3,
            masked_error: 0,
            masked_turn_mask: 0
        }
    );
}

#[test]
fn no_tools_means_plain_system_turn() {
    let mut traj = trajectory(vec![
        Message::new(Role::System, "S"),
        Message::new(Role::User, "U"),
    ]);
    traj.tools.clear();
    let chat = render_chat(&traj, true).unwrap();
    assert_eq!(
        chat.text,
        "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nU<|im_end|>\n"
    );
    assert!(chat.trained.is_empty());
}

#[test]
fn tools_without_system_message() {
    let traj = trajectory(vec![Message::new(Role::User, "U")]);
    let chat = render_chat(&traj, true).unwrap();
    assert!(
        chat.text
            .starts_with("<|im_start|>system\n# Tools\n\nYou may call"),
        "{}",
        chat.text
    );
}

#[test]
fn error_steps_and_turn_masks_get_no_loss_unless_masking_is_off() {
    let mut failed = Message::assistant(
        "",
        vec![ToolCall::new("", "execute_bash", r#"{"command": "foo"}"#)],
    );
    failed.step = Some(StepMeta {
        error: Some(StepError::CommandNotFound),
        exit_code: Some(127),
        duration_s: None,
        usage: None,
    });
    let mut masked = Message::assistant("Retry.", vec![]);
    masked.turn_mask = true;
    let traj = trajectory(vec![
        Message::new(Role::User, "U"),
        failed,
        Message::tool_result(None, "bash: foo: command not found"),
        masked,
        Message::assistant("Good.", vec![]),
    ]);
    let chat = render_chat(&traj, true).unwrap();
    assert_eq!(
        chat.turns,
        TurnCounts {
            assistant: 3,
            masked_error: 1,
            masked_turn_mask: 1
        }
    );
    assert_eq!(chat.trained.len(), 1);
    assert_eq!(&chat.text[chat.trained[0].clone()], "Good.<|im_end|>\n");
    // The masked turns stay in the input.
    assert!(chat.text.contains("\"command\": \"foo\""));
    assert!(chat.text.contains("Retry."));

    let unmasked = render_chat(&traj, false).unwrap();
    assert_eq!(unmasked.text, chat.text);
    assert_eq!(unmasked.trained.len(), 3);
    assert_eq!(
        unmasked.turns,
        TurnCounts {
            assistant: 3,
            masked_error: 0,
            masked_turn_mask: 0
        }
    );
}

#[test]
#[allow(clippy::single_range_in_vec_init)] // one trained range is the case under test
fn labels_follow_byte_overlap() {
    // Tokens: [0,2) [2,5) [5,6) [6,9); trained range [4,6) touches tokens 1 and 2.
    let ids = [10, 11, 12, 13];
    let offsets = [(0, 2), (2, 5), (5, 6), (6, 9)];
    let labels = labels_from_ranges(&ids, &offsets, &[4..6]);
    assert_eq!(labels, vec![IGNORE_INDEX, 11, 12, IGNORE_INDEX]);
    assert_eq!(
        labels_from_ranges(&ids, &offsets, &[]),
        vec![IGNORE_INDEX; 4]
    );
    assert_eq!(
        labels_from_ranges(&ids, &offsets, &[0..9]),
        vec![10, 11, 12, 13]
    );
}

#[test]
fn tool_calls_outside_assistant_are_rejected() {
    let mut user = Message::new(Role::User, "U");
    user.tool_calls.push(ToolCall::new("", "think", "{}"));
    let err = render_chat(&trajectory(vec![user]), true).unwrap_err();
    assert!(err.to_string().contains("demo__x-1: message 0"), "{err}");
}

/// A counting `Progress`, to see what a job reports.
#[derive(Default)]
struct Counted {
    total: std::sync::atomic::AtomicU64,
    done: std::sync::atomic::AtomicU64,
}

impl crate::Progress for Counted {
    fn set_total(&self, total: u64) {
        self.total.store(total, std::sync::atomic::Ordering::SeqCst);
    }
    fn set_position(&self, done: u64) {
        self.done.store(done, std::sync::atomic::Ordering::SeqCst);
    }
    fn advance(&self, n: u64) {
        self.done.fetch_add(n, std::sync::atomic::Ordering::SeqCst);
    }
}

#[test]
fn render_all_keeps_input_order_and_reports_each_trajectory() {
    let tok = crate::tokenizer::byte_tokenizer();
    let mut trajs = crate::example_trajectories();
    // Enough work items for the pool to interleave them.
    for round in 0..4 {
        for mut t in crate::example_trajectories() {
            t.instance_id = format!("{}-{round}", t.instance_id);
            trajs.push(t);
        }
    }
    let opts = RenderOptions::default();
    let progress = Counted::default();
    let all = render_all(&trajs, &tok, &opts, Some(2), &progress).unwrap();
    assert_eq!(progress.total.into_inner(), trajs.len() as u64);
    assert_eq!(progress.done.into_inner(), trajs.len() as u64);
    assert_eq!(all.len(), trajs.len());
    for (traj, rendered) in trajs.iter().zip(&all) {
        let alone = render_example(traj, &tok, &opts).unwrap();
        assert_eq!(rendered.instance_id, traj.instance_id);
        let (a, b) = (rendered.example.as_ref().unwrap(), alone.example.unwrap());
        assert_eq!((&a.input_ids, &a.labels), (&b.input_ids, &b.labels));
        assert!(a.tier.is_some_and(|t| t < 2));
        assert!(a.trained_tokens() > 0);
    }
}
