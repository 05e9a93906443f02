"""Loads a `lego data export` directory the way each framework loads it and checks that the
batches it would train on hold exactly lego's tokens and loss positions.

Usage: python check_export.py trl|llamafactory EXPORT_DIR EXAMPLES.jsonl TOKENIZER_JSON

EXAMPLES.jsonl is what `lego data render` wrote (lego's `input_ids` and `labels`, the labels
aligned with `input_ids`, -100 where no loss): what `lego sft train` trains on.

- trl: `load_from_disk(EXPORT_DIR)["train"]` into TRL's `SFTTrainer` (a tiny random Qwen3 with
  Qwen3's vocabulary), once unpacked (`max_length=None`, padded batches of 2) and once packed
  (`packing=True`, best-fit decreasing, padding-free rows), and every batch of
  `trainer.get_train_dataloader()` is taken apart into its sequences.
- llamafactory: LLaMA-Factory is not installed (its pins conflict with the venv's transformers),
  so its documented loader contract for `tokenized_path` is run instead, as
  `llamafactory.data.loader.get_dataset` does it: a non-empty directory (`has_tokenized_data`),
  `datasets.load_from_disk` giving a `DatasetDict` whose `train` split becomes the train dataset,
  then the SFT collator's base, transformers' `DataCollatorForSeq2Seq` with
  `label_pad_token_id=-100` and `pad_to_multiple_of=8` as LLaMA-Factory builds it, in batches of 2.

Either way the multiset of (input ids, positions with a label) must equal lego's, and every
label must equal its input token. Prints a JSON summary; exits 1 on the first difference.
"""

import json
import os
import sys
import tempfile
from collections import Counter

import torch


def lego_sequences(path):
    out = []
    with open(path) as f:
        for line in f:
            e = json.loads(line)
            out.append(as_key(e["input_ids"], e["labels"]))
    return out


def as_key(ids, labels):
    ids = [int(t) for t in ids]
    labels = [int(l) for l in labels]
    assert len(ids) == len(labels), "ids and labels differ in length"
    for t, l in zip(ids, labels):
        if l != -100 and l != t:
            fail(f"a label {l} is not its input token {t}")
    # The loss shifts: position 0 never carries a target, so it is not compared.
    trained = tuple(i for i, l in enumerate(labels) if l != -100 and i > 0)
    return (tuple(ids), trained)


def fail(msg):
    print(json.dumps({"ok": False, "error": msg}))
    sys.exit(1)


def compare(name, want, got):
    if len(got) != len(want):
        fail(f"{name}: {len(got)} sequences, lego has {len(want)}")
    missing = Counter(want) - Counter(got)
    if missing:
        ids, trained = next(iter(missing))
        fail(f"{name}: a lego sequence of {len(ids)} tokens ({len(trained)} trained) differs")
    return {"sequences": len(got), "trained": sum(len(t) for _, t in got)}


def tokenizer(path):
    from transformers import PreTrainedTokenizerFast

    return PreTrainedTokenizerFast(
        tokenizer_file=path, eos_token="<|im_end|>", pad_token="<|endoftext|>"
    )


def padded_rows(batch):
    rows = []
    for ids, mask, labels in zip(batch["input_ids"], batch["attention_mask"], batch["labels"]):
        n = int(mask.sum())
        if not bool((mask[:n] == 1).all()) or bool(mask[n:].any()):
            fail("padding is not on the right")
        if bool((labels[n:] != -100).any()):
            fail("a padding position carries a label")
        rows.append(as_key(ids[:n].tolist(), labels[:n].tolist()))
    return rows


def packed_rows(batch):
    ids = batch["input_ids"][0]
    labels = batch["labels"][0]
    pos = batch["position_ids"][0]
    starts = (pos == 0).nonzero().flatten().tolist() + [len(ids)]
    rows = []
    for a, b in zip(starts, starts[1:]):
        if pos[a:b].tolist() != list(range(b - a)):
            fail("positions do not restart per packed sequence")
        rows.append(as_key(ids[a:b].tolist(), labels[a:b].tolist()))
    return rows


def check_trl(export_dir, want, tok_path):
    from datasets import load_from_disk
    from transformers import Qwen3Config, Qwen3ForCausalLM
    from trl import SFTConfig, SFTTrainer

    tok = tokenizer(tok_path)
    torch.manual_seed(0)
    model = Qwen3ForCausalLM(
        Qwen3Config(
            vocab_size=151936,
            hidden_size=16,
            intermediate_size=32,
            num_hidden_layers=1,
            num_attention_heads=2,
            num_key_value_heads=1,
            head_dim=8,
        )
    )
    dataset = load_from_disk(export_dir)["train"]
    longest = max(len(ids) for ids, _ in want)
    report = {}
    for packing in (False, True):
        with tempfile.TemporaryDirectory() as out:
            args = SFTConfig(
                output_dir=out,
                max_length=longest if packing else None,
                packing=packing,
                per_device_train_batch_size=2,
                report_to="none",
                use_cpu=True,
            )
            trainer = SFTTrainer(model=model, args=args, train_dataset=dataset, processing_class=tok)
            rows = []
            for batch in trainer.get_train_dataloader():
                rows.extend(packed_rows(batch) if packing else padded_rows(batch))
        report["packed" if packing else "padded"] = compare(
            f"trl packing={packing}", want, rows
        )
    return report


def check_llamafactory(export_dir, want, tok_path):
    from datasets import DatasetDict, load_from_disk
    from torch.utils.data import DataLoader
    from transformers import DataCollatorForSeq2Seq

    if not (os.path.isdir(export_dir) and len(os.listdir(export_dir)) > 0):
        fail("has_tokenized_data: not a non-empty directory")
    data = load_from_disk(export_dir)
    if not isinstance(data, DatasetDict) or "train" not in data:
        fail("load_from_disk did not give a DatasetDict with a train split")
    train = data["train"]
    if sorted(train.column_names) != ["attention_mask", "input_ids", "labels"]:
        fail(f"columns {train.column_names}")
    collator = DataCollatorForSeq2Seq(
        tokenizer=tokenizer(tok_path),
        label_pad_token_id=-100,
        pad_to_multiple_of=8,
        return_tensors="pt",
    )
    rows = []
    for batch in DataLoader(train, batch_size=2, collate_fn=collator):
        rows.extend(padded_rows(batch))
    return {"padded": compare("llamafactory", want, rows)}


def main():
    fmt, export_dir, examples, tok_path = sys.argv[1:5]
    want = lego_sequences(examples)
    check = {"trl": check_trl, "llamafactory": check_llamafactory}[fmt]
    report = check(export_dir, want, tok_path)
    print(json.dumps({"ok": True, "format": fmt, **report}))


if __name__ == "__main__":
    main()
