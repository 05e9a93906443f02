use super::bpe::{Ranks, Tokens, merge_by_scan, merge_with_heap};
use super::pretokenize::Pretokenizer;
use super::tiktoken::{derive_merges, parse_ranks};
use super::*;
use base64::Engine as _;

fn b64(b: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(b)
}

fn rank_file(tokens: &[&[u8]]) -> String {
    tokens
        .iter()
        .enumerate()
        .map(|(r, t)| format!("{} {r}\n", b64(t)))
        .collect()
}

/// All 256 bytes, then `extra` in rank order.
fn byte_ranks(extra: &[&[u8]]) -> Vec<Vec<u8>> {
    let mut v: Vec<Vec<u8>> = (0..=255u8).map(|b| vec![b]).collect();
    v.extend(extra.iter().map(|t| t.to_vec()));
    v
}

#[test]
fn bytes_to_unicode_round_trips_and_matches_gpt2() {
    let table = bytes_to_unicode();
    let inverse = unicode_to_bytes();
    for b in 0..=255u8 {
        assert_eq!(inverse[table[usize::from(b)] as usize], Some(b));
    }
    assert_eq!(table[usize::from(b'!')], '!');
    assert_eq!(table[usize::from(b' ')], 'Ġ');
    assert_eq!(table[usize::from(b'\n')], 'Ċ');
    assert_eq!(table[0], 'Ā');
    assert_eq!(table[0xAD], 'Ń');
    let all: Vec<u8> = (0..=255).collect();
    assert_eq!(
        from_byte_level(&inverse, &to_byte_level(&table, &all)),
        Some(all)
    );
    assert_eq!(from_byte_level(&inverse, "a\u{4e00}"), None);
}

fn check_pieces(text: &str, expected: &[&str]) {
    let pre = Pretokenizer::new(QWEN_PATTERN).unwrap();
    assert_eq!(pre.pieces(text), expected, "pieces of {text:?}");
}

#[test]
fn whitespace_lookahead_is_emulated() {
    check_pieces("hello   world", &["hello", "  ", " world"]);
    check_pieces("a \n  b", &["a", " \n", " ", " b"]);
    check_pieces("end   ", &["end", "   "]);
    check_pieces("\n\n\n", &["\n\n\n"]);
    check_pieces("x  \t\ny", &["x", "  \t\n", "y"]);
    check_pieces("a  1", &["a", " ", " ", "1"]);
    check_pieces("a \t!", &["a", " ", "\t", "!"]);
    check_pieces("a b", &["a", " b"]);
    check_pieces("  x", &[" ", " x"]);
    check_pieces("\u{3000}\u{3000}x", &["\u{3000}", "\u{3000}x"]);
    check_pieces("don't 12 Ab", &["don", "'t", " ", "1", "2", " Ab"]);
}

#[test]
fn pattern_without_lookahead_is_used_as_is() {
    let pre = Pretokenizer::new(r"\w+|\s+").unwrap();
    assert_eq!(pre.pieces("a   b"), ["a", "   ", "b"]);
}

#[test]
fn other_lookaround_is_refused() {
    let err = Pretokenizer::new(r"\w+(?=x)|\s+").unwrap_err().to_string();
    assert!(err.contains("lookaround"), "{err}");
}

#[test]
fn merges_are_every_split_by_rank() {
    let tokens = byte_ranks(&[b"ab", b"bc", b"abc", b"cab", b"abcab"]);
    let (a, b, c) = (97, 98, 99);
    let (ab, bc, abc, cab) = (256, 257, 258, 259);
    let merges = derive_merges(&tokens);
    assert_eq!(
        merges,
        [
            (a, b),    // ab
            (b, c),    // bc
            (a, bc),   // abc, sorted by left rank
            (ab, c),   // abc
            (c, ab),   // cab
            (ab, cab), // abcab: ab|cab
            (abc, ab), // abcab: abc|ab; abca|b has no abca
        ]
    );
}

