use serde_json::{Value, json};

use super::parse_hermes;

/// What `parse_hermes` should make of a reply.
enum Expected<'a> {
    /// Parsed: the content and the calls as (name, arguments), ids `id1`, `id2`, ... in order.
    Calls(&'a str, Vec<(&'a str, Value)>),
    /// A parse failure saying `why`: the reply kept whole as content, no calls.
    Fails(&'a str),
}

fn check(text: &str, expected: Expected<'_>) {
    let mut n = 0;
    let parsed = parse_hermes(text, || {
        n += 1;
        format!("id{n}")
    });
    match expected {
        Expected::Calls(content, calls) => {
            assert_eq!(parsed.error, None, "{text:?}");
            assert_eq!(parsed.content, content, "{text:?}");
            let got: Vec<(String, String, Value)> = parsed
                .calls
                .iter()
                .map(|c| {
                    assert_eq!(c.kind, "function");
                    let args = serde_json::from_str(&c.function.arguments)
                        .unwrap_or_else(|e| panic!("{text:?}: arguments {e}"));
                    (c.id.clone(), c.function.name.clone(), args)
                })
                .collect();
            let want: Vec<(String, String, Value)> = calls
                .into_iter()
                .enumerate()
                .map(|(i, (name, args))| (format!("id{}", i + 1), name.to_owned(), args))
                .collect();
            assert_eq!(got, want, "{text:?}");
        }
        Expected::Fails(why) => {
            assert_eq!(parsed.content, text, "the reply is kept whole");
            assert!(parsed.calls.is_empty(), "{text:?}: {:?}", parsed.calls);
            let error = parsed.error.unwrap_or_else(|| panic!("{text:?} parsed"));
            assert_eq!(
                error,
                format!(
                    "ERROR:\nFailed to parse the tool call: {why}. Write each tool call as a JSON \
                     object {{\"name\": <function-name>, \"arguments\": <args-json-object>}} \
                     between <tool_call> and </tool_call>."
                ),
                "{text:?}"
            );
        }
    }
}

#[test]
fn replies_that_parse() {
    let bash = |command: &str| ("execute_bash", json!({ "command": command }));
    let cases: Vec<(&str, Expected<'_>)> = vec![
        // No call at all is not a parse failure: the loop answers it separately.
        (
            "I think the bug is in calc.py.",
            Expected::Calls("I think the bug is in calc.py.", vec![]),
        ),
        ("", Expected::Calls("", vec![])),
        (
            "<tool_call>\n{\"name\": \"execute_bash\", \"arguments\": {\"command\": \"ls\"}}\n</tool_call>",
            Expected::Calls("", vec![bash("ls")]),
        ),
        (
            "<tool_call>\n{\"name\": \"execute_bash\", \"arguments\": {\"command\": \"ls\"}}\n</tool_call>\n\
             <tool_call>\n{\"name\": \"think\", \"arguments\": {\"thought\": \"hm\"}}\n</tool_call>\n\
             <tool_call>{\"name\": \"finish\", \"arguments\": {}}</tool_call>",
            Expected::Calls(
                "",
                vec![
                    bash("ls"),
                    ("think", json!({"thought": "hm"})),
                    ("finish", json!({})),
                ],
            ),
        ),
        // Content before the calls, its trailing whitespace trimmed (the template's newline);
        // leading whitespace and inner newlines stay.
        (
            "  Let me look.\nFirst the tree. \n\n<tool_call>\n{\"name\": \"execute_bash\", \"arguments\": {\"command\": \"ls\"}}\n</tool_call>",
            Expected::Calls("  Let me look.\nFirst the tree.", vec![bash("ls")]),
        ),
        // Arguments as a JSON string holding an object (some servers write them so).
        (
            "<tool_call>{\"name\": \"execute_bash\", \"arguments\": \"{\\\"command\\\": \\\"ls -a\\\"}\"}</tool_call>",
            Expected::Calls("", vec![bash("ls -a")]),
        ),
        // Arguments missing or null: no arguments.
        (
            "<tool_call>{\"name\": \"finish\"}</tool_call>",
            Expected::Calls("", vec![("finish", json!({}))]),
        ),
        (
            "<tool_call>{\"name\": \"finish\", \"arguments\": null}</tool_call>",
            Expected::Calls("", vec![("finish", json!({}))]),
        ),
        // Text after the calls is dropped and a stray closing tag after a good block ignored,
        // as vLLM's hermes parser does (content is what precedes the first block).
        (
            "Run it.\n<tool_call>{\"name\": \"execute_bash\", \"arguments\": {\"command\": \"ls\"}}</tool_call>\nDone.</tool_call>",
            Expected::Calls("Run it.", vec![bash("ls")]),
        ),
    ];
    for (text, expected) in cases {
        check(text, expected);
    }
}

