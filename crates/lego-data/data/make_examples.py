"""Generates examples.jsonl: hand-written OpenHands-style episodes on made-up Python projects.

Run from this directory: python3 make_examples.py

Nothing here comes from a dataset. Each episode keeps a small in-memory repository so that the
`view` outputs, edit snippets and the final patch agree with each other. The stored `step.error`
of each assistant turn is what lego's classifier must find (a test in `src/examples/tests.rs`).
Each trajectory carries `tools`, read from `openhands_tools.json` beside this script (the one
source of the schemas, which `openhands_tools()` in Rust reads too).
"""
import difflib
import json
import os
import sys

with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "openhands_tools.json")) as _f:
    TOOLS = json.load(_f)

SYSTEM = """You are a software engineering agent working in a sandboxed Linux machine. You solve issues in the Python repository at /testbed by reading code, running commands and editing files with the tools you are given.

<approach>
1. Explore the repository to find the code the issue is about.
2. Write a small script that reproduces the problem and run it.
3. Make the smallest change to the source that fixes the problem; do not edit the tests.
4. Run the script again and the relevant tests to check the fix and look for regressions.
5. Think about edge cases, then call `finish` with a short summary.
</approach>

<rules>
* Use absolute paths with the editor.
* Prefer several small, checked steps to one large change.
* Do not use the network and do not commit with git.
</rules>"""

USER = """<uploaded_files>
/testbed
</uploaded_files>
The Python repository at /testbed has the following issue:

<issue_description>
{issue}
</issue_description>

Change the non-test files in /testbed so that the issue is resolved. The tests have been taken care of: you do not need to modify any test files. Start by exploring the repository, reproduce the problem, fix it, and confirm the fix."""


def done(out, code=0):
    out = out.rstrip("\n")
    return (out + "\n" if out else "") + f"[The command completed with exit code {code}.]"


def numbered(text, start=1):
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines = lines[:-1]
    return "\n".join(f"{i:6}\t{line}" for i, line in enumerate(lines, start))


class Episode:
    def __init__(self, instance_id, issue, files):
        self.instance_id = instance_id
        self.files = dict(files)
        self.original = dict(files)
        self.messages = [
            {"role": "system", "content": SYSTEM},
            {"role": "user", "content": USER.format(issue=issue)},
        ]
        self.next_id = 0

    def step(self, content, name, args, observation, exit_code=None, duration=0.1,
             error=None, turn_mask=False, raw_args=None):
        call_id = f"call_{self.next_id}"
        self.next_id += 1
        arguments = raw_args if raw_args is not None else json.dumps(
            args, ensure_ascii=False, separators=(",", ":"))
        step = {"error": error}
        if exit_code is not None:
            step["exit_code"] = exit_code
        step["duration_s"] = duration
        msg = {"role": "assistant", "content": content,
               "tool_calls": [{"id": call_id, "type": "function",
                               "function": {"name": name, "arguments": arguments}}]}
        if turn_mask:
            msg["turn_mask"] = True
        msg["step"] = step
        self.messages.append(msg)
        if observation is not None:
            self.messages.append({"role": "tool", "content": observation, "tool_call_id": call_id})

    # Tools -----------------------------------------------------------------
    def bash(self, content, command, output, code=0, duration=0.3, error=None, **kw):
        self.step(content, "execute_bash", {"command": command}, done(output, code),
                  exit_code=code, duration=duration, error=error, **kw)

    def view(self, content, path, view_range=None, **kw):
        args = {"command": "view", "path": path}
        text = self.files[path]
        if view_range:
            args["view_range"] = view_range
            lines = text.split("\n")
            end = len(lines) if view_range[1] == -1 else view_range[1]
            body = numbered("\n".join(lines[view_range[0] - 1:end]), view_range[0])
        else:
            body = numbered(text)
        self.step(content, "str_replace_editor", args,
                  f"Here's the result of running `cat -n` on {path}:\n{body}\n", **kw)

    def view_dir(self, content, path="/testbed", **kw):
        entries = sorted({p for f in self.files for p in parents(f, path)})
        listing = "\n".join([path] + entries)
        self.step(content, "str_replace_editor", {"command": "view", "path": path},
                  f"Here's the files and directories up to 2 levels deep in {path}, excluding hidden items:\n{listing}\n", **kw)

    def create(self, content, path, text, **kw):
        self.files[path] = text
        self.step(content, "str_replace_editor", {"command": "create", "path": path, "file_text": text},
                  f"File created successfully at: {path}", **kw)

    def replace(self, content, path, old, new, **kw):
        text = self.files[path]
        args = {"command": "str_replace", "path": path, "old_str": old, "new_str": new}
        if text.count(old) != 1:
            assert text.count(old) == 0, "the examples only use the not-found error"
            self.step(content, "str_replace_editor", args,
                      f"ERROR:\nNo replacement was performed, old_str `{old}` did not appear verbatim in {path}.",
                      error="editor_error", **kw)
            return
        before = text[: text.index(old)]
        self.files[path] = text.replace(old, new)
        first = before.count("\n") + 1
        lines = self.files[path].split("\n")
        lo = max(1, first - 4)
        hi = min(len(lines), first + new.count("\n") + 4)
        snippet = numbered("\n".join(lines[lo - 1:hi]), lo)
        self.step(content, "str_replace_editor", args,
                  f"The file {path} has been edited. Here's the result of running `cat -n` on a snippet of {path}:\n{snippet}\nReview the changes and make sure they are as expected. Edit the file again if necessary.", **kw)

    def think(self, content, thought, **kw):
        self.step(content, "think", {"thought": thought}, "Your thought has been logged.", **kw)

    def finish(self, content, message):
        self.step(content, "finish", {"message": message}, None)

    def record(self, outcome):
        patch = ""
        for path in sorted(self.files):
            old = self.original.get(path)
            new = self.files[path]
            if old == new or old is None and "/reproduce" in path:
                continue
            rel = path.removeprefix("/testbed/")
            patch += f"diff --git a/{rel} b/{rel}\n"
            patch += "".join(difflib.unified_diff(
                (old or "").splitlines(True), new.splitlines(True),
                f"a/{rel}" if old is not None else "/dev/null", f"b/{rel}"))
        return {"instance_id": self.instance_id, "tools": TOOLS, "messages": self.messages,
                "outcome": outcome, "final_patch": patch}


