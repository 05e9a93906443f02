//! A `tokenizer.json` parsed for lego's encoder in one pass and without a `serde_json::Value`
//! tree: the model's vocab and merges (Qwen3's: 151,643 entries and 294,166 pairs, nearly all
//! of an 18 MB file) go straight into byte arenas as their keys are read; the small sections
//! stay `Value`s for the checks in `encoder.rs`.
//!
//! Parsing records what lego's encoder cannot use (a vocab key that is not byte-level, an id
//! that is not a u32, a vocab that is not an object) instead of failing, so that the checks
//! report the first reason in the same order whatever the file holds.

use std::fmt;

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use super::unicode_to_bytes;

/// The sections of a `tokenizer.json` that lego's encoder reads; everything else is skipped.
/// Absent sections are null, and of a key given twice the last counts, as in a `Value`.
#[derive(Debug, Default)]
pub(crate) struct FileView {
    pub(crate) normalizer: Value,
    pub(crate) pre_tokenizer: Value,
    pub(crate) decoder: Value,
    pub(crate) added_tokens: Value,
    pub(crate) model: ModelView,
}

/// The `model` section: its settings as `Value`s (null when absent), vocab and merges parsed.
/// A model that is not an object reads as one with no keys.
#[derive(Debug, Default)]
pub(crate) struct ModelView {
    pub(crate) kind: Value,
    pub(crate) byte_fallback: Value,
    pub(crate) continuing_subword_prefix: Value,
    pub(crate) end_of_word_suffix: Value,
    pub(crate) dropout: Value,
    pub(crate) ignore_merges: Value,
    pub(crate) vocab: Vocab,
    pub(crate) merges: Merges,
}

// Written out rather than derived: a derived struct also accepts a JSON array, field by field.
impl<'de> Deserialize<'de> for FileView {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(FileVisitor)
    }
}

struct FileVisitor;

impl<'de> Visitor<'de> for FileVisitor {
    type Value = FileView;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a tokenizer.json object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<FileView, A::Error> {
        let mut file = FileView::default();
        while let Some(key) = map.next_key::<Key>()? {
            match key.0.as_str() {
                "normalizer" => file.normalizer = map.next_value()?,
                "pre_tokenizer" => file.pre_tokenizer = map.next_value()?,
                "decoder" => file.decoder = map.next_value()?,
                "added_tokens" => file.added_tokens = map.next_value()?,
                "model" => file.model = map.next_value()?,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(file)
    }
}

impl<'de> Deserialize<'de> for ModelView {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ModelVisitor)
    }
}

struct ModelVisitor;

