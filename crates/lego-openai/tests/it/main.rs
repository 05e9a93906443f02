//! Integration tests of lego-openai: real HTTP on loopback against a scripted server.

// Test helpers may unwrap: a panic is the failure report.
#![allow(clippy::unwrap_used)]

use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use lego_data::{Message, Role, StepMeta, ToolCall};
use lego_openai::{ChatRequest, Client, ClientConfig, Error};
use lego_testkit::http::{Reply, ScriptedServer};
use serde_json::{Value, json};

/// A config for `base_url` that retries fast, changed by `tweak`.
fn config(base_url: &str, tweak: impl FnOnce(&mut ClientConfig)) -> ClientConfig {
    let mut config = ClientConfig {
        base_url: base_url.to_owned(),
        timeout: Duration::from_secs(10),
        max_retries: 3,
        initial_backoff: Duration::from_millis(1),
        max_backoff: Duration::from_millis(10),
        ..ClientConfig::default()
    };
    tweak(&mut config);
    config
}

fn client(base_url: &str, tweak: impl FnOnce(&mut ClientConfig)) -> Client {
    Client::new(config(base_url, tweak)).unwrap()
}

/// A chat completion whose only choice is `message`.
fn completion(message: Value, finish_reason: &str) -> Reply {
    let choice = json!({"index": 0, "message": message, "finish_reason": finish_reason});
    let usage = json!({"prompt_tokens": 120, "completion_tokens": 30, "total_tokens": 150});
    let model = "qwen3-8b";
    Reply::json(
        200,
        json!({"model": model, "choices": [choice], "usage": usage}),
    )
}

fn hello() -> Reply {
    completion(json!({"role": "assistant", "content": "hello"}), "stop")
}

fn error(status: u16, message: &str) -> Reply {
    Reply::json(
        status,
        json!({"error": {"message": message, "type": "invalid_request_error"}}),
    )
}

fn request() -> ChatRequest {
    let messages = vec![Message::new(Role::User, "hi")];
    ChatRequest {
        model: "qwen3-8b".to_owned(),
        messages,
        ..ChatRequest::default()
    }
}

/// The error and its causes, as `anyhow`'s `{:#}` shows them.
fn chain(error: &Error) -> String {
    let first: &dyn std::error::Error = error;
    let causes = std::iter::successors(Some(first), |&e| e.source());
    causes.map(|e| e.to_string()).collect::<Vec<_>>().join(": ")
}

