//! [`HfEncoder`]: any `tokenizer.json` through Hugging Face's `tokenizers` crate, the path for
//! what lego's own encoder does not reproduce (normalizers, other pre-tokenizers and models).

use std::fmt;

use tokenizers::processors::PostProcessorWrapper;

use super::Encoded;
use crate::error::{BoxError, Error, Result};

/// A `tokenizers::Tokenizer` set up to encode a text alone: no post-processor (it would add
/// template tokens such as a BOS, and trim offsets), no truncation, no padding.
pub(crate) struct HfEncoder {
    inner: tokenizers::Tokenizer,
    /// The largest id plus one, added tokens included.
    vocab_size: usize,
}

impl fmt::Debug for HfEncoder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HfEncoder")
            .field("vocab_size", &self.vocab_size)
            .finish_non_exhaustive()
    }
}

impl HfEncoder {
    /// Loads the contents of a `tokenizer.json`; the error is `tokenizers`' own.
    pub(crate) fn from_json_str(json: &str) -> Result<Self, BoxError> {
        let mut inner: tokenizers::Tokenizer = json.parse()?;
        // Rendering encodes a whole chat text as `apply_chat_template` does
        // (`add_special_tokens=False`), and needs offsets into that text as they are.
        inner.with_post_processor(None::<PostProcessorWrapper>);
        inner.with_truncation(None)?;
        inner.with_padding(None);
        let vocab_size = inner
            .get_vocab(true)
            .values()
            .max()
            .map_or(0, |max| *max as usize + 1);
        Ok(HfEncoder { inner, vocab_size })
    }

    pub(crate) fn encode(&self, text: &str) -> Result<Vec<u32>> {
        let encoding = self
            .inner
            .encode_fast(text, false)
            .map_err(|source| encode_error(text, source))?;
        Ok(encoding.get_ids().to_vec())
    }

    /// Byte offsets into `text`; a token holding part of a char gets the whole char's range.
    pub(crate) fn encode_with_offsets(&self, text: &str) -> Result<Encoded> {
        let encoding = self
            .inner
            .encode(text, false)
            .map_err(|source| encode_error(text, source))?;
        Ok((encoding.get_ids().to_vec(), encoding.get_offsets().to_vec()))
    }

    pub(crate) fn decode(&self, ids: &[u32]) -> Result<String> {
        self.inner
            .decode(ids, false)
            .map_err(|source| Error::Tokenizers {
                context: format!("`tokenizers` failed to decode {} ids", ids.len()),
                source,
            })
    }

    pub(crate) fn token_to_id(&self, token: &str) -> Option<u32> {
        self.inner.token_to_id(token)
    }

    pub(crate) fn id_to_token(&self, id: u32) -> Option<String> {
        self.inner.id_to_token(id)
    }

    pub(crate) fn vocab_size(&self) -> usize {
        self.vocab_size
    }
}

fn encode_error(text: &str, source: BoxError) -> Error {
    let head: String = text.chars().take(40).collect();
    Error::Tokenizers {
        context: format!(
            "`tokenizers` failed to encode a text of {} bytes starting {head:?}",
            text.len()
        ),
        source,
    }
}
