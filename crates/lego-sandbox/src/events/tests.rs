use super::brief;

#[test]
fn brief_keeps_short_lines_and_marks_cuts() {
    assert_eq!(brief("ls -la"), "ls -la");
    assert_eq!(brief("ls -la\n"), "ls -la");
    assert_eq!(brief("set -x\ncd /testbed"), "set -x…");
    let long = "x".repeat(200);
    assert_eq!(brief(&long), format!("{}…", "x".repeat(120)));
    assert_eq!(brief(""), "");
}
