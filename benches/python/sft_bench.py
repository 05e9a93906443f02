"""The PyTorch + transformers side of `cargo xtask bench sft`: a plain training loop.

Usage: python sft_bench.py REQUEST.json

REQUEST holds the model directory, the examples (`input_ids`, `labels` aligned with the ids,
-100 where no loss), the example indices of every optimizer step (lego's plan), the micro-batch
size, the hyperparameters and the thread count. Each step, as the Hugging Face Trainer does it:
the step's trained tokens are counted first; its examples run in micro-batches, right-padded with
an attention mask; the model's own loss sums the token cross-entropy and divides by that count
(`num_items_in_batch`); gradients accumulate, `clip_grad_norm_` clips them, `torch.optim.AdamW`
steps with the Trainer's decay groups and `get_cosine_schedule_with_warmup` follows. f32, SDPA
attention, THREADS intra-op threads.

Prints JSON: the per-step losses, and the tokens (real and padded) and seconds of every step but
the first (the warm-up).
"""

import json
import math
import sys
import time

import torch
from transformers import AutoModelForCausalLM, Trainer, get_cosine_schedule_with_warmup
from transformers.utils import logging


def main():
    logging.set_verbosity_error()
    with open(sys.argv[1]) as f:
        req = json.load(f)
    torch.set_num_threads(req["threads"])
    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_pretrained(
        req["model"], dtype=torch.float32, attn_implementation="sdpa"
    )
    model.train()
    params = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    decay = set(Trainer.get_decay_parameter_names(None, model))
    groups = [
        {"params": [p for n, p in params if n in decay], "weight_decay": req["weight_decay"]},
        {"params": [p for n, p in params if n not in decay], "weight_decay": 0.0},
    ]
    opt = torch.optim.AdamW(groups, lr=req["learning_rate"], betas=(0.9, 0.999), eps=1e-8)
    total = len(req["steps"])
    sched = get_cosine_schedule_with_warmup(opt, math.ceil(req["warmup_ratio"] * total), total)
    examples = req["examples"]
    micro = req["micro_batch"]

    losses = []
    timed_s, timed_tokens, timed_padded = 0.0, 0, 0
    for k, step in enumerate(req["steps"]):
        start = time.perf_counter()
        batch = [examples[i] for i in step]
        trained = sum(sum(1 for l in e["labels"][1:] if l != -100) for e in batch)
        num_items = torch.tensor(trained)
        loss_sum = 0.0
        tokens = padded = 0
        for m in range(0, len(batch), micro):
            chunk = batch[m : m + micro]
            longest = max(len(e["input_ids"]) for e in chunk)
            ids = torch.zeros(len(chunk), longest, dtype=torch.long)
            labels = torch.full((len(chunk), longest), -100, dtype=torch.long)
            mask = torch.zeros(len(chunk), longest, dtype=torch.long)
            for r, e in enumerate(chunk):
                n = len(e["input_ids"])
                ids[r, :n] = torch.tensor(e["input_ids"])
                labels[r, :n] = torch.tensor(e["labels"])
                mask[r, :n] = 1
                tokens += n
            padded += ids.numel()
            out = model(
                input_ids=ids, attention_mask=mask, labels=labels, num_items_in_batch=num_items
            )
            out.loss.backward()
            loss_sum += out.loss.item()
        torch.nn.utils.clip_grad_norm_(model.parameters(), req["max_grad_norm"])
        opt.step()
        sched.step()
        opt.zero_grad(set_to_none=True)
        elapsed = time.perf_counter() - start
        losses.append(loss_sum)
        if k > 0:
            timed_s += elapsed
            timed_tokens += tokens
            timed_padded += padded
    print(
        json.dumps(
            {
                "losses": losses,
                "timed_s": timed_s,
                "timed_tokens": timed_tokens,
                "timed_padded_tokens": timed_padded,
            }
        )
    )


if __name__ == "__main__":
    main()
