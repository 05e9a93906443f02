//! `lego-openai`: a small synchronous client for OpenAI-compatible chat-completions servers
//! (vLLM, SGLang, hosted APIs, lego's own server).
//!
//! - [`Client`], made from a [`ClientConfig`] (base URL such as `http://127.0.0.1:8000/v1`, the
//!   name of the environment variable holding the API key, timeout, retries and backoff).
//! - [`Client::chat`] sends a [`ChatRequest`] (lego-data [`Message`](lego_data::Message)s, OpenAI
//!   tool schemas, sampling options) to `POST {base_url}/chat/completions` and returns a
//!   [`ChatResponse`]: the first choice as an assistant `Message` with its native tool calls,
//!   the finish reason and the token [`Usage`]. [`Client::models`] lists `GET {base_url}/models`.
//! - Retries: HTTP 429, 500, 502, 503 and 504, connection errors and timeouts are retried with
//!   exponential backoff (a `Retry-After` header in seconds is honoured, capped); any other
//!   status fails at once with the server's error message ([`Error`], [`Failure`]).
//! - The API key is sent as `Authorization: Bearer ...` and appears in no `Debug` output, error
//!   or `tracing` event; a server that echoes it back has it replaced by `<redacted>`.
//! - Logs: a `debug` event per HTTP attempt (url, attempt, status, seconds) and per completion
//!   (usage, finish reason), a `warn` per retry (reason, wait). The crate never prints.
//!
//! Messages are sent in plain OpenAI shape (role, content, tool_calls with string arguments,
//! tool_call_id, name): lego's own fields (`turn_mask`, `step`) never leave the process.
//!
//! This crate deliberately does not stream, run an async runtime (it is blocking, on `ureq` with
//! rustls), parse tool calls out of text (a server without a tool parser returns them as content,
//! which is the agent's business), render chat templates or count tokens.

#![warn(missing_docs)]

mod chat;
mod client;
mod error;

pub use chat::{ChatRequest, ChatResponse, Usage};
pub use client::{Client, ClientConfig};
pub use error::{Error, Failure, Result};

#[cfg(test)]
mod tests;
