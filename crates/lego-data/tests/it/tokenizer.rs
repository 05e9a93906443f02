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
        let ours = tokenizer.encode(text);
        let expected = &reference.tiktoken[i];
        for (who, ids) in [("lego", &ours), ("tokenizers", &reference.hf[i])] {
            if let Some(at) = first_difference(expected, ids) {
                failures.push(format!(
                    "text {i} {text:?}\n  {who} differs from tiktoken at token {at}\n  \
                     tiktoken:   {expected:?}\n  {who}: {ids:?}"
                ));
            }
        }
        let decoded = tokenizer.decode(&ours);
        if &decoded != text {
            failures.push(format!("text {i} {text:?} decodes to {decoded:?}"));
        }
        let (ids, offsets) = tokenizer.encode_with_offsets(text);
        assert_eq!(
            ids, ours,
            "encode_with_offsets differs from encode on text {i}"
        );
        let mut at = 0;
        for ((s, e), id) in offsets.iter().zip(&ids) {
            assert_eq!(*s, at, "offsets of text {i} leave a gap");
            let token = tokenizer.decode(&[*id]);
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
    let ids = tokenizer.encode(text);
    assert_eq!(ids[0], 151_644);
    assert_eq!(tokenizer.decode(&ids), text);
}
