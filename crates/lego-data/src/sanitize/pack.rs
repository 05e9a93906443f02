//! Writing a sanitised repository's objects as one pack (version 2, no deltas) with its index
//! (version 2), instead of one loose file per object: for a history of thousands of commits the
//! file system, not the compression, was most of the time.
//!
//! The format is git's (`Documentation/gitformat-pack.txt`): `PACK`, version, count; per object
//! a type-and-size header and the zlib stream of its content; the SHA-1 of all that. The index
//! holds the fan-out table, the sorted ids, each entry's CRC-32 and offset (large offsets in a
//! second table), the pack's checksum and its own. Every object is hashed here from the bytes
//! written, so an id in the index is always the id of what the pack holds.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use flate2::Compression;
use flate2::write::ZlibEncoder;
use gix::ObjectId;
use gix::objs::Kind;

use crate::error::{Error, Result};

/// zlib level 1: git's `core.compression` default is 6 at a few times the cost for about 10% of
/// size, and a sanitised copy lives as long as its sandbox.
const LEVEL: u32 = 1;

pub(super) struct PackWriter {
    hash_kind: gix::hash::Kind,
    pack_dir: PathBuf,
    /// The pack as it is written, in a temporary file in `objects/pack/`.
    file: std::io::BufWriter<tempfile::NamedTempFile>,
    offset: u64,
    entries: Vec<(ObjectId, u32, u64)>,
    scratch: Vec<u8>,
}

impl PackWriter {
    pub(super) fn new(git_dir: &Path, hash_kind: gix::hash::Kind) -> Result<Self> {
        let pack_dir = git_dir.join("objects/pack");
        let file = tempfile::Builder::new()
            .prefix("tmp_pack_")
            .tempfile_in(&pack_dir)
            .map_err(write_error(&pack_dir))?;
        let mut writer = PackWriter {
            hash_kind,
            pack_dir,
            file: std::io::BufWriter::with_capacity(1 << 20, file),
            offset: 0,
            entries: Vec::new(),
            scratch: Vec::new(),
        };
        // The count is not known yet: it is patched in by `finish`, which rehashes the header.
        writer.emit(b"PACK\0\0\0\x02\0\0\0\0")?;
        Ok(writer)
    }

    /// Appends the object of `kind` with content `data`; returns its id.
    pub(super) fn write(&mut self, kind: Kind, data: &[u8]) -> Result<ObjectId> {
        let mut hasher = gix::hash::hasher(self.hash_kind);
        hasher.update(kind.as_bytes());
        hasher.update(format!(" {}\0", data.len()).as_bytes());
        hasher.update(data);
        let id = hasher
            .try_finalize()
            .map_err(|e| Error::invalid("an object", e.to_string()))?;

        let mut entry = std::mem::take(&mut self.scratch);
        entry.clear();
        let type_bits: u8 = match kind {
            Kind::Commit => 1,
            Kind::Tree => 2,
            Kind::Blob => 3,
            Kind::Tag => 4,
        };
        let mut size = data.len() as u64;
        let mut byte = (type_bits << 4) | (size & 0x0f) as u8;
        size >>= 4;
        while size != 0 {
            entry.push(byte | 0x80);
            byte = (size & 0x7f) as u8;
            size >>= 7;
        }
        entry.push(byte);
        let mut zlib = ZlibEncoder::new(entry, Compression::new(LEVEL));
        zlib.write_all(data).map_err(write_error(&self.pack_dir))?;
        let entry = zlib.finish().map_err(write_error(&self.pack_dir))?;
        let crc = crc32fast::hash(&entry);
        self.entries.push((id, crc, self.offset));
        self.emit(&entry)?;
        self.scratch = entry;
        Ok(id)
    }

    fn emit(&mut self, bytes: &[u8]) -> Result<()> {
        self.file
            .write_all(bytes)
            .map_err(write_error(&self.pack_dir))?;
        self.offset += bytes.len() as u64;
        Ok(())
    }

