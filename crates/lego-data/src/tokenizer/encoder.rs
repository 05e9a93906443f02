//! [`LegoEncoder`]: lego's own encoder, tiktoken's algorithm over a `tokenizer.json` whose
//! configuration it reproduces exactly (the fast path of [`Tokenizer`](super::Tokenizer)).

use std::fmt;

use regex::Regex;
use rustc_hash::FxHashMap;
use serde_json::Value;

use super::bpe::{Ranks, byte_pair_encode};
use super::pretokenize::Pretokenizer;
use super::tiktoken::derive_merges;
use super::{QWEN_PATTERN, bytes_to_unicode, from_byte_level, to_byte_level, unicode_to_bytes};
use crate::error::{Error, Result};

/// Pre-tokenizer patterns whose emulation (`Pretokenizer`) is verified against tiktoken by the
/// parity test. Another pattern may need lookaround that is not emulated, or may leave text
/// unmatched, which `tokenizers` keeps as pieces and lego's pre-tokenizer would not.
const VERIFIED_PATTERNS: &[&str] = &[QWEN_PATTERN];

/// A byte-level BPE `tokenizer.json` encoded exactly as tiktoken (and `tokenizers`) do: added
/// tokens are matched first (longest at each position), the text between them is split by the
/// pre-tokenizer regex, and each piece is either a token itself or byte-pair merged by lowest
/// rank. Token ids are ranks; the merges of the file are checked to be the ones the ranks imply,
/// then not used.
///
/// [`LegoEncoder::from_value`] accepts a file only when this gives the ids `tokenizers` gives:
/// no normalizer; a `Split` (isolated, one of [`VERIFIED_PATTERNS`]) then `ByteLevel` (no prefix
/// space, no regex) pre-tokenizer; a `ByteLevel` decoder; a BPE model with `ignore_merges`, no
/// dropout, byte fallback, prefix or suffix, a byte-level vocabulary with ids `0..n` holding
/// every single byte, and exactly the merges transformers' `TikTokenConverter` derives from
/// those ranks ([`derive_merges`], order included: it decides `tokenizers`' ties); added tokens
/// without `lstrip`, `rstrip` or `single_word`, all alike in `normalized` (so `tokenizers`
/// matches them in one leftmost-longest pass, as here). Truncation, padding and the
/// post-processor are ignored by both paths: rendering encodes the text alone.
pub(crate) struct LegoEncoder {
    ranks: Ranks,
    /// Bytes of each id; empty for ids that are not tokens.
    bytes: Vec<Box<[u8]>>,
    added: FxHashMap<String, u32>,
    added_text: FxHashMap<u32, String>,
    /// Matches the added tokens, longest first.
    added_regex: Option<Regex>,
    pretokenizer: Pretokenizer,
    byte_chars: [char; 256],
}

impl fmt::Debug for LegoEncoder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LegoEncoder")
            .field("ranks", &self.ranks.len())
            .field("added", &self.added.len())
            .field("vocab_size", &self.vocab_size())
            .finish_non_exhaustive()
    }
}

