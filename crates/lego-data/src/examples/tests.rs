use std::collections::HashSet;

use super::example_trajectories;
use crate::schema::{Role, StepError};
use crate::sharegpt::{from_sharegpt, to_sharegpt};
use crate::step_error::annotate_steps;
use crate::tool_schemas::openhands_tools;

fn steps(traj: &crate::Trajectory) -> usize {
    traj.messages
        .iter()
        .filter(|m| m.role == Role::Assistant)
        .count()
}

#[test]
fn bundled_examples_parse() {
    let examples = example_trajectories();
    assert!((6..=8).contains(&examples.len()));
    for traj in &examples {
        assert_eq!(traj.tools, openhands_tools(), "{}", traj.instance_id);
        assert!(
            traj.outcome.is_some() && traj.final_patch.is_some(),
            "{}",
            traj.instance_id
        );
        assert_eq!(traj.messages[0].role, Role::System);
        assert!(traj.messages[1].content.contains("/testbed"));
        assert!(
            traj.messages
                .iter()
                .filter(|m| m.role == Role::Assistant)
                .all(|m| m.step.is_some())
        );
    }
    let lengths: Vec<usize> = examples.iter().map(steps).collect();
    assert!(
        lengths.iter().min() <= Some(&7) && lengths.iter().max() >= Some(&20),
        "{lengths:?}"
    );
    assert!(
        examples
            .iter()
            .flat_map(|t| &t.messages)
            .any(|m| m.turn_mask)
    );
}

#[test]
fn classifier_agrees_with_stored_errors() {
    let mut kinds = HashSet::new();
    for traj in example_trajectories() {
        let stored: Vec<Option<StepError>> = traj
            .messages
            .iter()
            .filter_map(|m| m.step.as_ref())
            .map(|s| s.error)
            .collect();
        kinds.extend(stored.iter().flatten().copied());
        let mut cleared = traj.clone();
        for m in &mut cleared.messages {
            if let Some(step) = &mut m.step {
                step.error = None;
            }
        }
        annotate_steps(&mut cleared);
        let found: Vec<Option<StepError>> = cleared
            .messages
            .iter()
            .filter_map(|m| m.step.as_ref())
            .map(|s| s.error)
            .collect();
        assert_eq!(found, stored, "{}", traj.instance_id);
        // Annotation keeps the rest of the step metadata.
        assert_eq!(cleared, traj, "{}", traj.instance_id);
    }
    assert!(kinds.len() >= 4, "{kinds:?}");
    assert_eq!(
        kinds.len(),
        StepError::ALL.len(),
        "every kind occurs: {kinds:?}"
    );
}

#[test]
fn examples_survive_sharegpt() {
    for traj in example_trajectories() {
        let rec = to_sharegpt(&traj);
        let back = from_sharegpt(&rec, &traj.tools).unwrap();
        assert_eq!(
            back.messages.len(),
            traj.messages.len(),
            "{}",
            traj.instance_id
        );
        let mut after_parse_error = false;
        for (a, b) in back.messages.iter().zip(&traj.messages) {
            assert_eq!(a.role, b.role);
            let error = b.step.as_ref().and_then(|s| s.error);
            assert_eq!(a.turn_mask, b.turn_mask || error.is_some());
            if error == Some(StepError::ToolCallParse) {
                // The model's malformed call stays text and answers nothing.
                assert!(a.tool_calls.is_empty() && a.content.starts_with(&b.content));
                after_parse_error = true;
                continue;
            }
            if b.role == Role::Tool && after_parse_error {
                assert_eq!(a.tool_call_id, None);
                continue;
            }
            after_parse_error = false;
            assert_eq!(
                (&a.content, &a.tool_call_id, &a.tool_calls),
                (&b.content, &b.tool_call_id, &b.tool_calls),
                "{}",
                traj.instance_id
            );
        }
    }
}
