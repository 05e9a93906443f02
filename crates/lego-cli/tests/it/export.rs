//! `lego data export`: the demo examples exported for TRL and LLaMA-Factory, loaded the way each
//! framework loads them (`tests/export/check_export.py` in the bootstrap venv), hold exactly the
//! tokens and loss positions `lego sft train` trains on.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::{examples, lego, read_lines, stderr, tokenizer};

const CHECK: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/export/check_export.py");

fn export(format: &str, input: &Path, out: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec![
        "data",
        "export",
        "--format",
        format,
        "--input",
        input.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend(extra);
    lego(&args)
}

fn fingerprint(dir: &Path) -> String {
    let state: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("train/state.json")).unwrap())
            .unwrap();
    state["_fingerprint"].as_str().unwrap().to_owned()
}

#[test]
fn trl_and_llamafactory_train_on_lego_tokens_and_masks() {
    let test = "trl_and_llamafactory_train_on_lego_tokens_and_masks";
    let Some(tok) = tokenizer(test) else { return };
    let Some(python) = lego_testkit::python(test) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let rendered = dir.path().join("examples.jsonl");
    let out = lego(&[
        "data",
        "render",
        "--tokenizer",
        &tok,
        "--input",
        examples().to_str().unwrap(),
        "--out",
        rendered.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let n = read_lines(&rendered).len();

    for format in ["trl", "llamafactory"] {
        let target = dir.path().join(format);
        let out = export(format, &rendered, &target, &[]);
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(
            stderr(&out).contains(&format!("exported {n} examples")),
            "{}",
            stderr(&out)
        );
        let manifest: Value = serde_json::from_str(
            &std::fs::read_to_string(target.join("lego-export.json")).unwrap(),
        )
        .unwrap();
        assert_eq!(manifest["rows"], n);

        // From trajectories in one step: the same rows, so the same content fingerprint.
        let direct = dir.path().join(format!("{format}-direct"));
        let out = export(format, &examples(), &direct, &["--tokenizer", tok.as_str()]);
        assert!(out.status.success(), "{}", stderr(&out));
        assert_eq!(fingerprint(&target), fingerprint(&direct));

        let checked = Command::new(&python)
            .arg(CHECK)
            .args([
                format,
                target.to_str().unwrap(),
                rendered.to_str().unwrap(),
                &tok,
            ])
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&checked.stdout);
        assert!(
            checked.status.success(),
            "{format}: {stdout}\n{}",
            String::from_utf8_lossy(&checked.stderr)
        );
        eprintln!("{format}: {}", stdout.trim());
        let report: Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
        assert_eq!(report["ok"], true);
    }
}

#[test]
fn a_label_that_is_not_its_input_token_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("ex.jsonl");
    std::fs::write(
        &input,
        concat!(
            r#"{"instance_id": "good", "input_ids": [5, 6, 7], "labels": [-100, 6, 7]}"#,
            "\n",
            r#"{"instance_id": "bad__1", "input_ids": [5, 6, 7], "labels": [-100, 9, 7]}"#,
            "\n"
        ),
    )
    .unwrap();
    let target = dir.path().join("out");
    let out = export("trl", &input, &target, &[]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(
        err.contains("bad__1") && err.contains("position 1"),
        "{err}"
    );
    assert!(!target.exists(), "nothing is written on bad input");
}

#[test]
fn a_directory_that_is_not_an_export_is_never_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("ex.jsonl");
    std::fs::write(
        &input,
        concat!(
            r#"{"instance_id": "a", "input_ids": [5, 6, 7], "labels": [-100, 6, 7], "tier": 0}"#,
            "\n",
            r#"{"instance_id": "b", "input_ids": [5, 8], "labels": [-100, 8], "tier": 1}"#,
            "\n"
        ),
    )
    .unwrap();
    let target = dir.path().join("precious");
    std::fs::create_dir(&target).unwrap();
    std::fs::write(target.join("keep.txt"), "mine").unwrap();
    let out = export("llamafactory", &input, &target, &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("not an earlier export"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        std::fs::read_to_string(target.join("keep.txt")).unwrap(),
        "mine"
    );

    // An earlier export is replaced; `--tier` keeps one curriculum stage.
    let target = dir.path().join("export");
    for tier in ["0", "1"] {
        let out = export("llamafactory", &input, &target, &["--tier", tier]);
        assert!(out.status.success(), "{}", stderr(&out));
        let manifest: Value = serde_json::from_str(
            &std::fs::read_to_string(target.join("lego-export.json")).unwrap(),
        )
        .unwrap();
        let want = if tier == "0" { "a" } else { "b" };
        assert_eq!(manifest["instance_ids"], serde_json::json!([want]));
    }
}
