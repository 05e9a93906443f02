//! [`LegoEncoder`]: lego's own encoder, tiktoken's algorithm over a `tokenizer.json` whose
//! configuration it reproduces exactly (the fast path of [`Tokenizer`](super::Tokenizer)).

use std::fmt;

use regex::Regex;
use rustc_hash::FxHashMap;
use serde_json::Value;
use serde_json::error::Category;

use super::bpe::{Ranks, Slot, Tokens, byte_pair_encode};
use super::cache::Entry;
use super::file::{FileView, Merges, Vocab};
use super::pretokenize::Pretokenizer;
use super::tiktoken::for_each_merge;
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
/// [`LegoEncoder::from_json`] accepts a file only when this gives the ids `tokenizers` gives:
/// no normalizer; a `Split` (isolated, one of [`VERIFIED_PATTERNS`]) then `ByteLevel` (no prefix
/// space, no regex) pre-tokenizer; a `ByteLevel` decoder; a BPE model with `ignore_merges`, no
/// dropout, byte fallback, prefix or suffix, a byte-level vocabulary with ids `0..n` holding
/// every single byte, and exactly the merges transformers' `TikTokenConverter` derives from
/// those ranks ([`derive_merges`](super::tiktoken::derive_merges), order included: it decides `tokenizers`' ties); added tokens
/// without `lstrip`, `rstrip` or `single_word`, all alike in `normalized` (so `tokenizers`
/// matches them in one leftmost-longest pass, as here). Truncation, padding and the
/// post-processor are ignored by both paths: rendering encodes the text alone.
pub(crate) struct LegoEncoder {
    ranks: Ranks,
    /// What the encoder was built from, kept for the cache and for decoding.
    parts: Parts,
    /// Bytes of the ids past the vocab (`parts.vocab.len()` and up); empty where no token.
    added_bytes: Tokens,
    added: FxHashMap<String, u32>,
    added_text: FxHashMap<u32, String>,
    /// Matches the added tokens, longest first.
    added_regex: Option<Regex>,
    pretokenizer: Pretokenizer,
    byte_chars: [char; 256],
}