    /// Writes the trailer and the index and moves both into place as `pack-<checksum>.{pack,idx}`.
    /// Nothing is left behind for an empty pack.
    pub(super) fn finish(self) -> Result<()> {
        let PackWriter {
            hash_kind,
            pack_dir,
            file,
            offset: _,
            mut entries,
            scratch: _,
        } = self;
        let mut file = file
            .into_inner()
            .map_err(|e| write_error(&pack_dir)(e.into_error()))?;
        if entries.is_empty() {
            return Ok(());
        }
        // The header's count, then the checksum of the whole file read back (the count changed
        // the first bytes; the rest is read once, sequentially, from the page cache).
        let count = u32::try_from(entries.len())
            .map_err(|_| Error::invalid("the sanitised repository", "more than 2^32 objects"))?;
        use std::io::{Read as _, Seek as _, SeekFrom};
        let f = file.as_file_mut();
        f.seek(SeekFrom::Start(8)).map_err(write_error(&pack_dir))?;
        f.write_all(&count.to_be_bytes())
            .map_err(write_error(&pack_dir))?;
        f.seek(SeekFrom::Start(0)).map_err(write_error(&pack_dir))?;
        let mut hasher = gix::hash::hasher(hash_kind);
        let mut buf = vec![0u8; 1 << 20];
        loop {
            let n = f.read(&mut buf).map_err(write_error(&pack_dir))?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
        }
        let pack_id = hasher
            .try_finalize()
            .map_err(|e| Error::invalid("the pack", e.to_string()))?;
        f.write_all(pack_id.as_bytes())
            .map_err(write_error(&pack_dir))?;

        entries.sort_by_key(|e| e.0);
        let mut idx: Vec<u8> = Vec::with_capacity(1072 + entries.len() * 32);
        idx.extend_from_slice(b"\xfftOc\0\0\0\x02");
        let mut fanout = [0u32; 256];
        for (id, _, _) in &entries {
            fanout[id.as_bytes()[0] as usize] += 1;
        }
        let mut running = 0u32;
        for n in fanout {
            running += n;
            idx.extend_from_slice(&running.to_be_bytes());
        }
        for (id, _, _) in &entries {
            idx.extend_from_slice(id.as_bytes());
        }
        for (_, crc, _) in &entries {
            idx.extend_from_slice(&crc.to_be_bytes());
        }
        let mut large: Vec<u64> = Vec::new();
        for (_, _, offset) in &entries {
            if *offset < 0x8000_0000 {
                idx.extend_from_slice(&(*offset as u32).to_be_bytes());
            } else {
                idx.extend_from_slice(&(0x8000_0000 | large.len() as u32).to_be_bytes());
                large.push(*offset);
            }
        }
        for offset in large {
            idx.extend_from_slice(&offset.to_be_bytes());
        }
        idx.extend_from_slice(pack_id.as_bytes());
        let mut hasher = gix::hash::hasher(hash_kind);
        hasher.update(&idx);
        let idx_id = hasher
            .try_finalize()
            .map_err(|e| Error::invalid("the pack index", e.to_string()))?;
        idx.extend_from_slice(idx_id.as_bytes());

        // The index goes in last: a reader finds a pack by its index, so it never sees a pack
        // without its whole content.
        let name = format!("pack-{pack_id}");
        let pack_path = pack_dir.join(format!("{name}.pack"));
        file.persist(&pack_path)
            .map_err(|e| write_error(&pack_path)(e.error))?;
        let idx_path = pack_dir.join(format!("{name}.idx"));
        std::fs::write(&idx_path, &idx).map_err(write_error(&idx_path))?;
        Ok(())
    }
}

fn write_error(path: &Path) -> impl FnOnce(std::io::Error) -> Error + use<> {
    let path = path.to_owned();
    move |source| Error::Write { path, source }
}
