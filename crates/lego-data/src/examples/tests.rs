use super::example_trajectories;

#[test]
fn bundled_examples_parse() {
    for traj in example_trajectories() {
        assert_eq!(traj.tools.len(), 4, "{}", traj.instance_id);
    }
}
