//! JSON Lines files: reading with line-numbered errors, atomic writes, and appending with resume.
//!
//! Long runs (rollouts, grading, rendering) write one record per line as they go through
//! [`JsonlAppender`]; after a crash, [`completed_ids`] tells which records are already done, and
//! a half-written last line is tolerated (it is the record that was being written).

use std::collections::HashSet;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::{Error, Result};

/// How [`read_jsonl`] treats lines that do not parse.
#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    /// Skip malformed lines (and list them in the [`ReadReport`]) instead of failing.
    pub skip_malformed: bool,
}

/// What [`read_jsonl`] read.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReadReport {
    /// Records read.
    pub records: usize,
    /// Lines skipped as malformed (only with [`ReadOptions::skip_malformed`]).
    pub skipped: Vec<SkippedLine>,
}

/// One line that was not read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedLine {
    /// 1-based line number.
    pub line: usize,
    /// Why it was not read.
    pub error: String,
}

/// Reads every record of a JSONL file. Blank lines are ignored; a malformed line is an
/// [`Error::Malformed`] naming the file and the 1-based line, or is skipped and reported.
pub fn read_jsonl<T: DeserializeOwned>(
    path: &Path,
    opts: &ReadOptions,
) -> Result<(Vec<T>, ReadReport)> {
    let mut records = Vec::new();
    let mut report = ReadReport::default();
    for item in jsonl_records::<T>(path)? {
        match item {
            Ok((_, record)) => records.push(record),
            Err(Error::Malformed { line, source, .. }) if opts.skip_malformed => {
                tracing::warn!(path = %path.display(), line, error = %source, "skipping a malformed line");
                report.skipped.push(SkippedLine {
                    line,
                    error: source.to_string(),
                });
            }
            Err(e) => return Err(e),
        }
    }
    report.records = records.len();
    Ok((records, report))
}

/// Streams the records of a JSONL file with their 1-based line numbers, for files too big to
/// hold. Blank lines are ignored.
pub fn jsonl_records<T: DeserializeOwned>(
    path: &Path,
) -> Result<impl Iterator<Item = Result<(usize, T)>>> {
    let file = File::open(path).map_err(|source| Error::Read {
        path: path.into(),
        source,
    })?;
    let path: PathBuf = path.into();
    // Lines as bytes, so that invalid UTF-8 is a malformed record with its line number rather
    // than an I/O error without one.
    let lines = BufReader::new(file).split(b'\n').enumerate();
    Ok(lines.filter_map(move |(i, line)| {
        let line_no = i + 1;
        let bytes = match line {
            Ok(bytes) => bytes,
            Err(source) => {
                return Some(Err(Error::Read {
                    path: path.clone(),
                    source,
                }));
            }
        };
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return None;
        }
        Some(
            serde_json::from_slice(&bytes)
                .map(|record| (line_no, record))
                .map_err(|source| Error::Malformed {
                    path: path.clone(),
                    line: line_no,
                    source,
                }),
        )
    }))
}

/// Writes records as JSONL, atomically (see [`write_atomic`]).
pub fn write_jsonl<'a, T: Serialize + 'a>(
    path: &Path,
    records: impl IntoIterator<Item = &'a T>,
) -> Result<()> {
    write_with(path, |w| {
        for record in records {
            let line = serde_json::to_vec(record)?;
            w.write_all(&line)
                .map_err(|source| write_err(path, source))?;
            w.write_all(b"\n")
                .map_err(|source| write_err(path, source))?;
        }
        Ok(())
    })
}

/// Writes a file atomically: the bytes go to a temporary file in the same directory, which is
/// synced and then renamed over `path`, so a crash leaves either the old file or the new one,
/// never half of one.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    write_with(path, |w| {
        w.write_all(bytes).map_err(|source| write_err(path, source))
    })
}

/// Appends records to a JSONL file, one line each, flushed after every record.
#[derive(Debug)]
pub struct JsonlAppender {
    path: PathBuf,
    file: File,
}

impl JsonlAppender {
    /// Opens `path` for appending, creating it. A last line without its newline (a record cut
    /// off by a crash) is dropped, so the next record starts on a line of its own.
    pub fn open(path: &Path) -> Result<Self> {
        let mut file = OpenOptions::new()
            .read(true)
            .create(true)
            .append(true)
            .open(path)
            .map_err(|source| write_err(path, source))?;
        let keep = complete_prefix_len(&mut file).map_err(|source| write_err(path, source))?;
        let len = file
            .metadata()
            .map_err(|source| write_err(path, source))?
            .len();
        if keep < len {
            file.set_len(keep)
                .map_err(|source| write_err(path, source))?;
        }
        Ok(JsonlAppender {
            path: path.into(),
            file,
        })
    }