impl<'de> Visitor<'de> for ModelVisitor {
    type Value = ModelView;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a model")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ModelView, A::Error> {
        let mut model = ModelView::default();
        while let Some(key) = map.next_key::<Key>()? {
            match key.0.as_str() {
                "type" => model.kind = map.next_value()?,
                "byte_fallback" => model.byte_fallback = map.next_value()?,
                "continuing_subword_prefix" => {
                    model.continuing_subword_prefix = map.next_value()?
                }
                "end_of_word_suffix" => model.end_of_word_suffix = map.next_value()?,
                "dropout" => model.dropout = map.next_value()?,
                "ignore_merges" => model.ignore_merges = map.next_value()?,
                "vocab" => model.vocab = map.next_value()?,
                "merges" => model.merges = map.next_value()?,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(model)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<ModelView, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(ModelView::default())
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<ModelView, E> {
        Ok(ModelView::default())
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<ModelView, E> {
        Ok(ModelView::default())
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<ModelView, E> {
        Ok(ModelView::default())
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<ModelView, E> {
        Ok(ModelView::default())
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<ModelView, E> {
        Ok(ModelView::default())
    }
    fn visit_unit<E: de::Error>(self) -> Result<ModelView, E> {
        Ok(ModelView::default())
    }
}

/// An object key; the few keys compared are short, so owning them costs nothing that matters.
struct Key(String);

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(Key)
    }
}

/// `model.vocab` as bytes: entry `i` is `data[ends[i - 1]..ends[i]]` with id `ids[i]`, in file
/// order.
#[derive(Debug, Default)]
pub(crate) struct Vocab {
    /// Whether the section was a JSON object (absent or another type: not).
    pub(crate) is_object: bool,
    pub(crate) data: Vec<u8>,
    pub(crate) ends: Vec<u32>,
    pub(crate) ids: Vec<u32>,
    /// The first entry lego's encoder cannot use, and why; later entries are skipped.
    pub(crate) problem: Option<String>,
}

/// `model.merges` as bytes, either form (`["a", "b"]` or `"a b"`): merge `i` is
/// `data[starts[i]..mids[i]]`, `data[mids[i]..starts[i + 1]]`. A malformed merge (not two
/// byte-level strings) is stored as two empty halves, which no pair of tokens equals.
#[derive(Debug, Default)]
pub(crate) struct Merges {
    /// Whether the section was a JSON array (absent or another type: not).
    pub(crate) is_list: bool,
    pub(crate) data: Vec<u8>,
    /// `starts[i]` and `mids[i]` for each merge, then one more start: `data.len()`.
    pub(crate) starts: Vec<u32>,
    pub(crate) mids: Vec<u32>,
}

impl Merges {
    pub(crate) fn len(&self) -> usize {
        self.mids.len()
    }

    /// The two halves of merge `i`.
    pub(crate) fn pair(&self, i: usize) -> (&[u8], &[u8]) {
        let (s, m, e) = (
            self.starts[i] as usize,
            self.mids[i] as usize,
            self.starts[i + 1] as usize,
        );
        (&self.data[s..m], &self.data[m..e])
    }
}

/// Appends the bytes of the byte-level string `s` to `out`; false, with `out` as it was, when
/// `s` holds a char outside GPT-2's byte map.
fn push_byte_level(table: &[Option<u8>; 0x200], s: &str, out: &mut Vec<u8>) -> bool {
    let before = out.len();
    for c in s.chars() {
        match table.get(c as usize).copied().flatten() {
            Some(b) => out.push(b),
            None => {
                out.truncate(before);
                return false;
            }
        }
    }
    true
}

/// Arena offsets are u32 (half the memory of usize): a file whose vocab or merges hold 4 GiB
/// of token bytes is refused.
fn offset(len: usize) -> Option<u32> {
    u32::try_from(len).ok()
}

impl<'de> Deserialize<'de> for Vocab {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(VocabVisitor)
    }
}

struct VocabVisitor;

impl<'de> Visitor<'de> for VocabVisitor {
    type Value = Vocab;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a vocab")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Vocab, A::Error> {
        let table = unicode_to_bytes();
        let hint = map.size_hint().unwrap_or(0);
        let mut vocab = Vocab {
            is_object: true,
            data: Vec::with_capacity(hint * 8),
            ends: Vec::with_capacity(hint),
            ids: Vec::with_capacity(hint),
            problem: None,
        };
        while let Some(key_ok) = map.next_key_seed(ByteLevelKey {
            table: &table,
            out: &mut vocab.data,
            skip: vocab.problem.is_some(),
        })? {
            let id = map.next_value::<Id>()?;
            if vocab.problem.is_some() {
                continue;
            }
            let start = vocab.ends.last().map_or(0, |e| *e as usize);
            let problem = match (key_ok, id.0) {
                (Err(key), _) => Some(format!("vocab entry `{key}` is not a byte-level token")),
                (Ok(()), _) if vocab.data.len() == start => Some("vocab has an empty token".into()),
                (Ok(()), None) => Some(format!(
                    "vocab entry `{}` has an id that is not a u32",
                    super::to_byte_level(&super::bytes_to_unicode(), &vocab.data[start..])
                )),
                (Ok(()), Some(id)) => {
                    let end = offset(vocab.data.len()).ok_or_else(|| {
                        de::Error::custom("model.vocab holds over 4 GiB of token bytes")
                    })?;
                    vocab.ends.push(end);
                    vocab.ids.push(id);
                    None
                }
            };
            if let Some(p) = problem {
                vocab.data.truncate(start);
                vocab.problem = Some(p);
            }
        }
        Ok(vocab)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vocab, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Vocab::default())
    }

    // Any scalar: not an object.
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Vocab, E> {
        Ok(Vocab::default())
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Vocab, E> {
        Ok(Vocab::default())
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Vocab, E> {
        Ok(Vocab::default())
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Vocab, E> {
        Ok(Vocab::default())
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Vocab, E> {
        Ok(Vocab::default())
    }
    fn visit_unit<E: de::Error>(self) -> Result<Vocab, E> {
        Ok(Vocab::default())
    }
}

/// A vocab key decoded into `out`; `Err(key)` when it is not byte-level. With `skip`, nothing
/// is decoded (a problem was already found).
struct ByteLevelKey<'t> {
    table: &'t [Option<u8>; 0x200],
    out: &'t mut Vec<u8>,
    skip: bool,
}

impl<'de> DeserializeSeed<'de> for ByteLevelKey<'_> {
    type Value = Result<(), String>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for ByteLevelKey<'_> {
    type Value = Result<(), String>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<Self::Value, E> {
        if self.skip || push_byte_level(self.table, s, self.out) {
            Ok(Ok(()))
        } else {
            Ok(Err(s.to_owned()))
        }
    }
}

/// A vocab id: `Some` for a non-negative integer that fits a u32, `None` for anything else.
struct Id(Option<u32>);

impl<'de> Deserialize<'de> for Id {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(IdVisitor)
    }
}

struct IdVisitor;

impl<'de> Visitor<'de> for IdVisitor {
    type Value = Id;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an id")
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Id, E> {
        Ok(Id(u32::try_from(v).ok()))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Id, E> {
        Ok(Id(u32::try_from(v).ok()))
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Id, E> {
        Ok(Id(None))
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Id, E> {
        Ok(Id(None))
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Id, E> {
        Ok(Id(None))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Id, E> {
        Ok(Id(None))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Id, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Id(None))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Id, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Id(None))
    }
}

impl<'de> Deserialize<'de> for Merges {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(MergesVisitor)
    }
}

struct MergesVisitor;

impl<'de> Visitor<'de> for MergesVisitor {
    type Value = Merges;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("merges")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Merges, A::Error> {
        let table = unicode_to_bytes();
        let hint = seq.size_hint().unwrap_or(0);
        let mut merges = Merges {
            is_list: true,
            data: Vec::with_capacity(hint * 8),
            starts: Vec::with_capacity(hint + 1),
            mids: Vec::with_capacity(hint),
        };
        merges.starts.push(0);
        loop {
            let start = merges.data.len();
            let seed = MergeSeed {
                table: &table,
                out: &mut merges.data,
            };
            let Some(mid) = seq.next_element_seed(seed)? else {
                break;
            };
            // A malformed merge: two empty halves.
            let mid = mid.unwrap_or_else(|| {
                merges.data.truncate(start);
                start
            });
            let (Some(mid), Some(end)) = (offset(mid), offset(merges.data.len())) else {
                return Err(de::Error::custom(
                    "model.merges hold over 4 GiB of token bytes",
                ));
            };
            merges.mids.push(mid);
            merges.starts.push(end);
        }
        Ok(merges)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Merges, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Merges::default())
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Merges, E> {
        Ok(Merges::default())
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Merges, E> {
        Ok(Merges::default())
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Merges, E> {
        Ok(Merges::default())
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Merges, E> {
        Ok(Merges::default())
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Merges, E> {
        Ok(Merges::default())
    }
    fn visit_unit<E: de::Error>(self) -> Result<Merges, E> {
        Ok(Merges::default())
    }
}

/// One merge decoded into `out`: `Some(mid)`, the end of its left half in `out`, or `None` when
/// it is malformed (what it appended is then cut off by the caller).
struct MergeSeed<'t> {
    table: &'t [Option<u8>; 0x200],
    out: &'t mut Vec<u8>,
}

impl<'de> DeserializeSeed<'de> for MergeSeed<'_> {
    type Value = Option<usize>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for MergeSeed<'_> {
    type Value = Option<usize>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a merge")
    }

    /// The form of tokenizers >= 0.20: `["a", "b"]`.
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut ok = true;
        let mut mid = 0;
        let mut n = 0;
        while let Some(this_ok) = seq.next_element_seed(HalfSeed {
            table: self.table,
            out: &mut *self.out,
            skip: !ok || n >= 2,
        })? {
            ok &= this_ok;
            n += 1;
            if n == 1 {
                mid = self.out.len();
            }
        }
        Ok((ok && n == 2).then_some(mid))
    }

    /// The older form: `"a b"` (byte-level tokens hold no space: it is `Ġ`).
    fn visit_str<E: de::Error>(self, s: &str) -> Result<Self::Value, E> {
        let Some((l, r)) = s.split_once(' ') else {
            return Ok(None);
        };
        if !push_byte_level(self.table, l, self.out) {
            return Ok(None);
        }
        let mid = self.out.len();
        Ok(push_byte_level(self.table, r, self.out).then_some(mid))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(None)
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
}

/// One half of a `["a", "b"]` merge decoded into `out`: whether it was a byte-level string.
struct HalfSeed<'t> {
    table: &'t [Option<u8>; 0x200],
    out: &'t mut Vec<u8>,
    skip: bool,
}

impl<'de> DeserializeSeed<'de> for HalfSeed<'_> {
    type Value = bool;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for HalfSeed<'_> {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a token")
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<bool, E> {
        Ok(!self.skip && push_byte_level(self.table, s, self.out))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<bool, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(false)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<bool, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(false)
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<bool, E> {
        Ok(false)
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<bool, E> {
        Ok(false)
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<bool, E> {
        Ok(false)
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<bool, E> {
        Ok(false)
    }
    fn visit_unit<E: de::Error>(self) -> Result<bool, E> {
        Ok(false)
    }
}
