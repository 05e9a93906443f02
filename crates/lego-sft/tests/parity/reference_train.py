"""The PyTorch + transformers reference of lego-sft's optimizer steps, for the parity tests.

Usage:
  python reference_train.py make OUT_DIR          writes a tiny random Qwen3 checkpoint
  python reference_train.py train REQUEST.json    trains as the request says, prints JSON

The tiny model: hidden 64, 2 layers, 4 heads / 2 KV heads, head_dim 16, vocab 1000, tied
embeddings, transformers' own initialisation (initializer_range 0.1) with every norm weight
perturbed away from 1, saved by `save_pretrained` in f32.

`train` does what the Hugging Face Trainer does for one global batch per step, written out:
each example runs alone (no packing: the packed run of lego must give the same numbers), the
token cross-entropy is summed over every example of the step and divided by the step's trained
tokens (counted first), gradients accumulate, `clip_grad_norm_` clips them, `torch.optim.AdamW`
steps with the Trainer's decay groups (`Trainer.get_decay_parameter_names`), and the LR follows
`get_cosine_schedule_with_warmup` stepped after each optimizer step. It prints the per-step loss,
LR and grad norm, the names that take weight decay, and writes the final weights as safetensors.
"""

import json
import math
import sys

import torch
from safetensors.torch import save_file
from transformers import Qwen3Config, Qwen3ForCausalLM, Trainer, get_cosine_schedule_with_warmup


def make(out_dir):
    torch.manual_seed(1234)
    config = Qwen3Config(
        vocab_size=1000,
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        head_dim=16,
        max_position_embeddings=512,
        rms_norm_eps=1e-6,
        initializer_range=0.1,
        tie_word_embeddings=True,
        rope_parameters={"rope_type": "default", "rope_theta": 10000.0},
        bos_token_id=1,
        eos_token_id=2,
        pad_token_id=0,
    )
    model = Qwen3ForCausalLM(config)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("norm.weight"):
                p.add_(0.1 * torch.randn_like(p))
    model.save_pretrained(out_dir, safe_serialization=True)
    print(json.dumps({"model": out_dir}))


def train(request_path):
    with open(request_path) as f:
        req = json.load(f)
    torch.set_num_threads(req.get("threads", 1))
    model = Qwen3ForCausalLM.from_pretrained(req["model"], torch_dtype=torch.float32)
    model.train()
    params = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    # The Trainer's names include the tied `lm_head.weight`, which is not a separate parameter.
    decay = set(Trainer.get_decay_parameter_names(None, model)) & {n for n, _ in params}
    groups = [
        {"params": [p for n, p in params if n in decay], "weight_decay": req["weight_decay"]},
        {"params": [p for n, p in params if n not in decay], "weight_decay": 0.0},
    ]
    opt = torch.optim.AdamW(groups, lr=req["learning_rate"], betas=(0.9, 0.999), eps=1e-8)
    total = len(req["steps"])
    warmup = math.ceil(req["warmup_ratio"] * total)
    sched = get_cosine_schedule_with_warmup(opt, warmup, total)
    examples = req["examples"]
    losses, lrs, norms = [], [], []
    for step in req["steps"]:
        batch = [examples[i] for i in step]
        trained = sum(sum(1 for l in e["labels"][1:] if l != -100) for e in batch)
        total_loss = 0.0
        for e in batch:
            ids = torch.tensor([e["input_ids"]])
            labels = torch.tensor(e["labels"])
            logits = model(input_ids=ids).logits[0].float()
            loss = torch.nn.functional.cross_entropy(
                logits[:-1], labels[1:], ignore_index=-100, reduction="sum"
            )
            (loss / trained).backward()
            total_loss += loss.item()
        norm = torch.nn.utils.clip_grad_norm_(model.parameters(), req["max_grad_norm"])
        lrs.append(sched.get_last_lr()[0])
        opt.step()
        sched.step()
        opt.zero_grad(set_to_none=True)
        losses.append(total_loss / trained)
        norms.append(norm.item())
    state = {k: v.detach().contiguous() for k, v in model.state_dict().items()}
    if model.config.tie_word_embeddings:
        state.pop("lm_head.weight", None)
    save_file(state, req["out"])
    print(json.dumps({"losses": losses, "lrs": lrs, "grad_norms": norms, "decay": sorted(decay)}))


if __name__ == "__main__":
    if sys.argv[1] == "make":
        make(sys.argv[2])
    else:
        train(sys.argv[2])