impl LegoEncoder {
    /// Loads a parsed `tokenizer.json`; `Error::Tokenizer` says why this encoder does not apply.
    pub(crate) fn from_value(root: &Value) -> Result<Self> {
        check_normalizer(&root["normalizer"])?;
        let pattern = split_pattern(&root["pre_tokenizer"])?;
        if !VERIFIED_PATTERNS.contains(&pattern) {
            return Err(Error::Tokenizer(format!(
                "pre-tokenizer pattern `{pattern}` is not one lego's encoder is verified on"
            )));
        }
        let pretokenizer = Pretokenizer::new(pattern)?;
        let decoder = &root["decoder"];
        if decoder["type"] != "ByteLevel" {
            return Err(unsupported("decoder", decoder));
        }

        let model = &root["model"];
        if model["type"] != "BPE" {
            return Err(unsupported("model", &model["type"]));
        }
        for (key, ok) in [
            (
                "byte_fallback",
                model["byte_fallback"].as_bool() != Some(true),
            ),
            (
                "continuing_subword_prefix",
                is_null_or_empty(&model["continuing_subword_prefix"]),
            ),
            (
                "end_of_word_suffix",
                is_null_or_empty(&model["end_of_word_suffix"]),
            ),
            ("dropout", model["dropout"].is_null()),
            // tiktoken looks a whole piece up before merging.
            (
                "ignore_merges",
                model["ignore_merges"].as_bool() == Some(true),
            ),
        ] {
            if !ok {
                return Err(unsupported(&format!("model.{key}"), &model[key]));
            }
        }
        let vocab = model["vocab"]
            .as_object()
            .ok_or_else(|| Error::Tokenizer("model.vocab is not an object".into()))?;

        let inverse = unicode_to_bytes();
        let mut ranks = Ranks::default();
        let mut bytes: Vec<Box<[u8]>> = Vec::new();
        for (key, id) in vocab {
            let id = as_id(id).ok_or_else(|| {
                Error::Tokenizer(format!("vocab entry `{key}` has id {id}, not a u32"))
            })?;
            let b = from_byte_level(&inverse, key).ok_or_else(|| {
                Error::Tokenizer(format!("vocab entry `{key}` is not a byte-level token"))
            })?;
            if b.is_empty() {
                return Err(Error::Tokenizer("vocab has an empty token".into()));
            }
            set_bytes(&mut bytes, id, &b)?;
            ranks.insert(&b, id);
        }
        if let Some(b) = (0..=255u8).find(|b| ranks.get(&[*b]).is_none()) {
            return Err(Error::Tokenizer(format!(
                "vocab lacks the single byte {b:#04x}"
            )));
        }
        if bytes.len() != vocab.len() {
            return Err(Error::Tokenizer(format!(
                "vocab ids are not 0..{} (tiktoken ranks are)",
                vocab.len()
            )));
        }
        check_merges(&model["merges"], &bytes, &ranks)?;

        let mut added = FxHashMap::default();
        let mut added_text = FxHashMap::default();
        let mut normalized = None;
        for tok in root["added_tokens"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default()
        {
            let (Some(content), Some(id)) = (tok["content"].as_str(), as_id(&tok["id"])) else {
                return Err(Error::Tokenizer(format!("malformed added token {tok}")));
            };
            for key in ["lstrip", "rstrip", "single_word"] {
                if tok[key].as_bool() == Some(true) {
                    return Err(Error::Tokenizer(format!(
                        "added token `{content}` has {key}: true, which is not supported"
                    )));
                }
            }
            let this = tok["normalized"].as_bool() == Some(true);
            if *normalized.get_or_insert(this) != this {
                return Err(Error::Tokenizer(
                    "added tokens differ in `normalized` (tokenizers matches them in two passes)"
                        .into(),
                ));
            }
            if content.is_empty() {
                return Err(Error::Tokenizer("empty added token".into()));
            }
            // An added token that is also a vocab entry keeps its vocab bytes for decoding.
            if bytes.get(id as usize).is_none_or(|b| b.is_empty()) {
                set_bytes(&mut bytes, id, content.as_bytes())?;
            }
            added.insert(content.to_owned(), id);
            added_text.insert(id, content.to_owned());
        }
        let added_regex = if added.is_empty() {
            None
        } else {
            let mut texts: Vec<&str> = added.keys().map(String::as_str).collect();
            // Longest first: with leftmost-first alternation that is leftmost-longest.
            texts.sort_by(|a, b| b.len().cmp(&a.len()).then(a.cmp(b)));
            let alternation: Vec<String> = texts.iter().map(|t| regex::escape(t)).collect();
            let regex = Regex::new(&alternation.join("|"))
                .map_err(|e| Error::Tokenizer(format!("added tokens do not compile: {e}")))?;
            Some(regex)
        };

        Ok(LegoEncoder {
            ranks,
            bytes,
            added,
            added_text,
            added_regex,
            pretokenizer,
            byte_chars: bytes_to_unicode(),
        })
    }

    /// The ids of `text`, added tokens matched.
    pub(crate) fn encode(&self, text: &str) -> Vec<u32> {
        let mut ids = Vec::with_capacity(text.len() / 3);
        self.encode_into(text, |id, _, _| ids.push(id));
        ids
    }

    /// The ids of `text` with the byte range in `text` of each token. A token that holds part
    /// of a multi-byte char gets the range of its own bytes.
    pub(crate) fn encode_with_offsets(&self, text: &str) -> (Vec<u32>, Vec<(usize, usize)>) {
        let mut ids = Vec::with_capacity(text.len() / 3);
        let mut offsets = Vec::with_capacity(text.len() / 3);
        self.encode_into(text, |id, s, e| {
            ids.push(id);
            offsets.push((s, e));
        });
        (ids, offsets)
    }

    /// The text of `ids`, added tokens included; invalid UTF-8 becomes U+FFFD and unknown ids
    /// are left out.
    pub(crate) fn decode(&self, ids: &[u32]) -> String {
        let mut out = Vec::with_capacity(ids.len() * 4);
        for id in ids {
            if let Some(b) = self.bytes.get(*id as usize) {
                out.extend_from_slice(b);
            }
        }
        match String::from_utf8(out) {
            Ok(s) => s,
            Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
        }
    }

    /// The id of a token given as an added token's text or as a byte-level vocab key.
    pub(crate) fn token_to_id(&self, token: &str) -> Option<u32> {
        if let Some(id) = self.added.get(token) {
            return Some(*id);
        }
        let b = from_byte_level(&unicode_to_bytes(), token)?;
        self.ranks.get(&b)
    }

    /// The added token's text, or the byte-level vocab key, of `id`.
    pub(crate) fn id_to_token(&self, id: u32) -> Option<String> {
        if let Some(t) = self.added_text.get(&id) {
            return Some(t.clone());
        }
        let b = self.bytes.get(id as usize).filter(|b| !b.is_empty())?;
        Some(to_byte_level(&self.byte_chars, b))
    }

    /// The largest id plus one.
    pub(crate) fn vocab_size(&self) -> usize {
        self.bytes.len()
    }

    /// Calls `sink(id, start, end)` for each token of `text`.
    fn encode_into(&self, text: &str, mut sink: impl FnMut(u32, usize, usize)) {
        let mut parts = Vec::new();
        let mut pos = 0;
        if let Some(regex) = &self.added_regex {
            for m in regex.find_iter(text) {
                if m.start() > pos {
                    self.encode_segment(text, pos..m.start(), &mut parts, &mut sink);
                }
                sink(self.added[m.as_str()], m.start(), m.end());
                pos = m.end();
            }
        }
        if pos < text.len() {
            self.encode_segment(text, pos..text.len(), &mut parts, &mut sink);
        }
    }

    /// Encodes `text[range]` as ordinary text; offsets are into `text`.
    fn encode_segment(
        &self,
        text: &str,
        range: std::ops::Range<usize>,
        parts: &mut Vec<(usize, u32)>,
        sink: &mut impl FnMut(u32, usize, usize),
    ) {
        let start = range.start;
        let segment = &text[range];
        self.pretokenizer.for_each_piece(segment, |s, e| {
            let piece = &segment.as_bytes()[s..e];
            let base = start + s;
            match self.ranks.get(piece) {
                Some(id) => sink(id, base, base + piece.len()),
                None => byte_pair_encode(&self.ranks, piece, parts, |id, a, b| {
                    sink(id, base + a, base + b)
                }),
            }
        });
    }
}

fn check_normalizer(normalizer: &Value) -> Result<()> {
    if normalizer.is_null() {
        Ok(())
    } else {
        Err(unsupported(
            "normalizer (only null is supported, tiktoken does not normalise)",
            normalizer,
        ))
    }
}

/// The regex of a `Split` pre-tokenizer followed by a byte-level one without its own regex.
fn split_pattern(pre: &Value) -> Result<&str> {
    let steps = match pre["type"].as_str() {
        Some("Sequence") => pre["pretokenizers"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default(),
        _ => return Err(unsupported("pre_tokenizer", pre)),
    };
    let [split, byte_level] = steps else {
        return Err(unsupported("pre_tokenizer", pre));
    };
    let pattern = split["pattern"]["Regex"].as_str();
    let ok_split = split["type"] == "Split"
        && split["behavior"] == "Isolated"
        && split["invert"].as_bool() != Some(true);
    let ok_byte_level = byte_level["type"] == "ByteLevel"
        && byte_level["add_prefix_space"].as_bool() != Some(true)
        && byte_level["use_regex"].as_bool() == Some(false);
    match pattern {
        Some(pattern) if ok_split && ok_byte_level => Ok(pattern),
        _ => Err(unsupported("pre_tokenizer", pre)),
    }
}

/// The file's merges must be exactly [`derive_merges`] of its ranks: `tokenizers` then merges
/// as tiktoken does (see there), and lego's encoder, which merges by rank, gives its ids.
fn check_merges(merges: &Value, bytes: &[Box<[u8]>], ranks: &Ranks) -> Result<()> {
    let merges = merges
        .as_array()
        .ok_or_else(|| Error::Tokenizer("model.merges is not a list".into()))?;
    let tokens: Vec<Vec<u8>> = bytes.iter().map(|b| b.to_vec()).collect();
    let expected = derive_merges(&tokens);
    if merges.len() != expected.len() {
        return Err(Error::Tokenizer(format!(
            "model.merges holds {} merges, not the {} that the ranks imply",
            merges.len(),
            expected.len()
        )));
    }
    let inverse = unicode_to_bytes();
    let id = |key: &str| from_byte_level(&inverse, key).and_then(|b| ranks.get(&b));
    for (i, (merge, want)) in merges.iter().zip(&expected).enumerate() {
        // Two forms: `["a", "b"]` (tokenizers >= 0.20) and `"a b"` (older files).
        let pair = match merge {
            Value::Array(pair) => match pair.as_slice() {
                [Value::String(l), Value::String(r)] => Some((l.as_str(), r.as_str())),
                _ => None,
            },
            Value::String(s) => s.split_once(' '),
            _ => None,
        };
        let got = pair.and_then(|(l, r)| Some((id(l)?, id(r)?)));
        if got != Some(*want) {
            return Err(Error::Tokenizer(format!(
                "merge {i} ({merge}) is not the one the ranks imply (lego's encoder merges by rank)"
            )));
        }
    }
    Ok(())
}

fn unsupported(what: &str, value: &Value) -> Error {
    let mut shown = value.to_string();
    if shown.len() > 300 {
        let cut = (0..=300)
            .rev()
            .find(|i| shown.is_char_boundary(*i))
            .unwrap_or(0);
        shown.truncate(cut);
        shown.push_str("...");
    }
    Error::Tokenizer(format!(
        "unsupported {what}: {shown} (lego reads byte-level BPE only)"
    ))
}

fn is_null_or_empty(v: &Value) -> bool {
    v.is_null() || v.as_str() == Some("")
}

fn as_id(v: &Value) -> Option<u32> {
    v.as_u64().and_then(|n| u32::try_from(n).ok())
}

fn set_bytes(table: &mut Vec<Box<[u8]>>, id: u32, b: &[u8]) -> Result<()> {
    let i = id as usize;
    if table.len() <= i {
        table.resize(i + 1, Box::default());
    }
    if !table[i].is_empty() {
        return Err(Error::Tokenizer(format!("id {id} is given to two tokens")));
    }
    table[i] = b.into();
    Ok(())
}