def parents(path, root):
    rel = path.removeprefix(root + "/").split("/")
    out = []
    for depth in range(1, min(len(rel), 2) + 1):
        out.append(root + "/" + "/".join(rel[:depth]))
    return out


def pytest_pass(tests, secs="0.04"):
    n = len(tests)
    return ("============================= test session starts ==============================\n"
            "platform linux -- Python 3.11.9, pytest-8.2.1, pluggy-1.5.0\nrootdir: /testbed\n"
            f"collected {n} items\n\n" + "".join(f"{t} PASSED\n" for t in tests) +
            f"\n============================== {n} passed in {secs}s ===============================")


# 1. pagify: off-by-one in the page count ----------------------------------------------------
def pagify():
    core = '''"""Helpers to split result lists into pages."""


def page_count(total, per_page):
    """Number of pages needed to show `total` items, `per_page` at a time."""
    if per_page <= 0:
        raise ValueError("per_page must be positive")
    return total // per_page


def page(items, number, per_page):
    """The items on page `number` (1-based)."""
    start = (number - 1) * per_page
    return items[start:start + per_page]
'''
    e = Episode("acme__pagify-112",
                "page_count() drops the last partial page\n\n`page_count(10, 3)` returns 3, but 10 items at 3 per page need 4 pages; the UI never shows the last item.",
                {"/testbed/pagify/__init__.py": "from .core import page, page_count\n",
                 "/testbed/pagify/core.py": core,
                 "/testbed/tests/test_core.py": "from pagify import page, page_count\n\n\ndef test_exact():\n    assert page_count(9, 3) == 3\n\n\ndef test_page():\n    assert page([1, 2, 3, 4], 2, 3) == [4]\n",
                 "/testbed/setup.py": "from setuptools import setup\n\nsetup(name='pagify', packages=['pagify'])\n"})
    e.view_dir("I'll start by looking at the layout of the repository.")
    e.view("", "/testbed/pagify/core.py")
    e.create("`page_count` uses floor division, so a partial last page is lost. Let me reproduce it first.",
             "/testbed/reproduce.py",
             "from pagify import page_count\n\nprint(page_count(10, 3))\nassert page_count(10, 3) == 4, 'last partial page is missing'\n")
    e.bash("", "cd /testbed && python reproduce.py",
           "3\nTraceback (most recent call last):\n  File \"/testbed/reproduce.py\", line 4, in <module>\n    assert page_count(10, 3) == 4, 'last partial page is missing'\nAssertionError: last partial page is missing", code=1, duration=0.2)
    e.replace("Reproduced. The count must round up: ceiling division keeps it in integers.",
              "/testbed/pagify/core.py", "    return total // per_page", "    return -(-total // per_page)")
    e.bash("", "cd /testbed && python reproduce.py && python -m pytest tests -q",
           "4\n..                                                                       [100%]\n2 passed in 0.02s", duration=1.1)
    e.finish("Both the reproduction and the existing tests pass.",
             "page_count() now rounds up with ceiling division, so 10 items at 3 per page give 4 pages. Checked with a reproduction script and the test suite.")
    return e.record("resolved")


