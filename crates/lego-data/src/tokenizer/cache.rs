//! The cache of compiled tokenizers behind [`Tokenizer::from_file_cached`]: what lego's encoder
//! is built from ([`Parts`]: pattern, token bytes by id, added tokens) and its rank table,
//! saved once a `tokenizer.json` has passed every check, so that the next load skips parsing
//! 18 MB of JSON, deriving 294,166 merges and inserting 151,643 keys.
//!
//! Correct by construction: an entry is named by the BLAKE3 hash of the file's full contents
//! and by [`FORMAT`], and holds both again with a hash of its own body, so a changed file, a
//! changed format or a damaged entry is a miss, never a wrong tokenizer. The key written is the
//! hash of the very bytes that were parsed. A hit is rebuilt by the constructor a parsed file
//! goes through, with the checks that need no file. Entries are written atomically (temporary
//! file, then rename); a cache that cannot be read or written only costs the parse.
//!
//! [`Tokenizer::from_file_cached`]: super::Tokenizer::from_file_cached

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use super::bpe::{Slot, Tokens};
use super::encoder::Parts;
use crate::error::Result;
use crate::jsonl::write_atomic;

/// The layout of an entry, of [`Parts`] and of the rank table (its hash function included);
/// bump it when any of them changes, and every older entry is a miss (and is left alone:
/// another version of lego may still read it).
pub(crate) const FORMAT: u32 = 1;

const MAGIC: &[u8; 8] = b"lego-bpe";
/// Magic, format, a reserved word, the source's key, the body's length and hash.
const HEADER: usize = 8 + 4 + 4 + 32 + 8 + 32;

/// The BLAKE3 hash of a `tokenizer.json`'s bytes: what names its entry.
pub(crate) type Key = [u8; 32];

/// The key of `contents`.
pub(crate) fn key(contents: &[u8]) -> Key {
    *blake3::hash(contents).as_bytes()
}

/// The key of the file at `path`, read in small pieces: an 18 MB buffer would cost more in
/// page faults than the hash itself.
pub(crate) fn key_of_file(path: &Path) -> std::io::Result<Key> {
    let mut hasher = blake3::Hasher::new();
    hasher.update_reader(File::open(path)?)?;
    Ok(*hasher.finalize().as_bytes())
}

/// The entry of `key` in `dir`.
pub(crate) fn entry_path(dir: &Path, key: &Key) -> PathBuf {
    let hex: String = key.iter().map(|b| format!("{b:02x}")).collect();
    dir.join(format!("{hex}.v{FORMAT}.lego-bpe"))
}

/// What an entry holds: the parts and the rank table built from them.
#[derive(Debug)]
pub(crate) struct Entry {
    pub(crate) parts: Parts,
    pub(crate) slots: Vec<Slot>,
}

/// The entry saved under `key`, or why there is none (a miss: absent, another format, damaged).
pub(crate) fn read(dir: &Path, key: &Key) -> Result<Entry, String> {
    let path = entry_path(dir, key);
    let file = File::open(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let len = file
        .metadata()
        .map_err(|e| format!("{}: {e}", path.display()))?
        .len();
    decode(BufReader::new(file), len, key)
        .ok_or_else(|| format!("{} is not a valid entry", path.display()))
}

/// Saves `parts` and their rank table under `key` in `dir` (created if needed), atomically.
pub(crate) fn write(dir: &Path, key: &Key, parts: &Parts, slots: &[Slot]) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|source| crate::Error::Write {
        path: dir.to_path_buf(),
        source,
    })?;
    match encode(key, parts, slots) {
        Some(bytes) => write_atomic(&entry_path(dir, key), &bytes),
        // A part of 4 GiB or more: not worth caching, and not a failure to load.
        None => Ok(()),
    }
}

/// Header: magic, format, a reserved zero, the source's key, the body's length and BLAKE3
/// hash. Body: the pattern; the vocab (count, data length, end offsets, data); the added tokens
/// (count, then id, length, bytes each); the rank table (slot count, slots). Integers are
/// little-endian u32 (the body's length u64). `None` when a length does not fit a u32.
pub(crate) fn encode(key: &Key, parts: &Parts, slots: &[Slot]) -> Option<Vec<u8>> {
    let mut body = Vec::new();
    put_bytes(&mut body, parts.pattern.as_bytes())?;
    let (data, ends) = parts.vocab.raw();
    put_len(&mut body, ends.len())?;
    put_len(&mut body, data.len())?;
    for end in ends {
        body.extend_from_slice(&end.to_le_bytes());
    }
    body.extend_from_slice(data);
    put_len(&mut body, parts.added.len())?;
    for (content, id) in &parts.added {
        body.extend_from_slice(&id.to_le_bytes());
        put_bytes(&mut body, content.as_bytes())?;
    }
    put_len(&mut body, slots.len())?;
    body.extend_from_slice(slots.as_flattened());

    let mut out = Vec::with_capacity(HEADER + body.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&FORMAT.to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes());
    out.extend_from_slice(key);
    out.extend_from_slice(&(body.len() as u64).to_le_bytes());
    out.extend_from_slice(blake3::hash(&body).as_bytes());
    out.extend_from_slice(&body);
    Some(out)
}