    /// Writes one record as one line and flushes it.
    pub fn append<T: Serialize>(&mut self, record: &T) -> Result<()> {
        let mut line = serde_json::to_vec(record)?;
        line.push(b'\n');
        // One write of the whole line keeps concurrent readers from seeing a partial record
        // in the common case; `open` repairs the rare torn line after a crash.
        self.file
            .write_all(&line)
            .map_err(|source| write_err(&self.path, source))?;
        self.file
            .flush()
            .map_err(|source| write_err(&self.path, source))
    }

    /// The file being appended to.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// The state of an output file a run resumes from.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ResumeState {
    /// The values of the key in the complete records.
    pub ids: HashSet<String>,
    /// A last line that did not parse, left by a crash mid-write.
    pub truncated: Option<SkippedLine>,
}

/// The values of `key` (e.g. `instance_id`) in an existing output file: the records a resumed
/// run can skip. A missing file holds none. A malformed last line is tolerated (see
/// [`resume_state`] to learn about it); a malformed line elsewhere is an error.
pub fn completed_ids(path: &Path, key: &str) -> Result<HashSet<String>> {
    Ok(resume_state(path, key)?.ids)
}

/// Like [`completed_ids`], and also reports a truncated last line.
pub fn resume_state(path: &Path, key: &str) -> Result<ResumeState> {
    let mut state = ResumeState::default();
    let CompleteRecords { records, truncated } = complete_records(path)?;
    for (line, record) in records {
        let id = match record.get(key) {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            _ => {
                return Err(Error::invalid(
                    format!("{}:{line}", path.display()),
                    format!("record has no string `{key}`"),
                ));
            }
        };
        state.ids.insert(id);
    }
    state.truncated = truncated;
    if !state.ids.is_empty() {
        tracing::debug!(
            path = %path.display(),
            done = state.ids.len(),
            "resuming: skipping the records already written"
        );
    }
    Ok(state)
}

/// What [`complete_records`] read.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CompleteRecords {
    /// Each complete record with its 1-based line number.
    pub records: Vec<(usize, Value)>,
    /// A last line that did not parse, left by a crash mid-write.
    pub truncated: Option<SkippedLine>,
}

/// The complete records of an output file a run appends to, with their line numbers, for a
/// run that resumes from it: a malformed last line (a crash mid-write) is tolerated and
/// reported, a malformed line elsewhere is an error. A missing file holds none.
pub fn complete_records(path: &Path) -> Result<CompleteRecords> {
    let mut records = Vec::new();
    if !path.exists() {
        return Ok(CompleteRecords::default());
    }
    let mut pending: Option<Error> = None;
    for item in jsonl_records::<Value>(path)? {
        if let Some(e) = pending.take() {
            // A malformed line followed by more records is not a crash artefact.
            return Err(e);
        }
        match item {
            Ok(record) => records.push(record),
            Err(e @ Error::Malformed { .. }) => pending = Some(e),
            Err(e) => return Err(e),
        }
    }
    let truncated = match pending {
        Some(Error::Malformed { line, source, .. }) => {
            tracing::warn!(
                path = %path.display(),
                line,
                error = %source,
                "last line is incomplete (a crash mid-write): it will be written again"
            );
            Some(SkippedLine {
                line,
                error: source.to_string(),
            })
        }
        _ => None,
    };
    Ok(CompleteRecords { records, truncated })
}

fn write_err(path: &Path, source: std::io::Error) -> Error {
    Error::Write {
        path: path.into(),
        source,
    }
}

fn write_with(
    path: &Path,
    body: impl FnOnce(&mut BufWriter<&mut File>) -> Result<()>,
) -> Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".tmp-")
        .tempfile_in(dir)
        .map_err(|source| write_err(path, source))?;
    {
        let mut w = BufWriter::new(tmp.as_file_mut());
        body(&mut w)?;
        w.flush().map_err(|source| write_err(path, source))?;
    }
    tmp.as_file()
        .sync_all()
        .map_err(|source| write_err(path, source))?;
    // On error the temporary file is removed when `tmp` drops.
    tmp.persist(path).map_err(|e| write_err(path, e.error))?;
    // Make the rename itself durable. Best effort: not every platform can sync a directory, and
    // the file is complete either way.
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// The length of the file up to and including its last newline.
fn complete_prefix_len(file: &mut File) -> std::io::Result<u64> {
    let len = file.metadata()?.len();
    let mut pos = len;
    let mut buf = [0u8; 4096];
    while pos > 0 {
        let start = pos.saturating_sub(buf.len() as u64);
        let n = usize::try_from(pos - start).expect("chunk fits the buffer");
        file.seek(SeekFrom::Start(start))?;
        file.read_exact(&mut buf[..n])?;
        if let Some(i) = buf[..n].iter().rposition(|&b| b == b'\n') {
            return Ok(start + i as u64 + 1);
        }
        pos = start;
    }
    Ok(0)
}