#[test]
fn parse_ranks_reads_and_checks_lines() {
    let file = rank_file(&[b"a", b"b", b"ab"]);
    assert_eq!(
        parse_ranks(file.as_bytes()).unwrap(),
        [b"a".to_vec(), b"b".to_vec(), b"ab".to_vec()]
    );

    let bad = format!("{} 0\n{} 1\nnot-base64! 2\n", b64(b"a"), b64(b"b"));
    let err = parse_ranks(bad.as_bytes()).unwrap_err().to_string();
    assert!(err.contains("line 3"), "{err}");

    let err = parse_ranks(format!("{} 0\n{}\n", b64(b"a"), b64(b"b")).as_bytes())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("line 2") && err.contains("base64token rank"),
        "{err}"
    );

    let err = parse_ranks(format!("{} 0\n{} x\n", b64(b"a"), b64(b"b")).as_bytes())
        .unwrap_err()
        .to_string();
    assert!(err.contains("line 2") && err.contains("bad rank"), "{err}");

    let err = parse_ranks(format!("{} 0\n{} 2\n", b64(b"a"), b64(b"b")).as_bytes())
        .unwrap_err()
        .to_string();
    assert!(err.contains("lacks rank 1"), "{err}");
}

#[test]
fn import_checks_the_rank_count_of_the_preset() {
    let file = rank_file(&[b"a", b"b"]);
    let err = import_tiktoken(file.as_bytes(), Preset::Qwen3)
        .unwrap_err()
        .to_string();
    assert!(err.contains("151643"), "{err}");
    assert_eq!("qwen3".parse::<Preset>().unwrap(), Preset::Qwen3);
    assert!("llama".parse::<Preset>().is_err());
}

#[test]
fn qwen3_added_tokens_have_the_reference_ids() {
    let added: Vec<_> = Preset::Qwen3.added_tokens().collect();
    assert_eq!(added.len(), 26);
    assert_eq!(added[0], (151_643, "<|endoftext|>"));
    assert_eq!(added[2], (151_645, "<|im_end|>"));
    assert_eq!(added[14], (151_657, "<tool_call>"));
    assert_eq!(added[21], (151_664, "<|file_sep|>"));
    assert_eq!(added[25], (151_668, "</think>"));
}

/// A small tokenizer.json by the importer's own writer, with an added token.
fn tiny_json(extra: &[&[u8]]) -> String {
    let tokens = byte_ranks(extra);
    tiktoken::tokenizer_json(&tokens, QWEN_PATTERN, &[(tokens.len() as u32, "<|x|>")]).unwrap()
}

fn tiny_tokenizer(extra: &[&[u8]]) -> Tokenizer {
    let tok = Tokenizer::from_json_str(&tiny_json(extra)).unwrap();
    assert_eq!(
        tok.backend(),
        Backend::Lego,
        "lego's importer writes what lego encodes"
    );
    tok
}

#[test]
fn encodes_by_lowest_rank_leftmost_first() {
    // "abcab": no whole-piece token; ab (256) merges first at both places, then abc.
    let tok = tiny_tokenizer(&[b"ab", b"bc", b"abc", b"cab"]);
    assert_eq!(tok.encode("abcab").unwrap(), [258, 256]);
    // Ties go to the leftmost pair: "aaa" -> aa a.
    let tok = tiny_tokenizer(&[b"aa"]);
    assert_eq!(tok.encode("aaa").unwrap(), [256, 97]);
    let (ids, offsets) = tok.encode_with_offsets("aaa<|x|>a").unwrap();
    assert_eq!(ids, [256, 97, 257, 97]);
    assert_eq!(offsets, [(0, 2), (2, 3), (3, 8), (8, 9)]);
    assert_eq!(tok.decode(&ids).unwrap(), "aaa<|x|>a");
    assert_eq!(tok.token_to_id("<|x|>"), Some(257));
    assert_eq!(tok.token_to_id("Ġ"), Some(32));
    assert_eq!(tok.id_to_token(32).as_deref(), Some("Ġ"));
    assert_eq!(tok.id_to_token(257).as_deref(), Some("<|x|>"));
    assert_eq!(tok.id_to_token(258), None);
    assert_eq!(tok.vocab_size(), 258);
}

