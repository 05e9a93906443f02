use lego_data::{
    ReadOptions, Role, ShareGptRecord, StepError, annotate_steps, from_sharegpt, openhands_tools,
    read_jsonl, to_sharegpt,
};

use crate::fixture;

#[test]
fn imports_swe_lego_records() {
    let (recs, _) =
        read_jsonl::<ShareGptRecord>(&fixture("sharegpt.jsonl"), &ReadOptions::default()).unwrap();
    let mut traj = from_sharegpt(&recs[0], &openhands_tools()).unwrap();
    assert_eq!(traj.instance_id, "acme__datewin-31");
    assert_eq!(traj.tools.len(), 4);
    let m = &traj.messages;
    assert_eq!(m[2].content, "I'll find the function first.");
    assert_eq!(m[2].tool_calls[0].id, "call_0");
    assert_eq!(
        m[2].tool_calls[0].function.arguments,
        r#"{"command":"grep -rn 'def overlaps' /testbed"}"#
    );
    assert_eq!(m[3].tool_call_id.as_deref(), Some("call_0"));
    assert!(m[4].turn_mask);
    assert!(!m[5].turn_mask, "masks of tool turns are not kept");
    assert_eq!(m[6].tool_calls.len(), 2);
    assert_eq!(m[6].content, "");
    assert_eq!(m[7].tool_call_id.as_deref(), Some("call_2"));
    assert_eq!(m[8].tool_call_id.as_deref(), Some("call_3"));
    assert!(m[6].tool_calls[1].function.arguments.contains("“lo”"));
    assert_eq!(m[9].content, "Found it.");
    assert_eq!(m[9].role, Role::Assistant);

    annotate_steps(&mut traj);
    let errors: Vec<_> = traj
        .messages
        .iter()
        .filter_map(|m| m.step.as_ref())
        .map(|s| s.error)
        .collect();
    assert_eq!(errors, [None, Some(StepError::EditorError), None, None]);

    // Exporting again gives the same text back.
    let again = to_sharegpt(&traj);
    for (a, b) in again.messages.iter().zip(&recs[0].messages) {
        assert_eq!(a.content, b.content);
        assert_eq!(a.role, b.role);
    }
}
