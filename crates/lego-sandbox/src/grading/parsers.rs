//! Test-log parsers: a log in, a map from test id to status out, as the `swebench` package's
//! Python parsers (5.0.2, `swebench/harness/log_parsers/python.py`) build it.
//!
//! Each parser follows its Python original line for line, including its quirks: they decide
//! which ids a task's `FAIL_TO_PASS`/`PASS_TO_PASS` lists hold, so "better" parsing would grade
//! differently from SWE-bench. Where the original would raise (an `IndexError` on a bare
//! `FAIL:` line), the line is skipped instead. Python's notion of whitespace
//! (`str.split()`/`str.strip()`) is kept, which is Unicode's plus `\x1c`..`\x1f`.

use std::fmt;
use std::sync::LazyLock;

use indexmap::IndexMap;
use regex::Regex;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// SWE-bench's test statuses. A parser may, like its Python original, record some other word
/// (`PASSEDfoo` from a line that only starts with `PASSED`); that is [`TestStatus::Other`], and
/// grades as neither passed nor skipped.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum TestStatus {
    /// `PASSED`: the test passed.
    Passed,
    /// `FAILED`: an assertion failed.
    Failed,
    /// `SKIPPED`: the test did not run.
    Skipped,
    /// `ERROR`: the test could not run to its assertions (setup, collection, an exception).
    Error,
    /// `XFAIL`: the test failed as it was marked to (counts as passing).
    Xfail,
    /// A status word SWE-bench does not know, kept as the log spells it.
    Other(String),
}

impl TestStatus {
    /// The five statuses of SWE-bench's `TestStatus` enum, in its order.
    pub const KNOWN: [TestStatus; 5] = [
        TestStatus::Failed,
        TestStatus::Passed,
        TestStatus::Skipped,
        TestStatus::Error,
        TestStatus::Xfail,
    ];

    /// The word as logs and SWE-bench write it (`PASSED`, `XFAIL`).
    pub fn as_str(&self) -> &str {
        match self {
            TestStatus::Passed => "PASSED",
            TestStatus::Failed => "FAILED",
            TestStatus::Skipped => "SKIPPED",
            TestStatus::Error => "ERROR",
            TestStatus::Xfail => "XFAIL",
            TestStatus::Other(s) => s,
        }
    }

    /// The status a word names; anything but the five words is [`TestStatus::Other`].
    pub fn from_word(word: &str) -> TestStatus {
        match word {
            "PASSED" => TestStatus::Passed,
            "FAILED" => TestStatus::Failed,
            "SKIPPED" => TestStatus::Skipped,
            "ERROR" => TestStatus::Error,
            "XFAIL" => TestStatus::Xfail,
            other => TestStatus::Other(other.to_owned()),
        }
    }

    /// PASSED and XFAIL: what SWE-bench's `test_passed` accepts.
    pub fn is_pass(&self) -> bool {
        matches!(self, TestStatus::Passed | TestStatus::Xfail)
    }
}

impl fmt::Display for TestStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for TestStatus {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for TestStatus {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(|s| TestStatus::from_word(&s))
    }
}

/// Test id -> status, in the order a Python dict would hold them (first insertion decides the
/// position, a later one the value): [`resolve_case`](crate::resolve_case)'s prefix fallback
/// takes the first match, so the order is part of the result.
pub type StatusMap = IndexMap<String, TestStatus>;

/// The log parsers lego has, named as SWE-bench's `PARSER_REGISTRY` names them (without the
/// `parse_log_` prefix). Aliases SWE-bench defines (`flask` is `pytest`) resolve to their
/// target in [`LogParser::from_name`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LogParser {
    /// `parse_log_pytest`: `-rA` summary lines starting with a status word; the id is the
    /// second whitespace-separated word, so an id with a space in it is cut at the space.
    Pytest,
    /// `parse_log_pytest_options`: as `Pytest`, with a parametrisation that is a path cut to
    /// its last component (`test_x[/tmp/a/b]` -> `test_x[/b]`).
    PytestOptions,
    /// `parse_log_pytest_v2`: ANSI colours removed; ids with spaces kept whole; also lines that
    /// end in a status word (`-v` progress lines of older pytest).
    PytestV2,
    /// `parse_log_django`: Django's runner at `--verbosity 2` (`name ... ok`, the result on a
    /// later line, `FAIL:`/`ERROR:` headers).
    Django,
    /// `parse_log_seaborn`.
    Seaborn,
    /// `parse_log_sympy`: sympy's own runner (`test_x ok`, `test_x F`).
    Sympy,
    /// `parse_log_matplotlib`: `Pytest` with `MouseButton.LEFT`/`RIGHT` written as 1/3.
    Matplotlib,
    /// lego's own (SWE-bench has none): `python -m unittest -v` output, keyed by the test's
    /// `test_x (module.Class)` line even when a docstring line follows it. See
    /// [`parse_unittest`].
    Unittest,
}

