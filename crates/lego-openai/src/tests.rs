use std::time::Duration;

use crate::ClientConfig;
use crate::chat::cut;
use crate::client::{backoff, error_message};

#[test]
fn backoff_doubles_up_to_the_cap_with_a_little_jitter() {
    let config = ClientConfig {
        initial_backoff: Duration::from_secs(1),
        max_backoff: Duration::from_secs(30),
        ..ClientConfig::default()
    };
    for (retry, base) in [(1, 1), (2, 2), (3, 4), (5, 16), (6, 30), (40, 30)] {
        let wait = backoff(&config, retry);
        let base = Duration::from_secs(base);
        assert!(
            wait >= base && wait <= base.mul_f64(1.1),
            "retry {retry}: {wait:?}"
        );
    }
}

#[test]
fn error_messages_of_the_shapes_servers_send() {
    let check = |body: &str, expected: &str| assert_eq!(error_message(body), expected, "{body}");
    check(
        r#"{"error": {"message": "bad tool", "type": "invalid_request_error"}}"#,
        "bad tool",
    );
    check(
        r#"{"object": "error", "message": "too long", "code": 400}"#,
        "too long",
    );
    check(r#"{"error": "model not found"}"#, "model not found");
    check(r#"{"detail": "Not Found"}"#, "Not Found");
    check("  <html>oops</html>\n", "<html>oops</html>");
    let long = "é".repeat(300);
    assert_eq!(error_message(&long), format!("{}...", "é".repeat(200)));
    assert_eq!(cut("short"), "short");
}
