//! [`Tokenizer`]: a `tokenizer.json` encoded by lego's own encoder where it applies, by the
//! `tokenizers` crate otherwise.

use std::fmt;
use std::path::Path;

use super::Encoded;
use super::cache;
use super::encoder::LegoEncoder;
use super::hf::HfEncoder;
use crate::error::{Error, Result};

/// Which encoder a [`Tokenizer`] runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// lego's own encoder (tiktoken's algorithm), the fast path: byte-level BPE files whose
    /// every setting it reproduces (Qwen2/2.5/3 vocabularies imported from tiktoken ranks).
    /// On the bundled examples it encodes about 16 times as fast as `tokenizers` built with
    /// fancy-regex (`cargo bench -p lego-data --bench render`).
    Lego,
    /// Hugging Face's `tokenizers` crate: any `tokenizer.json`.
    Tokenizers,
}

/// A Hugging Face `tokenizer.json`, loaded for encoding chat text.
///
/// The backend is chosen at load ([`Tokenizer::from_file`]): lego's own encoder when the file is
/// byte-level BPE whose normalizer (none), pre-tokenizer regex, merges and added tokens it
/// reproduces exactly, `tokenizers` for anything else (a checkpoint's own file with its NFC
/// normalizer, SentencePiece-style vocabularies, other patterns). Both give the same ids where
/// lego's applies; the parity tests check it against tiktoken and the Python `tokenizers`.
///
/// Texts are encoded alone: the file's post-processor (template tokens such as a BOS),
/// truncation and padding are not applied, as `apply_chat_template` renders.
pub struct Tokenizer {
    engine: Engine,
}

enum Engine {
    // Both boxed: each is over a kilobyte inline, and a `Tokenizer` is moved around whole.
    Lego(Box<LegoEncoder>),
    Tokenizers(Box<HfEncoder>),
}

impl fmt::Debug for Tokenizer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.engine {
            Engine::Lego(e) => e.fmt(f),
            Engine::Tokenizers(e) => e.fmt(f),
        }
    }
}

impl Tokenizer {
    /// Loads a `tokenizer.json` on the fastest backend that encodes it exactly.
    pub fn from_file(path: &Path) -> Result<Self> {
        Self::from_file_with(path, None)
    }

