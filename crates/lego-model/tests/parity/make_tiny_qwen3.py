"""Write tiny random Qwen3 checkpoints with transformers, for lego-model's parity tests.

Usage: python make_tiny_qwen3.py OUT_DIR

Writes one Hugging Face checkpoint directory per case under OUT_DIR (config.json + safetensors,
as `save_pretrained` writes them) and prints their names as a JSON list. The cases cover what
lego must match: grouped-query attention (4 heads, 2 KV heads), head_dim != hidden/heads, tied and
untied embeddings, YaRN used beyond original_max_position_embeddings, dynamic NTK, the legacy config form, and a
bf16 checkpoint split into shards (model.safetensors.index.json).

Weights are transformers' own initialisation with a larger initializer_range (0.1, so logits are
spread and greedy decoding has no near-ties) and every norm weight perturbed away from 1 (so a
missing or misplaced norm weight shows). Deterministic: torch.manual_seed per case.
"""

import json
import sys
from pathlib import Path

import torch
from transformers.utils import logging
from transformers import Qwen3Config, Qwen3ForCausalLM

BASE = dict(
    vocab_size=1000,
    hidden_size=64,
    intermediate_size=128,
    num_hidden_layers=2,
    num_attention_heads=4,
    num_key_value_heads=2,
    head_dim=16,
    max_position_embeddings=256,
    rms_norm_eps=1e-6,
    initializer_range=0.1,
    bos_token_id=1,
    eos_token_id=2,
    pad_token_id=0,
)

CASES = {
    # GQA 4/2, head_dim = hidden/heads, separate lm_head, new `rope_parameters` form.
    "gqa-untied": dict(tie_word_embeddings=False, rope_parameters={"rope_type": "default", "rope_theta": 10000.0}),
    # head_dim 32 != 64/4, tied embeddings (no lm_head.weight in the file).
    "headdim-tied": dict(head_dim=32, tie_word_embeddings=True, rope_parameters={"rope_type": "default", "rope_theta": 1e6}),
    # YaRN factor 4 over an original 64 positions; the tests run 200 tokens.
    "yarn": dict(
        tie_word_embeddings=False,
        rope_parameters={"rope_type": "yarn", "rope_theta": 10000.0, "factor": 4.0, "original_max_position_embeddings": 64},
    ),
    # Dynamic NTK over max_position_embeddings 64; the tests run 200 tokens, so the base grows.
    "dynamic": dict(
        max_position_embeddings=64,
        tie_word_embeddings=False,
        rope_parameters={"rope_type": "dynamic", "rope_theta": 10000.0, "factor": 2.0},
    ),
}


def build(name, overrides):
    torch.manual_seed(sum(map(ord, name)))
    config = Qwen3Config(**{**BASE, **overrides})
    model = Qwen3ForCausalLM(config).eval()
    with torch.no_grad():
        for pname, p in model.named_parameters():
            if pname.endswith("norm.weight"):
                p.add_(0.1 * torch.randn_like(p))
    return model


def make(out):
    """Writes every case under `out`; returns their names."""
    logging.disable_progress_bar()
    names = []
    for name, overrides in CASES.items():
        model = build(name, overrides)
        model.save_pretrained(out / name)
        names.append(name)
    # The same untied GQA model stored in bf16 and split into shards.
    model = build("gqa-untied", CASES["gqa-untied"]).to(torch.bfloat16)
    model.save_pretrained(out / "sharded-bf16", max_shard_size="100KB")
    names.append("sharded-bf16")
    # The legacy form (`rope_theta` + `rope_scaling`), as released Qwen3 checkpoints have it.
    legacy = out / "yarn-legacy"
    build("yarn", CASES["yarn"]).save_pretrained(legacy)
    config = json.loads((legacy / "config.json").read_text())
    params = config.pop("rope_parameters")
    config["rope_theta"] = params.pop("rope_theta")
    config["rope_scaling"] = params
    (legacy / "config.json").write_text(json.dumps(config, indent=2))
    names.append("yarn-legacy")
    return names


def main():
    json.dump(make(Path(sys.argv[1])), sys.stdout)


if __name__ == "__main__":
    main()