#[test]
fn native_tool_calls_parse_into_a_message() {
    let calls = json!([
        {"id": "call_a", "type": "function",
         "function": {"name": "execute_bash", "arguments": "{\"command\": \"ls\"}"}},
        {"id": "call_b", "type": "function",
         "function": {"name": "think", "arguments": "{\"thought\": \"hm\"}"}},
    ]);
    let message = json!({"role": "assistant", "content": "Let me look.", "tool_calls": calls});
    let server = ScriptedServer::start([completion(message, "tool_calls")]);
    let response = client(&server.base_url, |_| ()).chat(&request()).unwrap();
    let expected = vec![
        ToolCall::new("call_a", "execute_bash", r#"{"command": "ls"}"#),
        ToolCall::new("call_b", "think", r#"{"thought": "hm"}"#),
    ];
    assert_eq!(
        response.message,
        Message::assistant("Let me look.", expected)
    );
    assert_eq!(response.finish_reason.as_deref(), Some("tool_calls"));
    assert_eq!(response.model.as_deref(), Some("qwen3-8b"));
    assert_eq!(response.attempts, 1);
    let usage = response.usage.unwrap();
    assert_eq!(
        [
            usage.prompt_tokens,
            usage.completion_tokens,
            usage.total_tokens
        ],
        [120, 30, 150]
    );
}

#[test]
fn null_content_object_arguments_and_missing_ids_are_accepted() {
    let calls = json!([
        {"function": {"name": "finish", "arguments": {"message": "done"}}},
        {"id": "", "type": "function", "function": {"name": "think", "arguments": "{}"}},
    ]);
    let message = json!({"role": "assistant", "content": null, "tool_calls": calls});
    let server = ScriptedServer::start([completion(message, "tool_calls")]);
    let message = client(&server.base_url, |_| ())
        .chat(&request())
        .unwrap()
        .message;
    let expected = vec![
        ToolCall::new("call_0", "finish", r#"{"message":"done"}"#),
        ToolCall::new("call_1", "think", "{}"),
    ];
    assert_eq!(message, Message::assistant("", expected));
}

#[test]
fn the_request_body_is_plain_openai_chat() {
    let server = ScriptedServer::start([hello(), hello()]);
    // The base URL's trailing slash is tolerated.
    let client = client(&format!("{}/", server.base_url), |_| ());
    let call = ToolCall::new("call_1", "execute_bash", r#"{"command": "ls"}"#);
    let mut step = Message::assistant("", vec![call]);
    step.turn_mask = true;
    step.step = Some(StepMeta::default());
    let mut observation = Message::tool_result(Some("call_1"), "setup.py");
    observation.name = Some("execute_bash".to_owned());
    let tool = json!({"type": "function", "function": {"name": "execute_bash", "parameters": {}}});
    let mut full = request();
    full.messages = vec![
        Message::new(Role::System, "You are an agent."),
        step,
        observation,
    ];
    full.tools = vec![tool.clone()];
    full.tool_choice = Some(json!("auto"));
    (full.temperature, full.top_p, full.seed) = (Some(0.7), Some(0.8), Some(7));
    full.max_tokens = Some(512);
    full.stop = vec!["</s>".to_owned()];
    full.extra = json!({"top_k": 20, "model": "ignored"})
        .as_object()
        .unwrap()
        .clone();
    client.chat(&full).unwrap();
    client.chat(&request()).unwrap();

    let requests = server.requests();
    assert_eq!(
        (requests[0].method.as_str(), requests[0].path.as_str()),
        ("POST", "/v1/chat/completions")
    );
    assert_eq!(requests[0].header("content-type"), Some("application/json"));
    assert_eq!(requests[0].header("authorization"), None);
    let expected = json!({
        "model": "qwen3-8b",
        "messages": [
            {"role": "system", "content": "You are an agent."},
            {"role": "assistant", "content": "", "tool_calls": [{"id": "call_1", "type": "function",
                "function": {"name": "execute_bash", "arguments": "{\"command\": \"ls\"}"}}]},
            {"role": "tool", "content": "setup.py", "tool_call_id": "call_1", "name": "execute_bash"},
        ],
        "tools": [tool], "tool_choice": "auto", "temperature": 0.7, "top_p": 0.8, "seed": 7,
        "max_tokens": 512, "stop": ["</s>"], "top_k": 20,
    });
    assert_eq!(requests[0].body, expected);
    // Options left unset are not sent at all.
    let minimal = json!({"model": "qwen3-8b", "messages": [{"role": "user", "content": "hi"}]});
    assert_eq!(requests[1].body, minimal);
}

#[test]
fn models_lists_the_served_ids() {
    let list =
        json!({"object": "list", "data": [{"id": "qwen3-8b", "object": "model"}, {"id": "lego"}]});
    let server = ScriptedServer::start([Reply::json(200, list)]);
    assert_eq!(
        client(&server.base_url, |_| ()).models().unwrap(),
        ["qwen3-8b", "lego"]
    );
    let request = &server.requests()[0];
    assert_eq!(
        (request.method.as_str(), request.path.as_str()),
        ("GET", "/v1/models")
    );
}

#[test]
fn server_errors_are_retried_until_one_succeeds() {
    let down = error(500, "engine restarting");
    let server = ScriptedServer::start([down.clone(), down, hello()]);
    let response = client(&server.base_url, |_| ()).chat(&request()).unwrap();
    assert_eq!(
        (response.attempts, response.message.content.as_str()),
        (3, "hello")
    );
    assert_eq!(server.requests().len(), 3);
}

#[test]
fn rate_limits_wait_as_retry_after_says() {
    let mut limited = error(429, "slow down");
    limited.headers.push(("Retry-After", "0"));
    let server = ScriptedServer::start([limited, hello()]);
    // Without the header the wait would be ten seconds.
    let client = client(&server.base_url, |c| {
        (c.initial_backoff, c.max_backoff) = (Duration::from_secs(10), Duration::from_secs(60));
    });
    let start = Instant::now();
    assert_eq!(client.chat(&request()).unwrap().attempts, 2);
    let elapsed = start.elapsed();
    assert!(elapsed < Duration::from_secs(5), "{elapsed:?}");
}

#[test]
fn client_errors_fail_at_once_with_the_servers_message() {
    let server = ScriptedServer::start([error(400, "max_tokens is too large"), hello()]);
    let error = client(&server.base_url, |_| ())
        .chat(&request())
        .unwrap_err();
    assert_eq!(error.status(), Some(400));
    let url = format!("{}/chat/completions", server.base_url);
    let expected = format!(
        "chat completion request to {url} failed after 1 attempt: \
         server answered HTTP 400: max_tokens is too large"
    );
    assert_eq!(chain(&error), expected);
    assert_eq!(server.requests().len(), 1);
}

#[test]
fn exhausted_retries_name_the_attempts() {
    let server = ScriptedServer::start(vec![error(503, "overloaded"); 4]);
    let client = client(&server.base_url, |c| c.max_retries = 2);
    let error = chain(&client.chat(&request()).unwrap_err());
    let expected = "failed after 3 attempts: server answered HTTP 503: overloaded";
    assert!(error.contains(expected), "{error}");
    assert_eq!(server.requests().len(), 3);
}

#[test]
fn refused_connections_are_retried_then_fail() {
    let unused = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let client = client(&format!("http://{unused}/v1"), |c| c.max_retries = 2);
    let error = client.chat(&request()).unwrap_err();
    assert!(
        matches!(error, Error::Request { attempts: 3, .. }),
        "{error:?}"
    );
    let error = chain(&error);
    assert!(
        error.contains("failed after 3 attempts: transport error"),
        "{error}"
    );
}

#[test]
fn timeouts_are_retried() {
    let mut slow = hello();
    slow.delay = Duration::from_secs(3);
    let server = ScriptedServer::start([slow, hello()]);
    let client = client(&server.base_url, |c| c.timeout = Duration::from_secs(1));
    assert_eq!(client.chat(&request()).unwrap().attempts, 2);
    assert_eq!(server.requests().len(), 2);
}

const KEY: &str = "sk-lego-test-0123456789abcdef";
const KEY_VAR: &str = "LEGO_OPENAI_TEST_KEY";

/// A client whose key variable `KEY_VAR` holds `KEY`, through the lookup seam.
fn keyed(base_url: &str) -> Client {
    let config = config(base_url, |c| c.api_key_env = Some(KEY_VAR.to_owned()));
    Client::with_env(config, |var| (var == KEY_VAR).then(|| KEY.to_owned())).unwrap()
}

#[test]
fn the_api_key_is_sent_as_bearer_and_never_shown() {
    // The server echoes the key back in its error, as some hosted APIs do.
    let server = ScriptedServer::start([hello(), error(401, &format!("invalid key {KEY}"))]);
    let client = keyed(&server.base_url);
    client.chat(&request()).unwrap();
    let error = client.chat(&request()).unwrap_err();
    let bearer = format!("Bearer {KEY}");
    assert!(
        server
            .requests()
            .iter()
            .all(|r| r.header("authorization") == Some(&bearer))
    );
    assert!(
        chain(&error).ends_with("HTTP 401: invalid key <redacted>"),
        "{}",
        chain(&error)
    );
    let shown = [
        format!("{client:?}"),
        format!("{:?}", client_config()),
        format!("{error:?}"),
        chain(&error),
    ];
    for shown in shown {
        assert!(!shown.contains(KEY), "{shown}");
    }
    assert!(format!("{client:?}").contains(KEY_VAR));
}

fn client_config() -> ClientConfig {
    config("", |c| c.api_key_env = Some(KEY_VAR.to_owned()))
}

#[test]
fn retries_are_logged_without_the_key() {
    let events = Arc::new(Mutex::new(Vec::<u8>::new()));
    let writer = Arc::clone(&events);
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || Capture(Arc::clone(&writer)))
        .finish();
    let server = ScriptedServer::start([error(502, KEY), hello()]);
    tracing::subscriber::with_default(subscriber, || keyed(&server.base_url).chat(&request()))
        .unwrap();
    let log = String::from_utf8(events.lock().unwrap().clone()).unwrap();
    assert!(!log.contains(KEY), "{log}");
    let warn = log.lines().find(|l| l.contains("WARN")).unwrap();
    let reason = "attempt=1 reason=server answered HTTP 502: <redacted> wait_s=";
    assert!(
        warn.contains("chat completion request failed, retrying"),
        "{warn}"
    );
    assert!(warn.contains(reason), "{warn}");
    assert!(
        log.contains("attempt=2 status=200") && log.contains("prompt_tokens=120"),
        "{log}"
    );
}

/// A `tracing` writer into a shared buffer.
struct Capture(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_missing_key_is_a_construction_error_naming_the_variable() {
    for value in [None, Some(String::new())] {
        let error = Client::with_env(client_config(), |_| value.clone()).unwrap_err();
        let expected =
            format!("environment variable {KEY_VAR} (named for the API key) is not set or empty");
        assert_eq!(error.to_string(), expected);
    }
    // The process environment, through `new`: a name nothing sets.
    let unset = "LEGO_OPENAI_TEST_UNSET_5F3A9";
    let error = Client::new(config("", |c| c.api_key_env = Some(unset.to_owned()))).unwrap_err();
    assert!(
        matches!(&error, Error::MissingApiKey { var } if var == unset),
        "{error:?}"
    );
}

#[test]
fn new_reads_the_key_from_the_process_environment() {
    // Setting a variable is `unsafe` in edition 2024 (denied here), so take one every test
    // process has.
    let bearer = format!("Bearer {}", std::env::var("PATH").unwrap());
    let server = ScriptedServer::start([hello()]);
    let client = client(&server.base_url, |c| {
        c.api_key_env = Some("PATH".to_owned())
    });
    client.chat(&request()).unwrap();
    assert_eq!(
        server.requests()[0].header("authorization"),
        Some(bearer.as_str())
    );
}
