"""Reference rendering for lego's parity test: transformers' apply_chat_template.

Reads lego trajectories (JSONL, step errors already annotated) and, for each, prints one JSON line
with the text the template renders, the token ids of the fast tokenizer, and the labels that
`return_assistant_tokens_mask` gives (-100 where the mask is 0).

usage: render_parity.py TOKENIZER_JSON TRAJECTORIES_JSONL [--no-error-mask]
"""

import json
import os
import sys

from transformers import PreTrainedTokenizerFast

HERE = os.path.dirname(os.path.abspath(__file__))


def hf_messages(traj, error_mask):
    out = []
    for m in traj["messages"]:
        msg = {"role": m["role"], "content": m.get("content") or ""}
        if m["role"] == "assistant":
            calls = []
            for c in m.get("tool_calls") or []:
                args = c["function"]["arguments"]
                try:
                    parsed = json.loads(args)
                    if isinstance(parsed, dict):
                        args = parsed
                except ValueError:
                    pass
                calls.append({"type": "function", "function": {"name": c["function"]["name"], "arguments": args}})
            if calls:
                msg["tool_calls"] = calls
            error = (m.get("step") or {}).get("error")
            msg["masked"] = bool(error_mask and (m.get("turn_mask") or error))
        out.append(msg)
    return out


def main():
    tokenizer_json, trajectories = sys.argv[1], sys.argv[2]
    error_mask = "--no-error-mask" not in sys.argv[3:]
    with open(os.path.join(HERE, "qwen3_nothink.jinja")) as f:
        template = f.read()
    tok = PreTrainedTokenizerFast(tokenizer_file=tokenizer_json)
    with open(trajectories) as f:
        for line in f:
            if not line.strip():
                continue
            traj = json.loads(line)
            messages = hf_messages(traj, error_mask)
            tools = traj.get("tools") or None
            text = tok.apply_chat_template(messages, tools=tools, chat_template=template, tokenize=False)
            enc = tok.apply_chat_template(
                messages,
                tools=tools,
                chat_template=template,
                tokenize=True,
                return_dict=True,
                return_assistant_tokens_mask=True,
            )
            ids = list(enc["input_ids"])
            mask = list(enc["assistant_masks"])
            labels = [i if k else -100 for i, k in zip(ids, mask)]
            print(json.dumps({"instance_id": traj["instance_id"], "text": text, "input_ids": ids, "labels": labels}))


if __name__ == "__main__":
    main()
