use super::*;

#[test]
fn modes_parse_and_print() {
    for mode in [
        SanitizeMode::Squash,
        SanitizeMode::Truncate,
        SanitizeMode::Keep,
    ] {
        assert_eq!(mode.as_str().parse::<SanitizeMode>().unwrap(), mode);
        assert_eq!(mode.to_string(), mode.as_str());
    }
    let err = "prune".parse::<SanitizeMode>().unwrap_err();
    assert!(err.contains("prune") && err.contains("truncate"), "{err}");
}

#[test]
fn branch_names_that_could_step_out_are_refused() {
    for ok in ["main", "master", "lego/base", "release-1.2"] {
        validate_branch(ok).unwrap();
    }
    for bad in [
        "", "../x", "a/../b", ".hidden", "a//b", "x.lock", "-x", "a b", "a:b", "a@{1}", "/x",
    ] {
        assert!(validate_branch(bad).is_err(), "{bad:?} accepted");
    }
}

#[test]
fn output_must_be_missing_or_empty() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("a/b");
    check_out_is_free(&missing).unwrap();
    assert!(!missing.exists(), "the check creates nothing");
    std::fs::create_dir_all(&missing).unwrap();
    check_out_is_free(&missing).unwrap(); // empty is fine
    std::fs::write(missing.join("f"), "x").unwrap();
    let err = check_out_is_free(&missing).unwrap_err().to_string();
    assert!(
        err.contains(&missing.display().to_string()) && err.contains("not empty"),
        "{err}"
    );
    // A file where the directory should go.
    assert!(check_out_is_free(&missing.join("f")).is_err());
}

#[test]
fn a_file_in_the_way_of_a_directory_is_a_conflict_not_a_write_through() {
    let dir = tempfile::tempdir().unwrap();
    let work = dir.path();
    let mut dirs = HashSet::new();
    make_parents(work, &work.join("a/b/c.txt"), "a/b/c.txt".into(), &mut dirs).unwrap();
    assert!(work.join("a/b").is_dir());
    // Created directories are remembered: a second file under them is fine.
    make_parents(work, &work.join("a/b/d.txt"), "a/b/d.txt".into(), &mut dirs).unwrap();
    // A symlink `l` written earlier must not become the parent of `l/x`.
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(dir.path(), work.join("l")).unwrap();
        let err = make_parents(work, &work.join("l/x"), "l/x".into(), &mut dirs)
            .unwrap_err()
            .to_string();
        assert!(err.contains("l/x") && err.contains("conflicts"), "{err}");
    }
}
