//! `run_episode` with a policy that replays fixed assistant messages, in a local sandbox over a
//! small repository: what the loop records, labels and answers for each kind of step a small
//! model gets right or wrong, and why episodes end.

use std::collections::VecDeque;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use lego_agent::{
    Context, EndReason, Episode, EpisodeOptions, NO_TOOL_CALL_PROMPT, Policy, PolicyError, Turn,
    Usage, parse_hermes, run_episode, task_prompt,
};
use lego_data::{
    IGNORE_INDEX, Message, RenderOptions, Role, StepError, Task, Tokenizer, ToolCall, Trajectory,
    render_chat, render_example,
};
use lego_sandbox::{
    ExecOptions, ExecOutput, FileKind, LocalOptions, LocalSandbox, Sandbox, ShellInput,
    ShellUpdate, WaitOptions,
};
use serde_json::{Map, Value, json};

use crate::commit_files;

const CALC: &str = "\"\"\"Arithmetic.\"\"\"\n\n\ndef add(a, b):\n    return a + b\n\n\n\
                    def sub(a, b):\n    return a + b\n";
const TEST_CALC: &str = "import unittest\n\nfrom calc import add, sub\n\n\n\
                         class T(unittest.TestCase):\n    def test_add(self):\n        \
                         self.assertEqual(add(2, 1), 3)\n\n    def test_sub(self):\n        \
                         self.assertEqual(sub(2, 1), 1)\n";

/// The repository the episodes work on.
fn fixture(dir: &Path) {
    commit_files(
        dir,
        &[
            ("calc.py", CALC),
            ("tests/__init__.py", ""),
            ("tests/test_calc.py", TEST_CALC),
            (".gitignore", "__pycache__/\n"),
        ],
    );
}

fn task() -> Task {
    serde_json::from_value(json!({
        "instance_id": "demo__calc-1",
        "repo": "demo/calc",
        "problem_statement": "`sub(2, 1)` returns 3.",
    }))
    .unwrap()
}

/// What the policy answers when asked for a step.
type Step = Result<Turn, PolicyError>;

/// A case: the steps a policy gives, and the messages the episode should hold after its
/// prompts.
type Case = (Vec<Step>, Vec<Want>);

/// A policy that replays a fixed list of steps, then fails; it counts its calls and records
/// how many messages it was shown each time. With `stop`, it sets the flag when asked for the
/// step of that index (0-based call count), before answering.
struct Replay {
    steps: VecDeque<Step>,
    calls: usize,
    seen: Vec<usize>,
    stop: Option<(usize, Arc<AtomicBool>)>,
}

impl Replay {
    fn new(steps: Vec<Step>) -> Self {
        Replay {
            steps: steps.into(),
            calls: 0,
            seen: Vec::new(),
            stop: None,
        }
    }
}

impl Policy for Replay {
    fn name(&self) -> &str {
        "replay"
    }

    fn next(&mut self, context: &Context<'_>) -> Result<Turn, PolicyError> {
        assert_eq!(context.tools.len(), 4, "the four OpenHands tools");
        assert_eq!(context.task.instance_id, "demo__calc-1");
        if let Some((at, flag)) = &self.stop
            && *at == self.calls
        {
            flag.store(true, Ordering::SeqCst);
        }
        self.calls += 1;
        self.seen.push(context.messages.len());
        self.steps
            .pop_front()
            .unwrap_or_else(|| Err(PolicyError::Failed("the replay is over".to_owned())))
    }
}

/// An assistant step with native tool calls `(id, name, arguments)`.
fn native(calls: &[(&str, &str, Value)]) -> Step {
    let calls = calls
        .iter()
        .map(|(id, name, args)| {
            let args = match args {
                Value::String(text) => text.clone(),
                other => other.to_string(),
            };
            ToolCall::new(*id, *name, args)
        })
        .collect();
    reply(Message::assistant("", calls))
}

/// An assistant step that is text only (Hermes blocks or none).
fn text(content: &str) -> Step {
    reply(Message::assistant(content, Vec::new()))
}

fn reply(message: Message) -> Step {
    Ok(Turn {
        message,
        usage: None,
    })
}

fn finish() -> Step {
    native(&[("f", "finish", json!({"message": "done"}))])
}

fn bash(command: &str) -> Value {
    json!({ "command": command })
}

fn failed(why: &str) -> Step {
    Err(PolicyError::Failed(why.to_owned()))
}

