"""transformers' side of `cargo xtask bench model`: prefill and greedy decode throughput.

Usage: python model_bench.py MODEL_DIR THREADS PREFILL_LEN REPEATS NEW_TOKENS ROUNDS PROMPT_IDS_JSON

Loads the checkpoint in float32 with SDPA attention on the CPU, limited to THREADS intra-op
threads (the same number lego uses), and prints JSON:
  {"prefill_s": best over ROUNDS of the seconds for REPEATS forwards of PREFILL_LEN tokens (logits of every position),
   "generate_s": best over ROUNDS of the seconds for one greedy `generate` of exactly NEW_TOKENS tokens,
   "ids": the generated ids}
Token ids of the prefill are 1..=PREFILL_LEN modulo the vocabulary, as on lego's side.
"""

import json
import sys
import time

import torch
from transformers import AutoModelForCausalLM
from transformers.utils import logging


def main():
    logging.set_verbosity_error()
    model_dir, threads, prefill_len, repeats, new_tokens, rounds = sys.argv[1:7]
    prompt = json.loads(sys.argv[7])
    torch.set_num_threads(int(threads))
    model = AutoModelForCausalLM.from_pretrained(
        model_dir, dtype=torch.float32, attn_implementation="sdpa"
    ).eval()
    vocab = model.config.vocab_size
    ids = (torch.arange(1, int(prefill_len) + 1) % vocab).unsqueeze(0)
    with torch.inference_mode():
        model(ids)  # warm-up
        prefill_s = float("inf")
        for _ in range(int(rounds)):
            start = time.perf_counter()
            for _ in range(int(repeats)):
                model(ids).logits
            prefill_s = min(prefill_s, time.perf_counter() - start)

        prompt_t = torch.tensor([prompt])
        n = int(new_tokens)
        kwargs = dict(
            attention_mask=torch.ones_like(prompt_t),
            max_new_tokens=n,
            min_new_tokens=n,
            do_sample=False,
            pad_token_id=0,
        )
        model.generate(prompt_t, **{**kwargs, "max_new_tokens": 4, "min_new_tokens": 4})
        generate_s = float("inf")
        for _ in range(int(rounds)):
            start = time.perf_counter()
            out = model.generate(prompt_t, **kwargs)
            generate_s = min(generate_s, time.perf_counter() - start)
    json.dump(
        {"prefill_s": prefill_s, "generate_s": generate_s, "ids": out[0, len(prompt):].tolist()},
        sys.stdout,
    )


if __name__ == "__main__":
    main()