# 2. cfgload: wrong default, `rg` missing ---------------------------------------------------------
def cfgload():
    loader = '''import json
import os

DEFAULTS = {
    "host": "localhost",
    "port": 8080,
    "timeout": 0,
    "retries": 3,
}


def load_config(path=None, env=os.environ):
    """Read settings from a JSON file, then apply CFG_* environment overrides."""
    config = dict(DEFAULTS)
    if path is not None:
        with open(path) as f:
            config.update(json.load(f))
    for key in config:
        value = env.get("CFG_" + key.upper())
        if value is not None:
            config[key] = type(DEFAULTS[key])(value)
    return config
'''
    tests = '''from cfgload import load_config


def test_defaults():
    config = load_config(env={})
    assert config["port"] == 8080
    assert config["timeout"] == 30


def test_env_override():
    assert load_config(env={"CFG_PORT": "9000"})["port"] == 9000
'''
    readme = "# cfgload\n\nSettings for the acme services.\n\n| key | default |\n|---|---|\n| host | localhost |\n| port | 8080 |\n| timeout | 30 seconds |\n| retries | 3 |\n"
    e = Episode("acme__cfgload-48",
                "Default timeout is 0, so every request times out immediately\n\nThe README says the default `timeout` is 30 seconds, but `load_config()` without a file returns `timeout: 0` and clients give up at once.",
                {"/testbed/cfgload/__init__.py": "from .loader import DEFAULTS, load_config\n",
                 "/testbed/cfgload/loader.py": loader, "/testbed/tests/test_loader.py": tests,
                 "/testbed/README.md": readme})
    e.bash("Let me search for the timeout setting.", "cd /testbed && rg -n timeout",
           "bash: rg: command not found", code=127, duration=0.05, error="command_not_found")
    e.bash("ripgrep is not installed; grep will do.", "cd /testbed && grep -rn timeout --include=*.py --include=*.md .",
           "./README.md:9:| timeout | 30 seconds |\n./cfgload/loader.py:7:    \"timeout\": 0,\n./tests/test_loader.py:7:    assert config[\"timeout\"] == 30")
    e.view("", "/testbed/cfgload/loader.py")
    e.bash("The default in `DEFAULTS` is 0 while the README documents 30. Let me run the tests to see the failure.",
           "cd /testbed && python -m pytest tests/test_loader.py -q",
           "F.                                                                       [100%]\n=================================== FAILURES ===================================\n________________________________ test_defaults _________________________________\n\n    def test_defaults():\n        config = load_config(env={})\n        assert config[\"port\"] == 8080\n>       assert config[\"timeout\"] == 30\nE       assert 0 == 30\n\ntests/test_loader.py:7: AssertionError\n=========================== short test summary info ============================\nFAILED tests/test_loader.py::test_defaults - assert 0 == 30\n1 failed, 1 passed in 0.05s",
           code=1, duration=1.3)
    e.think("", "The environment override casts with type(DEFAULTS[key]); with the default fixed to 30 the type stays int, so CFG_TIMEOUT=45 still parses. A float default like 30.0 would change the type of overrides; keep the int.")
    e.replace("", "/testbed/cfgload/loader.py", '    "timeout": 0,', '    "timeout": 30,')
    e.bash("", "cd /testbed && python -c 'from cfgload import load_config; print(load_config(env={})); print(load_config(env={\"CFG_TIMEOUT\": \"45\"})[\"timeout\"])'",
           "{'host': 'localhost', 'port': 8080, 'timeout': 30, 'retries': 3}\n45")
    e.bash("", "cd /testbed && python -m pytest tests -q", "..                                                                       [100%]\n2 passed in 0.03s", duration=1.0)
    e.bash("Let me make sure nothing else relies on a zero timeout.", "cd /testbed && grep -rn 'timeout.*== *0\\|not .*timeout' --include=*.py .", "", code=1)
    e.finish("", "Changed the default `timeout` in cfgload/loader.py from 0 to 30 seconds, as documented in the README; environment overrides still parse as integers. Tests pass.")
    return e.record("resolved")


# 3. slugkit: accented letters dropped; syntax error, failed edit, a masked turn ----------------------
def slugkit():
    slug = '''import re

_SEPARATORS = re.compile(r"[^a-z0-9]+")


def slugify(text, sep="-"):
    """Lower-case `text` and join its words with `sep`: "Hello World" -> "hello-world"."""
    text = text.lower()
    text = _SEPARATORS.sub(sep, text)
    return text.strip(sep)
'''
    tests = '''# -*- coding: utf-8 -*-
from slugkit import slugify


def test_ascii():
    assert slugify("Hello, World!") == "hello-world"


def test_accents():
    assert slugify("Crème Brûlée à la carte") == "creme-brulee-a-la-carte"


def test_empty():
    assert slugify("") == ""
'''
    e = Episode("acme__slugkit-7",
                "slugify() drops accented letters instead of transliterating them\n\n```python\n>>> slugify(\"Crème Brûlée\")\n'cr-me-br-l-e'\n```\nExpected `'creme-brulee'`.",
                {"/testbed/slugkit/__init__.py": "from .slug import slugify\n",
                 "/testbed/slugkit/slug.py": slug, "/testbed/tests/test_slug.py": tests})
    e.view_dir("Let me look around the repository.")
    e.view("", "/testbed/slugkit/slug.py")
    e.bash("Let me confirm the behaviour.", "cd /testbed && python -c \"from slugkit import slugify; print(slugify('Crème Brûlée')\"",
           "  File \"<string>\", line 1\n    from slugkit import slugify; print(slugify('Crème Brûlée')\n                                      ^\nSyntaxError: '(' was never closed",
           code=1, duration=0.1, error="python_syntax_error")
    e.bash("I missed a closing parenthesis.", "cd /testbed && python -c \"from slugkit import slugify; print(slugify('Crème Brûlée'))\"",
           "cr-me-br-l-e")
    e.step("Hmm, maybe the regex is fine and the terminal encoding is the problem? Let me check the locale.",
           "execute_bash", {"command": "locale"},
           done("LANG=C.UTF-8\nLC_CTYPE=\"C.UTF-8\"\nLC_ALL="), exit_code=0, duration=0.05, turn_mask=True)
    e.think("", "The locale is UTF-8, so the input is fine. The character class [^a-z0-9] treats è, û and é as separators. Decomposing with NFKD and dropping combining marks turns them into their base letters before the regex runs.")
    e.replace("", "/testbed/slugkit/slug.py",
              "def slugify(text, sep=\"-\"):\n    text = text.lower()",
              "def slugify(text, sep=\"-\"):\n    text = unicodedata.normalize(\"NFKD\", text)\n    text = text.lower()")
    e.view("The docstring sits between the signature and the body; let me look again.", "/testbed/slugkit/slug.py", [6, 10])
    e.replace("", "/testbed/slugkit/slug.py",
              "    text = text.lower()\n    text = _SEPARATORS.sub(sep, text)",
              "    text = unicodedata.normalize(\"NFKD\", text)\n    text = \"\".join(c for c in text if not unicodedata.combining(c))\n    text = text.lower()\n    text = _SEPARATORS.sub(sep, text)")
    e.replace("", "/testbed/slugkit/slug.py", "import re\n", "import re\nimport unicodedata\n")
    e.bash("", "cd /testbed && python -c \"from slugkit import slugify; print(slugify('Crème Brûlée')); print(slugify('Ærøskøbing – Straße'))\"",
           "creme-brulee\nr-sk-bing-stra-e")
    e.think("", "Letters such as Æ, ø and ß have no decomposition, so they are still dropped. The issue is about accents, which now work; transliterating the rest would need a table and is out of scope. Mentioning it in the summary.")
    e.bash("", "cd /testbed && python -m pytest tests -v",
           pytest_pass(["tests/test_slug.py::test_ascii", "tests/test_slug.py::test_accents", "tests/test_slug.py::test_empty"]), duration=1.2)
    e.finish("", "slugify() now decomposes text with NFKD and drops combining marks before replacing separators, so accented letters become their base letters ('Crème Brûlée' -> 'creme-brulee'). Letters without a decomposition (ø, ß) are still removed, as before.")
    return e.record("resolved")


