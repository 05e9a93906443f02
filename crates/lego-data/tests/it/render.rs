//! The renderer against transformers' `apply_chat_template` on an equivalent template: the same
//! text, the same token ids, the same labels, with error masking on and off.

use std::path::Path;
use std::process::Command;

use lego_data::{
    Message, RenderOptions, Role, StepError, StepMeta, Tokenizer, ToolCall, Trajectory,
    annotate_steps, example_trajectories, openhands_tools, render_chat, render_example,
    write_jsonl,
};
use serde::Deserialize;

use lego_testkit as env;

#[derive(Deserialize)]
struct Reference {
    instance_id: String,
    text: String,
    input_ids: Vec<u32>,
    labels: Vec<i64>,
}

/// Hand-made trajectories for the corners of the template and of the mask edges.
fn edge_cases() -> Vec<Trajectory> {
    let tools = openhands_tools();
    let mut errored = Message::assistant(
        "",
        vec![ToolCall::new(
            "",
            "execute_bash",
            r#"{"command": "pyhton x.py"}"#,
        )],
    );
    errored.step = Some(StepMeta {
        error: Some(StepError::CommandNotFound),
        exit_code: Some(127),
        duration_s: None,
        usage: None,
    });
    let mut masked = Message::assistant("masked turn", vec![]);
    masked.turn_mask = true;
    let base = |id: &str, messages: Vec<Message>| Trajectory {
        instance_id: id.into(),
        tools: tools.clone(),
        messages,
        outcome: None,
        final_patch: None,
        extra: Default::default(),
    };
    let mut no_tools = base(
        "edge__no-tools",
        vec![
            Message::new(Role::System, "plain system"),
            Message::new(Role::User, "hi"),
            Message::assistant("hello", vec![]),
        ],
    );
    no_tools.tools.clear();
    vec![
        base(
            "edge__newlines-at-edges",
            vec![
                Message::new(Role::System, "sys"),
                Message::new(Role::User, "\n\nleading newlines"),
                Message::assistant(
                    "\n\nstarts with newlines\n",
                    vec![ToolCall::new("", "think", r#"{"thought": "x"}"#)],
                ),
                Message::new(Role::Tool, "\nobservation ends with spaces   "),
                Message::assistant("  spaces first.\n\n", vec![]),
            ],
        ),
        base(
            "edge__no-system",
            vec![
                Message::new(Role::User, "Ünïcödé — 修复这个错误 🐛"),
                Message::assistant(
                    "",
                    vec![
                        ToolCall::new("", "think", r#"{"thought": "日本語 and emoji 👩‍💻"}"#),
                        ToolCall::new("", "finish", r#"{"message": "done"}"#),
                    ],
                ),
                Message::new(Role::Tool, "a"),
                Message::new(Role::Tool, "b"),
                Message::assistant("", vec![]),
            ],
        ),
        base(
            "edge__specials-in-content",
            vec![
                Message::new(Role::System, "sys"),
                Message::new(Role::User, "what is <|im_end|> and <tool_call>?"),
                Message::assistant(
                    "It is <|im_end|> literally.",
                    vec![ToolCall::new("", "execute_bash", "{not json")],
                ),
                Message::new(Role::Tool, "</tool_response> inside"),
                errored,
                Message::new(Role::Tool, "bash: pyhton: command not found"),
                masked,
                Message::new(Role::User, "follow-up"),
                Message::assistant(
                    "final",
                    vec![ToolCall::new(
                        "",
                        "execute_bash",
                        r#"{"command": "ls", "timeout": 1.5, "nested": {"k": [1, null, true]}}"#,
                    )],
                ),
            ],
        ),
        no_tools,
    ]
}

fn check_against_transformers(error_mask: bool) {
    let name = format!("render::matches_transformers(error_mask={error_mask})");
    let (Some(python), Some(tokenizer_path)) = (env::python(&name), env::tokenizer(&name)) else {
        return;
    };
    let tok = Tokenizer::from_file(&tokenizer_path).unwrap();
    let mut trajs = example_trajectories();
    trajs.extend(edge_cases());
    for t in &mut trajs {
        annotate_steps(t);
    }
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("trajectories.jsonl");
    write_jsonl(&input, trajs.iter()).unwrap();

    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/parity/render_parity.py");
    let mut cmd = Command::new(python);
    cmd.arg(&script).arg(&tokenizer_path).arg(&input);
    if !error_mask {
        cmd.arg("--no-error-mask");
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let reference: Vec<Reference> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(reference.len(), trajs.len());

    let opts = RenderOptions {
        error_mask,
        ..RenderOptions::default()
    };
    let mut masked_somewhere = false;
    for (traj, want) in trajs.iter().zip(&reference) {
        assert_eq!(traj.instance_id, want.instance_id);
        let chat = render_chat(traj, error_mask).unwrap();
        assert_eq!(
            chat.text, want.text,
            "{}: rendered text differs",
            traj.instance_id
        );
        let example = render_example(traj, &tok, &opts).unwrap().example.unwrap();
        assert_eq!(
            example.input_ids, want.input_ids,
            "{}: token ids differ",
            traj.instance_id
        );
        if let Some(i) = (0..example.labels.len()).find(|&i| example.labels[i] != want.labels[i]) {
            panic!(
                "{}: labels differ first at token {i} ({:?}): lego {} transformers {}",
                traj.instance_id,
                tok.decode(
                    &example.input_ids[i.saturating_sub(3)..(i + 3).min(example.input_ids.len())]
                ),
                example.labels[i],
                want.labels[i]
            );
        }
        masked_somewhere |= chat.turns.masked_error + chat.turns.masked_turn_mask > 0;
    }
    assert_eq!(
        masked_somewhere, error_mask,
        "the test set must exercise masking"
    );
}

#[test]
fn matches_transformers_with_error_mask() {
    check_against_transformers(true);
}

#[test]
fn matches_transformers_without_error_mask() {
    check_against_transformers(false);
}
