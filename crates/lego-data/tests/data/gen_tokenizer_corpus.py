"""Writes tokenizer_corpus.json: texts on which lego's tokenizer must equal tiktoken.

Run from this directory: `python gen_tokenizer_corpus.py`. Deterministic (fixed seed), so a
rerun reproduces the committed file.
"""

import json
import random

PYTHON = '''import os
from typing import Optional


class Cache:
    """A tiny LRU cache."""

    def __init__(self, size: int = 128) -> None:
        self.size = size
        self._data: dict[str, bytes] = {}

    def get(self, key: str) -> Optional[bytes]:
        if key not in self._data:
            return None
        value = self._data.pop(key)
        self._data[key] = value  # move to the end
        return value


def main():
	for i in range(10):
		print(f"{i:>4d} {os.getcwd()!r}")
'''

RUST = '''use std::collections::HashMap;

/// Counts words.
pub fn count(text: &str) -> HashMap<&str, usize> {
    let mut map = HashMap::new();
    for word in text.split_whitespace() {
        *map.entry(word).or_insert(0) += 1;
    }
    map
}

#[cfg(test)]
mod tests {
    #[test]
    fn counts() {
        assert_eq!(super::count("a b a")["a"], 2);
    }
}
'''

JS = '''const express = require('express');
const app = express();

app.get('/api/:id', async (req, res) => {
  const { id } = req.params;
  if (!id || id.length > 0x20) {
    return res.status(400).json({ error: `bad id ${id}` });
  }
  res.json({ ok: true, id, ts: Date.now() });
});

module.exports = app;
'''

DIFF = '''diff --git a/src/utils.py b/src/utils.py
index 3b18e51..a9c2f4d 100644
--- a/src/utils.py
+++ b/src/utils.py
@@ -10,7 +10,8 @@ def parse(value):
     if value is None:
-        return 0
+        return None
+    value = value.strip()
     try:
         return int(value)
     except ValueError:
'''

TRACEBACK = '''============================= test session starts ==============================
platform linux -- Python 3.11.9, pytest-8.2.0, pluggy-1.5.0
rootdir: /testbed
collected 3 items

tests/test_utils.py .F.                                                  [100%]

=================================== FAILURES ===================================
_________________________________ test_parse ___________________________________

    def test_parse():
>       assert parse(" 42 ") == 42
E       AssertionError: assert None == 42
E        +  where None = parse(' 42 ')

tests/test_utils.py:7: AssertionError
=========================== short test summary info ============================
FAILED tests/test_utils.py::test_parse - AssertionError: assert None == 42
========================= 1 failed, 2 passed in 0.03s ==========================
'''

JSON_TEXT = json.dumps(
    {
        "name": "execute_bash",
        "arguments": {"command": "cd /testbed && python -m pytest -x -q", "timeout": 120},
        "nested": [1, 2.5, -3e-7, None, True, {"k": "v\\n\"quoted\""}],
        "unicode": "naïve café 日本語",
    },
    indent=2,
    ensure_ascii=False,
)