impl LogParser {
    /// Every parser, for listings and tests.
    pub const ALL: [LogParser; 8] = [
        LogParser::Pytest,
        LogParser::PytestOptions,
        LogParser::PytestV2,
        LogParser::Django,
        LogParser::Seaborn,
        LogParser::Sympy,
        LogParser::Matplotlib,
        LogParser::Unittest,
    ];

    /// The parser's name without `parse_log_` (`pytest_v2`).
    pub fn name(self) -> &'static str {
        match self {
            LogParser::Pytest => "pytest",
            LogParser::PytestOptions => "pytest_options",
            LogParser::PytestV2 => "pytest_v2",
            LogParser::Django => "django",
            LogParser::Seaborn => "seaborn",
            LogParser::Sympy => "sympy",
            LogParser::Matplotlib => "matplotlib",
            LogParser::Unittest => "unittest",
        }
    }

    /// The parser a name gives, with or without `parse_log_`, SWE-bench's per-repository
    /// aliases included (`parse_log_astropy` is `pytest_v2`). `None` for any other name.
    pub fn from_name(name: &str) -> Option<LogParser> {
        let short = name.strip_prefix("parse_log_").unwrap_or(name);
        Some(match short {
            "pytest" | "astroid" | "flask" | "marshmallow" | "pvlib" | "pyvista" | "sqlfluff"
            | "xarray" => LogParser::Pytest,
            "pytest_options" | "pydicom" | "requests" | "pylint" => LogParser::PytestOptions,
            "pytest_v2" | "astropy" | "scikit" | "sphinx" => LogParser::PytestV2,
            "django" => LogParser::Django,
            "seaborn" => LogParser::Seaborn,
            "sympy" => LogParser::Sympy,
            "matplotlib" => LogParser::Matplotlib,
            "unittest" => LogParser::Unittest,
            _ => return None,
        })
    }

    /// SWE-bench's `MAP_REPO_TO_PARSER_PY`: the parser of a repository it knows.
    pub fn for_repo(repo: &str) -> Option<LogParser> {
        Some(match repo {
            "astropy/astropy" | "scikit-learn/scikit-learn" | "sphinx-doc/sphinx" => {
                LogParser::PytestV2
            }
            "django/django" => LogParser::Django,
            "marshmallow-code/marshmallow"
            | "pallets/flask"
            | "pvlib/pvlib-python"
            | "pydata/xarray"
            | "pylint-dev/astroid"
            | "pytest-dev/pytest"
            | "pyvista/pyvista"
            | "sqlfluff/sqlfluff" => LogParser::Pytest,
            "matplotlib/matplotlib" => LogParser::Matplotlib,
            "mwaskom/seaborn" => LogParser::Seaborn,
            "psf/requests" | "pydicom/pydicom" | "pylint-dev/pylint" => LogParser::PytestOptions,
            "sympy/sympy" => LogParser::Sympy,
            _ => return None,
        })
    }

    /// Parses a log.
    pub fn parse(self, log: &str) -> StatusMap {
        match self {
            LogParser::Pytest => parse_pytest(log),
            LogParser::PytestOptions => parse_pytest_options(log),
            LogParser::PytestV2 => parse_pytest_v2(log),
            LogParser::Django => parse_django(log),
            LogParser::Seaborn => parse_seaborn(log),
            LogParser::Sympy => parse_sympy(log),
            LogParser::Matplotlib => parse_matplotlib(log),
            LogParser::Unittest => parse_unittest(log),
        }
    }
}

