"""Print transformers' logits and greedy generations for lego-model's parity tests.

Reads a JSON request on stdin:
  {"model": DIR,
   "forward": [{"name": str, "ids": [int, ...]}, ...],
   "generate": [{"name": str, "ids": [int, ...], "max_new_tokens": int}, ...]}
Writes a JSON object on stdout:
  {"forward": {name: [[float] * vocab] * T}, "generate": {name: [new ids]}}

The model is loaded in float32 with eager attention (the plain math reference), whatever dtype the
checkpoint holds. Each sequence runs alone, unpadded, with positions 0..T. Greedy generation is
`generate(do_sample=False)`; its output is cut after the first eos, which transformers pads after.
"""

import json
import sys

import torch
from transformers.utils import logging
from transformers import AutoModelForCausalLM


def main():
    logging.disable_progress_bar()
    request = json.load(sys.stdin)
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
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