/// The entry in `input` (`len` bytes), if it is whole, of this format, and saved for `key`.
/// Read piece by piece into the buffers it ends in (the rank table is 5 MB for Qwen3), with no
/// allocation larger than what is left of the input.
pub(crate) fn decode(mut input: impl Read, len: u64, key: &Key) -> Option<Entry> {
    let mut header = [0u8; HEADER];
    input.read_exact(&mut header).ok()?;
    let mut h = Reader(&header);
    if h.take(8)? != MAGIC || h.u32()? != FORMAT || h.u32()? != 0 || h.take(32)? != key {
        return None;
    }
    let body_len = u64::from_le_bytes(h.take(8)?.try_into().ok()?);
    let hash: [u8; 32] = h.take(32)?.try_into().ok()?;
    if Some(body_len) != len.checked_sub(HEADER as u64) {
        return None;
    }

    let mut body = Body {
        input,
        left: body_len,
        hasher: blake3::Hasher::new(),
    };
    let pattern = String::from_utf8(body.bytes()?).ok()?;
    let count = body.u32()? as usize;
    let data_len = body.u32()? as usize;
    let mut ends = body.zeroed::<4>(count)?;
    body.fill(ends.as_flattened_mut())?;
    let ends = ends.into_iter().map(u32::from_le_bytes).collect();
    let mut data = body.zeroed_bytes(data_len)?;
    body.fill(&mut data)?;
    let vocab = Tokens::from_raw(data, ends)?;
    let added_count = body.u32()? as usize;
    let mut added = Vec::new();
    for _ in 0..added_count {
        let id = body.u32()?;
        let content = String::from_utf8(body.bytes()?).ok()?;
        added.push((content, id));
    }
    let slot_count = body.u32()? as usize;
    let mut slots = body.zeroed::<20>(slot_count)?;
    body.fill(slots.as_flattened_mut())?;
    (body.left == 0 && *body.hasher.finalize().as_bytes() == hash).then_some(Entry {
        parts: Parts {
            pattern,
            vocab,
            added,
        },
        slots,
    })
}

/// The body of an entry as it is read: hashed, and never read past its length.
struct Body<R> {
    input: R,
    left: u64,
    hasher: blake3::Hasher,
}

impl<R: Read> Body<R> {
    fn fill(&mut self, buf: &mut [u8]) -> Option<()> {
        self.left = self.left.checked_sub(buf.len() as u64)?;
        self.input.read_exact(buf).ok()?;
        self.hasher.update(buf);
        Some(())
    }

    /// `n` zeroed arrays, once the body is known to hold them: a damaged count cannot make
    /// this allocate more than the file's size.
    fn zeroed<const N: usize>(&self, n: usize) -> Option<Vec<[u8; N]>> {
        let bytes = n.checked_mul(N)?;
        (bytes as u64 <= self.left).then(|| vec![[0; N]; n])
    }

    fn zeroed_bytes(&self, n: usize) -> Option<Vec<u8>> {
        (n as u64 <= self.left).then(|| vec![0; n])
    }

    fn u32(&mut self) -> Option<u32> {
        let mut b = [0u8; 4];
        self.fill(&mut b)?;
        Some(u32::from_le_bytes(b))
    }

    fn bytes(&mut self) -> Option<Vec<u8>> {
        let n = self.u32()? as usize;
        let mut v = self.zeroed_bytes(n)?;
        self.fill(&mut v)?;
        Some(v)
    }
}

fn put_len(out: &mut Vec<u8>, len: usize) -> Option<()> {
    out.extend_from_slice(&u32::try_from(len).ok()?.to_le_bytes());
    Some(())
}

fn put_bytes(out: &mut Vec<u8>, bytes: &[u8]) -> Option<()> {
    put_len(out, bytes.len())?;
    out.extend_from_slice(bytes);
    Some(())
}

/// A cursor over the header.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.0.len() < n {
            return None;
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Some(head)
    }

    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }
}