    /// Loads a `tokenizer.json` on `backend`, or the automatic choice when `None`; forcing
    /// [`Backend::Lego`] fails on a file lego's encoder does not reproduce, saying why.
    pub fn from_file_with(path: &Path, backend: Option<Backend>) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let _span = tracing::debug_span!("load_tokenizer", path = %path.display()).entered();
        Self::load(&text, backend, &path.display().to_string())
    }

    /// [`Tokenizer::from_file`] through a cache of compiled tokenizers in `cache_dir`, which
    /// this creates and writes to: a file lego's encoder takes is parsed and checked once, and
    /// later loads of the same contents read what it compiled to (for Qwen3's 18 MB file, a few
    /// milliseconds instead of a parse and a derivation of its 294,166 merges). Entries are
    /// named by a hash of the file's full contents and by the cache's format, so an edited file
    /// is parsed again; a cache that cannot be read or written is logged at debug and only costs
    /// the parse. Files on the `tokenizers` backend are not cached.
    ///
    /// lego-data writes no cache on its own: the caller chooses `cache_dir` (the `lego` binary
    /// uses `$LEGO_CACHE/compiled-tokenizers`, by default `~/.cache/lego/compiled-tokenizers`).
    pub fn from_file_cached(path: &Path, cache_dir: &Path) -> Result<Self> {
        let read_err = |source| Error::Read {
            path: path.to_path_buf(),
            source,
        };
        let _span = tracing::debug_span!("load_tokenizer", path = %path.display()).entered();
        let key = cache::key_of_file(path).map_err(read_err)?;
        match cache::read(cache_dir, &key).and_then(|entry| {
            LegoEncoder::from_cache(entry).map_err(|e| format!("its parts are refused: {e}"))
        }) {
            Ok(e) => {
                tracing::debug!(backend = "lego", "tokenizer loaded from the cache");
                return Ok(Tokenizer {
                    engine: Engine::Lego(Box::new(e)),
                });
            }
            Err(why) => tracing::debug!(%why, "no cached tokenizer"),
        }
        let bytes = std::fs::read(path).map_err(read_err)?;
        // The key of the bytes parsed, not of the ones hashed above: the file may have changed
        // in between, and an entry must hold what its key's contents compile to.
        let key = cache::key(&bytes);
        let text = String::from_utf8(bytes)
            .map_err(|e| read_err(std::io::Error::new(std::io::ErrorKind::InvalidData, e)))?;
        let tokenizer = Self::load(&text, None, &path.display().to_string())?;
        if let Engine::Lego(e) = &tokenizer.engine {
            match cache::write(cache_dir, &key, e.parts(), e.rank_slots()) {
                Ok(()) => tracing::debug!(dir = %cache_dir.display(), "tokenizer cached"),
                Err(err) => tracing::debug!(error = ?err, "tokenizer not cached"),
            }
        }
        Ok(tokenizer)
    }

    /// Loads the contents of a `tokenizer.json` on the automatic backend.
    pub fn from_json_str(json: &str) -> Result<Self> {
        Self::from_json_str_with(json, None)
    }

    /// Loads the contents of a `tokenizer.json` on `backend` (automatic when `None`).
    pub fn from_json_str_with(json: &str, backend: Option<Backend>) -> Result<Self> {
        Self::load(json, backend, "tokenizer.json")
    }

    fn load(json: &str, backend: Option<Backend>, what: &str) -> Result<Self> {
        let in_file = |e: Error| match e {
            Error::Tokenizer(msg) => Error::Tokenizer(format!("{what}: {msg}")),
            other => other,
        };
        let tokenizers = |reason: Option<&str>| {
            HfEncoder::from_json_str(json)
                .map(|e| Tokenizer {
                    engine: Engine::Tokenizers(Box::new(e)),
                })
                .map_err(|source| Error::Tokenizers {
                    context: match reason {
                        Some(r) => {
                            format!("`tokenizers` cannot load {what} (nor lego's encoder: {r})")
                        }
                        None => format!("`tokenizers` cannot load {what}"),
                    },
                    source,
                })
        };
        if backend == Some(Backend::Tokenizers) {
            return tokenizers(None);
        }
        match LegoEncoder::from_json(json) {
            Ok(e) => {
                tracing::debug!(backend = "lego", "tokenizer loaded");
                Ok(Tokenizer {
                    engine: Engine::Lego(Box::new(e)),
                })
            }
            Err(Error::Json(source)) => Err(Error::Tokenizers {
                context: format!("{what} is not JSON"),
                source: Box::new(source),
            }),
            Err(e) if backend == Some(Backend::Lego) => Err(in_file(e)),
            Err(Error::Tokenizer(reason)) => {
                tracing::debug!(backend = "tokenizers", %reason, "lego's encoder does not apply");
                tokenizers(Some(&reason))
            }
            Err(other) => Err(other),
        }
    }

    /// The backend this tokenizer encodes on.
    pub fn backend(&self) -> Backend {
        match self.engine {
            Engine::Lego(_) => Backend::Lego,
            Engine::Tokenizers(_) => Backend::Tokenizers,
        }
    }

    /// The ids of `text`, added tokens matched.
    pub fn encode(&self, text: &str) -> Result<Vec<u32>> {
        match &self.engine {
            Engine::Lego(e) => Ok(e.encode(text)),
            Engine::Tokenizers(e) => e.encode(text),
        }
    }

    /// The ids of `text` with the byte range in `text` of each token. A token that holds part of
    /// a multi-byte char gets the range of its own bytes on lego's backend and of the whole char
    /// on `tokenizers`; either way it overlaps the same char-aligned ranges.
    pub fn encode_with_offsets(&self, text: &str) -> Result<Encoded> {
        match &self.engine {
            Engine::Lego(e) => Ok(e.encode_with_offsets(text)),
            Engine::Tokenizers(e) => e.encode_with_offsets(text),
        }
    }

    /// The text of `ids`, added tokens included; invalid UTF-8 becomes U+FFFD.
    pub fn decode(&self, ids: &[u32]) -> Result<String> {
        match &self.engine {
            Engine::Lego(e) => Ok(e.decode(ids)),
            Engine::Tokenizers(e) => e.decode(ids),
        }
    }

    /// The id of a token given as an added token's text or as a vocab key.
    pub fn token_to_id(&self, token: &str) -> Option<u32> {
        match &self.engine {
            Engine::Lego(e) => e.token_to_id(token),
            Engine::Tokenizers(e) => e.token_to_id(token),
        }
    }

    /// The added token's text, or the vocab key, of `id`.
    pub fn id_to_token(&self, id: u32) -> Option<String> {
        match &self.engine {
            Engine::Lego(e) => e.id_to_token(id),
            Engine::Tokenizers(e) => e.id_to_token(id),
        }
    }

    /// The largest id plus one, added tokens included.
    pub fn vocab_size(&self) -> usize {
        match &self.engine {
            Engine::Lego(e) => e.vocab_size(),
            Engine::Tokenizers(e) => e.vocab_size(),
        }
    }
}