impl fmt::Display for LogParser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// `str.isspace()` of Python: Unicode's White_Space plus the four separators `\x1c`..`\x1f`.
fn is_py_space(c: char) -> bool {
    c.is_whitespace() || ('\x1c'..='\x1f').contains(&c)
}

/// `str.split()` without arguments.
fn py_split(s: &str) -> Vec<&str> {
    s.split(is_py_space).filter(|w| !w.is_empty()).collect()
}

/// `str.strip()` without arguments.
fn py_strip(s: &str) -> &str {
    s.trim_matches(is_py_space)
}

fn starts_with_status(line: &str) -> bool {
    TestStatus::KNOWN
        .iter()
        .any(|s| line.starts_with(s.as_str()))
}

fn ends_with_status(line: &str) -> bool {
    TestStatus::KNOWN.iter().any(|s| line.ends_with(s.as_str()))
}

/// `_is_skip_summary`: pytest's `SKIPPED [N] path:line: reason`, where `[N]` is no test.
fn is_skip_summary(status: &str, name: &str) -> bool {
    static COUNT: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"^\[\d+\]$").expect("a valid regex"));
    status == "SKIPPED" && COUNT.is_match(name)
}

/// The shared body of `parse_log_pytest` and `parse_log_matplotlib`: status word first, id
/// second.
fn pytest_lines(log: &str, map_line: impl Fn(&str) -> String) -> StatusMap {
    let mut map = StatusMap::new();
    for raw in log.split('\n') {
        let mut line = map_line(raw);
        if !starts_with_status(&line) {
            continue;
        }
        if line.starts_with("FAILED") {
            line = line.replace(" - ", " ");
        }
        let words = py_split(&line);
        if words.len() <= 1 || is_skip_summary(words[0], words[1]) {
            continue;
        }
        map.insert(words[1].to_owned(), TestStatus::from_word(words[0]));
    }
    map
}

/// `parse_log_pytest`.
pub fn parse_pytest(log: &str) -> StatusMap {
    pytest_lines(log, str::to_owned)
}

/// `parse_log_matplotlib`.
pub fn parse_matplotlib(log: &str) -> StatusMap {
    pytest_lines(log, |line| {
        line.replace("MouseButton.LEFT", "1")
            .replace("MouseButton.RIGHT", "3")
    })
}

/// `parse_log_pytest_options`.
pub fn parse_pytest_options(log: &str) -> StatusMap {
    // `re.search(r"(.*?)\[(.*)\]")`: the text before the first `[` that a `]` follows, and
    // everything up to the last `]` (what follows that is dropped).
    static OPTION: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"(.*?)\[(.*)\]").expect("a valid regex"));
    let mut map = StatusMap::new();
    for raw in log.split('\n') {
        if !starts_with_status(raw) {
            continue;
        }
        let line = if raw.starts_with("FAILED") {
            raw.replace(" - ", " ")
        } else {
            raw.to_owned()
        };
        let words = py_split(&line);
        if words.len() <= 1 || is_skip_summary(words[0], words[1]) {
            continue;
        }
        let name = match OPTION.captures(words[1]) {
            Some(caps) => {
                let main = caps.get(1).map_or("", |m| m.as_str());
                let mut option = caps.get(2).map_or("", |m| m.as_str()).to_owned();
                if option.starts_with('/') && !option.starts_with("//") && !option.contains('*') {
                    let last = option.rsplit('/').next().unwrap_or("").to_owned();
                    option = format!("/{last}");
                }
                format!("{main}[{option}]")
            }
            None => words[1].to_owned(),
        };
        map.insert(name, TestStatus::from_word(words[0]));
    }
    map
}

