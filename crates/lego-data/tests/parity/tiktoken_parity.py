"""Reference encodings for lego's tokenizer parity test (`tests/it/tokenizer.rs`).

Usage: tiktoken_parity.py RANKS TOKENIZER_JSON CORPUS_JSON

Prints one JSON object: `texts` (the corpus plus chunks of Python standard-library sources,
read here to widen coverage), `tiktoken` (tiktoken's ids of each text, special tokens allowed)
and `hf` (the ids that Hugging Face `tokenizers` gives with lego's tokenizer.json).
"""

import base64
import inspect
import json
import sys

import tiktoken
from tokenizers import Tokenizer

QWEN_PATTERN = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}"
    r"| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
)
SPECIAL = [
    "<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|object_ref_start|>", "<|object_ref_end|>",
    "<|box_start|>", "<|box_end|>", "<|quad_start|>", "<|quad_end|>", "<|vision_start|>",
    "<|vision_end|>", "<|vision_pad|>", "<|image_pad|>", "<|video_pad|>", "<tool_call>",
    "</tool_call>", "<|fim_prefix|>", "<|fim_middle|>", "<|fim_suffix|>", "<|fim_pad|>",
    "<|repo_name|>", "<|file_sep|>", "<tool_response>", "</tool_response>", "<think>", "</think>",
]  # fmt: skip
STDLIB_MODULES = ["textwrap", "difflib", "json.decoder", "string", "argparse", "unittest.case"]
CHUNK_LINES = 60


def load_ranks(path):
    ranks = {}
    with open(path, "rb") as f:
        for line in f:
            if line.strip():
                token, rank = line.split()
                ranks[base64.b64decode(token)] = int(rank)
    return ranks


def stdlib_chunks():
    import importlib

    for name in STDLIB_MODULES:
        lines = inspect.getsource(importlib.import_module(name)).splitlines(keepends=True)
        for i in range(0, len(lines), CHUNK_LINES):
            yield "".join(lines[i : i + CHUNK_LINES])


def main():
    ranks_path, tokenizer_json, corpus_path = sys.argv[1:4]
    ranks = load_ranks(ranks_path)
    first = len(ranks)
    enc = tiktoken.Encoding(
        "qwen",
        pat_str=QWEN_PATTERN,
        mergeable_ranks=ranks,
        special_tokens={t: first + i for i, t in enumerate(SPECIAL)},
    )
    hf = Tokenizer.from_file(tokenizer_json)
    with open(corpus_path, encoding="utf-8") as f:
        texts = json.load(f)
    texts += list(stdlib_chunks())
    json.dump(
        {
            "texts": texts,
            "tiktoken": [enc.encode(t, allowed_special="all") for t in texts],
            "hf": [hf.encode(t).ids for t in texts],
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main()
