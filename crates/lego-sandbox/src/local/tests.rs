use super::*;

#[test]
fn resolve_keeps_paths_inside_the_copy() {
    let dir = tempfile::tempdir().unwrap();
    let copy = fs::canonicalize(dir.path()).unwrap();
    fs::create_dir(copy.join("src")).unwrap();
    fs::write(copy.join("src/a.py"), "x").unwrap();
    std::os::unix::fs::symlink("/etc", copy.join("etc-link")).unwrap();
    std::os::unix::fs::symlink("src/a.py", copy.join("inner-link")).unwrap();
    assert_eq!(resolve(&copy, "/testbed").unwrap(), copy);
    assert_eq!(
        resolve(&copy, "/testbed/src/a.py").unwrap(),
        copy.join("src/a.py")
    );
    assert_eq!(
        resolve(&copy, "/testbed/src/../src/new/b.py").unwrap(),
        copy.join("src/new/b.py")
    );
    assert_eq!(
        resolve(&copy, "/testbed/inner-link").unwrap(),
        copy.join("src/a.py")
    );
    for bad in [
        "/etc/passwd",
        "/testbed/../etc/passwd",
        "/testbed/etc-link/passwd",
        "/testbedx/a",
        "testbed/a",
        "/testbed/src/../../x",
    ] {
        assert!(
            matches!(resolve(&copy, bad), Err(Error::OutsideSandbox { .. })),
            "{bad}"
        );
    }
}

#[test]
fn rewrite_touches_only_whole_testbed_paths() {
    let r = |s: &str| rewrite_testbed(s, "/tmp/x/testbed");
    assert_eq!(
        r("cd /testbed && ls /testbed/src"),
        "cd /tmp/x/testbed && ls /tmp/x/testbed/src"
    );
    assert_eq!(r("'/testbed'"), "'/tmp/x/testbed'");
    assert_eq!(
        r("/testbed2 a/testbed /testbed.bak"),
        "/testbed2 a/testbed /testbed.bak"
    );
}
