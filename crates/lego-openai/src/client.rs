use std::fmt;
use std::hash::{BuildHasher, RandomState};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde::Deserialize;
use serde_json::Value;
use ureq::{Agent, RequestBuilder};

use crate::chat::{self, ChatRequest, ChatResponse, cut, parse};
use crate::error::{Error, Failure, Result};

/// How to reach a server and how hard to try.
#[derive(Debug, Clone, PartialEq)]
pub struct ClientConfig {
    /// The API root, e.g. `http://127.0.0.1:8000/v1`; a trailing slash is tolerated.
    pub base_url: String,
    /// The environment variable holding the API key, read once by [`Client::new`]; `None` sends
    /// no `Authorization` header (a local vLLM or SGLang).
    pub api_key_env: Option<String>,
    /// The most one HTTP request may take, connection to last byte.
    pub timeout: Duration,
    /// Retries after the first attempt, for 429, 5xx gateway errors, broken connections and
    /// timeouts.
    pub max_retries: u32,
    /// The wait before the first retry, doubled for each further one.
    pub initial_backoff: Duration,
    /// The longest wait between attempts, `Retry-After` included.
    pub max_backoff: Duration,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            base_url: "http://127.0.0.1:8000/v1".to_owned(),
            api_key_env: None,
            timeout: Duration::from_secs(600),
            max_retries: 5,
            initial_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(30),
        }
    }
}

/// A blocking client of one OpenAI-compatible server; share it between threads by reference.
pub struct Client {
    agent: Agent,
    base_url: String,
    api_key: Option<String>,
    config: ClientConfig,
    next_call_id: AtomicU64,
}

/// Statuses worth another try: rate limits and gateway or overload errors.
const RETRY_STATUSES: [u16; 5] = [429, 500, 502, 503, 504];
/// Response bodies larger than this are refused (a completion is kilobytes).
const BODY_LIMIT: u64 = 64 << 20;

impl Client {
    /// A client for `config`, reading the API key from the process environment.
    pub fn new(config: ClientConfig) -> Result<Client> {
        Client::with_env(config, |name| std::env::var(name).ok())
    }

