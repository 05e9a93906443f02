//! lego-synth integration tests: bug candidates over a small Python repository each test
//! writes.

// `git apply --check` judges the patches.
#![allow(clippy::disallowed_methods)]
// Test helpers may unwrap: a panic is the failure report.
#![allow(clippy::unwrap_used)]

mod candidates;

use std::path::Path;
use std::process::Command;

/// The fixture repository: functions, a class with methods, loops, try/with, comparisons,
/// defaults; a test file and a virtualenv that must not be touched.
pub(crate) fn fixture(dir: &Path) {
    let files: &[(&str, &str)] = &[
        ("pkg/__init__.py", "from .core import Stack, clamp, total\n"),
        (
            "pkg/core.py",
            r#"import threading


def clamp(x, lo=0, hi=10):
    if x < lo:
        return lo
    elif x > hi:
        return hi
    return x


def total(xs, start=0, strict=True):
    acc = start
    for x in xs:
        if strict and x is None:
            raise ValueError("None in xs")
        acc += x * 2 - 1
    return acc


def parse(s, default=None):
    try:
        n = int(s)
        return n
    except ValueError:
        return default
    except TypeError:
        raise


def count_down(n):
    out = []
    while n > 0:
        out.append(n)
        n -= 1
    return out


class Base:
    pass


class Stack(Base):
    def __init__(self, limit=8):
        self.items = []
        self.limit = limit
        self.lock = threading.Lock()

    def push(self, item):
        with self.lock:
            if len(self.items) >= self.limit:
                raise OverflowError(item)
            self.items.append(item)
        return len(self.items)

    def pop(self):
        if not self.items:
            return None
        else:
            return self.items.pop()

    def window(self, i, j):
        return self.items[i:j + 1]
"#,
        ),
        (
            "pkg/util.py",
            "def ratio(a, b):\n    if b == 0:\n        return 0.0\n    return a / b\n\n\ndef shift(x, n=1):\n    return (x << n) | (x >> (8 - n))\n\n\ndef power(x, n=2):\n    return pow(x, n)\n",
        ),
        (
            "tests/test_core.py",
            "from pkg import clamp\n\n\ndef test_clamp():\n    assert clamp(5) == 5\n",
        ),
        (".venv/lib/site.py", "def hidden(x):\n    return x + 1\n"),
    ];
    for (path, text) in files {
        let path = dir.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    git(dir, &["init", "-q"]);
}

/// Runs git in `dir`; whether it succeeded, and its standard error.
pub(crate) fn git(dir: &Path, args: &[&str]) -> (bool, String) {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}
