#!/usr/bin/env python3
"""What the `swebench` package (5.0.2) makes of test logs, for lego-sandbox's parity test.

    python swebench_grade.py CASES.json LOG_DIR

Prints one JSON object:

- `maps`: the distinct status maps that `swebench`'s parsers give, each a list of
  `[test, status]` pairs in the dict's order (the order decides `_resolve_case`), one pair a
  line;
- `parsers`: for every `*.log` under LOG_DIR (by path relative to it) and every parser named
  in CASES.json's `parsers`, the index in `maps` of what `parse_log_<name>` gives;
- `reports`: for every case of CASES.json's `cases` (`name`, `log`, `parser`, `FAIL_TO_PASS`,
  `PASS_TO_PASS`, optional `eval_type` and `no_patch`), the report of `get_eval_report`
  (with `tests_status`) and, when the log gives a result, `get_resolution_status` of it.
"""

import json
import sys
from pathlib import Path

from swebench.harness.grading import (
    get_eval_report,
    get_eval_tests_report,
    get_logs_eval,
    get_resolution_status,
)
from swebench.harness.constants import EvalType
from swebench.harness.log_parsers import PARSER_REGISTRY
from swebench.types import TestSpec


def spec(case: dict) -> TestSpec:
    return TestSpec(
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


def main() -> None:
    cases_path, log_dir = Path(sys.argv[1]), Path(sys.argv[2])
    config = json.loads(cases_path.read_text())
    out = {"maps": [], "parsers": {}, "reports": {}}
    seen = {}
    for log in sorted(log_dir.rglob("*.log")):
        # As it is on disk: the parsers take a string, and lego's take the same string.
        # (get_eval_report reads the file itself, in text mode: CR and CRLF become LF.)
        with open(log, newline="") as f:
            text = f.read()
        maps = {}
        for name in config["parsers"]:
            parsed = PARSER_REGISTRY[f"parse_log_{name}"](text, None)
            pairs = "[" + ",\n ".join(
                json.dumps([k, v], ensure_ascii=False) for k, v in parsed.items()
            ) + "]"
            if pairs not in seen:
                seen[pairs] = len(out["maps"])
                out["maps"].append(pairs)
            maps[name] = seen[pairs]
        out["parsers"][str(log.relative_to(log_dir))] = maps
    for case in config["cases"]:
        test_spec = spec(case)
        log_path = str(log_dir / case["log"])
        prediction = {
            "instance_id": case["name"],
            "model_patch": None if case.get("no_patch") else "diff",
        }
        report = get_eval_report(test_spec, prediction, log_path, include_tests_status=True)
        entry = {"report": report, "resolution": None}
        status_map, found = get_logs_eval(test_spec, log_path)
        if found and not case.get("no_patch"):
            tests = get_eval_tests_report(
                status_map,
                {"FAIL_TO_PASS": case["FAIL_TO_PASS"], "PASS_TO_PASS": case["PASS_TO_PASS"]},
                eval_type=EvalType(test_spec.eval_type),
            )
            entry["resolution"] = get_resolution_status(tests)
        out["reports"][case["name"]] = entry
    # Small enough to commit: each map once, one pair a line, the rest compact.
    maps = ",\n".join(out["maps"])
    rest = {k: v for k, v in out.items() if k != "maps"}
    print('{"maps": [\n' + maps + "\n],")
    print(json.dumps(rest, ensure_ascii=False, indent=1)[1:])


if __name__ == "__main__":
    main()
