use std::error::Error as _;

use lego_data::{
    Error, JsonlAppender, ReadOptions, Task, completed_ids, jsonl_records, read_jsonl,
    resume_state, write_atomic, write_jsonl,
};
use serde_json::{Value, json};

use crate::fixture;

#[test]
fn tasks_read_in_swebench_and_array_shapes() {
    let (tasks, report) =
        read_jsonl::<Task>(&fixture("tasks.jsonl"), &ReadOptions::default()).unwrap();
    assert_eq!(report.records, 2);
    assert!(report.skipped.is_empty());
    assert_eq!(tasks[0].instance_id, "acme__pagify-112");
    assert_eq!(
        tasks[0].fail_to_pass,
        ["tests/test_x.py::test_a", "tests/test_x.py::test_b[a b]"]
    );
    assert!(tasks[0].pass_to_pass.is_empty());
    assert_eq!(tasks[1].fail_to_pass, ["tests/test_slug.py::test_accents"]);
    assert_eq!(tasks[1].pass_to_pass.len(), 2);
    assert_eq!(
        tasks[1].image_name.as_deref(),
        Some("swesmith.x86_64.acme__slugkit.0123abcd")
    );
    assert_eq!(tasks[1].extra["difficulty"], json!("<15 min fix"));
}

#[test]
fn unknown_fields_survive_a_round_trip() {
    let (tasks, _) = read_jsonl::<Task>(&fixture("tasks.jsonl"), &ReadOptions::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("tasks.jsonl");
    write_jsonl(&out, &tasks).unwrap();
    let (back, _) = read_jsonl::<Task>(&out, &ReadOptions::default()).unwrap();
    assert_eq!(back, tasks);
    let raw: Vec<Value> = read_jsonl(&out, &ReadOptions::default()).unwrap().0;
    assert_eq!(raw[1]["meta"], json!({"annotator": 3, "tags": ["unicode"]}));
    // Key order of unknown fields is kept too.
    let keys: Vec<&str> = raw[1]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys[keys.len() - 2..], ["difficulty", "meta"]);
}

#[test]
fn malformed_line_names_file_and_line() {
    let path = fixture("malformed.jsonl");
    let err = read_jsonl::<Value>(&path, &ReadOptions::default()).unwrap_err();
    assert!(matches!(err, Error::Malformed { line: 2, .. }));
    let text = err.to_string();
    assert!(
        text.ends_with("tests/data/malformed.jsonl:2: malformed record"),
        "{text}"
    );
    // The serde cause is chained, not repeated.
    let cause = err.source().unwrap().to_string();
    assert!(cause.contains("EOF") || cause.contains("line 1"), "{cause}");
}

#[test]
fn skip_mode_counts_skipped_lines() {
    #[derive(serde::Deserialize)]
    #[allow(dead_code)]
    struct Rec {
        instance_id: String,
    }
    let opts = ReadOptions {
        skip_malformed: true,
    };
    let (records, report) = read_jsonl::<Rec>(&fixture("malformed.jsonl"), &opts).unwrap();
    assert_eq!(records.len(), 2);
    assert_eq!(report.records, 2);
    let lines: Vec<usize> = report.skipped.iter().map(|s| s.line).collect();
    assert_eq!(lines, [2, 5]);
}

#[test]
fn streaming_gives_line_numbers() {
    let lines: Vec<usize> = jsonl_records::<Value>(&fixture("tasks.jsonl"))
        .unwrap()
        .map(|r| r.unwrap().0)
        .collect();
    assert_eq!(lines, [1, 3]);
    let missing = jsonl_records::<Value>(&fixture("nope.jsonl"))
        .err()
        .unwrap();
    assert!(
        missing.to_string().starts_with("failed to read "),
        "{missing}"
    );
}

#[test]
fn atomic_write_leaves_no_temp_files() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.json");
    write_atomic(&out, b"first").unwrap();
    write_atomic(&out, b"second").unwrap();
    write_jsonl(
        &dir.path().join("recs.jsonl"),
        &[json!({"a": 1}), json!({"a": 2})],
    )
    .unwrap();
    assert_eq!(std::fs::read(&out).unwrap(), b"second");
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["out.json", "recs.jsonl"]);
    // A directory that does not exist is an error naming the file, and nothing is left behind.
    let bad = dir.path().join("no/such/dir/x.json");
    let err = write_atomic(&bad, b"x").unwrap_err();
    assert!(err.to_string().contains("no/such/dir/x.json"), "{err}");
}

#[test]
fn appender_resumes_after_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("results.jsonl");
    assert!(completed_ids(&out, "instance_id").unwrap().is_empty());
    {
        let mut app = JsonlAppender::open(&out).unwrap();
        app.append(&json!({"instance_id": "a", "resolved": true}))
            .unwrap();
        app.append(&json!({"instance_id": "b", "resolved": false}))
            .unwrap();
    }
    // A crash in the middle of the third record.
    let mut bytes = std::fs::read(&out).unwrap();
    bytes.extend_from_slice(br#"{"instance_id": "c", "reso"#);
    std::fs::write(&out, &bytes).unwrap();

    let state = resume_state(&out, "instance_id").unwrap();
    assert_eq!(state.truncated.as_ref().map(|t| t.line), Some(3));
    let ids = completed_ids(&out, "instance_id").unwrap();
    assert_eq!(ids.len(), 2);
    assert!(ids.contains("a") && ids.contains("b"));

    // Reopening drops the torn line; the run redoes "c" and goes on.
    let mut app = JsonlAppender::open(&out).unwrap();
    app.append(&json!({"instance_id": "c", "resolved": true}))
        .unwrap();
    app.append(&json!({"instance_id": "d", "resolved": true}))
        .unwrap();
    let state = resume_state(&out, "instance_id").unwrap();
    assert!(state.truncated.is_none());
    assert_eq!(state.ids.len(), 4);
    let (all, _) = read_jsonl::<Value>(&out, &ReadOptions::default()).unwrap();
    assert_eq!(all.len(), 4);
}

#[test]
fn resume_rejects_damage_before_the_end() {
    let err = completed_ids(&fixture("malformed.jsonl"), "instance_id").unwrap_err();
    assert!(
        err.to_string()
            .ends_with("malformed.jsonl:2: malformed record"),
        "{err}"
    );
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r.jsonl");
    std::fs::write(&out, "{\"id\": 1}\n{\"other\": 2}\n").unwrap();
    let err = completed_ids(&out, "id").unwrap_err().to_string();
    assert!(
        err.ends_with("r.jsonl:2: record has no string `id`"),
        "{err}"
    );
}

#[test]
fn invalid_utf8_is_a_malformed_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.jsonl");
    std::fs::write(&path, b"{\"a\": 1}\r\n{\"a\": \"\xff\"}\n").unwrap();
    let err = read_jsonl::<Value>(&path, &ReadOptions::default()).unwrap_err();
    assert!(matches!(err, Error::Malformed { line: 2, .. }), "{err}");
}
