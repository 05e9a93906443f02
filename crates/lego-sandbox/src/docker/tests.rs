use super::base::mirror_in;
use super::container::OutputSink;
use super::env_image::{dockerfile, files_hash, tag_safe};
use super::{BaseImageOptions, base_image_tag, content_hash};

#[test]
fn mirror_from_deb822_and_one_line_sources() {
    let deb822 = "Types: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm\n\nURIs: http://deb.debian.org/debian-security\n";
    assert_eq!(
        mirror_in(deb822).as_deref(),
        Some("http://deb.debian.org/debian")
    );
    let classic = "# comment\ndeb [arch=amd64 signed-by=/x.gpg] http://ftp.fr.debian.org/debian/ bookworm main\n";
    assert_eq!(
        mirror_in(classic).as_deref(),
        Some("http://ftp.fr.debian.org/debian")
    );
    assert_eq!(
        mirror_in("deb https://packages.cloud.google.com/apt cloud-sdk main\n"),
        None
    );
}

#[test]
fn base_tag_depends_on_packages_not_their_order_nor_mirror() {
    let a = BaseImageOptions::default();
    let mut b = a.clone();
    b.packages.reverse();
    b.mirror = Some("http://example.invalid/debian".to_owned());
    assert_eq!(base_image_tag(&a), base_image_tag(&b));
    b.packages.push("curl".to_owned());
    assert_ne!(base_image_tag(&a), base_image_tag(&b));
    assert!(base_image_tag(&a).starts_with("lego/base:"));
}

#[test]
fn content_hash_separates_parts() {
    assert_ne!(
        content_hash([b"ab".as_slice(), b"c"]),
        content_hash([b"a".as_slice(), b"bc"])
    );
    assert_eq!(content_hash([b"x".as_slice()]).len(), 16);
}

#[test]
fn files_hash_sees_contents_and_ignores_git() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("pkg")).unwrap();
    std::fs::write(dir.path().join("pkg/a.py"), "x = 1\n").unwrap();
    let h1 = files_hash(dir.path()).unwrap();
    std::fs::create_dir_all(dir.path().join(".git")).unwrap();
    std::fs::write(dir.path().join(".git/index"), "noise").unwrap();
    assert_eq!(h1, files_hash(dir.path()).unwrap());
    std::fs::write(dir.path().join("pkg/a.py"), "x = 2\n").unwrap();
    assert_ne!(h1, files_hash(dir.path()).unwrap());
}

#[test]
fn dockerfile_runs_each_install_command_in_bash() {
    let text = dockerfile("lego/base:abc", &["pip install -e .".to_owned()]);
    assert_eq!(
        text,
        "FROM lego/base:abc\nCOPY repo/ /testbed/\nWORKDIR /testbed\nRUN [\"bash\",\"-c\",\"pip install -e .\"]\n"
    );
}

#[test]
fn tags_are_made_safe() {
    assert_eq!(tag_safe("Owner/My-Repo"), "owner_my_repo");
    assert_eq!(tag_safe(".."), "repo");
}

#[test]
fn output_sink_keeps_the_head_and_counts_the_rest() {
    let mut sink = OutputSink::new(4);
    sink.push(b"abc");
    sink.push(b"defg");
    assert_eq!(sink.kept, b"abcd");
    assert_eq!(sink.dropped, 3);
}

#[test]
fn build_log_tail_is_one_line() {
    let log = "Step 1/2 : FROM x\n ---> abc\nStep 2/2 : RUN false\n ---> Running in 123\n\nRemoving intermediate container 123\n";
    assert_eq!(
        super::env_image::log_tail(log),
        " (build log ends: Step 1/2 : FROM x | Step 2/2 : RUN false)"
    );
}

#[test]
fn handles_cross_threads() {
    // A pool hands sandboxes to worker threads; the shell moves with its episode.
    fn send_sync<T: Send + Sync>() {}
    fn send<T: Send>() {}
    send_sync::<super::DockerBackend>();
    send_sync::<super::DockerSandbox>();
    send::<super::DockerShell>();
}
