"""Writes the fixtures of lego-data's `it` tests. Run from this directory: python3 make_fixtures.py"""
import json

# SWE-bench's real shape: every field a string, test lists JSON-encoded inside strings.
swebench = {
    "repo": "acme/pagify",
    "instance_id": "acme__pagify-112",
    "base_commit": "3f1c2a9e8d7b6c5a4f3e2d1c0b9a8f7e6d5c4b3a",
    "patch": "diff --git a/pagify/core.py b/pagify/core.py\n--- a/pagify/core.py\n+++ b/pagify/core.py\n"
    "@@ -10,7 +10,7 @@ def page_count(total, per_page):\n-    return total // per_page\n+    return -(-total // per_page)\n",
    "test_patch": "diff --git a/tests/test_x.py b/tests/test_x.py\nnew file mode 100644\n--- /dev/null\n"
    "+++ b/tests/test_x.py\n@@ -0,0 +1,2 @@\n+def test_a():\n+    pass\n",
    "problem_statement": "page_count() drops the last partial page\n\n`page_count(10, 3)` returns 3, expected 4.",
    "hints_text": "",
    "created_at": "2024-03-05T12:01:44Z",
    "version": "1.2",
    "FAIL_TO_PASS": json.dumps(["tests/test_x.py::test_a", "tests/test_x.py::test_b[a b]"]),
    "PASS_TO_PASS": json.dumps([]),
    "environment_setup_commit": "3f1c2a9e8d7b6c5a4f3e2d1c0b9a8f7e6d5c4b3a",
}
arrays = {
    "instance_id": "acme__slugkit-7",
    "repo": "acme/slugkit",
    "base_commit": "0123456789abcdef0123456789abcdef01234567",
    "patch": "",
    "test_patch": "",
    "problem_statement": "slugify drops accented letters",
    "FAIL_TO_PASS": ["tests/test_slug.py::test_accents"],
    "PASS_TO_PASS": ["tests/test_slug.py::test_ascii", "tests/test_slug.py::test_empty"],
    "image_name": "swesmith.x86_64.acme__slugkit.0123abcd",
    "source": "synthetic",
    "bug_kind": "invert_if",
    "difficulty": "<15 min fix",
    "meta": {"annotator": 3, "tags": ["unicode"]},
}
with open("tasks.jsonl", "w") as f:
    f.write(json.dumps(swebench) + "\n\n")
    f.write(json.dumps(arrays) + "\n")

with open("malformed.jsonl", "w") as f:
    f.write(json.dumps({"instance_id": "a"}) + "\n")
    f.write('{"instance_id": "b", \n')
    f.write("\n")
    f.write(json.dumps({"instance_id": "c"}) + "\n")
    f.write('{"instance_id": 5}\n')


def call(name, args):
    # Exactly as Qwen's chat template renders a call (json.dumps, non-ASCII kept).
    return "<tool_call>\n" + json.dumps({"name": name, "arguments": args}, ensure_ascii=False) + "\n</tool_call>"


sharegpt = {
    "instance_id": "acme__datewin-31",
    "messages": [
        {"role": "system", "content": "You are a careful software engineer working in /testbed.", "turn_mask": False},
        {"role": "user", "content": "`overlaps()` says [1, 5] and [5, 9] do not overlap; closed ranges sharing an end do.", "turn_mask": False},
        {"role": "assistant", "content": "I'll find the function first.\n" + call("execute_bash", {"command": "grep -rn 'def overlaps' /testbed"}), "turn_mask": False},
        {"role": "tool", "content": "/testbed/datewin/ranges.py:14:def overlaps(a, b):\n[The command completed with exit code 0.]", "turn_mask": False},
        {"role": "assistant", "content": call("str_replace_editor", {"command": "str_replace", "path": "/testbed/datewin/ranges.py", "old_str": "return a.start < b.end and b.start < a.end", "new_str": "return a.start <= b.end and b.start <= a.end"}), "turn_mask": False},
        {"role": "tool", "content": "ERROR:\nNo replacement was performed, old_str `return a.start < b.end and b.start < a.end` did not appear verbatim in /testbed/datewin/ranges.py.", "turn_mask": True},
        {"role": "assistant", "content": call("str_replace_editor", {"command": "view", "path": "/testbed/datewin/ranges.py", "view_range": [14, 16]}) + "\n" + call("think", {"thought": "Maybe the names differ — “lo”/“hi”?"}), "turn_mask": False},
        {"role": "tool", "content": "Here's the result of running `cat -n` on /testbed/datewin/ranges.py:\n    14\tdef overlaps(a, b):\n    15\t    return a.lo < b.hi and b.lo < a.hi\n    16\t", "turn_mask": False},
        {"role": "tool", "content": "Your thought has been logged.", "turn_mask": False},
        {"role": "assistant", "content": "Found it.\n" + call("finish", {"message": "Use <= for closed ranges."}), "turn_mask": False},
    ],
}
# SWE-Lego masks the failed edit's assistant turn; the mask above on a tool turn is ignored on import.
sharegpt["messages"][4]["turn_mask"] = True
with open("sharegpt.jsonl", "w") as f:
    f.write(json.dumps(sharegpt, ensure_ascii=False) + "\n")
