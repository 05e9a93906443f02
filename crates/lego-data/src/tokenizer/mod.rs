//! Byte-level BPE tokenizers of the tiktoken kind (Qwen2/2.5/3).
//!
//! - [`import_tiktoken`] turns a tiktoken rank file into a Hugging Face `tokenizer.json` that
//!   `tokenizers` reads and that encodes exactly as tiktoken does.
//! - [`Tokenizer`] loads any `tokenizer.json`. Where lego's own encoder reproduces the file
//!   exactly (`encoder.rs`: byte-level BPE with a verified pre-tokenizer regex, the merges its
//!   ranks imply, plain added tokens) it encodes with tiktoken's algorithm: added tokens first,
//!   then the pre-tokenizer regex, then a whole-piece lookup or byte-pair merges by lowest rank.
//!   Anything else (normalizers, other patterns or models) goes through the `tokenizers` crate
//!   (`hf.rs`), built without network code.
//! - [`Tokenizer::from_file_cached`] saves what a file compiles to in a directory the caller
//!   names (`cache.rs`), keyed by a hash of the file's contents: Qwen3's 18 MB file then loads
//!   in milliseconds instead of a parse and a check of its 294,166 merges.

mod auto;
mod bpe;
mod cache;
mod encoder;
mod file;
mod hf;
mod pretokenize;
mod tiktoken;

#[cfg(test)]
mod tests;

use std::fmt;
use std::str::FromStr;

use crate::error::Error;

pub use auto::{Backend, Tokenizer};
pub use tiktoken::{import_tiktoken, import_tiktoken_file};

/// Token ids with the byte range of each token in the encoded text.
pub(crate) type Encoded = (Vec<u32>, Vec<(usize, usize)>);

/// The pre-tokenizer pattern of Qwen2/2.5/3 (tiktoken's `pat_str`).
pub(crate) const QWEN_PATTERN: &str = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

/// A model family whose rank file [`import_tiktoken`] knows how to complete: its pre-tokenizer
/// pattern and its special and added tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Preset {
    /// Qwen3 (and Qwen2/2.5): 151,643 ranks, then 26 added tokens from id 151643.
    Qwen3,
}

const QWEN3_ADDED: &[&str] = &[
    "<|endoftext|>",
    "<|im_start|>",
    "<|im_end|>",
    "<|object_ref_start|>",
    "<|object_ref_end|>",
    "<|box_start|>",
    "<|box_end|>",
    "<|quad_start|>",
    "<|quad_end|>",
    "<|vision_start|>",
    "<|vision_end|>",
    "<|vision_pad|>",
    "<|image_pad|>",
    "<|video_pad|>",
    "<tool_call>",
    "</tool_call>",
    "<|fim_prefix|>",
    "<|fim_middle|>",
    "<|fim_suffix|>",
    "<|fim_pad|>",
    "<|repo_name|>",
    "<|file_sep|>",
    "<tool_response>",
    "</tool_response>",
    "<think>",
    "</think>",
];

impl Preset {
    /// The pre-tokenizer regex, in the syntax of tiktoken and `tokenizers` (one lookahead).
    pub fn pattern(self) -> &'static str {
        match self {
            Preset::Qwen3 => QWEN_PATTERN,
        }
    }

    /// The number of ranks the rank file must hold (ranks `0..n`); added ids start at `n`.
    pub fn rank_count(self) -> u32 {
        match self {
            Preset::Qwen3 => 151_643,
        }
    }

    /// The special and added tokens with their ids, in id order.
    pub fn added_tokens(self) -> impl Iterator<Item = (u32, &'static str)> {
        let table = match self {
            Preset::Qwen3 => QWEN3_ADDED,
        };
        let first = self.rank_count();
        table
            .iter()
            .enumerate()
            .map(move |(i, t)| (first + i as u32, *t))
    }
}

impl FromStr for Preset {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "qwen3" => Ok(Preset::Qwen3),
            other => Err(Error::Tokenizer(format!(
                "unknown preset `{other}` (known: qwen3)"
            ))),
        }
    }
}

impl fmt::Display for Preset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Preset::Qwen3 => "qwen3",
        })
    }
}

/// A tokenizer of the 256 single bytes and Qwen3's added tokens (ids 256 and up), for tests
/// that need real encoding but no vocabulary file.
#[cfg(test)]
pub(crate) fn byte_tokenizer() -> Tokenizer {
    let tokens: Vec<Vec<u8>> = (0..=255u8).map(|b| vec![b]).collect();
    let added: Vec<(u32, &str)> = Preset::Qwen3
        .added_tokens()
        .enumerate()
        .map(|(i, (_, t))| (256 + i as u32, t))
        .collect();
    let json = tiktoken::tokenizer_json(&tokens, QWEN_PATTERN, &added).expect("valid tokens");
    Tokenizer::from_json_str(&json).expect("lego's own file loads")
}

/// GPT-2's reversible map from bytes to printable characters, used for the keys of a byte-level
/// vocabulary: printable Latin-1 bytes map to themselves, the others to U+0100 and up.
pub(crate) fn bytes_to_unicode() -> [char; 256] {
    let mut table = ['\0'; 256];
    let mut extra = 0u32;
    for b in 0..=255u8 {
        let printable = matches!(b, b'!'..=b'~' | 0xA1..=0xAC | 0xAE..=0xFF);
        let code = if printable {
            u32::from(b)
        } else {
            extra += 1;
            255 + extra
        };
        table[usize::from(b)] = char::from_u32(code).expect("codes below 0x200 are chars");
    }
    table
}

/// The inverse of [`bytes_to_unicode`]: the byte of each char, for chars below U+0200.
pub(crate) fn unicode_to_bytes() -> [Option<u8>; 0x200] {
    let mut table = [None; 0x200];
    for (b, c) in bytes_to_unicode().iter().enumerate() {
        table[*c as usize] = Some(u8::try_from(b).expect("index of a 256-entry table"));
    }
    table
}

/// The byte-level string of `bytes`.
pub(crate) fn to_byte_level(table: &[char; 256], bytes: &[u8]) -> String {
    bytes.iter().map(|b| table[usize::from(*b)]).collect()
}

/// The bytes of a byte-level string, or `None` if it holds a char outside the map.
pub(crate) fn from_byte_level(table: &[Option<u8>; 0x200], s: &str) -> Option<Vec<u8>> {
    s.chars()
        .map(|c| table.get(c as usize).copied().flatten())
        .collect()
}
