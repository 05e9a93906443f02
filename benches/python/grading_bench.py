#!/usr/bin/env python3
"""Grading throughput of the `swebench` package, for `cargo xtask bench grading`.

    python grading_bench.py CASES.json LOG_DIR ROUNDS

Grades every case of CASES.json (`name`, `log`, `parser`, `FAIL_TO_PASS`, `PASS_TO_PASS`,
optional `eval_type` and `no_patch`) ROUNDS times with `get_eval_report`, which reads the log
file, parses it and grades it, as the harness does per instance. Prints `{"seconds": S,
"reports": N, "resolved": R}`; `resolved` counts the resolved reports of one round, so the
caller can check both sides graded alike.
"""

import json
import sys
import time
from pathlib import Path

from swebench.harness.grading import get_eval_report
from swebench.types import TestSpec


def main() -> None:
    cases_path, log_dir, rounds = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
    cases = json.loads(cases_path.read_text())["cases"]
    work = []
    for case in cases:
        spec = TestSpec(
            instance_id=case["name"],
            image="",
            eval_script_list=[],
            repo="",
            version="",
            FAIL_TO_PASS=case["FAIL_TO_PASS"],
            PASS_TO_PASS=case["PASS_TO_PASS"],
            log_parser=f"parse_log_{case['parser']}",
            eval_type=case.get("eval_type", "pass_and_fail"),
        )
        prediction = {
            "instance_id": case["name"],
            "model_patch": None if case.get("no_patch") else "diff",
        }
        work.append((spec, prediction, str(log_dir / case["log"])))
    resolved = 0
    start = time.perf_counter()
    for round_ in range(rounds):
        for spec, prediction, log in work:
            report = get_eval_report(spec, prediction, log, include_tests_status=True)
            if round_ == 0 and report[spec.instance_id]["resolved"]:
                resolved += 1
    seconds = time.perf_counter() - start
    print(json.dumps({"seconds": seconds, "reports": rounds * len(work), "resolved": resolved}))


if __name__ == "__main__":
    main()
