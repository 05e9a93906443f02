//! A small Python repository made for each test (`git init` + one commit).

use std::path::Path;
use std::process::Command;

pub const CALC: &str = "def add(a, b):\n    return a + b\n\n\ndef sub(a, b):\n    return a - b\n\n\ndef mul(a, b):\n    return a * b\n";
pub const UTIL: &str = "import os\n\n\ndef greet(name):\n    return f\"hello {name}\"\n\n\ndef shout(name):\n    return greet(name).upper()\n\n\ndef twice(x):\n    return x\n    return x\n";
pub const TEST: &str = "from pkg.calc import add\n\n\ndef test_add():\n    assert add(1, 2) == 3\n";

/// Writes the repository into `dir` and commits it.
pub fn make(dir: &Path) {
    std::fs::create_dir_all(dir.join("pkg")).unwrap();
    std::fs::create_dir_all(dir.join("tests")).unwrap();
    std::fs::write(dir.join("pkg/__init__.py"), "").unwrap();
    std::fs::write(dir.join("pkg/calc.py"), CALC).unwrap();
    std::fs::write(dir.join("pkg/util.py"), UTIL).unwrap();
    std::fs::write(dir.join("tests/test_calc.py"), TEST).unwrap();
    std::fs::write(dir.join(".gitignore"), "__pycache__/\n").unwrap();
    std::fs::write(dir.join("README.md"), "# demo\n").unwrap();
    let git = |args: &[&str]| {
        let out = Command::new("git")
            .args(args)
            .current_dir(dir)
            .env("GIT_AUTHOR_NAME", "t")
            .env("GIT_AUTHOR_EMAIL", "t@e")
            .env("GIT_COMMITTER_NAME", "t")
            .env("GIT_COMMITTER_EMAIL", "t@e")
            .output()
            .unwrap();
        assert!(out.status.success(), "git {args:?}: {out:?}");
    };
    git(&["init", "-q"]);
    git(&["add", "-A"]);
    git(&["commit", "-qm", "init"]);
}

/// A temporary directory holding a fresh repository.
pub fn repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    make(dir.path());
    dir
}