/// `parse_log_pytest_v2`.
pub fn parse_pytest_v2(log: &str) -> StatusMap {
    static COLOUR: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"\[(\d+)m").expect("a valid regex"));
    let mut map = StatusMap::new();
    for raw in log.split('\n') {
        // `[32m` codes first, then every control character from 1 to 31 (ESC, tab, CR among
        // them; NUL stays).
        let line: String = COLOUR
            .replace_all(raw, "")
            .chars()
            .filter(|&c| !('\x01'..='\x1f').contains(&c))
            .collect();
        if starts_with_status(&line) {
            let line = if line.starts_with("FAILED") {
                // Drop the trailing " - <assertion message>" so it can't enter the id.
                line.split(" - ").next().unwrap_or("")
            } else {
                &line
            };
            let words = py_split(line);
            if words.len() >= 2 && !is_skip_summary(words[0], words[1]) {
                map.insert(words[1..].join(" "), TestStatus::from_word(words[0]));
            }
        } else if ends_with_status(&line) {
            let words = py_split(&line);
            if let [name @ .., status] = words.as_slice()
                && !name.is_empty()
            {
                map.insert(name.join(" "), TestStatus::from_word(status));
            }
        }
    }
    map
}

/// `parse_log_django`.
pub fn parse_django(log: &str) -> StatusMap {
    const PASS_SUFFIXES: [&str; 3] = [" ... ok", " ... OK", " ...  OK"];
    // Django's logger sometimes interrupts a test's line with a long message, and `ok` comes
    // on the next line. `\s` is spelt out as Python's (with `\x1c`..`\x1f`).
    static INTERRUPTED: LazyLock<[Regex; 3]> = LazyLock::new(|| {
        const S: &str = r"[\s\x1c-\x1f]";
        [
            format!(
                r"(?m)^(.*?){S}\.\.\.{S}Testing against Django installed in ((?s:.*?)) silenced\)\.\nok$"
            ),
            format!(r"(?m)^(.*?){S}\.\.\.{S}Internal Server Error: /(.*)/\nok$"),
            format!(
                r"(?m)^(.*?){S}\.\.\.{S}System check identified no issues \(0 silenced\)\nok$"
            ),
        ]
        .map(|p| Regex::new(&p).expect("a valid regex"))
    });

    let mut map = StatusMap::new();
    let mut prev_test: Option<String> = None;
    for raw in log.split('\n') {
        let mut line = py_strip(raw).to_owned();

        if line.contains("--version is equivalent to version") {
            map.insert(
                "--version is equivalent to version".to_owned(),
                TestStatus::Passed,
            );
        }
        if let Some((before, _)) = line.split_once(" ... ") {
            prev_test = Some(before.to_owned());
        }
        for suffix in PASS_SUFFIXES {
            if line.ends_with(suffix) {
                // SWE-bench's fix for django__django-7188, whose migration output shares the
                // test's line; it rewrites the line the later checks see too.
                if line.starts_with("Applying sites.0002_alter_domain_unique...test_no_migrations")
                {
                    let rest = line.split_once("...").map_or("", |(_, r)| r);
                    line = py_strip(rest).to_owned();
                }
                let test = line.rsplit_once(suffix).map_or("", |(t, _)| t);
                map.insert(test.to_owned(), TestStatus::Passed);
                break;
            }
        }
        if let Some((test, _)) = line.split_once(" ... skipped") {
            map.insert(test.to_owned(), TestStatus::Skipped);
        }
        if line.ends_with(" ... FAIL") {
            let test = line.split_once(" ... FAIL").map_or("", |(t, _)| t);
            map.insert(test.to_owned(), TestStatus::Failed);
        }
        if line.starts_with("FAIL:")
            && let Some(test) = py_split(&line).get(1)
        {
            map.insert(py_strip(test).to_owned(), TestStatus::Failed);
        }
        if line.ends_with(" ... ERROR") {
            let test = line.split_once(" ... ERROR").map_or("", |(t, _)| t);
            map.insert(test.to_owned(), TestStatus::Error);
        }
        if line.starts_with("ERROR:")
            && let Some(test) = py_split(&line).get(1)
        {
            map.insert(py_strip(test).to_owned(), TestStatus::Error);
        }
        // The result came on a later line, after output of the test's own.
        if line.trim_start_matches(is_py_space).starts_with("ok")
            && let Some(test) = &prev_test
        {
            map.insert(test.clone(), TestStatus::Passed);
        }
    }
    for pattern in INTERRUPTED.iter() {
        for caps in pattern.captures_iter(log) {
            let test = caps.get(1).map_or("", |m| m.as_str());
            map.insert(test.to_owned(), TestStatus::Passed);
        }
    }
    map
}

