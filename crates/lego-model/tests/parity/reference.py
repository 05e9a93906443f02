"""Serve transformers' outputs for lego-model's parity tests, one JSON request per line.

Run with no arguments, it reads requests from stdin, one JSON object per line, and answers each
with one JSON line on stdout, so that a test binary pays for importing torch once:

  {"model": DIR,
   "forward": [{"name": str, "ids": [int, ...]}, ...],
   "generate": [{"name": str, "ids": [int, ...], "max_new_tokens": int}, ...]}
      answers {"forward": {name: [[float] * vocab] * T}, "generate": {name: [new ids]}}.

The model is loaded in float32 with eager attention (the plain math reference), whatever dtype the
checkpoint holds. Each sequence runs alone, unpadded, with positions 0..T. Greedy generation is
`generate(do_sample=False)`; its output is cut after the first eos, which transformers pads after.
A failed request answers {"error": traceback}.
"""

import json
import sys
import traceback

import torch
from transformers import AutoModelForCausalLM
from transformers.utils import logging


def run(request):
    model = AutoModelForCausalLM.from_pretrained(
        request["model"], dtype=torch.float32, attn_implementation="eager"
    ).eval()
    eos = model.config.eos_token_id
    eos = set(eos if isinstance(eos, list) else [eos] if eos is not None else [])
    out = {"forward": {}, "generate": {}}
    with torch.no_grad():
        for case in request.get("forward", []):
            ids = torch.tensor([case["ids"]])
            out["forward"][case["name"]] = model(ids).logits[0].tolist()
        for case in request.get("generate", []):
            ids = torch.tensor([case["ids"]])
            gen = model.generate(
                ids,
                attention_mask=torch.ones_like(ids),
                max_new_tokens=case["max_new_tokens"],
                do_sample=False,
            )[0, ids.shape[1]:].tolist()
            cut = []
            for t in gen:
                cut.append(t)
                if t in eos:
                    break
            out["generate"][case["name"]] = cut
    return out


def main():
    logging.disable_progress_bar()
    logging.set_verbosity_error()
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            answer = run(json.loads(line))
        except Exception:  # report to the test instead of dying silently
            answer = {"error": traceback.format_exc()}
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
