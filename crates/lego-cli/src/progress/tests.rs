use super::human_duration;

#[test]
fn durations_read_as_a_person_says_them() {
    assert_eq!(human_duration(0.4), "0s");
    assert_eq!(human_duration(75.0), "1m15s");
    assert_eq!(human_duration(7260.0), "2h01m");
}