# 4. datewin: wrong comparison operator; unknown tool and invalid arguments ---------------------------
def datewin():
    ranges = '''from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class DateRange:
    """A closed range of days: both `start` and `end` belong to it."""

    start: date
    end: date

    def __post_init__(self):
        if self.end < self.start:
            raise ValueError("end before start")

    def __contains__(self, day):
        return self.start <= day <= self.end

    def days(self):
        return (self.end - self.start).days + 1


def overlaps(a, b):
    """Whether two closed ranges share at least one day."""
    return a.start < b.end and b.start < a.end


def merge(ranges):
    """Merge overlapping ranges; the result is sorted by start."""
    out = []
    for r in sorted(ranges, key=lambda r: r.start):
        if out and overlaps(out[-1], r):
            out[-1] = DateRange(out[-1].start, max(out[-1].end, r.end))
        else:
            out.append(r)
    return out
'''
    tests = '''from datetime import date

from datewin.ranges import DateRange, merge, overlaps


def d(n):
    return date(2024, 1, n)


def test_disjoint():
    assert not overlaps(DateRange(d(1), d(3)), DateRange(d(5), d(9)))


def test_shared_end_day():
    assert overlaps(DateRange(d(1), d(5)), DateRange(d(5), d(9)))


def test_merge_touching():
    assert merge([DateRange(d(5), d(9)), DateRange(d(1), d(5))]) == [DateRange(d(1), d(9))]
'''
    e = Episode("acme__datewin-31",
                "overlaps() misses ranges that share their end day\n\n`DateRange` is documented as closed, so `[Jan 1, Jan 5]` and `[Jan 5, Jan 9]` share Jan 5, but `overlaps()` returns False and `merge()` keeps them apart.",
                {"/testbed/datewin/__init__.py": "", "/testbed/datewin/ranges.py": ranges,
                 "/testbed/tests/test_ranges.py": tests})
    e.bash("Let me find the function.", "cd /testbed && grep -rn 'def overlaps\\|def merge' .",
           "./datewin/ranges.py:24:def overlaps(a, b):\n./datewin/ranges.py:29:def merge(ranges):")
    e.step("", "str_replace_editor", {"command": "view", "path": "/testbed/datewin/ranges.py", "view_range": "20-30"},
           "ERROR:\nInvalid `view_range` parameter: 20-30. It should be a list of two integers.", error="invalid_arguments")
    e.view("", "/testbed/datewin/ranges.py", [20, 36])
    e.step("Let me run the tests.", "run_tests", {"path": "tests/test_ranges.py"},
           "ERROR:\nTool run_tests is not registered. Available tools: execute_bash, str_replace_editor, think, finish.",
           error="unknown_tool")
    e.bash("", "cd /testbed && python -m pytest tests/test_ranges.py -q",
           ".FF\n=================================== FAILURES ===================================\n_____________________________ test_shared_end_day ______________________________\n\n    def test_shared_end_day():\n>       assert overlaps(DateRange(d(1), d(5)), DateRange(d(5), d(9)))\nE       AssertionError: assert False\nE        +  where False = overlaps(DateRange(start=datetime.date(2024, 1, 1), end=datetime.date(2024, 1, 5)), DateRange(start=datetime.date(2024, 1, 5), end=datetime.date(2024, 1, 9)))\n\ntests/test_ranges.py:14: AssertionError\n___________________________ test_merge_touching ____________________________\n\n    def test_merge_touching():\n>       assert merge([DateRange(d(5), d(9)), DateRange(d(1), d(5))]) == [DateRange(d(1), d(9))]\nE       AssertionError: assert [DateRange(st... 1, 5), end=datetime.date(2024, 1, 9))] == [DateRange(st... 1, 1), end=datetime.date(2024, 1, 9))]\n\ntests/test_ranges.py:18: AssertionError\n=========================== short test summary info ============================\nFAILED tests/test_ranges.py::test_shared_end_day - AssertionError: assert False\nFAILED tests/test_ranges.py::test_merge_touching - AssertionError: assert [Dat...\n2 failed, 1 passed in 0.06s",
           code=1, duration=1.4)
    e.think("", "Closed ranges share a day iff a.start <= b.end and b.start <= a.end. The strict < treats them as half-open. merge() uses overlaps(), so fixing overlaps fixes both tests.")
    e.replace("", "/testbed/datewin/ranges.py",
              "    return a.start < b.end and b.start < a.end",
              "    return a.start <= b.end and b.start <= a.end")
    e.bash("", "cd /testbed && python -m pytest tests/test_ranges.py -q", "...                                                                      [100%]\n3 passed in 0.03s", duration=1.1)
    e.bash("Let me check single-day ranges too.",
           "cd /testbed && python -c \"from datetime import date as D; from datewin.ranges import DateRange as R, overlaps; print(overlaps(R(D(2024,1,5), D(2024,1,5)), R(D(2024,1,5), D(2024,1,7))), overlaps(R(D(2024,1,1), D(2024,1,4)), R(D(2024,1,5), D(2024,1,7))))\"",
           "True False")
    e.finish("", "overlaps() now compares with <= on both ends, matching DateRange's closed-range semantics; merge() joins touching ranges as a result. Tests pass, and single-day and adjacent-but-disjoint ranges behave as expected.")
    return e.record("resolved")