/// `parse_log_seaborn`.
pub fn parse_seaborn(log: &str) -> StatusMap {
    let mut map = StatusMap::new();
    for line in log.split('\n') {
        let parts = py_split(line);
        if parts.len() < 2 {
            continue;
        }
        if line.starts_with("FAILED") {
            map.insert(parts[1].to_owned(), TestStatus::Failed);
        } else if line.contains(" PASSED ") {
            if parts[1] == "PASSED" {
                map.insert(parts[0].to_owned(), TestStatus::Passed);
            }
        } else if line.starts_with("PASSED") {
            map.insert(parts[1].to_owned(), TestStatus::Passed);
        }
    }
    map
}

/// `parse_log_sympy`.
pub fn parse_sympy(log: &str) -> StatusMap {
    // `re.findall(r"(_*) (.*)\.py:(.*) (_*)")`: the `____ path.py:test ____` headers of
    // failures. `(.*)` is greedy, so on one line the last `.py:` and the last space win.
    static HEADER: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"(_*) (.*)\.py:(.*) (_*)").expect("a valid regex"));
    let mut map = StatusMap::new();
    for caps in HEADER.captures_iter(log) {
        let path = caps.get(2).map_or("", |m| m.as_str());
        let test = caps.get(3).map_or("", |m| m.as_str());
        map.insert(format!("{path}.py:{test}"), TestStatus::Failed);
    }
    for raw in log.split('\n') {
        let line = py_strip(raw);
        if !line.starts_with("test_") {
            continue;
        }
        let first = py_split(line).first().copied().unwrap_or("").to_owned();
        if line.ends_with(" E") {
            map.insert(first.clone(), TestStatus::Error);
        }
        if line.ends_with(" F") {
            map.insert(first.clone(), TestStatus::Failed);
        }
        if line.ends_with(" ok") {
            map.insert(first, TestStatus::Passed);
        }
    }
    map
}

/// lego's parser of `python -m unittest -v` (and Django's runner at `--verbosity 2`, which
/// prints the same lines). SWE-bench has no unittest parser; its Django parser reads these
/// logs too, but keys a test that has a docstring by the docstring's first line. This one keys
/// every test by its `test_x (module.Class)` line (the `test_x (module.Class.test_x)` of
/// Python 3.11+ included), so ids are stable whatever the docstrings say.
///
/// Results: `ok` PASSED, `FAIL` FAILED, `ERROR` ERROR, `skipped ...` SKIPPED, `expected
/// failure` XFAIL, `unexpected success` FAILED (unittest counts it as a failure). A result on a
/// later line than its test (the test printed something) goes to the last test seen.
pub fn parse_unittest(log: &str) -> StatusMap {
    static TEST_ID: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"^([A-Za-z_][A-Za-z0-9_]*) \(([A-Za-z_][A-Za-z0-9_.]*)\)")
            .expect("a valid regex")
    });
    fn result(word: &str) -> Option<TestStatus> {
        let word = py_strip(word);
        Some(match word {
            "ok" => TestStatus::Passed,
            "FAIL" => TestStatus::Failed,
            "ERROR" => TestStatus::Error,
            "expected failure" => TestStatus::Xfail,
            "unexpected success" => TestStatus::Failed,
            w if w.starts_with("skipped") => TestStatus::Skipped,
            _ => return None,
        })
    }

    let mut map = StatusMap::new();
    // The id of the test whose result has not been read yet.
    let mut pending: Option<String> = None;
    for raw in log.split('\n') {
        let line = raw.trim_end_matches(is_py_space);
        let id_here = TEST_ID.find(line).map(|m| m.as_str().to_owned());
        if let Some(id) = &id_here {
            pending = Some(id.clone());
        }
        let Some(test) = pending.clone() else {
            continue;
        };
        // `test ... result` on one line, or `docstring ... result` after the test's line, or
        // `test ... ` then the test's output then the result alone on a line.
        let verdict = match line.rsplit_once(" ... ") {
            Some((_, after)) => result(after),
            None if line.ends_with(" ...") => None,
            None if id_here.is_none() => result(line),
            None => None,
        };
        if let Some(status) = verdict {
            map.insert(test, status);
            pending = None;
        }
    }
    map
}
