//! A test double: a scripted HTTP server on loopback (for OpenAI-compatible clients), not a
//! server to run anything against. It answers each request with the next scripted reply (a 500
//! once they run out), or with what a handler makes of the request, and records what it got.
//! Test code: it panics on what a test should not send.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};

/// One scripted answer.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(&'static str, &'static str)>,
    pub body: Value,
    /// How long to wait before answering.
    pub delay: Duration,
}

impl Reply {
    pub fn json(status: u16, body: Value) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body,
            delay: Duration::ZERO,
        }
    }
}

/// A request as the server saw it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    /// Header names in lower case.
    pub headers: Vec<(String, String)>,
    /// The JSON body, `Null` when there was none.
    pub body: Value,
}

impl Recorded {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// One thread accepting and one per connection, so a slow reply does not hold up the next
/// request; it lives until the test process ends.
#[derive(Clone)]
pub struct ScriptedServer {
    pub base_url: String,
    answer: Arc<Handler>,
    requests: Arc<Mutex<Vec<Recorded>>>,
}

type Handler = dyn Fn(&Recorded) -> Reply + Send + Sync;

impl std::fmt::Debug for ScriptedServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScriptedServer")
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

impl ScriptedServer {
    /// A server answering with `replies` in order.
    pub fn start(replies: impl IntoIterator<Item = Reply>) -> ScriptedServer {
        let queue: Mutex<VecDeque<Reply>> = Mutex::new(replies.into_iter().collect());
        ScriptedServer::with_handler(move |_| {
            let reply = queue.lock().unwrap().pop_front();
            reply.unwrap_or_else(|| Reply::json(500, json!({"error": "script ran out"})))
        })
    }

    /// A server answering each request with `handler(request)`.
    pub fn with_handler(
        handler: impl Fn(&Recorded) -> Reply + Send + Sync + 'static,
    ) -> ScriptedServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let server = ScriptedServer {
            base_url: format!("http://{}/v1", listener.local_addr().unwrap()),
            answer: Arc::new(handler),
            requests: Arc::default(),
        };
        let shared = server.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let server = shared.clone();
                std::thread::spawn(move || server.serve(stream));
            }
        });
        server
    }

    /// The requests received so far.
    pub fn requests(&self) -> Vec<Recorded> {
        self.requests.lock().unwrap().clone()
    }

    fn serve(&self, stream: TcpStream) {
        let mut reader = BufReader::new(stream);
        let mut lines = Vec::new();
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            if line.trim_end().is_empty() {
                break;
            }
            lines.push(line.trim_end().to_owned());
        }
        let mut start = lines[0].split(' ').map(str::to_owned);
        let (method, path) = (start.next().unwrap(), start.next().unwrap());
        let headers: Vec<(String, String)> = (lines[1..].iter())
            .filter_map(|l| l.split_once(':'))
            .map(|(n, v)| (n.to_ascii_lowercase(), v.trim().to_owned()))
            .collect();
        let length = headers.iter().find(|(n, _)| n == "content-length");
        let mut body = vec![0; length.map_or(0, |(_, v)| v.parse().unwrap())];
        reader.read_exact(&mut body).unwrap();
        let body = serde_json::from_slice(&body).unwrap_or(Value::Null);
        let request = Recorded {
            method,
            path,
            headers,
            body,
        };
        self.requests.lock().unwrap().push(request.clone());
        let reply = (self.answer)(&request);
        std::thread::sleep(reply.delay);
        let body = reply.body.to_string();
        let mut out = format!("HTTP/1.1 {} Scripted\r\n", reply.status);
        out += &format!(
            "content-type: application/json\r\ncontent-length: {}\r\n",
            body.len()
        );
        for (name, value) in reply.headers.iter().chain([&("connection", "close")]) {
            out += &format!("{name}: {value}\r\n");
        }
        out += &format!("\r\n{body}");
        // The client may have given up (the timeout test): a broken pipe is expected then.
        let _ = reader.get_mut().write_all(out.as_bytes());
    }
}
