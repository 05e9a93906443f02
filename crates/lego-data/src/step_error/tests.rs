use serde_json::json;

use super::{annotate_steps, classify_step};
use crate::schema::{FunctionCall, Message, Role, StepError, StepMeta, ToolCall, Trajectory};
use crate::tool_schemas::openhands_tools;

use StepError::*;

/// One case: tool name, arguments text, observation, exit code, expected class.
type Row = (
    &'static str,
    &'static str,
    &'static str,
    Option<i64>,
    Option<StepError>,
);

const DONE0: &str = "\n[The command completed with exit code 0.]";

fn rows() -> Vec<Row> {
    vec![
        // 1. arguments that are not a JSON object
        (
            "execute_bash",
            r#"{"command": "ls"#,
            "",
            None,
            Some(ToolCallParse),
        ),
        ("execute_bash", r#"["ls"]"#, "", None, Some(ToolCallParse)),
        ("execute_bash", "command=ls", "", None, Some(ToolCallParse)),
        // 2. unknown tool
        (
            "run_shell",
            r#"{"command": "ls"}"#,
            "",
            None,
            Some(UnknownTool),
        ),
        (
            "browser",
            r#"{"url": "https://x"}"#,
            "",
            None,
            Some(UnknownTool),
        ),
        // 3. invalid arguments
        (
            "execute_bash",
            r#"{"cmd": "ls"}"#,
            "",
            None,
            Some(InvalidArguments),
        ),
        (
            "execute_bash",
            r#"{"command": ["ls", "-l"]}"#,
            "",
            None,
            Some(InvalidArguments),
        ),
        (
            "execute_bash",
            r#"{"command": "sleep 1", "timeout": "30"}"#,
            "",
            None,
            Some(InvalidArguments),
        ),
        (
            "str_replace_editor",
            r#"{"command": "open", "path": "/testbed/a.py"}"#,
            "",
            None,
            Some(InvalidArguments),
        ),
        (
            "str_replace_editor",
            r#"{"command": "view"}"#,
            "",
            None,
            Some(InvalidArguments),
        ),
        (
            "str_replace_editor",
            r#"{"command": "view", "path": "/testbed/a.py", "view_range": [1, "x"]}"#,
            "",
            None,
            Some(InvalidArguments),
        ),
        (
            "str_replace_editor",
            r#"{"command": "str_replace", "path": "/testbed/a.py", "new_str": "x"}"#,
            "",
            None,
            Some(InvalidArguments),
        ),
        (
            "str_replace_editor",
            r#"{"command": "insert", "path": "/testbed/a.py", "insert_line": "3", "new_str": "x"}"#,
            "",
            None,
            Some(InvalidArguments),
        ),
        ("think", r#"{}"#, "", None, Some(InvalidArguments)),
        (
            "finish",
            r#"{"message": 3}"#,
            "",
            None,
            Some(InvalidArguments),
        ),
        // 4. editor errors
        (
            "str_replace_editor",
            r#"{"command": "str_replace", "path": "/testbed/a.py", "old_str": "x = 1", "new_str": "x = 2"}"#,
            "ERROR:\nNo replacement was performed, old_str `x = 1` did not appear verbatim in /testbed/a.py.",
            None,
            Some(EditorError),
        ),
        (
            "str_replace_editor",
            r#"{"command": "create", "path": "/testbed/a.py", "file_text": ""}"#,
            "ERROR:\nFile already exists at: /testbed/a.py. Cannot overwrite files using command `create`.",
            None,
            Some(EditorError),
        ),
        (
            "str_replace_editor",
            r#"{"command": "view", "path": "testbed/a.py"}"#,
            "ERROR:\nInvalid `path` parameter: testbed/a.py. The path should be an absolute path, starting with `/`.",
            None,
            Some(EditorError),
        ),
        (
            "str_replace_editor",
            r#"{"command": "view", "path": "/testbed/a.py"}"#,
            "ERROR:\nParameter `view_range` is required for command: view.",
            None,
            Some(InvalidArguments),
        ),
        (
            "str_replace_editor",
            r#"{"command": "view", "path": "/testbed/a.py"}"#,
            "Here's the result of running `cat -n` on /testbed/a.py:\n     1\tprint('ERROR: boom')\n",
            None,
            None,
        ),
        // 5. timeouts
        (
            "execute_bash",
            r#"{"command": "python -m http.server"}"#,
            "Serving HTTP on 0.0.0.0 port 8000 ...\n[The command timed out after 120 seconds. SIGINT was sent to interrupt the command.]",
            Some(-1),
            Some(CommandTimeout),
        ),
        (
            "execute_bash",
            r#"{"command": "pytest tests/", "timeout": 60}"#,
            "Command timed out after 60 seconds",
            Some(124),
            Some(CommandTimeout),
        ),
        (
            "execute_bash",
            r#"{"command": "python slow.py"}"#,
            "step 1\n[The command has no new output after 30 seconds. You may wait longer to see additional output by sending empty command '', send other commands to interact with the current process, or send keys to interrupt/kill the command.]",
            Some(-1),
            None,
        ),
        // 6. command not found
        (
            "execute_bash",
            r#"{"command": "rg pattern src"}"#,
            "bash: rg: command not found\n[The command completed with exit code 127.]",
            None,
            Some(CommandNotFound),
        ),
        (
            "execute_bash",
            r#"{"command": "sh -c 'tre'"}"#,
            "sh: 1: tre: not found",
            Some(127),
            Some(CommandNotFound),
        ),
        (
            "execute_bash",
            r#"{"command": "cd /testbed; pyhton x.py"}"#,
            "bash: line 1: pyhton: command not found",
            Some(127),
            Some(CommandNotFound),
        ),
        (
            "execute_bash",
            r#"{"command": "foo"}"#,
            "",
            Some(127),
            Some(CommandNotFound),
        ),
        // 7. Python syntax errors of the command's own code
        (
            "execute_bash",
            r#"{"command": "python -c \"print('a'\""}"#,
            "  File \"<string>\", line 1\n    print('a'\n         ^\nSyntaxError: '(' was never closed\n[The command completed with exit code 1.]",
            None,
            Some(PythonSyntaxError),
        ),
        (
            "execute_bash",
            r#"{"command": "python reproduce.py"}"#,
            "Traceback (most recent call last):\n  File \"/testbed/reproduce.py\", line 3\n    if x\n        ^\nSyntaxError: expected ':'",
            Some(1),
            Some(PythonSyntaxError),
        ),
        (
            "execute_bash",
            r#"{"command": "python reproduce.py"}"#,
            "  File \"/testbed/reproduce.py\", line 4\n    return 1\n    ^\nIndentationError: unexpected indent",
            Some(1),
            Some(PythonSyntaxError),
        ),
        (
            "execute_bash",
            r#"{"command": "python /tmp/t.py"}"#,
            "  File \"/tmp/t.py\", line 2\n\tx = 1\nTabError: inconsistent use of tabs and spaces in indentation",
            Some(1),
            Some(PythonSyntaxError),
        ),
        // 8. Python import errors of the command's own code
        (
            "execute_bash",
            r#"{"command": "python -c 'import pagify; print(pagify.page(3))'"}"#,
            "Traceback (most recent call last):\n  File \"<string>\", line 1, in <module>\nModuleNotFoundError: No module named 'pagify'\n[The command completed with exit code 1.]",
            None,
            Some(PythonImportError),
        ),
        (
            "execute_bash",
            r#"{"command": "python reproduce.py"}"#,
            "Traceback (most recent call last):\n  File \"/testbed/reproduce.py\", line 1, in <module>\n    from slugkit import slugify_unicode\nImportError: cannot import name 'slugify_unicode' from 'slugkit' (/testbed/slugkit/__init__.py)",
            Some(1),
            Some(PythonImportError),
        ),
        // negatives: normal steps
        (
            "execute_bash",
            r#"{"command": "grep -rn 'paginate' /testbed/src"}"#,
            "",
            Some(1),
            None,
        ),
        (
            "execute_bash",
            r#"{"command": "ls /testbed/missing.py"}"#,
            "ls: cannot access '/testbed/missing.py': No such file or directory\n[The command completed with exit code 2.]",
            None,
            None,
        ),
        (
            "execute_bash",
            r#"{"command": "python -m pytest tests/test_pages.py -q"}"#,
            "F.\n=================================== FAILURES ===================================\n___________________________ test_last_page ___________________________\n\n    def test_last_page():\n>       assert pages(10, 3) == 4\nE       assert 3 == 4\n\ntests/test_pages.py:5: AssertionError\n=========================== short test summary info ============================\nFAILED tests/test_pages.py::test_last_page - assert 3 == 4\n1 failed, 1 passed in 0.03s\n[The command completed with exit code 1.]",
            None,
            None,
        ),
        // a collected test module that fails to import: a test outcome, not an error step
        (
            "execute_bash",
            r#"{"command": "python -m pytest tests/test_slug.py"}"#,
            "==================================== ERRORS ====================================\n_____________________ ERROR collecting tests/test_slug.py ______________________\nImportError while importing test module '/testbed/tests/test_slug.py'.\nTraceback:\ntests/test_slug.py:1: in <module>\n    from slugkit import slugify_unicode\nE   ImportError: cannot import name 'slugify_unicode' from 'slugkit'\n=========================== short test summary info ============================\nERROR tests/test_slug.py\n!!!!!!!!!!!!!!!!!!!! Interrupted: 1 error during collection !!!!!!!!!!!!!!!!!!!!\n[The command completed with exit code 2.]",
            None,
            None,
        ),
        (
            "execute_bash",
            r#"{"command": "cd /testbed && python -m unittest tests.test_cfg"}"#,
            "E\n======================================================================\nERROR: test_cfg (unittest.loader._FailedTest.test_cfg)\n----------------------------------------------------------------------\nImportError: Failed to import test module: test_cfg\nTraceback (most recent call last):\n  File \"/usr/lib/python3.11/unittest/loader.py\", line 407, in _find_test_path\nModuleNotFoundError: No module named 'tomllib2'\n\n----------------------------------------------------------------------\nRan 1 test in 0.000s\n\nFAILED (errors=1)",
            Some(1),
            None,
        ),
        (
            "execute_bash",
            r#"{"command": "python reproduce.py"}"#,
            "Traceback (most recent call last):\n  File \"/testbed/reproduce.py\", line 5, in <module>\n    assert overlaps(a, b), 'ranges touching at the end should overlap'\nAssertionError: ranges touching at the end should overlap\n[The command completed with exit code 1.]",
            None,
            None,
        ),
        (
            "execute_bash",
            r#"{"command": "python reproduce.py"}"#,
            "Traceback (most recent call last):\n  File \"/testbed/reproduce.py\", line 3, in <module>\n    load_config(None)\n  File \"/testbed/cfg/loader.py\", line 12, in load_config\n    for k in overrides:\nTypeError: 'NoneType' object is not iterable",
            Some(1),
            None,
        ),
        (
            "execute_bash",
            r#"{"command": "grep -rn 'SyntaxError' /testbed/docs"}"#,
            "/testbed/docs/faq.md:12:SyntaxError: invalid syntax means the parser failed\n[The command completed with exit code 0.]",
            None,
            None,
        ),
        (
            "execute_bash",
            r#"{"command": "python -c 'import json; print(1)'"}"#,
            "1",
            Some(0),
            None,
        ),
        (
            "execute_bash",
            r#"{"command": "ls /testbed"}"#,
            "README.md  setup.py  src  tests",
            Some(0),
            None,
        ),
        (
            "think",
            r#"{"thought": "The bug is in the loop bound."}"#,
            "Your thought has been logged.",
            None,
            None,
        ),
        (
            "finish",
            r#"{"message": "Fixed the off-by-one."}"#,
            "",
            None,
            None,
        ),
        (
            "str_replace_editor",
            r#"{"command": "str_replace", "path": "/testbed/a.py", "old_str": "x = 1", "new_str": "x = 2"}"#,
            "The file /testbed/a.py has been edited. Here's the result of running `cat -n` on a snippet of /testbed/a.py:\n     1\tx = 2\nReview the changes and make sure they are as expected. Edit the file again if necessary.",
            None,
            None,
        ),
        (
            "execute_bash",
            r#"{"command": "echo hi"}"#,
            DONE0,
            None,
            None,
        ),
    ]
}

#[test]
fn table() {
    let tools = openhands_tools();
    let rows = rows();
    assert!(rows.len() >= 30);
    for (i, (name, arguments, observation, exit, expected)) in rows.into_iter().enumerate() {
        let call = FunctionCall {
            name: name.to_owned(),
            arguments: arguments.to_owned(),
        };
        let got = classify_step(&tools, Some(&call), observation, exit);
        assert_eq!(got, expected, "row {i}: {name} {arguments}");
        // An empty tool list means the four OpenHands tools.
        assert_eq!(
            classify_step(&[], Some(&call), observation, exit),
            expected,
            "row {i}"
        );
    }
}

#[test]
fn unparsed_call_is_a_parse_error() {
    assert_eq!(classify_step(&[], None, "", None), Some(ToolCallParse));
}

#[test]
fn custom_tool_list_decides_what_is_known() {
    let tools = vec![
        json!({"type": "function", "function": {"name": "run", "parameters": {
        "type": "object", "properties": {"cmd": {"type": "string"}}, "required": ["cmd"]}}}),
    ];
    let call = |name: &str, args: &str| FunctionCall {
        name: name.into(),
        arguments: args.into(),
    };
    assert_eq!(
        classify_step(&tools, Some(&call("run", r#"{"cmd": "ls"}"#)), "", Some(0)),
        None
    );
    assert_eq!(
        classify_step(
            &tools,
            Some(&call("execute_bash", r#"{"command": "ls"}"#)),
            "",
            None
        ),
        Some(UnknownTool)
    );
}

#[test]
fn annotate_matches_results_and_keeps_metadata() {
    let mut a1 = Message::new(Role::Assistant, "Look around.");
    a1.tool_calls = vec![
        ToolCall::new("c1", "execute_bash", r#"{"command": "ls"}"#),
        ToolCall::new("c2", "execute_bash", r#"{"command": "rg x"}"#),
    ];
    a1.step = Some(StepMeta {
        error: None,
        exit_code: Some(127),
        duration_s: Some(0.4),
        usage: None,
    });
    let mut a2 = Message::new(Role::Assistant, "");
    a2.tool_calls = vec![ToolCall::new(
        "c3",
        "str_replace_editor",
        r#"{"command": "view", "path": "/testbed"}"#,
    )];
    // Already annotated: left alone.
    let mut a3 = Message::new(Role::Assistant, "");
    a3.tool_calls = vec![ToolCall::new("c4", "think", r#"{"thought": "ok"}"#)];
    a3.step = Some(StepMeta {
        error: Some(UnknownTool),
        ..Default::default()
    });
    let a4 = Message::new(
        Role::Assistant,
        "Let me run it.\n<tool_call>\n{\"name\": \"execute_bash\", \"arguments\": {\"command\": \"ls\"\n</tool_call>",
    );
    let a5 = Message::new(
        Role::Assistant,
        "<tool_call>\n{\"name\": \"execute_bash\", \"arguments\": {\"command\": \"tre\"}}\n</tool_call>",
    );
    let a6 = Message::new(Role::Assistant, "All done.");
    let mut traj = Trajectory {
        instance_id: "t".into(),
        tools: openhands_tools(),
        messages: vec![
            Message::new(Role::User, "fix it"),
            a1,
            // Answered out of order: matched by id.
            Message::tool_result(
                Some("c2"),
                "bash: rg: command not found\n[The command completed with exit code 127.]",
            ),
            Message::tool_result(
                Some("c1"),
                "a.py\n[The command completed with exit code 0.]",
            ),
            a2,
            Message::tool_result(None, "ERROR:\nsomething"),
            a3,
            Message::tool_result(Some("c4"), "Your thought has been logged."),
            a4,
            a5,
            Message::tool_result(None, "sh: 1: tre: not found"),
            a6,
        ],
        outcome: None,
        final_patch: None,
        extra: Default::default(),
    };
    annotate_steps(&mut traj);
    let steps: Vec<_> = traj
        .messages
        .iter()
        .filter(|m| m.role == Role::Assistant)
        .map(|m| m.step.as_ref().and_then(|s| s.error))
        .collect();
    assert_eq!(
        steps,
        [
            Some(CommandNotFound),
            Some(EditorError),
            Some(UnknownTool),
            Some(ToolCallParse),
            Some(CommandNotFound),
            None
        ]
    );
    let s1 = traj.messages[1].step.as_ref().unwrap();
    assert_eq!((s1.exit_code, s1.duration_s), (Some(127), Some(0.4)));
}
