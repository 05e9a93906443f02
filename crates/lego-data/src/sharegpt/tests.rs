use serde_json::json;

use super::{ShareGptMessage, ShareGptRecord, from_sharegpt, parse_hermes, to_sharegpt};
use crate::schema::{Message, Role, StepError, StepMeta, ToolCall, Trajectory};
use crate::tool_schemas::openhands_tools;

fn sample() -> Trajectory {
    let mut a1 = Message::new(Role::Assistant, "Let me look at the file.");
    a1.tool_calls = vec![ToolCall::new(
        "call_0",
        "str_replace_editor",
        r#"{"command":"view","path":"/testbed/pagify/core.py","view_range":[1,20]}"#,
    )];
    let mut a2 = Message::new(Role::Assistant, "");
    a2.tool_calls = vec![
        ToolCall::new(
            "call_1",
            "execute_bash",
            r#"{"command":"grep -n \"café\" a.py\n","timeout":0.00001}"#,
        ),
        ToolCall::new("call_2", "think", r#"{"thought":"two calls"}"#),
    ];
    a2.turn_mask = true;
    let mut a3 = Message::new(Role::Assistant, "");
    a3.tool_calls = vec![ToolCall::new("call_3", "finish", r#"{"message":"done"}"#)];
    Trajectory {
        instance_id: "pagify-1".into(),
        tools: openhands_tools(),
        messages: vec![
            Message::new(Role::System, "You are a helpful agent."),
            Message::new(Role::User, "Fix the bug in /testbed."),
            a1,
            Message::tool_result(Some("call_0"), "     1\timport math"),
            a2,
            Message::tool_result(
                Some("call_1"),
                "3:café = 1\n[The command completed with exit code 0.]",
            ),
            Message::tool_result(Some("call_2"), "Your thought has been logged."),
            a3,
        ],
        outcome: None,
        final_patch: None,
        extra: Default::default(),
    }
}

#[test]
fn hermes_text_matches_the_chat_template() {
    let rec = to_sharegpt(&sample());
    assert_eq!(
        rec.messages[2].content,
        "Let me look at the file.\n<tool_call>\n{\"name\": \"str_replace_editor\", \"arguments\": {\"command\": \"view\", \"path\": \"/testbed/pagify/core.py\", \"view_range\": [1, 20]}}\n</tool_call>"
    );
    assert_eq!(
        rec.messages[4].content,
        "<tool_call>\n{\"name\": \"execute_bash\", \"arguments\": {\"command\": \"grep -n \\\"café\\\" a.py\\n\", \"timeout\": 1e-05}}\n</tool_call>\n<tool_call>\n{\"name\": \"think\", \"arguments\": {\"thought\": \"two calls\"}}\n</tool_call>"
    );
    assert!(rec.messages[4].turn_mask);
    assert!(!rec.messages[2].turn_mask);
    assert_eq!(rec.messages[3].role, "tool");
}

#[test]
fn round_trip() {
    let traj = sample();
    let rec = to_sharegpt(&traj);
    let back = from_sharegpt(&rec, &openhands_tools()).unwrap();
    assert_eq!(back, traj);
    // And through JSON text.
    let text = serde_json::to_string(&rec).unwrap();
    let rec2: ShareGptRecord = serde_json::from_str(&text).unwrap();
    assert_eq!(rec2, rec);
}

#[test]
fn error_steps_are_masked_on_export() {
    let mut traj = sample();
    traj.messages[2].step = Some(StepMeta {
        error: Some(StepError::EditorError),
        ..Default::default()
    });
    assert!(to_sharegpt(&traj).messages[2].turn_mask);
}

#[test]
fn malformed_arguments_survive_export() {
    let mut traj = sample();
    traj.messages[7].tool_calls[0].function.arguments = r#"{"message": "done"#.into();
    let rec = to_sharegpt(&traj);
    assert_eq!(
        rec.messages[7].content,
        "<tool_call>\n{\"name\": \"finish\", \"arguments\": {\"message\": \"done}\n</tool_call>"
    );
    // On import the block does not parse: it stays as text, without tool calls.
    let back = from_sharegpt(&rec, &[]).unwrap();
    assert!(back.messages[7].tool_calls.is_empty());
    assert_eq!(back.messages[7].content, rec.messages[7].content);
}

#[test]
fn parse_hermes_cases() {
    let p = parse_hermes("plain text");
    assert_eq!((p.content.as_str(), p.calls.len()), ("plain text", 0));
    let p = parse_hermes(
        "<tool_call>\n{\"name\": \"think\", \"arguments\": \"{\\\"thought\\\": \\\"x\\\"}\"}\n</tool_call>",
    );
    let c = p.calls[0].as_ref().unwrap();
    assert_eq!(
        (c.name.as_str(), &c.arguments),
        ("think", &json!({"thought": "x"}))
    );
    assert_eq!(p.content, "");
    let p = parse_hermes("a\n<tool_call>\n{\"name\": \"think\"");
    assert_eq!(p.content, "a");
    assert!(p.calls[0].is_err());
    let p = parse_hermes("<tool_call>\n[1, 2]\n</tool_call>");
    assert!(p.calls[0].is_err());
    let p = parse_hermes("<tool_call>\n{\"arguments\": {}}\n</tool_call>");
    assert!(p.calls[0].is_err());
}

#[test]
fn import_errors_name_instance_and_message() {
    let msg = |role: &str, content: &str| ShareGptMessage {
        role: role.into(),
        content: content.into(),
        turn_mask: false,
    };
    let rec = ShareGptRecord {
        instance_id: "inst-7".into(),
        messages: vec![msg("user", "hi"), msg("tool", "orphan")],
        extra: Default::default(),
    };
    let err = from_sharegpt(&rec, &[]).unwrap_err().to_string();
    assert_eq!(err, "inst-7: message 1: tool result answers no tool call");
    let rec = ShareGptRecord {
        instance_id: "inst-8".into(),
        messages: vec![msg("robot", "hi")],
        extra: Default::default(),
    };
    let err = from_sharegpt(&rec, &[]).unwrap_err().to_string();
    assert_eq!(err, "inst-8: message 0: unknown role `robot`");
}