# 5. userdir: missing None check; a timeout --------------------------------------------------------
def userdir():
    names = '''def display_name(user):
    """The name shown in the directory: the nickname if set, else "First Last"."""
    if user.nickname.strip():
        return user.nickname.strip()
    return f"{user.first} {user.last}".strip()
'''
    e = Episode("acme__userdir-203",
                "display_name() crashes for users without a nickname\n\nUsers imported from LDAP have `nickname = None` and the directory page fails with `AttributeError: 'NoneType' object has no attribute 'strip'`.",
                {"/testbed/userdir/__init__.py": "", "/testbed/userdir/names.py": names,
                 "/testbed/userdir/server.py": "from http.server import HTTPServer, SimpleHTTPRequestHandler\n\nif __name__ == '__main__':\n    HTTPServer(('', 8000), SimpleHTTPRequestHandler).serve_forever()\n",
                 "/testbed/tests/test_names.py": "from types import SimpleNamespace as U\n\nfrom userdir.names import display_name\n\n\ndef test_nickname():\n    assert display_name(U(nickname=' Bo ', first='Robert', last='Lee')) == 'Bo'\n\n\ndef test_no_nickname():\n    assert display_name(U(nickname=None, first='Ann', last='Kim')) == 'Ann Kim'\n"})
    e.step("Let me try the directory server to see the failure.", "execute_bash",
           {"command": "cd /testbed && python -m userdir.server"},
           "^CTraceback (most recent call last):\n  File \"/testbed/userdir/server.py\", line 4, in <module>\n    HTTPServer(('', 8000), SimpleHTTPRequestHandler).serve_forever()\nKeyboardInterrupt\n"
           "[The command timed out after 120 seconds. SIGINT was sent to interrupt the command.]",
           exit_code=-1, duration=120.0, error="command_timeout")
    e.bash("The server runs forever; I should test the function directly instead.", "cd /testbed && grep -rn 'nickname' userdir",
           "userdir/names.py:2:    \"\"\"The name shown in the directory: the nickname if set, else \"First Last\".\"\"\"\nuserdir/names.py:3:    if user.nickname.strip():\nuserdir/names.py:4:        return user.nickname.strip()")
    e.view("", "/testbed/userdir/names.py")
    e.create("", "/testbed/reproduce.py",
             "from types import SimpleNamespace\n\nfrom userdir.names import display_name\n\nprint(display_name(SimpleNamespace(nickname=None, first='Ann', last='Kim')))\n")
    e.bash("", "cd /testbed && python reproduce.py",
           "Traceback (most recent call last):\n  File \"/testbed/reproduce.py\", line 5, in <module>\n    print(display_name(SimpleNamespace(nickname=None, first='Ann', last='Kim')))\n  File \"/testbed/userdir/names.py\", line 3, in display_name\n    if user.nickname.strip():\nAttributeError: 'NoneType' object has no attribute 'strip'",
           code=1, duration=0.2)
    e.replace("", "/testbed/userdir/names.py",
              "    if user.nickname.strip():\n        return user.nickname.strip()",
              "    nickname = (user.nickname or \"\").strip()\n    if nickname:\n        return nickname")
    e.bash("", "cd /testbed && python reproduce.py && python -m pytest tests -q",
           "Ann Kim\n..                                                                       [100%]\n2 passed in 0.02s", duration=1.0)
    e.finish("", "display_name() treats a missing nickname like an empty one, falling back to the first and last name. Reproduction and tests pass.")
    return e.record("resolved")


