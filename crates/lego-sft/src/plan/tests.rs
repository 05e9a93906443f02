use super::*;

fn ex(ids: &[u32], labels: &[i64], tier: Option<usize>) -> Example {
    Example {
        instance_id: format!("e{}", ids.len()),
        input_ids: ids.to_vec(),
        labels: labels.to_vec(),
        assistant_turns: 1,
        tier,
    }
}

fn opts(global_batch: usize, epochs: usize, curriculum: bool) -> PlanOptions {
    PlanOptions {
        global_batch,
        epochs,
        max_steps: None,
        curriculum,
        seed: 7,
    }
}

#[test]
fn packing_shifts_labels_per_document_and_restarts_positions() {
    let a = ex(&[1, 2, 3], &[-100, 2, 3], None);
    let b = ex(&[4, 5], &[-100, 5], None);
    let mbs = micro_batches(&[&a, &b], true, 1, 8);
    assert_eq!(mbs.len(), 1);
    let mb = &mbs[0];
    assert_eq!((mb.rows, mb.cols), (1, 5));
    assert_eq!(mb.input_ids, vec![1, 2, 3, 4, 5]);
    assert_eq!(mb.positions, vec![0, 1, 2, 0, 1]);
    assert_eq!(mb.segment_ids, Some(vec![0, 0, 0, 1, 1]));
    // The last token of `a` must not predict the first of `b`.
    assert_eq!(mb.labels, vec![2, 3, -100, 5, -100]);
    assert_eq!(mb.trained, 3);
}

#[test]
fn packing_respects_the_token_budget_and_padding_pads_right() {
    let a = ex(&[1, 2, 3], &[-100, 2, 3], None);
    let b = ex(&[4, 5], &[-100, 5], None);
    assert_eq!(micro_batches(&[&a, &b], true, 1, 4).len(), 2);
    let mbs = micro_batches(&[&a, &b], false, 2, 4);
    assert_eq!(mbs.len(), 1);
    assert_eq!((mbs[0].rows, mbs[0].cols), (2, 3));
    assert_eq!(mbs[0].labels, vec![2, 3, -100, 5, -100, -100]);
    assert_eq!(mbs[0].segment_ids, None);
    assert_eq!(mbs[0].tokens, 5);
}

#[test]
fn curriculum_trains_tier_by_tier_easiest_first() {
    let tiers = [Some(1), Some(0), Some(1), Some(0), Some(0)];
    let steps = plan_steps(&tiers, &opts(2, 2, true)).unwrap();
    let stages: Vec<(usize, Option<usize>, usize)> =
        steps.iter().map(|s| (s.stage, s.tier, s.epoch)).collect();
    assert_eq!(
        stages,
        vec![
            (0, Some(0), 0),
            (0, Some(0), 0),
            (0, Some(0), 1),
            (0, Some(0), 1),
            (1, Some(1), 0),
            (1, Some(1), 1)
        ]
    );
    for s in &steps {
        for &i in &s.examples {
            assert_eq!(tiers[i], s.tier);
        }
    }
    assert!(plan_steps(&[None], &opts(2, 1, true)).is_err());
}

#[test]
fn without_curriculum_every_epoch_sees_everything_in_a_seeded_order() {
    let tiers = vec![None; 10];
    let steps = plan_steps(&tiers, &opts(4, 3, false)).unwrap();
    assert_eq!(steps.len(), 9);
    for epoch in 0..3 {
        let mut seen: Vec<usize> = steps
            .iter()
            .filter(|s| s.epoch == epoch)
            .flat_map(|s| s.examples.clone())
            .collect();
        seen.sort();
        assert_eq!(seen, (0..10).collect::<Vec<_>>());
    }
    assert_eq!(steps, plan_steps(&tiers, &opts(4, 3, false)).unwrap());
    assert_ne!(
        steps[0].examples, steps[3].examples,
        "epochs are reshuffled"
    );
    let capped = plan_steps(
        &tiers,
        &PlanOptions {
            max_steps: Some(20),
            ..opts(4, 1, false)
        },
    )
    .unwrap();
    assert_eq!(capped.len(), 20);
}