#[test]
fn multibyte_chars_split_into_byte_tokens_with_byte_offsets() {
    let tok = tiny_tokenizer(&[]);
    let (ids, offsets) = tok.encode_with_offsets("é").unwrap();
    assert_eq!(ids, [0xC3, 0xA9]);
    assert_eq!(offsets, [(0, 1), (1, 2)]);
    assert_eq!(tok.decode(&ids[..1]).unwrap(), "\u{FFFD}");
}

/// The same file on both backends: the same ids, tokens, decoding and vocabulary, and offsets
/// that differ only inside a multi-byte char.
#[test]
fn both_backends_agree_on_a_file_lego_reproduces() {
    let json = tiny_json(&[b"ab", b"bc", b"abc", b"cab", b"aa", b" a", b"  "]);
    let lego = Tokenizer::from_json_str_with(&json, Some(Backend::Lego)).unwrap();
    let hf = Tokenizer::from_json_str_with(&json, Some(Backend::Tokenizers)).unwrap();
    assert_eq!(hf.backend(), Backend::Tokenizers);
    assert_eq!(lego.vocab_size(), hf.vocab_size());
    for text in [
        "abcab aaa<|x|>a",
        "  a  ab\n\n  bc cab<|x|><|x|>",
        "it's ÉTÉ 修复 🐛 x=1;\r\n\tdone   ",
        "",
    ] {
        let (ids, offsets) = lego.encode_with_offsets(text).unwrap();
        let (hf_ids, hf_offsets) = hf.encode_with_offsets(text).unwrap();
        assert_eq!(ids, hf_ids, "{text:?}");
        assert_eq!(hf.encode(text).unwrap(), ids, "{text:?}");
        for (i, (ours, theirs)) in offsets.iter().zip(&hf_offsets).enumerate() {
            if text.is_char_boundary(ours.0) && text.is_char_boundary(ours.1) {
                assert_eq!(ours, theirs, "token {i} of {text:?}");
            } else {
                // Part of a char: tokenizers gives the whole char's range, which holds ours.
                assert!(
                    theirs.0 <= ours.0 && ours.1 <= theirs.1,
                    "token {i} of {text:?}"
                );
            }
        }
        assert_eq!(lego.decode(&ids).unwrap(), hf.decode(&ids).unwrap());
        assert_eq!(lego.decode(&ids).unwrap(), text);
    }
    for id in [32, 97, 256, 262, 263] {
        let token = lego.id_to_token(id);
        assert_eq!(token, hf.id_to_token(id), "id {id}");
        let token = token.unwrap();
        assert_eq!(hf.token_to_id(&token), Some(id));
        assert_eq!(lego.token_to_id(&token), Some(id));
    }
}

