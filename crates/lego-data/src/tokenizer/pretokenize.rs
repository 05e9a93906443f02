//! The pre-tokenizer: tiktoken's regex split, run on the `regex` crate.
//!
//! The `regex` crate has no lookaround, and the Qwen/GPT-4 patterns hold one: `\s+(?!\S)`
//! before a final `\s+`. It is emulated: the pattern runs without that alternative, and a
//! match that the final `\s+` made (whitespace only, not ending in a line break) of more than
//! one char that is followed by more text gives its last char back. That is what backtracking
//! does: `\s+` is greedy, so the run ends before a non-space, and `(?!\S)` holds one char
//! earlier; a run at the end of the text matches whole. Runs holding a line break never reach
//! that alternative, `\s*[\r\n]+` takes them first.

use regex_automata::meta::Regex;
use regex_automata::{Anchored, Input};

use crate::error::{Error, Result};

const LOOKAHEAD_ALT: &str = r"|\s+(?!\S)|\s+";

#[derive(Debug, Clone)]
pub(crate) struct Pretokenizer {
    regex: Regex,
    /// Whether `\s+(?!\S)` was taken out of the pattern and is emulated.
    emulate_lookahead: bool,
}

impl Pretokenizer {
    pub(crate) fn new(pattern: &str) -> Result<Self> {
        let (pattern, emulate_lookahead) = match pattern.strip_suffix(LOOKAHEAD_ALT) {
            Some(head) => (format!(r"{head}|\s+"), true),
            None => (pattern.to_owned(), false),
        };
        if ["(?=", "(?!", "(?<=", "(?<!"]
            .iter()
            .any(|l| pattern.contains(l))
        {
            return Err(Error::Tokenizer(format!(
                "unsupported lookaround in pre-tokenizer pattern `{pattern}` (only a final \
                 `\\s+(?!\\S)|\\s+` is supported)"
            )));
        }
        let regex = Regex::new(&pattern).map_err(|e| {
            Error::Tokenizer(format!(
                "pre-tokenizer pattern `{pattern}` does not compile: {e}"
            ))
        })?;
        Ok(Pretokenizer {
            regex,
            emulate_lookahead,
        })
    }

    /// Calls `f` with the byte range of each piece of `text`, in order. Pieces cover the
    /// matches only; with tiktoken's patterns every char is matched.
    pub(crate) fn for_each_piece(&self, text: &str, mut f: impl FnMut(usize, usize)) {
        let mut pos = 0;
        while pos < text.len() {
            // tiktoken's patterns match at every char, so an anchored search (no reverse scan
            // for the start) almost always succeeds; other patterns may skip text.
            let input = Input::new(text).span(pos..text.len());
            let found = match self.regex.search(&input.clone().anchored(Anchored::Yes)) {
                Some(m) => Some(m),
                None => self.regex.search(&input),
            };
            let Some(m) = found else { break };
            let (start, mut end) = (m.start(), m.end());
            if end == start {
                // An empty match (possible with other patterns): step over one char.
                pos = end + text[end..].chars().next().map_or(1, char::len_utf8);
                continue;
            }
            if self.emulate_lookahead && end < text.len() {
                let s = &text[start..end];
                if let Some(last) = s.chars().next_back()
                    && last != '\n'
                    && last != '\r'
                    && last.len_utf8() < s.len()
                    && s.chars().all(char::is_whitespace)
                {
                    end -= last.len_utf8();
                }
            }
            f(start, end);
            pos = end;
        }
    }

    #[cfg(test)]
    pub(crate) fn pieces<'t>(&self, text: &'t str) -> Vec<&'t str> {
        let mut out = Vec::new();
        self.for_each_piece(text, |s, e| out.push(&text[s..e]));
        out
    }
}
