"""Print transformers' RoPE inverse frequencies for the cases lego-model's parity test checks.

Reads a JSON list of cases on stdin: {"name", "config": <Qwen3 config.json dict>, "seq_len": int|null}.
Writes a JSON list of {"name", "inv_freq": [...], "attention_factor": float} on stdout.

transformers 5 keeps the scaled RoPE types in `modeling_rope_utils.ROPE_INIT_FUNCTIONS`
(`fn(config, device, seq_len=None, layer_type=None) -> (inv_freq, attention_factor)`); plain RoPE
is not in that table but is `Qwen3RotaryEmbedding.compute_default_rope_parameters(config)`. Both
read `config.rope_parameters`, which `Qwen3Config` builds from either `rope_theta` + `rope_scaling`
or `rope_parameters`. They compute in float32.
"""

import json
import sys

from transformers import Qwen3Config
from transformers.modeling_rope_utils import ROPE_INIT_FUNCTIONS
from transformers.models.qwen3.modeling_qwen3 import Qwen3RotaryEmbedding


def main():
    out = []
    for case in json.load(sys.stdin):
        config = Qwen3Config(**case["config"])
        rope_type = config.rope_parameters.get("rope_type", "default")
        if rope_type == "default":
            inv_freq, attention_factor = Qwen3RotaryEmbedding.compute_default_rope_parameters(config)
        else:
            fn = ROPE_INIT_FUNCTIONS[rope_type]
            inv_freq, attention_factor = fn(config, "cpu", seq_len=case.get("seq_len"))
        out.append(
            {
                "name": case["name"],
                "rope_type": rope_type,
                "inv_freq": [float(x) for x in inv_freq.tolist()],
                "attention_factor": float(attention_factor),
            }
        )
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