/// What [`LegoEncoder`] is built from once a file has passed the checks: all that encoding and
/// decoding read from it, and what the cache of compiled tokenizers stores.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Parts {
    /// The pre-tokenizer regex, one of [`VERIFIED_PATTERNS`].
    pub(crate) pattern: String,
    /// The tokens by rank, which is their id: ids `0..vocab.len()`.
    pub(crate) vocab: Tokens,
    /// The added tokens `(content, id)` in the file's order.
    pub(crate) added: Vec<(String, u32)>,
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
    /// Loads the contents of a `tokenizer.json`; `Error::Tokenizer` says why this encoder does
    /// not apply, `Error::Json` that the text is not JSON.
    pub(crate) fn from_json(json: &str) -> Result<Self> {
        let file: FileView = serde_json::from_str(json).map_err(|e| match e.classify() {
            // Valid JSON of another shape (a root that is not an object, say): not lego's.
            Category::Data => Error::Tokenizer(format!("unexpected shape: {e}")),
            Category::Syntax | Category::Eof | Category::Io => Error::Json(e),
        })?;
        let (parts, ranks) = verify(file)?;
        Self::new(parts, ranks)
    }

    /// Builds the encoder from verified parts, as [`LegoEncoder::from_json`] does after its
    /// checks, repeating those that need no file.
    #[cfg(test)]
    pub(crate) fn from_parts(parts: Parts) -> Result<Self> {
        let ranks = vocab_ranks(&parts.vocab)?;
        Self::new(parts, ranks)
    }

    /// [`LegoEncoder::from_parts`] with the rank table a cache entry saved, which
    /// [`Ranks::from_slots`] checks against the tokens instead of inserting them again.
    pub(crate) fn from_cache(entry: Entry) -> Result<Self> {
        let Entry { parts, slots } = entry;
        if parts.vocab.iter().any(<[u8]>::is_empty) {
            return Err(Error::Tokenizer("vocab has an empty token".into()));
        }
        let ranks = Ranks::from_slots(slots, &parts.vocab).ok_or_else(|| {
            Error::Tokenizer("the saved rank table does not hold the vocab's ranks".into())
        })?;
        Self::new(parts, ranks)
    }

    /// What this encoder was built from.
    pub(crate) fn parts(&self) -> &Parts {
        &self.parts
    }

    /// The rank table, for the cache.
    pub(crate) fn rank_slots(&self) -> &[Slot] {
        self.ranks.slots()
    }

    fn new(parts: Parts, ranks: Ranks) -> Result<Self> {
        if !VERIFIED_PATTERNS.contains(&parts.pattern.as_str()) {
            return Err(Error::Tokenizer(format!(
                "pre-tokenizer pattern `{}` is not one lego's encoder is verified on",
                parts.pattern
            )));
        }
        let pretokenizer = Pretokenizer::new(&parts.pattern)?;
        let n = parts.vocab.len();
        let mut above: Vec<Option<&str>> = Vec::new();
        let mut added = FxHashMap::default();
        let mut added_text = FxHashMap::default();
        for (content, id) in &parts.added {
            if content.is_empty() {
                return Err(Error::Tokenizer("empty added token".into()));
            }
            // An added token that is also a vocab entry keeps its vocab bytes for decoding,
            // and of two added tokens with one id the first one's.
            if let Some(i) = (*id as usize).checked_sub(n) {
                if above.len() <= i {
                    above.resize(i + 1, None);
                }
                above[i].get_or_insert(content.as_str());
            }
            added.insert(content.clone(), *id);
            added_text.insert(*id, content.clone());
        }
        let mut added_bytes = Tokens::with_capacity(above.len(), 0);
        for content in above {
            if !added_bytes.push(content.unwrap_or_default().as_bytes()) {
                return Err(Error::Tokenizer("added tokens hold over 4 GiB".into()));
            }
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
            parts,
            added_bytes,
            added,
            added_text,
            added_regex,
            pretokenizer,
            byte_chars: bytes_to_unicode(),
        })
    }

    /// The bytes of `id`, if it is a token.
    fn bytes(&self, id: u32) -> Option<&[u8]> {
        let id = id as usize;
        let n = self.parts.vocab.len();
        match id.checked_sub(n) {
            None => self.parts.vocab.get(id),
            Some(i) => self.added_bytes.get(i).filter(|b| !b.is_empty()),
        }
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
            if let Some(b) = self.bytes(*id) {
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
        let b = self.bytes(id)?;
        Some(to_byte_level(&self.byte_chars, b))
    }

    /// The largest id plus one.
    pub(crate) fn vocab_size(&self) -> usize {
        self.parts.vocab.len() + self.added_bytes.len()
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

/// Checks every setting of `file` that lego's encoder must reproduce (see [`LegoEncoder`]) and
/// returns what it is built from, with the ranks the merge check built.
fn verify(file: FileView) -> Result<(Parts, Ranks)> {
    check_normalizer(&file.normalizer)?;
    let pattern = split_pattern(&file.pre_tokenizer)?;
    if !VERIFIED_PATTERNS.contains(&pattern) {
        return Err(Error::Tokenizer(format!(
            "pre-tokenizer pattern `{pattern}` is not one lego's encoder is verified on"
        )));
    }
    let pattern = pattern.to_owned();
    let decoder = &file.decoder;
    if decoder["type"] != "ByteLevel" {
        return Err(unsupported("decoder", decoder));
    }

    let model = file.model;
    if model.kind != "BPE" {
        return Err(unsupported("model", &model.kind));
    }
    for (key, value, ok) in [
        (
            "byte_fallback",
            &model.byte_fallback,
            model.byte_fallback.as_bool() != Some(true),
        ),
        (
            "continuing_subword_prefix",
            &model.continuing_subword_prefix,
            is_null_or_empty(&model.continuing_subword_prefix),
        ),
        (
            "end_of_word_suffix",
            &model.end_of_word_suffix,
            is_null_or_empty(&model.end_of_word_suffix),
        ),
        ("dropout", &model.dropout, model.dropout.is_null()),
        // tiktoken looks a whole piece up before merging.
        (
            "ignore_merges",
            &model.ignore_merges,
            model.ignore_merges.as_bool() == Some(true),
        ),
    ] {
        if !ok {
            return Err(unsupported(&format!("model.{key}"), value));
        }
    }
    let vocab = vocab_by_id(model.vocab)?;
    let ranks = vocab_ranks(&vocab)?;
    check_merges(&model.merges, &vocab, &ranks)?;
    let added = added_tokens(&file.added_tokens)?;
    Ok((
        Parts {
            pattern,
            vocab,
            added,
        },
        ranks,
    ))
}

/// The vocab's tokens in id order; ids must be `0..n`, as tiktoken's ranks are.
fn vocab_by_id(vocab: Vocab) -> Result<Tokens> {
    if !vocab.is_object {
        return Err(Error::Tokenizer("model.vocab is not an object".into()));
    }
    if let Some(problem) = vocab.problem {
        return Err(Error::Tokenizer(problem));
    }
    let n = vocab.ids.len();
    let not_ranks = || Error::Tokenizer(format!("vocab ids are not 0..{n} (tiktoken ranks are)"));
    // The entry of each id, in file order.
    let mut entry_of = vec![u32::MAX; n];
    for (entry, &id) in vocab.ids.iter().enumerate() {
        let slot = entry_of.get_mut(id as usize).ok_or_else(not_ranks)?;
        if *slot != u32::MAX {
            return Err(Error::Tokenizer(format!("id {id} is given to two tokens")));
        }
        *slot = u32::try_from(entry).map_err(|_| not_ranks())?;
    }
    // n distinct ids below n: every id is there.
    let mut tokens = Tokens::with_capacity(n, vocab.data.len());
    for entry in entry_of {
        let entry = entry as usize;
        let start = match entry {
            0 => 0,
            _ => vocab.ends[entry - 1] as usize,
        };
        let pushed = tokens.push(&vocab.data[start..vocab.ends[entry] as usize]);
        debug_assert!(
            pushed,
            "the same bytes fitted u32 offsets in the file's order"
        );
    }
    Ok(tokens)
}

/// The ranks of a vocab: every token once, every single byte a token (byte-level BPE can then
/// encode any text).
fn vocab_ranks(vocab: &Tokens) -> Result<Ranks> {
    let ranks = Ranks::from_tokens(vocab).map_err(|token| {
        Error::Tokenizer(format!(
            "vocab holds the token `{}` twice",
            to_byte_level(&bytes_to_unicode(), &token)
        ))
    })?;
    if let Some(b) = (0..=255u8).find(|b| ranks.get(&[*b]).is_none()) {
        return Err(Error::Tokenizer(format!(
            "vocab lacks the single byte {b:#04x}"
        )));
    }
    if vocab.iter().any(<[u8]>::is_empty) {
        return Err(Error::Tokenizer("vocab has an empty token".into()));
    }
    Ok(ranks)
}

/// The added tokens `(content, id)`, refused where `tokenizers` would match them otherwise
/// than lego's one leftmost-longest pass.
fn added_tokens(section: &Value) -> Result<Vec<(String, u32)>> {
    let mut added = Vec::new();
    let mut normalized = None;
    for tok in section.as_array().map(Vec::as_slice).unwrap_or_default() {
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
        added.push((content.to_owned(), id));
    }
    Ok(added)
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

/// The file's merges must be exactly [`derive_merges`](super::tiktoken::derive_merges) of its
/// ranks: `tokenizers` then merges as tiktoken does (see there), and lego's encoder, which
/// merges by rank, gives its ids. Compared as bytes in one pass, nothing allocated per merge.
fn check_merges(merges: &Merges, vocab: &Tokens, ranks: &Ranks) -> Result<()> {
    if !merges.is_list {
        return Err(Error::Tokenizer("model.merges is not a list".into()));
    }
    let token = |id: u32| vocab.get(id as usize).unwrap_or_default();
    let mut derived = 0;
    let mut first_wrong = None;
    for_each_merge(
        vocab.iter(),
        |b| ranks.get(b),
        |l, r| {
            if first_wrong.is_none()
                && (derived >= merges.len() || merges.pair(derived) != (token(l), token(r)))
            {
                first_wrong = Some((derived, l, r));
            }
            derived += 1;
        },
    );
    if merges.len() != derived {
        return Err(Error::Tokenizer(format!(
            "model.merges holds {} merges, not the {derived} that the ranks imply",
            merges.len(),
        )));
    }
    if let Some((i, l, r)) = first_wrong {
        let table = bytes_to_unicode();
        let (got_l, got_r) = merges.pair(i);
        let shown = |b: &[u8]| to_byte_level(&table, b);
        let got = if got_l.is_empty() {
            "malformed".to_owned()
        } else {
            format!("{:?} {:?}", shown(got_l), shown(got_r))
        };
        return Err(Error::Tokenizer(format!(
            "merge {i} ({got}) is not the one the ranks imply ({:?} {:?}; lego's encoder merges \
             by rank)",
            shown(token(l)),
            shown(token(r)),
        )));
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
