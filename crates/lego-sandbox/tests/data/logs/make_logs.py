#!/usr/bin/env python3
"""Regenerates the real test logs beside this script by running the test suites of pinned
releases of real PyPI projects (not run by the tests; it needs the network for pip).

    python make_logs.py [--work DIR]

Each log is what lego's test runner records: the test command wrapped in SWE-bench's start
and end markers (`set -x` prints them as `+ : '>>>>> Start Test Output'`), followed by the
command's exit code. To make the logs show failures, the script breaks one function of each
project (a `BREAK` edit below) and marks some tests xfail; everything else is the projects'
own tests as released:

- humanize 4.9.0 (pytest): parametrised ids with spaces, skips (its i18n tests skip
  themselves without the Russian catalogue, which the script removes), xfail and xpass, failures. Three logs: `-rA` plain, `-rA` with
  colours (what parse_log_pytest_v2 is for), and `-v` with the classic progress lines.
- inflection 0.5.1 (pytest): a clean run, every test passing.
- simplejson 3.19.3 (`python -m unittest -v`): skips (no C speedups), failures.
- Django 4.2.16 (`tests/runtests.py --verbosity 2`): docstring descriptions, skips, a
  failure, on two small test modules.
"""

import argparse
import os
import subprocess
import sys
import tarfile
import tempfile
import venv
from pathlib import Path

HERE = Path(__file__).resolve().parent

# Test tools, pinned.
TOOLS = ["pytest==8.3.3", "freezegun==1.5.1", "asgiref==3.8.1", "sqlparse==0.5.1"]
SDISTS = {
    "humanize": "humanize==4.9.0",
    "inflection": "inflection==0.5.1",
    "simplejson": "simplejson==3.19.3",
    "django": "Django==4.2.16",
}

# (file in the unpacked sdist, old text, new text): the breakage that makes tests fail; a file
# whose old text is None is removed.
BREAK = {
    "humanize": [
        # intword's plural: "1.2 million" -> "1.2 millions" (ids with spaces fail)
        ("src/humanize/number.py", 'NS_("million", "million")', 'NS_("million", "millions")'),
        # apnumber(9) is wrong, and its test is marked xfail: XFAIL for 9, XPASS for the rest
        ("src/humanize/number.py", '_("nine"),', '_("nein"),'),
        (
            "tests/test_number.py",
            "def test_apnumber(",
            '@pytest.mark.xfail(reason="broken on purpose by make_logs.py")\ndef test_apnumber(',
        ),
        # no Russian catalogue: the i18n tests that need it skip themselves
        ("src/humanize/locale/ru_RU/LC_MESSAGES/humanize.mo", None, None),
    ],
    "inflection": [],
    "simplejson": [
        ("simplejson/scanner.py", "errmsg = 'Expecting value'", "errmsg = 'Expected value'"),
    ],
    "django": [
        # a wrong result (FAIL) and an exception (ERROR)
        ("django/utils/text.py", '"o": "6",', '"o": "0",'),
        (
            "django/utils/text.py",
            'return re_newlines.sub("\\n", str(text))',
            'return re_newlines.sub("\\n", text.decode())',
        ),
    ],
}


def run(cmd, **kw):
    print("$", " ".join(map(str, cmd)), file=sys.stderr)
    subprocess.run(cmd, check=True, **kw)


def wrapped_run(command: str, cwd: Path, env: dict) -> str:
    """The log of `command` as lego's test runner records it."""
    script = "\n".join(
        [
            "set -uxo pipefail",
            ": '>>>>> Start Test Output'",
            command,
            "SWEBENCH_TEST_EXIT_CODE=$?",
            ": '>>>>> End Test Output'",
            'echo ">>>>> Test Exit Code: $SWEBENCH_TEST_EXIT_CODE"',
        ]
    )
    out = subprocess.run(
        ["bash", "-c", script],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    return out.stdout.decode("utf-8", errors="replace")


def unpack(work: Path, py: Path, name: str) -> Path:
    dl = work / "sdists"
    dl.mkdir(exist_ok=True)
    run([py, "-m", "pip", "download", "--quiet", "--no-deps", "--no-binary", ":all:",
         "--dest", dl, SDISTS[name]])
    version = SDISTS[name].split("==")[1]
    (archive,) = [p for p in dl.iterdir() if p.name.lower().startswith(f"{name}-{version}")]
    dest = work / "src"
    with tarfile.open(archive) as tar:
        tar.extractall(dest, filter="data")
    (root,) = [p for p in dest.iterdir() if p.name.lower() == f"{name}-{version}"]
    for rel, old, new in BREAK[name]:
        path = root / rel
        if old is None:
            path.unlink()
            continue
        text = path.read_text()
        assert text.count(old) == 1, f"{rel}: {old!r} is not there exactly once"
        path.write_text(text.replace(old, new))
    return root


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "lego-real-logs")
    args = ap.parse_args()
    work = args.work.resolve()
    if (work / "src").exists():
        run(["rm", "-rf", work / "src"])
    work.mkdir(parents=True, exist_ok=True)
    env_dir = work / "venv"
    if not env_dir.exists():
        venv.create(env_dir, with_pip=True)
    py = env_dir / "bin" / "python"
    run([py, "-m", "pip", "install", "--quiet", *TOOLS])
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1", PATH=f"{env_dir}/bin:{os.environ['PATH']}")
    env.pop("PYTHONPATH", None)

    logs = {}
    humanize = unpack(work, py, "humanize")
    run([py, "-m", "pip", "install", "--quiet", "--no-deps", humanize])
    pytest = "python -m pytest -p no:cacheprovider"
    logs["humanize_pytest"] = wrapped_run(f"{pytest} -rA --color=no tests", humanize, env)
    logs["humanize_pytest_color"] = wrapped_run(f"{pytest} -rA --color=yes tests", humanize, env)
    logs["humanize_pytest_verbose"] = wrapped_run(
        f"{pytest} -v --color=no -o console_output_style=classic tests/test_number.py"
        " tests/test_i18n.py",
        humanize,
        env,
    )

    inflection = unpack(work, py, "inflection")
    logs["inflection_pytest"] = wrapped_run(f"{pytest} -rA test_inflection.py", inflection, env)

    simplejson = unpack(work, py, "simplejson")
    logs["simplejson_unittest"] = wrapped_run(
        "python -m unittest -v simplejson.tests.test_fail simplejson.tests.test_speedups"
        " simplejson.tests.test_decode",
        simplejson,
        env,
    )

    django = unpack(work, py, "django")
    logs["django_runtests"] = wrapped_run(
        "python tests/runtests.py --verbosity 2 --parallel 1 utils_tests.test_text basic",
        django,
        dict(env, PYTHONPATH=str(django)),
    )

    for name, text in logs.items():
        # The work directory's path would make every regeneration differ.
        text = text.replace(str(work), "/work")
        (HERE / f"{name}.log").write_text(text)
        print(f"wrote {name}.log ({len(text.splitlines())} lines)", file=sys.stderr)


if __name__ == "__main__":
    main()