# 6. csvtool: a long episode with big observations and an import error ------------------------------
def csvtool():
    reader = '''"""A small CSV reader for the acme export format."""

from .dialect import Dialect

__all__ = ["read_rows", "split_line"]


def split_line(line, dialect=Dialect()):
    """Split one line into fields."""
    return line.rstrip("\\r\\n").split(dialect.delimiter)


def read_rows(lines, dialect=Dialect(), header=True):
    """Yield dicts (with a header) or lists of fields."""
    it = iter(lines)
    names = split_line(next(it), dialect) if header else None
    for line in it:
        if not line.strip():
            continue
        fields = split_line(line, dialect)
        yield dict(zip(names, fields)) if names else fields
'''
    dialect = '''from dataclasses import dataclass


@dataclass(frozen=True)
class Dialect:
    delimiter: str = ","
    quote: str = '"'
'''
    cli_lines = ['"""Command line entry point: csvtool FILE [--columns a,b] [--tsv]."""', "", "import argparse", "import sys", "", "from .dialect import Dialect", "from .reader import read_rows", "", ""]
    cli_lines += ["def main(argv=None):", "    parser = argparse.ArgumentParser(prog=\"csvtool\")",
                  "    parser.add_argument(\"file\")", "    parser.add_argument(\"--columns\")",
                  "    parser.add_argument(\"--tsv\", action=\"store_true\")", "    args = parser.parse_args(argv)",
                  "    dialect = Dialect(delimiter=\"\\t\" if args.tsv else \",\")",
                  "    with open(args.file, newline=\"\") as f:", "        for row in read_rows(f, dialect):",
                  "            if args.columns:", "                row = {k: row[k] for k in args.columns.split(\",\")}",
                  "            print(row)", "    return 0", "", "", "if __name__ == \"__main__\":", "    sys.exit(main())", ""]
    cli = "\n".join(cli_lines)
    tests = '''from csvtool.reader import read_rows, split_line


def test_plain():
    assert split_line("a,b,c\\n") == ["a", "b", "c"]


def test_quoted_delimiter():
    assert split_line('1,"Smith, John",3') == ["1", "Smith, John", "3"]


def test_escaped_quote():
    assert split_line('"say ""hi""",x') == ['say "hi"', "x"]


def test_rows():
    rows = list(read_rows(["id,name\\n", '7,"Lee, Ann"\\n']))
    assert rows == [{"id": "7", "name": "Lee, Ann"}]
'''
    changelog = "# Changelog\n\n" + "".join(
        f"## 0.{n}.0\n\n- {msg}\n\n" for n, msg in [
            (9, "Add --tsv to the command line."), (8, "read_rows skips blank lines."),
            (7, "Dialect is a frozen dataclass."), (6, "Drop Python 3.7."), (5, "Add --columns."),
            (4, "Header handling in read_rows."), (3, "First command line."), (2, "split_line strips CRLF."),
            (1, "First release.")])
    sample = "id,name,city,notes\n" + "".join(
        f'{i},"{last}, {first}",{city},"{note}"\n' for i, (last, first, city, note) in enumerate([
            ("Lee", "Ann", "Oslo", "prefers email"), ("Kim", "Bo", "Seoul", "asked for \"\"priority\"\" shipping"),
            ("Nowak", "Ewa", "Kraków", "none"), ("Diaz", "Luis", "Lima", "call after 5, not before"),
            ("Okafor", "Chi", "Lagos", "none"), ("Smith", "John", "Leeds", "VIP, handle with care"),
        ] * 6, 1))
    e = Episode("acme__csvtool-77",
                "split_line() breaks quoted fields that contain the delimiter\n\nExports with names like `\"Smith, John\"` come out as two columns, and the doubled quote escape (`\"\"`) is kept literally. The acme export format is RFC 4180 CSV: fields may be quoted, quotes inside are doubled.",
                {"/testbed/csvtool/__init__.py": "from .dialect import Dialect\nfrom .reader import read_rows, split_line\n",
                 "/testbed/csvtool/reader.py": reader, "/testbed/csvtool/dialect.py": dialect,
                 "/testbed/csvtool/cli.py": cli, "/testbed/tests/test_reader.py": tests,
                 "/testbed/CHANGELOG.md": changelog, "/testbed/examples/customers.csv": sample,
                 "/testbed/setup.cfg": "[metadata]\nname = csvtool\nversion = 0.9.0\n\n[options]\npackages = csvtool\npython_requires = >=3.8\n\n[options.entry_points]\nconsole_scripts =\n    csvtool = csvtool.cli:main\n"})
    e.view_dir("I'll explore the repository first.")
    e.view("", "/testbed/csvtool/reader.py")
    e.view("", "/testbed/csvtool/dialect.py")
    e.view("", "/testbed/csvtool/cli.py")
    e.bash("Let me look at the sample export to see real quoting.", "cat /testbed/examples/customers.csv", sample)
    e.bash("", "cd /testbed && git log --oneline | head -5", "f3a91c2 (HEAD) Release 0.9.0")
    e.bash("", "cat /testbed/CHANGELOG.md", changelog)
    e.create("", "/testbed/reproduce.py",
             "from csvtool.reader import split_fields\n\nprint(split_fields('1,\"Smith, John\",3'))\n")
    e.bash("", "cd /testbed && python reproduce.py",
           "Traceback (most recent call last):\n  File \"/testbed/reproduce.py\", line 1, in <module>\n    from csvtool.reader import split_fields\nImportError: cannot import name 'split_fields' from 'csvtool.reader' (/testbed/csvtool/reader.py)",
           code=1, duration=0.2, error="python_import_error")
    e.files["/testbed/reproduce.py"] = ("from csvtool.reader import read_rows, split_line\n\nprint(split_line('1,\"Smith, John\",3'))\n"
                                        "print(split_line('\"say \"\"hi\"\"\",x'))\nprint(list(read_rows(open('/testbed/examples/customers.csv')))[:2])\n")
    e.step("The function is called split_line; I'll rewrite the script.", "str_replace_editor",
           {"command": "str_replace", "path": "/testbed/reproduce.py", "old_str": "from csvtool.reader import split_fields\n\nprint(split_fields('1,\"Smith, John\",3'))\n",
            "new_str": e.files["/testbed/reproduce.py"]},
           "The file /testbed/reproduce.py has been edited. Here's the result of running `cat -n` on a snippet of /testbed/reproduce.py:\n" + numbered(e.files["/testbed/reproduce.py"]) + "\nReview the changes and make sure they are as expected. Edit the file again if necessary.")
    e.bash("", "cd /testbed && python reproduce.py",
           "['1', '\"Smith', ' John\"', '3']\n['\"say \"\"hi\"\"\"', 'x']\n[{'id': '1', 'name': '\"Lee', 'city': ' Ann\"', 'notes': 'Oslo', None: ['\"prefers email\"']}, {'id': '2', 'name': '\"Kim', 'city': ' Bo\"', 'notes': 'Seoul', None: ['\"asked for \"\"priority\"\" shipping\"']}]")
    e.bash("Reproduced: quotes are ignored. Let me see the failing tests.", "cd /testbed && python -m pytest tests -q",
           ".FFF\n=================================== FAILURES ===================================\n____________________________ test_quoted_delimiter _____________________________\n\n    def test_quoted_delimiter():\n>       assert split_line('1,\"Smith, John\",3') == [\"1\", \"Smith, John\", \"3\"]\nE       assert ['1', '\"Smith', ' John\"', '3'] == ['1', 'Smith, John', '3']\nE         At index 1 diff: '\"Smith' != 'Smith, John'\nE         Left contains one more item: '3'\n\ntests/test_reader.py:9: AssertionError\n______________________________ test_escaped_quote ______________________________\n\n    def test_escaped_quote():\n>       assert split_line('\"say \"\"hi\"\"\",x') == ['say \"hi\"', \"x\"]\nE       assert ['\"say \"\"hi\"\"\"', 'x'] == ['say \"hi\"', 'x']\n\ntests/test_reader.py:13: AssertionError\n___________________________________ test_rows ___________________________________\n\n    def test_rows():\n        rows = list(read_rows([\"id,name\\n\", '7,\"Lee, Ann\"\\n']))\n>       assert rows == [{\"id\": \"7\", \"name\": \"Lee, Ann\"}]\nE       assert [{'id': '7', 'name': '\"Lee'}] == [{'id': '7', 'name': 'Lee, Ann'}]\n\ntests/test_reader.py:18: AssertionError\n=========================== short test summary info ============================\nFAILED tests/test_reader.py::test_quoted_delimiter - assert ['1', '\"Smith', ' John\"', '3'] == ['1', 'Smith, John', '3']\nFAILED tests/test_reader.py::test_escaped_quote - assert ['\"say \"\"hi\"\"\"', 'x'] == ['say \"hi\"', 'x']\nFAILED tests/test_reader.py::test_rows - assert [{'id': '7', 'name': '\"Lee'}] == [{'id': '7', 'name': 'Lee, Ann'}]\n3 failed, 1 passed in 0.08s",
           code=1, duration=1.6)
    e.think("", "Options: use the standard csv module (csv.reader([line], delimiter=..., quotechar=...)) or write a small state machine. The csv module implements exactly RFC 4180 quoting with doubled quotes and keeps the Dialect fields meaningful. It works line by line here because read_rows feeds single lines; multi-line quoted fields would need read_rows to pass the file object, which is a larger change than the issue asks for.")
    e.replace("", "/testbed/csvtool/reader.py",
              "    return line.rstrip(\"\\r\\n\").split(dialect.delimiter)",
              "    line = line.rstrip(\"\\r\\n\")\n    fields = next(csv.reader([line], delimiter=dialect.delimiter, quotechar=dialect.quote), [])\n    return fields")
    e.replace("", "/testbed/csvtool/reader.py", "from .dialect import Dialect\n", "import csv\n\nfrom .dialect import Dialect\n")
    e.view("", "/testbed/csvtool/reader.py", [1, 14])
    e.bash("", "cd /testbed && python reproduce.py",
           "['1', 'Smith, John', '3']\n['say \"hi\"', 'x']\n[{'id': '1', 'name': 'Lee, Ann', 'city': 'Oslo', 'notes': 'prefers email'}, {'id': '2', 'name': 'Kim, Bo', 'city': 'Seoul', 'notes': 'asked for \"priority\" shipping'}]")
    e.bash("", "cd /testbed && python -m pytest tests -v",
           pytest_pass(["tests/test_reader.py::test_plain", "tests/test_reader.py::test_quoted_delimiter",
                        "tests/test_reader.py::test_escaped_quote", "tests/test_reader.py::test_rows"], "0.05"), duration=1.3)
    e.bash("Let me check the empty line and TSV cases.",
           "cd /testbed && python -c \"from csvtool import split_line, Dialect; print(split_line('')); print(split_line('a\\t\\\"b\\tc\\\"', Dialect(delimiter='\\t')))\"",
           "[]\n['a', 'b\\tc']")
    e.think("", "split_line('') used to return [''] and now returns [] (csv yields an empty record). read_rows skips blank lines before calling it, so rows are unaffected; for a direct caller [''] is the csv-consistent answer for an empty record. Keep the old result to avoid a behaviour change.")
    e.replace("", "/testbed/csvtool/reader.py",
              "    return fields\n", "    return fields or [\"\"]\n")
    e.bash("", "cd /testbed && python -c \"from csvtool import split_line; print(split_line(''))\" && python -m pytest tests -q && python -m csvtool.cli examples/customers.csv --columns name,city | head -3",
           "['']\n....                                                                     [100%]\n4 passed in 0.04s\n{'name': 'Lee, Ann', 'city': 'Oslo'}\n{'name': 'Kim, Bo', 'city': 'Seoul'}\n{'name': 'Nowak, Ewa', 'city': 'Kraków'}", duration=1.5)
    e.bash("", "cd /testbed && rm reproduce.py && git status --short", " M csvtool/reader.py")
    del e.files["/testbed/reproduce.py"]
    e.finish("", "split_line() now parses each line with the csv module using the dialect's delimiter and quote character, so quoted fields may contain the delimiter and doubled quotes are unescaped; an empty line still gives ['']. All reader tests pass and the command line prints the sample export correctly.")
    return e.record("resolved")


