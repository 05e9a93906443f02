use super::*;

#[test]
fn default_test_patterns() {
    let p = TestPatterns::default();
    for path in [
        "tests/test_a.py",
        "pkg/tests/data/x.json",
        "test/a.c",
        "test_six.py",
        "pkg/test_mod.py",
        "pkg/mod_test.py",
        "conftest.py",
        "src/pkg/conftest.py",
    ] {
        assert!(p.is_test(path), "{path}");
    }
    for path in [
        "six.py",
        "testing.py",
        "pkg/tests.py",
        "pkg/contest.py",
        "attest/x.py",
        "docs/test.rst",
        "my_tests/a.py",
    ] {
        assert!(!p.is_test(path), "{path}");
    }
}

#[test]
fn custom_test_patterns() {
    let p = TestPatterns::new(["src/**/fixtures/*.py", "*.spec.js", "it*/"]).unwrap();
    assert!(p.is_test("src/fixtures/a.py"));
    assert!(p.is_test("src/a/b/fixtures/a.py"));
    assert!(!p.is_test("src/a/fixtures/b/a.py"));
    assert!(p.is_test("web/x.spec.js"));
    assert!(p.is_test("crates/it/main.rs"));
    assert!(p.is_test("crates/itest/main.rs"));
    assert!(!p.is_test("test_six.py"));
    assert!(TestPatterns::new([""]).is_err());
}

const PATCH: &str = "\
diff --git a/six.py b/six.py
index 1..2 100644
--- a/six.py
+++ b/six.py
@@ -1,2 +1,2 @@
 a
-b
+c
diff --git a/test_six.py b/test_six.py
index 3..4 100644
--- a/test_six.py
+++ b/test_six.py
@@ -1 +1,2 @@
 x
+--- not a header
diff --git \"a/tests/d\\303\\274 \\\"q\\\".py\" \"b/tests/d\\303\\274 \\\"q\\\".py\"
deleted file mode 100644
index 5..0
--- \"a/tests/d\\303\\274 \\\"q\\\".py\"
+++ /dev/null
@@ -1 +0,0 @@
-gone
diff --git a/run.sh b/run.sh
old mode 100644
new mode 100755
";

#[test]
fn split_by_path_with_quoted_names_and_mode_only_parts() {
    let split = split_patch(PATCH, &TestPatterns::default());
    assert_eq!(split.code_files, ["six.py", "run.sh"]);
    assert_eq!(split.test_files, ["test_six.py", "tests/dü \"q\".py"]);
    assert_eq!(split.code_lines, 2);
    assert_eq!(split.test_lines, 2);
    assert_eq!(split.code.len() + split.test.len(), PATCH.len());
    assert!(split.code.starts_with("diff --git a/six.py"));
    assert!(split.code.ends_with("new mode 100755\n"));
}

#[test]
fn text_diffs_in_gits_hunk_format() {
    assert_eq!(
        diff_text("a\nb\nc\n", "a\nc\n"),
        "@@ -1,3 +1,2 @@\n a\n-b\n c\n"
    );
    assert_eq!(diff_text("", "x\n"), "@@ -0,0 +1 @@\n+x\n");
    assert_eq!(diff_text("x\n", ""), "@@ -1 +0,0 @@\n-x\n");
    assert_eq!(
        diff_text("x", "y"),
        "@@ -1 +1 @@\n-x\n\\ No newline at end of file\n+y\n\\ No newline at end of file\n"
    );
    assert_eq!(diff_text("same\n", "same\n"), "");
    // Two changes far apart: two hunks; close together: one.
    let old: String = (0..20).map(|i| format!("{i}\n")).collect();
    let far = old.replace("2\n", "two\n").replace("17\n", "seventeen\n");
    assert_eq!(diff_text(&old, &far).matches("@@ -").count(), 2);
    let near = old.replace("2\n", "two\n").replace("9\n", "nine\n");
    assert_eq!(diff_text(&old, &near).matches("@@ -").count(), 1);
}

#[test]
fn problem_statement_joins_the_issues() {
    let issues = [
        LinkedIssue {
            number: 1,
            title: "A".to_owned(),
            body: Some("body a".to_owned()),
        },
        LinkedIssue {
            number: 2,
            title: "B".to_owned(),
            body: None,
        },
    ];
    assert_eq!(problem_statement(&issues), "A\nbody a\nB\n\n");
    assert_eq!(instance_id("django/django", 11099), "django__django-11099");
}