/// What lego's encoder does not reproduce is refused when it is forced, and loaded on
/// `tokenizers` when the backend is chosen automatically.
#[test]
fn other_tokenizer_kinds_fall_back_to_tokenizers() {
    let json = tiny_json(&[b"ab"]);
    let original: serde_json::Value = serde_json::from_str(&json).unwrap();
    type Edit = Box<dyn Fn(&mut serde_json::Value)>;
    let cases: Vec<(&str, Edit)> = vec![
        (
            "normalizer",
            Box::new(|v| v["normalizer"] = serde_json::json!({"type": "NFC"})),
        ),
        (
            "pre_tokenizer",
            Box::new(|v| {
                v["pre_tokenizer"] = serde_json::json!({"type": "ByteLevel", "add_prefix_space": false,
                        "trim_offsets": false, "use_regex": true})
            }),
        ),
        (
            "pattern",
            Box::new(|v| {
                v["pre_tokenizer"]["pretokenizers"][0]["pattern"]["Regex"] = r"\S+|\s+".into()
            }),
        ),
        (
            "ignore_merges",
            Box::new(|v| v["model"]["ignore_merges"] = false.into()),
        ),
        (
            "merge",
            Box::new(|v| v["model"]["merges"] = serde_json::json!([])),
        ),
        (
            "lstrip",
            Box::new(|v| v["added_tokens"][0]["lstrip"] = true.into()),
        ),
    ];
    for (what, edit) in cases {
        let mut value = original.clone();
        edit(&mut value);
        let json = value.to_string();
        let err = Tokenizer::from_json_str_with(&json, Some(Backend::Lego))
            .unwrap_err()
            .to_string();
        assert!(err.contains(what), "{what}: {err}");
        let tok = Tokenizer::from_json_str(&json).unwrap();
        assert_eq!(tok.backend(), Backend::Tokenizers, "{what}");
        assert_eq!(tok.decode(&tok.encode("ab ab").unwrap()).unwrap(), "ab ab");
    }

    // A file neither backend reads says what `tokenizers` and lego's encoder found wrong.
    let mut value = original.clone();
    value["model"]["type"] = "Unigram".into();
    let err = Tokenizer::from_json_str(&value.to_string()).unwrap_err();
    let shown = err.to_string();
    assert!(
        shown.contains("cannot load") && shown.contains("model"),
        "{shown}"
    );
    assert!(std::error::Error::source(&err).is_some());
}

#[test]
fn tokenizer_is_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<Tokenizer>();
}

