#!/usr/bin/env python3
"""What `swebench` (5.0.2) reports for the logs of a `lego eval run`, for lego-cli's parity test.

    python swebench_reports.py TASKS.jsonl PREDICTIONS.jsonl RUN_DIR

Prints one JSON object: for every prediction with `RUN_DIR/logs/<id>/test_output.txt`, the report
of `get_eval_report` (with `tests_status`) on that log, keyed by instance id, as swebench writes
it to `report.json`. The tasks name their parser in `log_parser` (default `pytest`).
"""
import json
import sys
from pathlib import Path

from swebench.harness.grading import get_eval_report
from swebench.types import TestSpec


def main() -> None:
    tasks_path, preds_path, run = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
    tasks = {}
    for line in tasks_path.read_text().splitlines():
        task = json.loads(line)
        tasks[task["instance_id"]] = task
    out = {}
    for line in preds_path.read_text().splitlines():
        pred = json.loads(line)
        task = tasks[pred["instance_id"]]
        log = run / "logs" / task["instance_id"] / "test_output.txt"
        if not log.exists():
            continue
        spec = TestSpec(
            instance_id=task["instance_id"],
            image="",
            eval_script_list=[],
            repo="",
            version="",
            FAIL_TO_PASS=task["FAIL_TO_PASS"],
            PASS_TO_PASS=task["PASS_TO_PASS"],
            log_parser=f"parse_log_{task.get('log_parser', 'pytest')}",
            eval_type=task.get("eval_type", "pass_and_fail"),
        )
        out.update(get_eval_report(spec, pred, str(log), include_tests_status=True))
    print(json.dumps(out))


if __name__ == "__main__":
    main()
