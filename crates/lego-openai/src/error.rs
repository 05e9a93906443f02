use std::time::Duration;

/// Everything that can go wrong in `lego-openai`.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The environment variable named for the API key is unset or empty.
    #[error("environment variable {var} (named for the API key) is not set or empty")]
    MissingApiKey {
        /// The variable's name.
        var: String,
    },
    /// A request that did not succeed, after every attempt it was allowed.
    #[error("{what} request to {url} failed after {attempts} {}", plural(*.attempts))]
    Request {
        /// What was asked: `chat completion` or `model list`.
        what: &'static str,
        /// The URL requested.
        url: String,
        /// How many HTTP requests were made.
        attempts: u32,
        /// Why the last one failed.
        #[source]
        source: Failure,
    },
}

/// Why one HTTP request failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Failure {
    /// The server answered with a status other than 2xx.
    #[error("server answered HTTP {status}: {message}")]
    Status {
        /// The HTTP status code.
        status: u16,
        /// The server's OpenAI-shaped error message, else the start of its body.
        message: String,
    },
    /// No complete answer arrived within the client's timeout.
    #[error("no complete answer within {0:?}")]
    Timeout(Duration),
    /// The connection could not be made, broke, or the request could not be sent.
    #[error("transport error")]
    Transport(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// A 2xx answer that is not the JSON the endpoint returns.
    #[error("unexpected response body: {body}")]
    Decode {
        /// The start of the body.
        body: String,
        /// Why it does not parse.
        #[source]
        source: serde_json::Error,
    },
    /// A chat completion without any choice.
    #[error("response has no choices")]
    NoChoices,
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// The HTTP status of the failed request, where the server answered one.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Request {
                source: Failure::Status { status, .. },
                ..
            } => Some(*status),
            _ => None,
        }
    }
}

fn plural(n: u32) -> &'static str {
    if n == 1 { "attempt" } else { "attempts" }
}