FIXED = [
    "",
    " ",
    "  ",
    "\n",
    "\t",
    "a",
    "hello world",
    "hello   world",
    "hello   world   ",
    "a \n  b",
    "x  \t\ny",
    "\n\n\n",
    "\r\n\r\n  \r\n",
    "line one\r\nline two\r\n\r\n",
    "trailing spaces   \nnext line\t\t\n",
    "    \n        \n\t\t\n",
    "\t\tindented with tabs\n\t  \tmixed \t tabs",
    " " * 50 + "x",
    " " * 300,
    "\t" * 17 + "y",
    "a" + " \t" * 20 + "b",
    "\u00a0\u00a0non-breaking\u2003em space\u3000ideographic",
    "12345 3.14159 1e-10 0xFF 1,000,000 -42 +7 2024-01-31 12:30:45",
    "1234567890" * 5,
    "don't I'M we'll they'RE she's it'd you've DON'T",
    "'s 'S 'll ''' \"quoted\" `backticks`",
    "!!! ??? ... --- === *** ### @@@ $$$ %%% ^^^ &&& ((( ))) [[[ ]]] {{{ }}}",
    "a->b => c::d <= e >= f != g == h && i || j",
    "中文分词测试：今天天气很好，我们去公园散步吧。",
    "日本語のテキスト、カタカナとひらがなと漢字。",
    "مرحبا بالعالم، هذا نص عربي.",
    "नमस्ते दुनिया, यह हिंदी पाठ है।",
    "Привет, мир! Это русский текст.",
    "안녕하세요 세계, 한국어 텍스트입니다.",
    "สวัสดีชาวโลก นี่คือข้อความภาษาไทย",
    "Γειά σου Κόσμε, עברית, ქართული, Ελληνικά",
    "emoji 😀😃😄 👍🏽 family 👨‍👩‍👧‍👦 flags 🇺🇸🇯🇵🇩🇪 ❤️‍🔥 🏳️‍🌈",
    "combining: e\u0301 a\u0308 n\u0303 Z\u0335\u0321\u0322a\u0336\u031blgo",
    "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\nhello<|im_end|>\n",
    "<tool_call>\n{\"name\": \"finish\", \"arguments\": {}}\n</tool_call>",
    "<tool_response>\nok\n</tool_response><think>\nhmm\n</think>",
    "<|endoftext|><|endoftext|>text<|fim_prefix|>a<|fim_suffix|>b<|fim_middle|>",
    "<|im_start|<|im_end|> <|im_start|> partial <tool_call </tool_call>>",
    "<|vision_start|><|image_pad|><|vision_end|><|file_sep|><|repo_name|>",
    "ſ 'ſ ß ẞ ﬁ ﬂ Å Å",
    "\x00\x01\x02 control \x1b[31mred\x1b[0m \x7f",
    "https://example.com/path?q=1&r=two#frag user@example.org",
    "C:\\Users\\name\\AppData\\Local\\Temp\\file.txt",
    "$ ls -la /testbed && git diff HEAD~1 | head -n 20",
    PYTHON,
    RUST,
    JS,
    DIFF,
    TRACEBACK,
    JSON_TEXT,
]

ALPHABET = (
    list("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
    + list(" \t\n\r  \u00a0\u3000")
    + list("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")
    + list("éüñçøåß中文日本語한국어عربيहिंदीрусский🙂👍🏽\u200d\u0301")
    + ["'s", "'ll", "'RE", "<|im_end|>", "<think>", "\r\n", "    ", "\t\t", "123", "0x1F"]
)


def random_mix(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(ALPHABET) for _ in range(n))


def main() -> None:
    rng = random.Random(20240131)
    texts = list(FIXED)
    texts += [random_mix(rng, rng.randint(1, 40)) for _ in range(200)]
    # Long single pieces (the encoder's heap merge): letters, CJK, punctuation, spaces.
    texts.append("".join(rng.choice("abcdefghijklmnopqrstuvwxyzABCDEFGHIJ") for _ in range(2000)))
    texts.append("".join(rng.choice("的一是不了人我在有他这中大来上国个到说们") for _ in range(600)))
    texts.append(" " + "".join(rng.choice("=-*#/+") for _ in range(400)) + "\n\n")
    texts.append("x" + " " * 1000 + "y" + "\t " * 200)
    texts += [random_mix(rng, rng.randint(200, 2000)) for _ in range(20)]
    # Code-shaped mixes: indentation runs before words, digits and punctuation.
    for _ in range(50):
        lines = []
        for _ in range(rng.randint(3, 30)):
            indent = rng.choice(["", "    ", "        ", "\t", "\t\t", "  \t", "   "])
            body = random_mix(rng, rng.randint(0, 30))
            tail = rng.choice(["", " ", "  ", "\t", "   "])
            lines.append(indent + body + tail)
        texts.append(rng.choice(["\n", "\r\n"]).join(lines))
    with open("tokenizer_corpus.json", "w", encoding="utf-8") as f:
        json.dump(texts, f, ensure_ascii=False, indent=0)
        f.write("\n")


if __name__ == "__main__":
    main()