# 7. sizefmt: unresolved (the negative half of the issue is left out); an unparsable call
def sizefmt():
    fmt = '''UNITS = ["B", "KiB", "MiB", "GiB", "TiB"]


def humanize_bytes(n):
    """1536 -> '1.5 KiB'; one decimal, binary units."""
    for unit in UNITS:
        if n < 1024:
            return f"{n:.1f} {unit}" if unit != "B" else f"{n} B"
        n = n // 1024
    return f"{n:.1f} PiB"
'''
    e = Episode("acme__sizefmt-5",
                "humanize_bytes(1536) gives '1.0 KiB'\n\nExpected '1.5 KiB': fractions of a unit are lost. Negative sizes (we show deltas) are wrong too: `humanize_bytes(-1536)` gives '-1536 B' instead of '-1.5 KiB'.",
                {"/testbed/sizefmt/__init__.py": "from .fmt import humanize_bytes\n",
                 "/testbed/sizefmt/fmt.py": fmt,
                 "/testbed/tests/test_fmt.py": "from sizefmt import humanize_bytes\n\n\ndef test_fraction():\n    assert humanize_bytes(1536) == '1.5 KiB'\n\n\ndef test_big():\n    assert humanize_bytes(5 * 1024**5) == '5.0 PiB'\n"})
    e.view("", "/testbed/sizefmt/fmt.py")
    e.step("Let me run the tests.", "execute_bash", None,
           "ERROR:\nThe arguments of execute_bash are not valid JSON: Expecting ',' delimiter: line 1 column 45 (char 44)",
           error="tool_call_parse", raw_args="{\"command\": \"cd /testbed && python -m pytest -q\"")
    e.bash("", "cd /testbed && python -m pytest -q",
           "F.\n=================================== FAILURES ===================================\n________________________________ test_fraction _________________________________\n\n    def test_fraction():\n>       assert humanize_bytes(1536) == '1.5 KiB'\nE       AssertionError: assert '1.0 KiB' == '1.5 KiB'\n\ntests/test_fmt.py:5: AssertionError\n=========================== short test summary info ============================\nFAILED tests/test_fmt.py::test_fraction - AssertionError: assert '1.0 KiB' == '1.5 KiB'\n1 failed, 1 passed in 0.04s",
           code=1, duration=1.2)
    e.replace("Integer division throws the fraction away.", "/testbed/sizefmt/fmt.py", "        n = n // 1024", "        n = n / 1024")
    e.bash("", "cd /testbed && python -m pytest -q && python -c 'from sizefmt import humanize_bytes as h; print(h(1536), h(10), h(3 * 1024**3))'",
           "..                                                                       [100%]\n2 passed in 0.02s\n1.5 KiB\n10 B\n3.0 GiB",
           duration=1.1)
    e.finish("", "humanize_bytes now divides with true division, so 1536 gives '1.5 KiB'. Tests pass.")
    return e.record("unresolved")


def main():
    # usage: make_examples.py [OUT]  (default: examples.jsonl beside this script)
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "examples.jsonl")
    episodes = [pagify(), cfgload(), slugkit(), datewin(), userdir(), csvtool(), sizefmt()]
    with open(out, "w") as f:
        for ep in episodes:
            f.write(json.dumps(ep, ensure_ascii=False) + "\n")
    for ep in episodes:
        steps = sum(m["role"] == "assistant" for m in ep["messages"])
        errors = [m["step"]["error"] for m in ep["messages"] if m["role"] == "assistant" and m["step"]["error"]]
        print(f"{ep['instance_id']}: {steps} steps, {len(json.dumps(ep))} bytes, errors {errors}")


if __name__ == "__main__":
    main()
