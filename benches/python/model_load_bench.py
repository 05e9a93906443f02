"""transformers' side of the load measurement of `cargo xtask bench model`.

Usage: python model_load_bench.py baseline
       python model_load_bench.py load MODEL_DIR

Each run is a fresh process, so its peak RSS (`getrusage`'s `ru_maxrss`, the kernel's
high-water mark, in KiB) belongs to it alone. `baseline` imports torch and transformers and does
one tensor operation, as every load does first; `load` then times `from_pretrained` of the
checkpoint in float32 on the CPU. Prints JSON: {"peak_kib": ...} and, for `load`, "seconds" and
"load_above_kib" (the high-water mark during the load, reset just before it through
/proc/self/clear_refs, above the RSS before it).
"""

import json
import resource
import sys
import time

import torch
from transformers import AutoModelForCausalLM
from transformers.utils import logging


def peak_kib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def status_kib(key):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"no {key} in /proc/self/status")


def main():
    logging.set_verbosity_error()
    torch.ones(8).sum()
    mode = sys.argv[1]
    if mode == "baseline":
        json.dump({"peak_kib": peak_kib()}, sys.stdout)
        return
    if mode != "load":
        sys.exit(f"unknown mode {mode}")
    # The high-water mark so far is the imports'; reset it (Linux's clear_refs 5) so that what
    # follows measures the load alone, on top of the memory before it.
    before = status_kib("VmRSS")
    before_peak = peak_kib()
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    start = time.perf_counter()
    model = AutoModelForCausalLM.from_pretrained(sys.argv[2], dtype=torch.float32)
    seconds = time.perf_counter() - start
    load_peak = status_kib("VmHWM")
    del model
    json.dump(
        {
            "seconds": seconds,
            "peak_kib": max(before_peak, load_peak),
            "load_above_kib": max(0, load_peak - before),
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main()
