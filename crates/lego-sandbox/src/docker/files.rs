//! A file helper in a sandbox container: one long-lived `sh` exec that answers file requests
//! on its stdin, so that a file operation costs a write and a read on an open stream instead of
//! a new exec (about 60 ms on an engine: create, start, inspect). The editor makes two or three
//! per call.
//!
//! Protocol, one request at a time: a header line `OP LEN PATH` (the path last, so it may hold
//! spaces; never a newline: such paths take the exec path). `kind` answers `d`, `f`, `o` or `n`.
//! `read` answers `d`, `n`, `r` (unreadable) or `ok` followed by one line of base64 (so the
//! answer's end is known without trusting a size measured before the read). `write` is followed
//! by exactly `LEN` bytes, read with `dd` (which never reads past them, unlike `head`), and
//! answers `ok`, `d` or `e`.

use std::time::Duration;

use base64::Engine as _;
use bollard::container::LogOutput;
use bollard::exec::CreateExecOptions;
use futures_util::StreamExt;
use tokio::io::AsyncWriteExt;

use super::container::short;
use super::shell::{Input, Output, attached_exec};
use super::{DockerBackend, DockerError, DockerResult};

const SERVER: &str = r#"tmp=/tmp/.lego-write.$$
while IFS= read -r line; do
  op=${line%% *}; rest=${line#* }; len=${rest%% *}; path=${rest#* }
  case $op in
  kind)
    if [ -d "$path" ]; then echo d; elif [ -f "$path" ]; then echo f; elif [ -e "$path" ]; then echo o; else echo n; fi ;;
  read)
    if [ -d "$path" ]; then echo d
    elif [ ! -e "$path" ]; then echo n
    elif [ ! -r "$path" ]; then echo r
    else echo ok; base64 -w0 -- "$path" 2>/dev/null; echo; fi ;;
  write)
    if [ "$len" -gt 0 ]; then dd bs="$len" count=1 iflag=fullblock of="$tmp" 2>/dev/null; else : > "$tmp"; fi
    if [ -d "$path" ]; then echo d
    elif mkdir -p -- "$(dirname -- "$path")" 2>/dev/null && cat "$tmp" > "$path" 2>/dev/null; then echo ok
    else echo e; fi
    rm -f "$tmp" ;;
  *) echo "?" ;;
  esac
done"#;

/// How long one request may take before the helper is given up (and the exec path used).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// What a `read` found.
pub(crate) enum ReadAnswer {
    Contents(Vec<u8>),
    Dir,
    Missing,
    Unreadable,
}

/// What a `write` did.
pub(crate) enum WriteAnswer {
    Written,
    Dir,
    Failed,
}

pub(crate) struct FileServer {
    backend: DockerBackend,
    container: String,
    output: Output,
    input: Input,
    /// Stdout bytes received and not yet consumed.
    pending: Vec<u8>,
}

impl std::fmt::Debug for FileServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileServer")
            .field("container", &short(&self.container))
            .finish_non_exhaustive()
    }
}

impl FileServer {
    pub(crate) fn open(backend: &DockerBackend, container: &str) -> DockerResult<Self> {
        let action = format!("start the file helper in container {}", short(container));
        let options = CreateExecOptions {
            attach_stdin: Some(true),
            attach_stdout: Some(true),
            attach_stderr: Some(false),
            cmd: Some(vec!["sh".to_owned(), "-c".to_owned(), SERVER.to_owned()]),
            ..Default::default()
        };
        let (output, input) = attached_exec(backend, container, options, &action)?;
        Ok(FileServer {
            backend: backend.clone(),
            container: container.to_owned(),
            output,
            input,
            pending: Vec::new(),
        })
    }

    /// Whether `path` can travel in a request line.
    pub(crate) fn can_send(path: &str) -> bool {
        !path.contains(['\n', '\r', '\0'])
    }

    pub(crate) fn kind(&mut self, path: &str) -> DockerResult<Vec<u8>> {
        self.request(format!("kind 0 {path}\n").as_bytes(), None)?;
        self.line()
    }

    pub(crate) fn read(&mut self, path: &str) -> DockerResult<ReadAnswer> {
        self.request(format!("read 0 {path}\n").as_bytes(), None)?;
        Ok(match self.line()?.as_slice() {
            b"d" => ReadAnswer::Dir,
            b"n" => ReadAnswer::Missing,
            b"r" => ReadAnswer::Unreadable,
            b"ok" => {
                let encoded = self.line()?;
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(&encoded)
                    .map_err(|e| self.failed(format!("the helper sent bad base64: {e}")))?;
                ReadAnswer::Contents(bytes)
            }
            other => return Err(self.unexpected(other)),
        })
    }

    pub(crate) fn write(&mut self, path: &str, contents: &[u8]) -> DockerResult<WriteAnswer> {
        let header = format!("write {} {path}\n", contents.len());
        self.request(header.as_bytes(), Some(contents))?;
        Ok(match self.line()?.as_slice() {
            b"ok" => WriteAnswer::Written,
            b"d" => WriteAnswer::Dir,
            b"e" => WriteAnswer::Failed,
            other => return Err(self.unexpected(other)),
        })
    }

    fn failed(&self, message: String) -> DockerError {
        DockerError::Failed {
            action: format!(
                "use the file helper in container {}",
                short(&self.container)
            ),
            message,
        }
    }

    fn unexpected(&self, answer: &[u8]) -> DockerError {
        self.failed(format!(
            "unexpected answer {:?}",
            String::from_utf8_lossy(answer)
        ))
    }

    fn request(&mut self, header: &[u8], body: Option<&[u8]>) -> DockerResult<()> {
        let input = &mut self.input;
        let action = format!(
            "write to the file helper in container {}",
            short(&self.container)
        );
        self.backend
            .block_on(async {
                input.write_all(header).await?;
                if let Some(body) = body {
                    input.write_all(body).await?;
                }
                input.flush().await
            })
            .map_err(DockerError::io(action))
    }

    /// The next line of the helper's stdout, without its newline.
    fn line(&mut self) -> DockerResult<Vec<u8>> {
        let output = &mut self.output;
        let pending = &mut self.pending;
        let container = short(&self.container).to_owned();
        let line = self.backend.block_on(async move {
            let deadline = tokio::time::Instant::now() + REQUEST_TIMEOUT;
            loop {
                if let Some(i) = pending.iter().position(|&b| b == b'\n') {
                    let mut line: Vec<u8> = pending.drain(..=i).collect();
                    line.pop();
                    return Ok(Some(line));
                }
                match tokio::time::timeout_at(deadline, output.next()).await {
                    Ok(Some(Ok(LogOutput::StdOut { message }))) => {
                        pending.extend_from_slice(&message);
                    }
                    Ok(Some(Ok(_))) => {}
                    Ok(Some(Err(err))) => {
                        return Err(DockerError::engine(format!(
                            "read the file helper in container {container}"
                        ))(err));
                    }
                    Ok(None) | Err(_) => return Ok(None),
                }
            }
        })?;
        line.ok_or_else(|| self.failed("the helper ended or did not answer".to_owned()))
    }
}
