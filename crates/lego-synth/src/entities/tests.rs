use lego_data::TestPatterns;

use super::{EntityKind, entities_of, parse, parser, python_files};

#[test]
fn functions_methods_and_classes_in_offset_order() {
    let text = "import os\n\n@cache\ndef f():\n    def inner():\n        pass\n    return inner\n\nclass A(B):\n    x = 1\n\n    @property\n    def m(self):\n        return 1\n\n    class Inner:\n        def n(self):\n            pass\n";
    let tree = parse(&mut parser().unwrap(), text).unwrap();
    let got: Vec<(String, EntityKind)> = entities_of("a.py", &tree, text)
        .into_iter()
        .map(|e| (e.name, e.kind))
        .collect();
    let want = [
        ("f", EntityKind::Function),
        ("A", EntityKind::Class),
        ("A.m", EntityKind::Method),
        ("A.Inner", EntityKind::Class),
        ("A.Inner.n", EntityKind::Method),
    ];
    assert_eq!(
        got,
        want.map(|(n, k)| (n.to_owned(), k)).to_vec(),
        "nested functions belong to their function"
    );
    let f = &entities_of("a.py", &tree, text)[0];
    assert!(text[f.start..f.end].starts_with("def f():"));
}

#[test]
fn tests_hidden_directories_and_virtualenvs_are_skipped() {
    let dir = tempfile::tempdir().unwrap();
    for path in [
        "pkg/a.py",
        "pkg/b.txt",
        "pkg/test_a.py",
        "tests/helpers.py",
        ".git/hooks/x.py",
        ".tox/y.py",
        "myenv/lib/z.py",
        "venv/w.py",
        "__pycache__/c.py",
    ] {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, "x = 1\n").unwrap();
    }
    std::fs::write(dir.path().join("myenv/pyvenv.cfg"), "home = /usr\n").unwrap();
    let files = python_files(dir.path(), &TestPatterns::default()).unwrap();
    assert_eq!(files, ["pkg/a.py"]);
}