/// A message the episode should hold after the task prompt.
#[derive(Debug, Clone)]
enum Want {
    /// An assistant step: its content, its calls `(id, name)`, its `StepMeta` error and exit
    /// code.
    Step {
        content: String,
        calls: Vec<(String, &'static str)>,
        error: Option<StepError>,
        exit_code: Option<i64>,
    },
    /// A `tool` observation answering call `id` of tool `name`.
    Tool {
        id: String,
        name: &'static str,
        text: Text,
    },
    /// A user turn with this text.
    User(String),
}

#[derive(Debug, Clone)]
enum Text {
    Is(String),
    /// Starts with `ERROR:` and holds each of these.
    Error(Vec<&'static str>),
    /// Holds each of these.
    Has(Vec<&'static str>),
}

fn want_step(calls: &[(&str, &'static str)], error: Option<StepError>, exit: Option<i64>) -> Want {
    Want::Step {
        content: String::new(),
        calls: calls.iter().map(|(id, n)| (id.to_string(), *n)).collect(),
        error,
        exit_code: exit,
    }
}

fn want_text_step(content: &str, error: Option<StepError>) -> Want {
    Want::Step {
        content: content.to_owned(),
        calls: Vec::new(),
        error,
        exit_code: None,
    }
}

fn want_tool(id: &str, name: &'static str, text: Text) -> Want {
    Want::Tool {
        id: id.to_owned(),
        name,
        text,
    }
}

fn want_finish(id: &str) -> Want {
    want_step(&[(id, "finish")], None, None)
}

/// What a command that succeeded shows, with its output.
fn ok_output(output: &'static str) -> Text {
    Text::Has(vec![
        output,
        "[The command completed with exit code 0.]",
        "[Current working directory: /testbed]",
    ])
}

/// One episode of `steps` over the fixture in `repo`; checks its messages against `want`
/// (after the system prompt and the task), its end, and that its trajectory renders with the
/// error steps masked. Returns the episode, the policy and the sandbox for further checks.
fn check(
    repo: &Path,
    steps: Vec<Step>,
    options: &EpisodeOptions,
    want: &[Want],
    end: EndReason,
) -> (Episode, Replay, LocalSandbox) {
    let mut sandbox = LocalSandbox::start(repo, LocalOptions::default()).unwrap();
    let mut policy = Replay::new(steps);
    let task = task();
    let episode = run_episode(&mut sandbox, &task, &mut policy, options);
    let dump = || {
        episode
            .messages
            .iter()
            .map(|m| format!("{m:?}"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(episode.end, end, "{:?}\n{}", episode.end_detail, dump());
    assert_eq!(episode.messages[0].role, Role::System);
    assert_eq!(episode.messages[0].content, options.system_prompt);
    assert_eq!(episode.messages[1].role, Role::User);
    assert_eq!(episode.messages[1].content, task_prompt(&task));
    let got = &episode.messages[2..];
    assert_eq!(got.len(), want.len(), "{}", dump());
    for (message, want) in got.iter().zip(want) {
        check_message(message, want);
    }
    let steps = got.iter().filter(|m| m.role == Role::Assistant).count();
    assert_eq!(episode.turns, steps);
    assert_eq!(episode.tools, lego_data::openhands_tools());
    assert!(episode.duration_s >= episode.policy_s && episode.policy_s >= 0.0);
    check_renders(&episode);
    (episode, policy, sandbox)
}

fn check_message(message: &Message, want: &Want) {
    let context = format!("{message:?} against {want:?}");
    match want {
        Want::Step {
            content,
            calls,
            error,
            exit_code,
        } => {
            assert_eq!(message.role, Role::Assistant, "{context}");
            assert_eq!(&message.content, content, "{context}");
            let got: Vec<(String, &str)> = message
                .tool_calls
                .iter()
                .map(|c| (c.id.clone(), c.function.name.as_str()))
                .collect();
            let want: Vec<(String, &str)> = calls.iter().map(|(id, n)| (id.clone(), *n)).collect();
            assert_eq!(got, want, "{context}");
            let meta = message.step.as_ref().expect("every step has its StepMeta");
            assert_eq!(meta.error, *error, "{context}");
            assert_eq!(meta.exit_code, *exit_code, "{context}");
            assert!(meta.duration_s.is_some_and(|d| d >= 0.0), "{context}");
        }
        Want::Tool { id, name, text } => {
            assert_eq!(message.role, Role::Tool, "{context}");
            assert_eq!(
                message.tool_call_id.as_deref(),
                Some(id.as_str()),
                "{context}"
            );
            assert_eq!(message.name.as_deref(), Some(*name), "{context}");
            check_text(&message.content, text, &context);
        }
        Want::User(text) => {
            assert_eq!(message.role, Role::User, "{context}");
            assert_eq!(&message.content, text, "{context}");
        }
    }
}

fn check_text(got: &str, want: &Text, context: &str) {
    match want {
        Text::Is(text) => assert_eq!(got, text, "{context}"),
        Text::Error(parts) | Text::Has(parts) => {
            if matches!(want, Text::Error(_)) {
                assert!(got.starts_with("ERROR:"), "{context}");
            }
            for part in parts {
                assert!(got.contains(part), "{part:?} missing: {context}");
            }
        }
    }
}

fn trajectory(episode: &Episode) -> Trajectory {
    Trajectory {
        instance_id: "demo__calc-1".to_owned(),
        tools: episode.tools.clone(),
        messages: episode.messages.clone(),
        outcome: None,
        final_patch: None,
        extra: Map::new(),
    }
}

/// The trajectory renders, and error masking takes exactly the error steps out of the loss:
/// the trained ranges with masking are those without, less the error steps'.
fn check_renders(episode: &Episode) {
    let traj = trajectory(episode);
    let errors: Vec<bool> = traj
        .messages
        .iter()
        .filter(|m| m.role == Role::Assistant)
        .map(|m| m.step.as_ref().and_then(|s| s.error).is_some())
        .collect();
    let all = render_chat(&traj, false).unwrap();
    let masked = render_chat(&traj, true).unwrap();
    assert_eq!(all.text, masked.text);
    assert_eq!(all.turns.assistant, episode.turns);
    assert_eq!(all.trained.len(), episode.turns);
    assert_eq!(
        masked.turns.masked_error,
        errors.iter().filter(|e| **e).count()
    );
    let kept: Vec<_> = all
        .trained
        .iter()
        .zip(&errors)
        .filter(|(_, error)| !**error)
        .map(|(range, _)| range.clone())
        .collect();
    assert_eq!(masked.trained, kept);
}

fn options() -> EpisodeOptions {
    EpisodeOptions {
        max_turns: 10,
        ..EpisodeOptions::default()
    }
}

#[test]
fn steps_that_work_run_and_are_answered_by_their_call_id() {
    let repo = tempfile::tempdir().unwrap();
    fixture(repo.path());
    let cases: Vec<Case> = vec![
        // A native call: its id and name on the observation, no error, its exit code.
        (
            vec![
                native(&[("call_abc", "execute_bash", bash("echo hi"))]),
                finish(),
            ],
            vec![
                want_step(&[("call_abc", "execute_bash")], None, Some(0)),
                want_tool("call_abc", "execute_bash", ok_output("hi")),
                want_finish("f"),
            ],
        ),
        // A native call without an id gets one.
        (
            vec![native(&[("", "think", json!({"thought": "sub adds"}))]), finish()],
            vec![
                want_step(&[("call_1", "think")], None, None),
                want_tool(
                    "call_1",
                    "think",
                    Text::Is("Your thought has been logged.".to_owned()),
                ),
                want_finish("f"),
            ],
        ),
        // Hermes text: the content split from the calls, ids assigned in order.
        (
            vec![
                text(
                    "Let me look.\n<tool_call>\n{\"name\": \"execute_bash\", \"arguments\": {\"command\": \"echo hi\"}}\n</tool_call>",
                ),
                text("<tool_call>\n{\"name\": \"finish\", \"arguments\": {\"message\": \"done\"}}\n</tool_call>"),
            ],
            vec![
                Want::Step {
                    content: "Let me look.".to_owned(),
                    calls: vec![("call_1".to_owned(), "execute_bash")],
                    error: None,
                    exit_code: Some(0),
                },
                want_tool("call_1", "execute_bash", ok_output("hi")),
                want_finish("call_2"),
            ],
        ),
        // The shell keeps its directory and variables from step to step; a view of a range.
        (
            vec![
                native(&[("a", "execute_bash", bash("cd tests && export X=7"))]),
                native(&[("b", "execute_bash", bash("echo $X; pwd"))]),
                native(&[(
                    "c",
                    "str_replace_editor",
                    json!({"command": "view", "path": "/testbed/calc.py", "view_range": [8, 9]}),
                )]),
                finish(),
            ],
            vec![
                want_step(&[("a", "execute_bash")], None, Some(0)),
                want_tool("a", "execute_bash", Text::Has(vec!["[Current working directory: /testbed/tests]"])),
                want_step(&[("b", "execute_bash")], None, Some(0)),
                want_tool("b", "execute_bash", Text::Has(vec!["7\n/testbed/tests\n"])),
                want_step(&[("c", "str_replace_editor")], None, None),
                want_tool(
                    "c",
                    "str_replace_editor",
                    Text::Is(
                        "Here's the result of running `cat -n` on /testbed/calc.py:\n     8\tdef sub(a, b):\n     9\t    return a + b\n"
                            .to_owned(),
                    ),
                ),
                want_finish("f"),
            ],
        ),
        // A command that runs and fails (a failing assertion) is information, not an error.
        (
            vec![
                native(&[("t", "execute_bash", bash("python3 -m unittest tests.test_calc"))]),
                finish(),
            ],
            vec![
                want_step(&[("t", "execute_bash")], None, Some(1)),
                want_tool(
                    "t",
                    "execute_bash",
                    Text::Has(vec!["AssertionError: 3 != 1", "FAILED (failures=1)"]),
                ),
                want_finish("f"),
            ],
        ),
    ];
    for (steps, want) in cases {
        let n = steps.len();
        let (episode, policy, _sandbox) =
            check(repo.path(), steps, &options(), &want, EndReason::Finish);
        assert_eq!(policy.calls, n);
        // Each step saw the whole conversation before it.
        let asked_at: Vec<usize> = episode
            .messages
            .iter()
            .enumerate()
            .filter(|(_, m)| m.role == Role::Assistant)
            .map(|(i, _)| i)
            .collect();
        assert_eq!(policy.seen, asked_at);
    }
}

#[test]
fn mistakes_are_labelled_answered_and_the_episode_goes_on() {
    let repo = tempfile::tempdir().unwrap();
    fixture(repo.path());
    let broken = "Let me look.\n<tool_call>\n{\"name\": \"execute_bash\", \"arguments\": {\"command\": \"echo hi\"}\n</tool_call>";
    let broken_error = parse_hermes(broken, String::new).error.unwrap();
    assert!(
        broken_error
            .starts_with("ERROR:\nFailed to parse the tool call: the tool call is not valid JSON")
    );
    let editor = |id: &'static str, args: Value| (id, "str_replace_editor", args);
    let cases: Vec<Case> = vec![
        // Hermes text that does not parse: kept whole, answered by a user turn, nothing runs.
        (
            vec![text(broken), finish()],
            vec![
                want_text_step(broken, Some(StepError::ToolCallParse)),
                Want::User(broken_error.clone()),
                want_finish("f"),
            ],
        ),
        // No tool call at all: OpenHands' nudge.
        (
            vec![text("The bug is in sub."), finish()],
            vec![
                want_text_step("The bug is in sub.", Some(StepError::ToolCallParse)),
                Want::User(NO_TOOL_CALL_PROMPT.to_owned()),
                want_finish("f"),
            ],
        ),
        // Native arguments that are not a JSON object: observed, labelled a parse error.
        (
            vec![native(&[("j", "execute_bash", json!("ls -la"))]), finish()],
            vec![
                want_step(&[("j", "execute_bash")], Some(StepError::ToolCallParse), None),
                want_tool(
                    "j",
                    "execute_bash",
                    Text::Is("ERROR:\nFailed to parse tool call arguments: ls -la. The arguments must be a JSON object.".to_owned()),
                ),
                want_finish("f"),
            ],
        ),
        // A tool that does not exist.
        (
            vec![native(&[("u", "search_web", json!({"query": "sub"}))]), finish()],
            vec![
                want_step(&[("u", "search_web")], Some(StepError::UnknownTool), None),
                want_tool(
                    "u",
                    "search_web",
                    Text::Error(vec!["Tool search_web is not registered.", "Please check the tool name and retry with an existing tool."]),
                ),
                want_finish("f"),
            ],
        ),
        // A required argument missing: of the tool, and of the editor's command.
        (
            vec![
                native(&[("m", "execute_bash", json!({}))]),
                native(&[editor("n", json!({"command": "str_replace", "path": "/testbed/calc.py", "new_str": "x"}))]),
                finish(),
            ],
            vec![
                want_step(&[("m", "execute_bash")], Some(StepError::InvalidArguments), None),
                want_tool(
                    "m",
                    "execute_bash",
                    Text::Is("ERROR:\nMissing required argument \"command\" in tool call execute_bash".to_owned()),
                ),
                want_step(&[("n", "str_replace_editor")], Some(StepError::InvalidArguments), None),
                want_tool(
                    "n",
                    "str_replace_editor",
                    Text::Is("ERROR:\nParameter `old_str` is required for command: str_replace.".to_owned()),
                ),
                want_finish("f"),
            ],
        ),
        // Arguments of the wrong type. lego-sandbox's bash tool answers `command: 5` with the
        // text of a missing argument ("Missing required argument"), which is misleading: the
        // argument is there, as a number. Only what holds either way is checked here.
        (
            vec![
                native(&[("t", "execute_bash", json!({"command": 5}))]),
                native(&[editor("v", json!({"command": "view", "path": "/testbed/calc.py", "view_range": "x"}))]),
                finish(),
            ],
            vec![
                want_step(&[("t", "execute_bash")], Some(StepError::InvalidArguments), None),
                want_tool("t", "execute_bash", Text::Error(vec!["\"command\"", "execute_bash"])),
                want_step(&[("v", "str_replace_editor")], Some(StepError::InvalidArguments), None),
                want_tool(
                    "v",
                    "str_replace_editor",
                    Text::Is("ERROR:\nInvalid `view_range` parameter: x. It should be a list of two integers.".to_owned()),
                ),
                want_finish("f"),
            ],
        ),
        // Editor errors: a relative path (with OpenHands' hint where the file exists), an
        // old_str that is not there.
        (
            vec![
                native(&[editor("e", json!({"command": "view", "path": "calc.py"}))]),
                native(&[editor("g", json!({"command": "view", "path": "nope.py"}))]),
                native(&[editor("h", json!({"command": "str_replace", "path": "/testbed/calc.py", "old_str": "return a * b", "new_str": "return a - b"}))]),
                finish(),
            ],
            vec![
                want_step(&[("e", "str_replace_editor")], Some(StepError::EditorError), None),
                want_tool(
                    "e",
                    "str_replace_editor",
                    Text::Is("ERROR:\nInvalid `path` parameter: calc.py. The path should be an absolute path, starting with `/`. Maybe you meant /testbed/calc.py?".to_owned()),
                ),
                want_step(&[("g", "str_replace_editor")], Some(StepError::EditorError), None),
                want_tool(
                    "g",
                    "str_replace_editor",
                    Text::Is("ERROR:\nInvalid `path` parameter: nope.py. The path should be an absolute path, starting with `/`.".to_owned()),
                ),
                want_step(&[("h", "str_replace_editor")], Some(StepError::EditorError), None),
                want_tool(
                    "h",
                    "str_replace_editor",
                    Text::Is("ERROR:\nNo replacement was performed, old_str `return a * b` did not appear verbatim in /testbed/calc.py.".to_owned()),
                ),
                want_finish("f"),
            ],
        ),
        // A mistyped program.
        (
            vec![native(&[("p", "execute_bash", bash("pyhton3 -m unittest"))]), finish()],
            vec![
                want_step(&[("p", "execute_bash")], Some(StepError::CommandNotFound), Some(127)),
                want_tool("p", "execute_bash", Text::Has(vec!["pyhton3: command not found", "[The command completed with exit code 127.]"])),
                want_finish("f"),
            ],
        ),
    ];
    for (steps, want) in cases {
        let n = steps.len();
        let (_, policy, _sandbox) = check(repo.path(), steps, &options(), &want, EndReason::Finish);
        assert_eq!(policy.calls, n);
    }
}

#[test]
fn several_calls_in_a_step_run_in_order_and_the_first_error_labels_it() {
    let repo = tempfile::tempdir().unwrap();
    fixture(repo.path());
    let view_relative = json!({"command": "view", "path": "calc.py"});
    let cases: Vec<Case> = vec![
        (
            vec![
                native(&[
                    ("a", "execute_bash", bash("echo one > /testbed/order.txt")),
                    ("b", "search_web", json!({"query": "x"})),
                    ("c", "str_replace_editor", view_relative.clone()),
                    (
                        "d",
                        "execute_bash",
                        bash("echo two >> order.txt && cat order.txt"),
                    ),
                ]),
                finish(),
            ],
            vec![
                want_step(
                    &[
                        ("a", "execute_bash"),
                        ("b", "search_web"),
                        ("c", "str_replace_editor"),
                        ("d", "execute_bash"),
                    ],
                    Some(StepError::UnknownTool),
                    Some(0),
                ),
                want_tool("a", "execute_bash", ok_output("")),
                want_tool("b", "search_web", Text::Error(vec!["is not registered"])),
                want_tool(
                    "c",
                    "str_replace_editor",
                    Text::Error(vec!["Maybe you meant /testbed/calc.py?"]),
                ),
                want_tool("d", "execute_bash", ok_output("one\ntwo")),
                want_finish("f"),
            ],
        ),
        // The first call's error wins even when a later one has another.
        (
            vec![
                native(&[
                    ("a", "str_replace_editor", view_relative.clone()),
                    ("b", "execute_bash", json!({})),
                ]),
                finish(),
            ],
            vec![
                want_step(
                    &[("a", "str_replace_editor"), ("b", "execute_bash")],
                    Some(StepError::EditorError),
                    None,
                ),
                want_tool(
                    "a",
                    "str_replace_editor",
                    Text::Error(vec!["Maybe you meant"]),
                ),
                want_tool(
                    "b",
                    "execute_bash",
                    Text::Error(vec!["Missing required argument"]),
                ),
                want_finish("f"),
            ],
        ),
        // Several Hermes blocks: ids in order, across steps.
        (
            vec![
                text(
                    "<tool_call>\n{\"name\": \"think\", \"arguments\": {\"thought\": \"t\"}}\n</tool_call>\n<tool_call>\n{\"name\": \"execute_bash\", \"arguments\": {\"command\": \"echo hi\"}}\n</tool_call>",
                ),
                text(
                    "<tool_call>\n{\"name\": \"finish\", \"arguments\": {\"message\": \"done\"}}\n</tool_call>",
                ),
            ],
            vec![
                want_step(
                    &[("call_1", "think"), ("call_2", "execute_bash")],
                    None,
                    Some(0),
                ),
                want_tool(
                    "call_1",
                    "think",
                    Text::Has(vec!["Your thought has been logged."]),
                ),
                want_tool("call_2", "execute_bash", ok_output("hi")),
                want_finish("call_3"),
            ],
        ),
    ];
    for (steps, want) in cases {
        check(repo.path(), steps, &options(), &want, EndReason::Finish);
    }
}

#[test]
fn finish_ends_the_episode_at_once() {
    let repo = tempfile::tempdir().unwrap();
    fixture(repo.path());
    let (episode, policy, _) = check(
        repo.path(),
        vec![finish(), finish()],
        &options(),
        &[want_finish("f")],
        EndReason::Finish,
    );
    assert_eq!(
        (episode.turns, policy.calls, episode.end_detail),
        (1, 1, None)
    );

    // Calls after `finish` in the same step do not run; those before it do.
    let (_, _, mut sandbox) = check(
        repo.path(),
        vec![native(&[
            ("a", "execute_bash", bash("echo before")),
            ("f", "finish", json!({"message": "done"})),
            ("z", "execute_bash", bash("touch /testbed/after.txt")),
        ])],
        &options(),
        &[
            want_step(
                &[
                    ("a", "execute_bash"),
                    ("f", "finish"),
                    ("z", "execute_bash"),
                ],
                None,
                Some(0),
            ),
            want_tool("a", "execute_bash", ok_output("before")),
        ],
        EndReason::Finish,
    );
    assert_eq!(sandbox.file_kind("/testbed/after.txt").unwrap(), None);

    // `finish` without its required `message` still ends the episode (OpenHands takes it
    // too), but the step is labelled: the model broke the schema.
    check(
        repo.path(),
        vec![native(&[("f", "finish", json!({}))])],
        &options(),
        &[want_step(
            &[("f", "finish")],
            Some(StepError::InvalidArguments),
            None,
        )],
        EndReason::Finish,
    );
}

#[test]
fn episodes_end_at_the_turn_limit_the_policy_failing_and_the_context_budget() {
    let repo = tempfile::tempdir().unwrap();
    fixture(repo.path());
    let think = || native(&[("", "think", json!({"thought": "hmm"}))]);
    let think_step = |k: usize| {
        [
            want_step(&[(&format!("call_{k}"), "think")], None, None),
            want_tool(&format!("call_{k}"), "think", Text::Has(vec!["logged"])),
        ]
    };

    // The turn limit: three steps, then the end.
    let limited = EpisodeOptions {
        max_turns: 3,
        ..EpisodeOptions::default()
    };
    let want: Vec<Want> = (1..=3).flat_map(think_step).collect();
    let (episode, policy, _) = check(
        repo.path(),
        (0..5).map(|_| think()).collect(),
        &limited,
        &want,
        EndReason::MaxTurns,
    );
    assert_eq!((episode.turns, policy.calls), (3, 3));

    // A policy that always fails is asked again `policy_retries` times, then the episode ends.
    let retries = EpisodeOptions {
        policy_retries: 2,
        ..options()
    };
    let (episode, policy, _) = check(
        repo.path(),
        (0..5)
            .map(|k| failed(&format!("server error {k}")))
            .collect(),
        &retries,
        &[],
        EndReason::PolicyError,
    );
    assert_eq!(policy.calls, 3);
    assert_eq!(episode.end_detail.as_deref(), Some("server error 2"));
    // A failure that a retry gets past is not seen in the episode.
    let (_, policy, _) = check(
        repo.path(),
        vec![think(), failed("blip"), failed("blip"), think(), finish()],
        &retries,
        &[
            think_step(1).into(),
            think_step(2).into(),
            vec![want_finish("f")],
        ]
        .concat(),
        EndReason::Finish,
    );
    assert_eq!(policy.calls, 5);
    let no_retries = EpisodeOptions {
        policy_retries: 0,
        ..options()
    };
    let (_, policy, _) = check(
        repo.path(),
        vec![think(), failed("once"), finish()],
        &no_retries,
        &think_step(1),
        EndReason::PolicyError,
    );
    assert_eq!(policy.calls, 2);

    // The policy's own context limit ends the episode without a retry.
    let (episode, policy, _) = check(
        repo.path(),
        vec![
            think(),
            Err(PolicyError::ContextFull(
                "prompt of 40000 tokens".to_owned(),
            )),
            finish(),
        ],
        &retries,
        &think_step(1),
        EndReason::Context,
    );
    assert_eq!(policy.calls, 2);
    assert_eq!(
        episode.end_detail.as_deref(),
        Some("prompt of 40000 tokens")
    );

    // The loop's context budget: the step that reaches it runs, then the episode ends; a step
    // without a tool call counts too. Usage adds up over the steps.
    let budget = EpisodeOptions {
        max_context_tokens: Some(100),
        ..options()
    };
    let used = |turn: Step, prompt, completion| {
        turn.map(|t| Turn {
            usage: Some(Usage {
                prompt_tokens: prompt,
                completion_tokens: completion,
            }),
            ..t
        })
    };
    let (episode, policy, _) = check(
        repo.path(),
        vec![used(think(), 50, 10), used(think(), 85, 15), finish()],
        &budget,
        &[think_step(1), think_step(2)].concat(),
        EndReason::Context,
    );
    assert_eq!(policy.calls, 2);
    assert_eq!(episode.end_detail, None);
    assert_eq!(
        episode.usage,
        Usage {
            prompt_tokens: 135,
            completion_tokens: 25
        }
    );
    let (_, policy, _) = check(
        repo.path(),
        vec![used(text("Hmm."), 99, 1), finish()],
        &budget,
        &[
            want_text_step("Hmm.", Some(StepError::ToolCallParse)),
            Want::User(NO_TOOL_CALL_PROMPT.to_owned()),
        ],
        EndReason::Context,
    );
    assert_eq!(policy.calls, 1);
}

/// A local sandbox that the policy can stop from outside, as a Docker engine losing its
/// container would: once the flag is set, the next call stops the real sandbox first, so it
/// and every later call see a stopped sandbox.
struct Stoppable {
    inner: LocalSandbox,
    stop: Arc<AtomicBool>,
}

impl Stoppable {
    fn live(&mut self) -> &mut LocalSandbox {
        if self.stop.load(Ordering::SeqCst) {
            self.inner.stop().unwrap();
        }
        &mut self.inner
    }
}

impl Sandbox for Stoppable {
    fn backend(&self) -> &'static str {
        self.inner.backend()
    }
    fn exec(&mut self, command: &str, options: &ExecOptions) -> lego_sandbox::Result<ExecOutput> {
        self.live().exec(command, options)
    }
    fn read_file(&mut self, path: &str) -> lego_sandbox::Result<Vec<u8>> {
        self.live().read_file(path)
    }
    fn write_file(&mut self, path: &str, contents: &[u8]) -> lego_sandbox::Result<()> {
        self.live().write_file(path, contents)
    }
    fn file_kind(&mut self, path: &str) -> lego_sandbox::Result<Option<FileKind>> {
        self.live().file_kind(path)
    }
    fn shell_send(&mut self, input: ShellInput) -> lego_sandbox::Result<()> {
        self.live().shell_send(input)
    }
    fn shell_wait(&mut self, options: &WaitOptions) -> lego_sandbox::Result<ShellUpdate> {
        self.live().shell_wait(options)
    }
    fn shell_kill(&mut self) -> lego_sandbox::Result<()> {
        self.live().shell_kill()
    }
    fn reset(&mut self) -> lego_sandbox::Result<()> {
        self.live().reset()
    }
    fn stop(&mut self) -> lego_sandbox::Result<()> {
        self.inner.stop()
    }
}

#[test]
fn a_sandbox_that_stops_ends_the_episode_with_a_sandbox_error() {
    let repo = tempfile::tempdir().unwrap();
    fixture(repo.path());
    // The second step finds the sandbox stopped, with either tool.
    let cases = [
        (bash("echo again"), "execute_bash", None),
        (
            json!({"command": "view", "path": "/testbed/calc.py"}),
            "str_replace_editor",
            // The editor's refusal is labelled like an agent's mistake, though the sandbox
            // failed; the episode ends with it, so it matters little.
            Some(StepError::EditorError),
        ),
    ];
    for (args, tool, error) in cases {
        let flag = Arc::new(AtomicBool::new(false));
        let mut sandbox = Stoppable {
            inner: LocalSandbox::start(repo.path(), LocalOptions::default()).unwrap(),
            stop: flag.clone(),
        };
        let mut policy = Replay::new(vec![
            native(&[("a", "execute_bash", bash("echo hi"))]),
            native(&[("b", tool, args)]),
            finish(),
        ]);
        policy.stop = Some((1, flag));
        let episode = run_episode(&mut sandbox, &task(), &mut policy, &options());
        assert_eq!(
            episode.end,
            EndReason::SandboxError,
            "{:?}",
            episode.messages
        );
        assert_eq!(policy.calls, 2);
        let detail = episode.end_detail.clone().unwrap();
        assert_eq!(detail, lego_sandbox::Error::Stopped.to_string());
        let want = [
            want_step(&[("a", "execute_bash")], None, Some(0)),
            want_tool("a", "execute_bash", ok_output("hi")),
            want_step(
                &[("b", tool)],
                error,
                (tool == "execute_bash").then_some(-1),
            ),
            want_tool("b", tool, Text::Error(vec!["the sandbox is stopped"])),
        ];
        assert_eq!(
            episode.messages.len(),
            2 + want.len(),
            "{:?}",
            episode.messages
        );
        for (message, want) in episode.messages[2..].iter().zip(&want) {
            check_message(message, want);
        }
        check_renders(&episode);
    }
}

/// With the bootstrap's tokenizer: every token of an error step is without loss, every token
/// of the other steps' bodies is trained.
#[test]
fn error_steps_carry_no_loss_in_the_rendered_example() {
    let test = "error_steps_carry_no_loss_in_the_rendered_example";
    let Some(path) = lego_testkit::tokenizer(test) else {
        return;
    };
    let repo = tempfile::tempdir().unwrap();
    fixture(repo.path());
    let (episode, _, _) = check(
        repo.path(),
        vec![
            native(&[("a", "execute_bash", bash("echo hi"))]),
            text("No call here."),
            native(&[(
                "b",
                "str_replace_editor",
                json!({"command": "view", "path": "calc.py"}),
            )]),
            finish(),
        ],
        &options(),
        &[
            want_step(&[("a", "execute_bash")], None, Some(0)),
            want_tool("a", "execute_bash", ok_output("hi")),
            want_text_step("No call here.", Some(StepError::ToolCallParse)),
            Want::User(NO_TOOL_CALL_PROMPT.to_owned()),
            want_step(
                &[("b", "str_replace_editor")],
                Some(StepError::EditorError),
                None,
            ),
            want_tool(
                "b",
                "str_replace_editor",
                Text::Error(vec!["Maybe you meant"]),
            ),
            want_finish("f"),
        ],
        EndReason::Finish,
    );
    let tokenizer = Tokenizer::from_file(&path).unwrap();
    let rendered =
        render_example(&trajectory(&episode), &tokenizer, &RenderOptions::default()).unwrap();
    assert_eq!(rendered.turns.assistant, 4);
    assert_eq!(rendered.turns.masked_error, 2);
    let example = rendered.example.unwrap();
    // The trained tokens, decoded run by run.
    let mut runs: Vec<Vec<u32>> = Vec::new();
    let mut previous_trained = false;
    for (&id, &label) in example.input_ids.iter().zip(&example.labels) {
        let trained = label != IGNORE_INDEX;
        if trained && !previous_trained {
            runs.push(Vec::new());
        }
        if trained {
            runs.last_mut().unwrap().push(id);
        }
        previous_trained = trained;
    }
    let trained: String = runs
        .iter()
        .map(|ids| tokenizer.decode(ids).unwrap())
        .collect::<Vec<_>>()
        .join("|");
    assert_eq!(runs.len(), 2, "{trained}");
    assert!(trained.contains("echo hi"), "{trained}");
    assert!(trained.contains("\"finish\""), "{trained}");
    assert!(!trained.contains("No call here."), "{trained}");
    assert!(!trained.contains("calc.py"), "{trained}");
}
