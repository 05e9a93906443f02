"""Write Qwen3's tokenizer.json with the Python `tokenizers` package, not with lego.

Usage: make_hf_tokenizer.py RANKS OUT_DIR

From the tiktoken rank file RANKS (Qwen's `qwen.tiktoken`), builds the byte-level BPE the way
transformers' `TikTokenConverter` does (vocab = ranks, merges = every split of every token into
two tokens, ordered by the rank of the merged token, then of the left and right parts;
`ignore_merges` so a whole pre-token is looked up first), with Qwen's pre-tokenizer regex and
its 26 added tokens, and saves it with `Tokenizer.save` as:

- OUT_DIR/plain/tokenizer.json: the file above, which lego's own encoder must take (fast path);
- OUT_DIR/nfc/tokenizer.json: the same with the NFC normalizer a Qwen checkpoint's own file
  carries, which lego's encoder does not reproduce, so it must load through `tokenizers`.

`tests/it/tokenizer.rs` (`tokenizer_json_written_by_python_tokenizers`) runs it.
"""

import base64
import os
import sys

from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers
from tokenizers import pre_tokenizers, processors

# The same pattern and special tokens the tiktoken parity check uses (one definition).
from tiktoken_parity import QWEN_PATTERN, SPECIAL  # noqa: E402


def bytes_to_unicode():
    """GPT-2's map from bytes to printable chars (the keys of a byte-level vocabulary)."""
    printable = (
        list(range(ord("!"), ord("~") + 1))
        + list(range(ord("¡"), ord("¬") + 1))
        + list(range(ord("®"), ord("ÿ") + 1))
    )
    chars = printable[:]
    extra = 0
    for b in range(256):
        if b not in printable:
            printable.append(b)
            chars.append(256 + extra)
            extra += 1
    return {b: chr(c) for b, c in zip(printable, chars)}


def load_ranks(path):
    ranks = {}
    with open(path, "rb") as f:
        for line in f:
            if line.strip():
                token, rank = line.split()
                ranks[base64.b64decode(token)] = int(rank)
    return ranks


def vocab_and_merges(ranks):
    table = bytes_to_unicode()

    def key(b):
        return "".join(table[x] for x in b)

    vocab = {key(token): rank for token, rank in ranks.items()}
    merges = []
    for token, rank in sorted(ranks.items(), key=lambda item: item[1]):
        local = []
        for cut in range(1, len(token)):
            left, right = token[:cut], token[cut:]
            if left in ranks and right in ranks:
                local.append((ranks[left], ranks[right], left, right))
        local.sort()
        merges.extend((key(left), key(right)) for _, _, left, right in local)
    return vocab, merges


def build(vocab, merges, first_added, normalizer):
    tok = Tokenizer(models.BPE(vocab=vocab, merges=merges, ignore_merges=True))
    if normalizer is not None:
        tok.normalizer = normalizer
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split(Regex(QWEN_PATTERN), behavior="isolated", invert=False),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
        ]
    )
    tok.decoder = decoders.ByteLevel()
    tok.post_processor = processors.ByteLevel(trim_offsets=False)
    tok.add_special_tokens([AddedToken(t, special=True, normalized=False) for t in SPECIAL])
    for i, t in enumerate(SPECIAL):
        assert tok.token_to_id(t) == first_added + i, t
    return tok


def main():
    ranks_path, out_dir = sys.argv[1:3]
    ranks = load_ranks(ranks_path)
    vocab, merges = vocab_and_merges(ranks)
    for name, normalizer in [("plain", None), ("nfc", normalizers.NFC())]:
        os.makedirs(os.path.join(out_dir, name), exist_ok=True)
        tok = build(vocab, merges, len(ranks), normalizer)
        tok.save(os.path.join(out_dir, name, "tokenizer.json"))


if __name__ == "__main__":
    main()