#[test]
fn arguments_keep_their_text_and_key_order() {
    let mut ids = 0;
    let parsed = parse_hermes(
        "<tool_call>{\"name\": \"str_replace_editor\", \"arguments\": {\"path\": \"/testbed/a.py\", \"command\": \"view\"}}</tool_call>\
         <tool_call>{\"name\": \"execute_bash\", \"arguments\": \"{\\\"command\\\":  \\\"ls\\\"}\"}</tool_call>",
        || {
            ids += 1;
            format!("call_{ids}")
        },
    );
    let args: Vec<&str> = parsed
        .calls
        .iter()
        .map(|c| c.function.arguments.as_str())
        .collect();
    // An object is written compactly in the model's key order; a string is kept as written.
    assert_eq!(
        args,
        [
            "{\"path\":\"/testbed/a.py\",\"command\":\"view\"}",
            "{\"command\":  \"ls\"}"
        ]
    );
    assert_eq!(ids, 2);
}

#[test]
fn malformed_replies_are_kept_whole_with_an_error() {
    let cases = [
        (
            "Let me run it.\n<tool_call>\n{\"name\": \"execute_bash\", \"arguments\": {\"command\": \"ls\"}\n</tool_call>",
            "the tool call is not valid JSON (EOF while parsing an object at line 1 column 55)",
        ),
        (
            "<tool_call>{name: execute_bash}</tool_call>",
            "the tool call is not valid JSON (key must be a string at line 1 column 2)",
        ),
        (
            "<tool_call>[\"execute_bash\", {\"command\": \"ls\"}]</tool_call>",
            "the tool call is not a JSON object",
        ),
        (
            "<tool_call>{\"arguments\": {\"command\": \"ls\"}}</tool_call>",
            "the tool call has no \"name\" string",
        ),
        (
            "<tool_call>{\"name\": \"\", \"arguments\": {}}</tool_call>",
            "the tool call has no \"name\" string",
        ),
        (
            "<tool_call>{\"name\": 5, \"arguments\": {}}</tool_call>",
            "the tool call has no \"name\" string",
        ),
        (
            "<tool_call>{\"name\": \"execute_bash\", \"arguments\": [\"ls\"]}</tool_call>",
            "the tool call's \"arguments\" is not a JSON object",
        ),
        (
            "<tool_call>{\"name\": \"execute_bash\", \"arguments\": \"ls -a\"}</tool_call>",
            "the tool call's \"arguments\" is not a JSON object",
        ),
        (
            "<tool_call>{\"name\": \"execute_bash\", \"arguments\": \"[1]\"}</tool_call>",
            "the tool call's \"arguments\" is not a JSON object",
        ),
        (
            "<tool_call>\n{\"name\": \"execute_bash\", \"arguments\": {\"command\": \"ls\"}}",
            "a <tool_call> is not closed with </tool_call>",
        ),
        // One bad block spoils the reply: the good calls before it do not run.
        (
            "<tool_call>{\"name\": \"think\", \"arguments\": {\"thought\": \"a\"}}</tool_call>\n<tool_call>{\"name\": \"think\"",
            "a <tool_call> is not closed with </tool_call>",
        ),
        (
            "<tool_call>{\"name\": \"think\", \"arguments\": {}}</tool_call>\n<tool_call>oops</tool_call>",
            "the tool call is not valid JSON (expected value at line 1 column 1)",
        ),
        (
            "{\"name\": \"execute_bash\", \"arguments\": {\"command\": \"ls\"}}\n</tool_call>",
            "found </tool_call> without a matching <tool_call>",
        ),
    ];
    for (text, why) in cases {
        check(text, Expected::Fails(why));
    }
}