/// A tiny deterministic generator, so the test needs no `rand`.
fn xorshift(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

#[test]
fn heap_merge_equals_tiktoken_scan() {
    let mut ranks = Ranks::default();
    for b in 0..=255u8 {
        ranks.insert(&[b], u32::from(b));
    }
    // Overlapping tokens over a three-letter alphabet, ranks in a scrambled order.
    let mut seed = 0x9E37_79B9_7F4A_7C15;
    let mut next_rank = 256;
    for _ in 0..300 {
        let len = 2 + (xorshift(&mut seed) % 6) as usize;
        let token: Vec<u8> = (0..len)
            .map(|_| b"abc"[(xorshift(&mut seed) % 3) as usize])
            .collect();
        if ranks.get(&token).is_none() {
            ranks.insert(&token, next_rank);
            next_rank += 1;
        }
    }
    let (mut scan, mut heap) = (Vec::new(), Vec::new());
    for round in 0..500 {
        let len = 2 + (xorshift(&mut seed) % 300) as usize;
        let piece: Vec<u8> = (0..len)
            .map(|_| b"abc "[(xorshift(&mut seed) % 4) as usize])
            .collect();
        merge_by_scan(&ranks, &piece, &mut scan);
        merge_with_heap(&ranks, &piece, &mut heap);
        let starts = |p: &[(usize, u32)]| p.iter().map(|x| x.0).collect::<Vec<_>>();
        assert_eq!(
            starts(&scan),
            starts(&heap),
            "round {round}: {:?}",
            String::from_utf8_lossy(&piece)
        );
    }
}

/// The older merge form, `"a b"`, is read as `["a", "b"]` is.
#[test]
fn merges_as_strings_are_read_too() {
    let json = tiny_json(&[b"ab", b"bc", b"abc", b" a"]);
    let mut value: serde_json::Value = serde_json::from_str(&json).unwrap();
    let merges: Vec<serde_json::Value> = value["model"]["merges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| format!("{} {}", m[0].as_str().unwrap(), m[1].as_str().unwrap()).into())
        .collect();
    assert!(!merges.is_empty());
    value["model"]["merges"] = merges.into();
    let tok = Tokenizer::from_json_str(&value.to_string()).unwrap();
    assert_eq!(tok.backend(), Backend::Lego);
    let original = Tokenizer::from_json_str(&json).unwrap();
    for text in ["abc a", "bcab  abc<|x|>"] {
        assert_eq!(tok.encode(text).unwrap(), original.encode(text).unwrap());
    }
}

/// A vocab lego's encoder cannot take says why, whatever part of it is wrong.
#[test]
fn malformed_vocab_and_merges_are_refused_with_the_reason() {
    let json = tiny_json(&[b"ab"]);
    let original: serde_json::Value = serde_json::from_str(&json).unwrap();
    type Edit = Box<dyn Fn(&mut serde_json::Value)>;
    let cases: Vec<(&str, Edit)> = vec![
        (
            "not a byte-level token",
            Box::new(|v| v["model"]["vocab"]["a\u{4e00}"] = 257.into()),
        ),
        (
            "not a u32",
            Box::new(|v| v["model"]["vocab"]["ab"] = (-1).into()),
        ),
        (
            "not 0..",
            Box::new(|v| v["model"]["vocab"]["ab"] = 9999.into()),
        ),
        (
            "given to two tokens",
            Box::new(|v| v["model"]["vocab"]["ab"] = 3.into()),
        ),
        (
            "empty token",
            Box::new(|v| v["model"]["vocab"][""] = 257.into()),
        ),
        (
            "not an object",
            Box::new(|v| v["model"]["vocab"] = serde_json::json!([["a", 0]])),
        ),
        (
            "not a list",
            Box::new(|v| v["model"]["merges"] = serde_json::json!({})),
        ),
        (
            "merge 0 (malformed)",
            Box::new(|v| v["model"]["merges"][0] = serde_json::json!(["a", "b", "c"])),
        ),
        (
            "is not the one the ranks imply",
            Box::new(|v| v["model"]["merges"][0] = serde_json::json!(["ab", "a"])),
        ),
        (
            "unexpected shape",
            Box::new(|v| *v = serde_json::json!([1, 2])),
        ),
    ];
    for (what, edit) in cases {
        let mut value = original.clone();
        edit(&mut value);
        let err = Tokenizer::from_json_str_with(&value.to_string(), Some(Backend::Lego))
            .unwrap_err()
            .to_string();
        assert!(err.contains(what), "{what}: {err}");
    }
    let err = Tokenizer::from_json_str("{\"model\": ")
        .unwrap_err()
        .to_string();
    assert!(err.contains("is not JSON"), "{err}");
}

/// The rank table answers as a map would, and grows from empty.
#[test]
fn rank_table_finds_every_token_and_nothing_else() {
    let mut ranks = Ranks::default();
    assert_eq!(ranks.get(b"a"), None);
    let mut seed = 7;
    let mut tokens: Vec<Vec<u8>> = Vec::new();
    while tokens.len() < 5000 {
        let len = 1 + (xorshift(&mut seed) % 24) as usize;
        let t: Vec<u8> = (0..len).map(|_| xorshift(&mut seed) as u8).collect();
        if ranks.get(&t).is_none() {
            assert_eq!(ranks.insert(&t, tokens.len() as u32), None);
            tokens.push(t);
        }
    }
    assert_eq!(ranks.insert(&tokens[9], 1), Some(9));
    assert_eq!(ranks.insert(&tokens[9], 9), Some(1));
    assert_eq!(ranks.len(), tokens.len());
    for (rank, t) in tokens.iter().enumerate() {
        assert_eq!(ranks.get(t), Some(rank as u32));
        let mut other = t.clone();
        other.push(0xFF);
        if !tokens.contains(&other) {
            assert_eq!(ranks.get(&other), None);
        }
    }
    assert_eq!(ranks.get(b""), None);
}

fn table(tokens: &[Vec<u8>]) -> Tokens {
    let mut table = Tokens::with_capacity(tokens.len(), 0);
    for t in tokens {
        assert!(table.push(t));
    }
    table
}

/// A saved table is taken back only for the tokens it was built from.
#[test]
fn rank_table_from_slots_checks_the_tokens() {
    let tokens = byte_ranks(&[b"ab", b"abc", b"a very long token of bytes"]);
    let vocab = table(&tokens);
    let ranks = Ranks::from_tokens(&vocab).unwrap();
    let back = Ranks::from_slots(ranks.slots().to_vec(), &vocab).unwrap();
    for (rank, t) in tokens.iter().enumerate() {
        assert_eq!(back.get(t), Some(rank as u32));
    }
    assert_eq!(back.len(), tokens.len());
    // Slots moved (another hash would place them elsewhere), or a vocab they do not hold.
    let mut moved = ranks.slots().to_vec();
    moved.rotate_left(1);
    assert!(Ranks::from_slots(moved, &vocab).is_none());
    let other = table(&byte_ranks(&[b"ba"]));
    assert!(Ranks::from_slots(ranks.slots().to_vec(), &other).is_none());
    assert!(Ranks::from_slots(ranks.slots()[1..].to_vec(), &vocab).is_none());
    assert_eq!(
        Ranks::from_tokens(&table(&byte_ranks(&[b"ab", b"ab"]))).unwrap_err(),
        b"ab"
    );
}

fn lego_encoder(json: &str) -> encoder::LegoEncoder {
    encoder::LegoEncoder::from_json(json).unwrap()
}

/// An entry holds what the file compiled to, and gives an encoder that encodes as the parsed
/// one does; anything else in its place is a miss.
#[test]
fn cache_entries_round_trip_and_refuse_damage() {
    let json = tiny_json(&[
        b"ab",
        b"bc",
        b"abc",
        b"cab",
        b" a",
        b"  ",
        b"a long token, long",
    ]);
    let parsed = lego_encoder(&json);
    let key = cache::key(json.as_bytes());
    let bytes = cache::encode(&key, parsed.parts(), parsed.rank_slots()).unwrap();
    let decode = |b: &[u8], k: &cache::Key| cache::decode(b, b.len() as u64, k);
    let entry = decode(&bytes, &key).unwrap();
    assert_eq!(&entry.parts, parsed.parts());
    assert_eq!(entry.slots, parsed.rank_slots());
    let cached = encoder::LegoEncoder::from_cache(entry).unwrap();
    let rebuilt = encoder::LegoEncoder::from_parts(parsed.parts().clone()).unwrap();
    for text in [
        "abcab aaa<|x|>a a long token, long",
        "  a  ab\n\n  bc cab<|x|><|x|>",
        "it's ÉTÉ 修复 🐛 x=1;\r\n\tdone   ",
    ] {
        let want = parsed.encode_with_offsets(text);
        assert_eq!(cached.encode_with_offsets(text), want, "{text:?}");
        assert_eq!(rebuilt.encode_with_offsets(text), want, "{text:?}");
        assert_eq!(cached.decode(&want.0), text);
    }
    assert_eq!(cached.vocab_size(), parsed.vocab_size());
    for id in 0..cached.vocab_size() as u32 + 2 {
        assert_eq!(cached.id_to_token(id), parsed.id_to_token(id), "id {id}");
    }

    // Another key, format or magic, a flipped bit, a cut or a longer entry: no entry.
    assert!(decode(&bytes, &cache::key(b"other")).is_none());
    for at in [0, 8, bytes.len() / 2, bytes.len() - 1] {
        let mut damaged = bytes.clone();
        damaged[at] ^= 0x10;
        assert!(decode(&damaged, &key).is_none(), "flipped byte {at}");
    }
    assert!(decode(&bytes[..bytes.len() - 1], &key).is_none());
    let mut longer = bytes.clone();
    longer.push(0);
    assert!(decode(&longer, &key).is_none());
    assert!(cache::decode(&bytes[..], bytes.len() as u64 + 1, &key).is_none());
}

/// `from_file_cached`: the first load writes an entry named by the file's contents and the
/// format, later loads read it (an entry planted under the key is what loads), an edited file
/// is parsed again, a damaged entry is replaced, and a cache that cannot be written only costs
/// the parse. Files on `tokenizers` are not cached.
#[test]
fn from_file_cached_reads_writes_and_recovers() {
    let dir = tempfile::tempdir().unwrap();
    let cache_dir = dir.path().join("cache");
    let file = dir.path().join("tokenizer.json");
    let json = tiny_json(&[b"ab", b"bc"]);
    std::fs::write(&file, &json).unwrap();
    let key = cache::key(json.as_bytes());
    let entry = cache::entry_path(&cache_dir, &key);
    assert!(
        entry
            .file_name()
            .unwrap()
            .to_str()
            .unwrap()
            .ends_with(&format!(".v{}.lego-bpe", cache::FORMAT))
    );

    let first = Tokenizer::from_file_cached(&file, &cache_dir).unwrap();
    assert_eq!(first.backend(), Backend::Lego);
    let written = std::fs::read(&entry).unwrap();
    let again = Tokenizer::from_file_cached(&file, &cache_dir).unwrap();
    assert_eq!(
        again.encode("abc ab").unwrap(),
        first.encode("abc ab").unwrap()
    );
    assert_eq!(std::fs::read(&entry).unwrap(), written);
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        2,
        "nothing is written beside the tokenizer.json"
    );

    // A hit is read from the entry: plant another vocabulary's under this file's key.
    let planted = lego_encoder(&tiny_json(&[b"ab", b"bc", b"abc"]));
    std::fs::write(
        &entry,
        cache::encode(&key, planted.parts(), planted.rank_slots()).unwrap(),
    )
    .unwrap();
    let from_entry = Tokenizer::from_file_cached(&file, &cache_dir).unwrap();
    assert_eq!(from_entry.encode("abc").unwrap(), [258]);
    assert_eq!(
        Tokenizer::from_file(&file).unwrap().encode("abc").unwrap(),
        [256, 99]
    );

    // A damaged entry is a miss, parsed again and replaced.
    let mut damaged = written.clone();
    let last = damaged.len() - 1;
    damaged[last] ^= 1;
    std::fs::write(&entry, &damaged).unwrap();
    let recovered = Tokenizer::from_file_cached(&file, &cache_dir).unwrap();
    assert_eq!(recovered.encode("abc").unwrap(), [256, 99]);
    assert_eq!(std::fs::read(&entry).unwrap(), written);

    // An edited file has another key: parsed, and cached beside the first.
    let edited = tiny_json(&[b"ab", b"bc", b"abc"]);
    std::fs::write(&file, &edited).unwrap();
    let tok = Tokenizer::from_file_cached(&file, &cache_dir).unwrap();
    assert_eq!(tok.encode("abc").unwrap(), [258]);
    assert!(cache::entry_path(&cache_dir, &cache::key(edited.as_bytes())).exists());
    assert_eq!(std::fs::read_dir(&cache_dir).unwrap().count(), 2);

    // A cache directory that cannot be made (a file is in its way): loads all the same.
    let blocked = dir.path().join("blocked");
    std::fs::write(&blocked, "").unwrap();
    let tok = Tokenizer::from_file_cached(&file, &blocked.join("cache")).unwrap();
    assert_eq!(tok.encode("abc").unwrap(), [258]);

    // A file lego's encoder does not take is loaded on `tokenizers` and not cached.
    let mut nfc: serde_json::Value = serde_json::from_str(&json).unwrap();
    nfc["normalizer"] = serde_json::json!({"type": "NFC"});
    let nfc_text = nfc.to_string();
    std::fs::write(&file, &nfc_text).unwrap();
    let tok = Tokenizer::from_file_cached(&file, &cache_dir).unwrap();
    assert_eq!(tok.backend(), Backend::Tokenizers);
    assert!(!cache::entry_path(&cache_dir, &cache::key(nfc_text.as_bytes())).exists());

    // A missing file names itself.
    let err = Tokenizer::from_file_cached(&dir.path().join("none.json"), &cache_dir).unwrap_err();
    assert!(err.to_string().contains("none.json"), "{err}");
}
