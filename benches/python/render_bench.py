"""The reference side of `lego-benches data`: transformers renders and tokenises the same
trajectories with the same template, in the same run as lego.

Two measurements, both single-threaded Python calling the Rust fast tokenizer:
- `with_masks`: apply_chat_template(..., return_assistant_tokens_mask=True): the same work lego
  does (text, ids and the loss mask);
- `ids_only`: apply_chat_template(..., tokenize=True) without masks: a lower bound for the
  reference.

usage: render_bench.py TOKENIZER_JSON TRAJECTORIES_JSONL REPEATS
prints one JSON object: {"tokens": N, "with_masks_s": S, "ids_only_s": S}
"""

import json
import os
import sys
import time

from transformers import PreTrainedTokenizerFast

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "crates", "lego-data", "tests", "parity"))
from render_parity import hf_messages  # noqa: E402


def main():
    tokenizer_json, trajectories, repeats = sys.argv[1], sys.argv[2], int(sys.argv[3])
    with open(os.path.join(HERE, "..", "..", "crates", "lego-data", "tests", "parity", "qwen3_nothink.jinja")) as f:
        template = f.read()
    tok = PreTrainedTokenizerFast(tokenizer_file=tokenizer_json)
    with open(trajectories) as f:
        trajs = [json.loads(line) for line in f if line.strip()]
    convs = [(hf_messages(t, True), t.get("tools") or None) for t in trajs]

    tokens = 0
    start = time.perf_counter()
    for _ in range(repeats):
        for messages, tools in convs:
            enc = tok.apply_chat_template(
                messages, tools=tools, chat_template=template, tokenize=True,
                return_dict=True, return_assistant_tokens_mask=True,
            )
            tokens += len(enc["input_ids"])
    with_masks = time.perf_counter() - start

    start = time.perf_counter()
    for _ in range(repeats):
        for messages, tools in convs:
            tok.apply_chat_template(messages, tools=tools, chat_template=template, tokenize=True)
    ids_only = time.perf_counter() - start
    print(json.dumps({"tokens": tokens, "with_masks_s": with_masks, "ids_only_s": ids_only}))


if __name__ == "__main__":
    main()