    /// Like [`Client::new`], reading variables through `env` instead of the process environment
    /// (for tests, or keys held elsewhere).
    pub fn with_env(config: ClientConfig, env: impl Fn(&str) -> Option<String>) -> Result<Client> {
        let api_key = match &config.api_key_env {
            None => None,
            Some(var) => match env(var) {
                Some(key) if !key.trim().is_empty() => Some(key.trim().to_owned()),
                _ => return Err(Error::MissingApiKey { var: var.clone() }),
            },
        };
        let agent = Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(config.timeout))
            .user_agent(concat!("lego-openai/", env!("CARGO_PKG_VERSION")))
            .build()
            .into();
        Ok(Client {
            agent,
            base_url: config.base_url.trim_end_matches('/').to_owned(),
            api_key,
            config,
            next_call_id: AtomicU64::new(0),
        })
    }

    /// The first choice of a chat completion: `POST {base_url}/chat/completions`.
    pub fn chat(&self, request: &ChatRequest) -> Result<ChatResponse> {
        let next_id = || format!("call_{}", self.next_call_id.fetch_add(1, Ordering::Relaxed));
        let body = chat::encode(request);
        let (mut response, attempts) =
            self.send("chat completion", "chat/completions", Some(&body), |text| {
                chat::decode(text, next_id)
            })?;
        response.attempts = attempts;
        let usage = response.usage.unwrap_or_default();
        tracing::debug!(
            attempts,
            model = response.model.as_deref(),
            finish_reason = response.finish_reason.as_deref(),
            prompt_tokens = usage.prompt_tokens,
            completion_tokens = usage.completion_tokens,
            tool_calls = response.message.tool_calls.len(),
            "chat completion"
        );
        Ok(response)
    }

    /// The ids of the models the server serves: `GET {base_url}/models`.
    pub fn models(&self) -> Result<Vec<String>> {
        #[derive(Deserialize)]
        struct Models {
            data: Vec<Model>,
        }
        #[derive(Deserialize)]
        struct Model {
            id: String,
        }
        let (models, _) = self.send("model list", "models", None, parse::<Models>)?;
        Ok(models.data.into_iter().map(|m| m.id).collect())
    }

    /// POSTs `body` (GETs without one) to `path` until a 2xx answer or a failure not worth
    /// retrying; the decoded answer and the attempts made.
    fn send<T>(
        &self,
        what: &'static str,
        path: &str,
        body: Option<&[u8]>,
        decode: impl FnOnce(&str) -> Result<T, Failure>,
    ) -> Result<(T, u32)> {
        let url = format!("{}/{path}", self.base_url);
        let mut attempt = 0;
        let failure = loop {
            attempt += 1;
            let start = Instant::now();
            let outcome = self.attempt(&url, body);
            let seconds = start.elapsed().as_secs_f64();
            let failed = match outcome {
                Ok((status, text)) => {
                    tracing::debug!(url, attempt, status, seconds, "http request");
                    break match decode(&text) {
                        Ok(decoded) => return Ok((decoded, attempt)),
                        Err(failure) => failure,
                    };
                }
                Err(failed) => failed,
            };
            tracing::debug!(url, attempt, seconds, error = %failed.failure, "http request failed");
            if !failed.retryable || attempt > self.config.max_retries {
                break failed.failure;
            }
            let wait = match failed.retry_after {
                Some(wait) => wait.min(self.config.max_backoff),
                None => backoff(&self.config, attempt),
            };
            let wait_s = wait.as_secs_f64();
            let reason = &failed.failure;
            tracing::warn!(url, attempt, %reason, wait_s, "{what} request failed, retrying");
            std::thread::sleep(wait);
        };
        Err(Error::Request {
            what,
            url,
            attempts: attempt,
            source: failure,
        })
    }

    fn attempt(&self, url: &str, body: Option<&[u8]>) -> Result<(u16, String), Failed> {
        let sent = match body {
            Some(body) => self
                .authorize(self.agent.post(url))
                .header("content-type", "application/json")
                .send(body),
            None => self.authorize(self.agent.get(url)).call(),
        };
        let mut response = sent.map_err(|e| self.transport(e))?;
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<f64>().ok())
            .and_then(|s| Duration::try_from_secs_f64(s).ok());
        let text = response
            .body_mut()
            .with_config()
            .limit(BODY_LIMIT)
            .lossy_utf8(true)
            .read_to_string()
            .map_err(|e| self.transport(e))?;
        if (200..300).contains(&status) {
            return Ok((status, text));
        }
        Err(Failed {
            failure: Failure::Status {
                status,
                message: self.redact(error_message(&text)),
            },
            retryable: RETRY_STATUSES.contains(&status),
            retry_after,
        })
    }

    fn authorize<B>(&self, request: RequestBuilder<B>) -> RequestBuilder<B> {
        match &self.api_key {
            Some(key) => request.header("authorization", format!("Bearer {key}")),
            None => request,
        }
    }

    fn transport(&self, error: ureq::Error) -> Failed {
        let (failure, retryable) = match error {
            ureq::Error::Timeout(_) => (Failure::Timeout(self.config.timeout), true),
            e @ (ureq::Error::Io(_)
            | ureq::Error::ConnectionFailed
            | ureq::Error::Protocol(_)
            | ureq::Error::BodyStalled) => (Failure::Transport(Box::new(e)), true),
            e => (Failure::Transport(Box::new(e)), false),
        };
        Failed {
            failure,
            retryable,
            retry_after: None,
        }
    }

    /// `text` without the API key, should a server echo it.
    fn redact(&self, text: String) -> String {
        match &self.api_key {
            Some(key) if text.contains(key.as_str()) => text.replace(key.as_str(), "<redacted>"),
            _ => text,
        }
    }
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// One failed attempt and whether to try again.
struct Failed {
    failure: Failure,
    retryable: bool,
    retry_after: Option<Duration>,
}

/// The wait before retry number `retry` (1-based): doubling from the initial backoff up to the
/// cap, plus up to a tenth more so that clients failing together do not retry together.
pub(crate) fn backoff(config: &ClientConfig, retry: u32) -> Duration {
    let doubled = config
        .initial_backoff
        .saturating_mul(1u32 << (retry - 1).min(20));
    let base = doubled.min(config.max_backoff);
    let jitter = (RandomState::new().hash_one(retry) >> 11) as f64 / (1u64 << 53) as f64;
    base.mul_f64(1.0 + 0.1 * jitter)
}

/// The message of an error body: OpenAI's `{"error": {"message"}}`, the `{"message"}` or
/// `{"detail"}` other servers send, else the body's start.
pub(crate) fn error_message(body: &str) -> String {
    let json: Value = serde_json::from_str(body).unwrap_or(Value::Null);
    let message = [
        json.pointer("/error/message"),
        json.get("error"),
        json.get("message"),
        json.get("detail"),
    ]
    .into_iter()
    .flatten()
    .find_map(Value::as_str);
    match message {
        Some(m) => m.to_owned(),
        None => cut(body),
    }
}
