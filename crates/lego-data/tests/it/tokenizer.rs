//! The tokenizer against tiktoken itself: lego's `tokenizer.json` read by lego's encoder and by
//! Hugging Face `tokenizers` must give tiktoken's ids on every text of the corpus.

use std::path::Path;
use std::process::Command;

use lego_data::{Preset, Tokenizer, import_tiktoken_file};
use serde::Deserialize;

use lego_testkit as env;

#[derive(Deserialize)]
struct Reference {
    texts: Vec<String>,
    tiktoken: Vec<Vec<u32>>,
    hf: Vec<Vec<u32>>,
}

fn first_difference(a: &[u32], b: &[u32]) -> Option<usize> {
    (0..a.len().max(b.len())).find(|i| a.get(*i) != b.get(*i))
}

#[test]
fn encodes_like_tiktoken() {
    const NAME: &str = "tokenizer::encodes_like_tiktoken";
    let (Some(python), Some(ranks)) = (env::python(NAME), env::qwen_ranks(NAME)) else {
        return;
    };
    let json = import_tiktoken_file(&ranks, Preset::Qwen3).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tokenizer.json");
    std::fs::write(&path, json).unwrap();
    let tokenizer = Tokenizer::from_file(&path).unwrap();
    assert_eq!(tokenizer.vocab_size(), 151_669);
    assert_eq!(tokenizer.token_to_id("<|im_end|>"), Some(151_645));

    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let out = Command::new(python)
        .arg(root.join("parity/tiktoken_parity.py"))
        .arg(&ranks)
        .arg(&path)
        .arg(root.join("data/tokenizer_corpus.json"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "parity script failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let reference: Reference = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        reference.texts.len() > 300,
        "corpus too small: {}",
        reference.texts.len()
    );

    let mut failures = Vec::new();
    for (i, text) in reference.texts.iter().enumerate() {
        let ours = tokenizer.encode(text).unwrap();
        let expected = &reference.tiktoken[i];
        for (who, ids) in [("lego", &ours), ("tokenizers", &reference.hf[i])] {
            if let Some(at) = first_difference(expected, ids) {
                failures.push(format!(
                    "text {i} {text:?}\n  {who} differs from tiktoken at token {at}\n  \
                     tiktoken:   {expected:?}\n  {who}: {ids:?}"
                ));
            }
        }
        let decoded = tokenizer.decode(&ours).unwrap();
        if &decoded != text {
            failures.push(format!("text {i} {text:?} decodes to {decoded:?}"));
        }
        let (ids, offsets) = tokenizer.encode_with_offsets(text).unwrap();
        assert_eq!(
            ids, ours,
            "encode_with_offsets differs from encode on text {i}"
        );
        let mut at = 0;
        for ((s, e), id) in offsets.iter().zip(&ids) {
            assert_eq!(*s, at, "offsets of text {i} leave a gap");
            let token = tokenizer.decode(&[*id]).unwrap();
            if !token.contains('\u{FFFD}') {
                assert_eq!(
                    token.as_bytes(),
                    &text.as_bytes()[*s..*e],
                    "token at {s}..{e} of text {i}"
                );
            }
            at = *e;
        }
        assert_eq!(at, text.len(), "offsets of text {i} stop early");
    }
    let total = failures.len();
    failures.truncate(10);
    assert!(
        total == 0,
        "{total} mismatches over {} texts; the first ones:\n{}",
        reference.texts.len(),
        failures.join("\n")
    );
}

/// The bootstrap's `tokenizer.json` (built by `lego tokenizer import-tiktoken`) loads and holds
/// the Qwen3 added tokens at their ids.
#[test]
fn bootstrap_tokenizer_loads() {
    let Some(path) = env::tokenizer("tokenizer::bootstrap_tokenizer_loads") else {
        return;
    };
    let tokenizer = Tokenizer::from_file(&path).unwrap();
    assert_eq!(tokenizer.vocab_size(), 151_669);
    for (id, text) in Preset::Qwen3.added_tokens() {
        assert_eq!(tokenizer.token_to_id(text), Some(id), "{text}");
        assert_eq!(tokenizer.id_to_token(id).as_deref(), Some(text));
    }
    let text = "<|im_start|>user\nfix the bug in `parse()`<|im_end|>\n";
    let ids = tokenizer.encode(text).unwrap();
    assert_eq!(ids[0], 151_644);
    assert_eq!(tokenizer.decode(&ids).unwrap(), text);
}

/// A `tokenizer.json` that lego did not write: the Python `tokenizers` package's, built from the
/// same ranks by `tests/parity/make_hf_tokenizer.py`. lego's encoder takes the plain file
/// (automatically) and gives the ids it gives on lego's own file; `tokenizers` gives the same
/// ids and offsets that label the same bytes; the file with a checkpoint's NFC normalizer goes
/// through `tokenizers` and encodes each text as the plain file encodes its NFC form. Rendering
/// the bundled trajectories gives the same examples on every path.
#[test]
fn tokenizer_json_written_by_python_tokenizers() {
    use lego_data::{Backend, RenderOptions, annotate_steps, example_trajectories, render_example};
    use tokenizers::{NormalizedString, Normalizer, normalizers::unicode::NFC};

    const NAME: &str = "tokenizer::tokenizer_json_written_by_python_tokenizers";
    let (Some(python), Some(ranks)) = (env::python(NAME), env::qwen_ranks(NAME)) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let out = Command::new(python)
        .arg(root.join("parity/make_hf_tokenizer.py"))
        .arg(&ranks)
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "make_hf_tokenizer.py failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ours = dir.path().join("lego.json");
    std::fs::write(&ours, import_tiktoken_file(&ranks, Preset::Qwen3).unwrap()).unwrap();
    let fast = Tokenizer::from_file(&ours).unwrap();
    assert_eq!(fast.backend(), Backend::Lego);

    let plain = dir.path().join("plain/tokenizer.json");
    let nfc_file = dir.path().join("nfc/tokenizer.json");
    let python_fast = Tokenizer::from_file(&plain).unwrap();
    assert_eq!(
        python_fast.backend(),
        Backend::Lego,
        "lego's encoder must take a TikTokenConverter-style file whoever wrote it"
    );
    let python_hf = Tokenizer::from_file_with(&plain, Some(Backend::Tokenizers)).unwrap();
    let nfc = Tokenizer::from_file(&nfc_file).unwrap();
    assert_eq!(nfc.backend(), Backend::Tokenizers);
    let refused = Tokenizer::from_file_with(&nfc_file, Some(Backend::Lego)).unwrap_err();
    assert!(refused.to_string().contains("normalizer"), "{refused}");
    for tok in [&python_fast, &python_hf, &nfc] {
        assert_eq!(tok.vocab_size(), 151_669);
        assert_eq!(tok.token_to_id("<|im_end|>"), Some(151_645));
    }

    let corpus: Vec<String> =
        serde_json::from_slice(&std::fs::read(root.join("data/tokenizer_corpus.json")).unwrap())
            .unwrap();
    assert!(corpus.len() > 300, "corpus too small: {}", corpus.len());
    let mut failures = Vec::new();
    for (i, text) in corpus.iter().enumerate() {
        let (expected, offsets) = fast.encode_with_offsets(text).unwrap();
        let mut normalized = NormalizedString::from(text.as_str());
        NFC.normalize(&mut normalized).unwrap();
        let checks = [
            (
                "python file, lego",
                python_fast.encode(text).unwrap(),
                &expected,
            ),
            (
                "python file, tokenizers",
                python_hf.encode(text).unwrap(),
                &expected,
            ),
            (
                "NFC file, tokenizers (vs lego on the NFC text)",
                nfc.encode(text).unwrap(),
                &fast.encode(normalized.get()).unwrap(),
            ),
        ];
        for (who, ids, want) in checks {
            if let Some(at) = first_difference(want, &ids) {
                failures.push(format!(
                    "text {i} {text:?}: {who} differs at token {at}\n  want {want:?}\n  got  {ids:?}"
                ));
            }
        }
        let (ids, hf_offsets) = python_hf.encode_with_offsets(text).unwrap();
        if ids == expected {
            for (k, (a, b)) in offsets.iter().zip(&hf_offsets).enumerate() {
                // tokenizers widens a range that cuts a char to that char's edges.
                let floor = (0..=a.0).rev().find(|&p| text.is_char_boundary(p));
                let ceil = (a.1..=text.len()).find(|&p| text.is_char_boundary(p));
                if (floor, ceil) != (Some(b.0), Some(b.1)) {
                    failures.push(format!(
                        "text {i}: offsets of token {k}: lego {a:?}, tokenizers {b:?}"
                    ));
                    break;
                }
            }
        }
    }
    let total = failures.len();
    failures.truncate(10);
    assert!(
        total == 0,
        "{total} mismatches over {} texts; the first ones:\n{}",
        corpus.len(),
        failures.join("\n")
    );

    let opts = RenderOptions::default();
    for mut traj in example_trajectories() {
        annotate_steps(&mut traj);
        let want = render_example(&traj, &fast, &opts).unwrap();
        assert!(want.trained > 0);
        for (who, tok) in [
            ("lego", &python_fast),
            ("tokenizers", &python_hf),
            ("NFC", &nfc),
        ] {
            let got = render_example(&traj, tok, &opts).unwrap();
            assert_eq!(got, want, "{}: rendered on {who}", traj.instance_id);
        }
    }
}

/// The bootstrap's tokenizer loaded from the cache of compiled tokenizers (written by a first
/// load, read by a second) encodes, decodes and names tokens exactly as the parsed file does,
/// on every text of the corpus and every id.
#[test]
fn cached_tokenizer_equals_the_parsed_one() {
    let Some(path) = env::tokenizer("tokenizer::cached_tokenizer_equals_the_parsed_one") else {
        return;
    };
    let cache = tempfile::tempdir().unwrap();
    let parsed = Tokenizer::from_file(&path).unwrap();
    let first = Tokenizer::from_file_cached(&path, cache.path()).unwrap();
    assert_eq!(std::fs::read_dir(cache.path()).unwrap().count(), 1);
    let cached = Tokenizer::from_file_cached(&path, cache.path()).unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let corpus: Vec<String> =
        serde_json::from_slice(&std::fs::read(root.join("data/tokenizer_corpus.json")).unwrap())
            .unwrap();
    assert!(corpus.len() > 300, "corpus too small: {}", corpus.len());
    for tok in [&first, &cached] {
        assert_eq!(tok.backend(), parsed.backend());
        assert_eq!(tok.vocab_size(), parsed.vocab_size());
        for (i, text) in corpus.iter().enumerate() {
            let want = parsed.encode_with_offsets(text).unwrap();
            assert_eq!(tok.encode_with_offsets(text).unwrap(), want, "text {i}");
            assert_eq!(tok.decode(&want.0).unwrap(), *text, "text {i}");
        }
        for id in 0..parsed.vocab_size() as u32 + 1 {
            let name = parsed.id_to_token(id);
            assert_eq!(tok.id_to_token(id), name, "id {id}");
            if let Some(name) = name {
                assert_eq!(tok.token_to_id(&name), Some(id), "id {id}");
            }
        }
    }
}
