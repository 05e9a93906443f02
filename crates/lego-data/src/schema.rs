//! The records lego reads and writes: tasks and agent trajectories.
//!
//! Field names follow the formats people already have on disk (SWE-bench, SWE-smith, OpenAI chat),
//! so a file written by those tools reads here unchanged; fields lego does not know are kept in
//! `extra` and written back, so a round trip loses nothing.

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

/// One executable task: a SWE-bench instance, plus SWE-smith's and lego's own fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Task {
    /// `owner__name-number`, unique across a data set.
    pub instance_id: String,
    /// `owner/name` of the repository.
    #[serde(default)]
    pub repo: String,
    /// The commit (hex) the task starts from.
    #[serde(default)]
    pub base_commit: String,
    /// The gold code patch (unified diff) that resolves the task.
    #[serde(default)]
    pub patch: String,
    /// The patch adding or changing the tests that decide the task.
    #[serde(default)]
    pub test_patch: String,
    /// The issue text the agent is given.
    #[serde(default)]
    pub problem_statement: String,
    /// Issue comments made before the fix (SWE-bench), often empty.
    #[serde(default)]
    pub hints_text: String,
    /// When the pull request (or synthetic task) was made, ISO 8601.
    #[serde(default)]
    pub created_at: String,
    /// SWE-bench's version of the repository, which picks its environment.
    #[serde(default)]
    pub version: String,
    /// Tests that fail before the patch and pass after it.
    #[serde(rename = "FAIL_TO_PASS", default, deserialize_with = "test_list")]
    pub fail_to_pass: Vec<String>,
    /// Tests that pass both before and after the patch.
    #[serde(rename = "PASS_TO_PASS", default, deserialize_with = "test_list")]
    pub pass_to_pass: Vec<String>,
    /// The commit the environment is installed from (SWE-bench).
    #[serde(default)]
    pub environment_setup_commit: String,
    /// SWE-smith: the environment image the task runs in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_name: Option<String>,
    /// lego: where the task came from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<TaskSource>,
    /// lego: for synthetic tasks, the modifier that injected the bug (e.g. `invert_if`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bug_kind: Option<String>,
    /// lego: the command that runs the task's tests, when not the repository's default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test_cmd: Option<String>,
    /// Fields of other tools, kept as they came.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Where a task came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskSource {
    /// Mined from a merged pull request.
    Real,
    /// A bug injected into a working repository.
    Synthetic,
}

/// One agent episode on one task, in OpenAI chat shape.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Trajectory {
    /// The task the episode worked on.
    pub instance_id: String,
    /// The OpenAI tool schemas the policy was given, in the order it saw them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tools: Vec<Value>,
    /// The conversation, system prompt first.
    pub messages: Vec<Message>,
    /// How the episode ended, when it was graded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<Outcome>,
    /// The diff of the repository at the end of the episode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub final_patch: Option<String>,
    /// Fields of other tools, kept as they came.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// How an episode ended, judged by the task's tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Every FAIL_TO_PASS and PASS_TO_PASS test passes.
    Resolved,
    /// SWE-Lego's "semi-resolved": the right files were edited but tests still fail.
    SemiResolved,
    /// Some FAIL_TO_PASS or PASS_TO_PASS test fails.
    Unresolved,
    /// The episode or its grading broke (patch did not apply, tests timed out).
    Error,
}

/// Who says a chat message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The system prompt.
    System,
    /// The user: the task statement.
    User,
    /// The agent: one step, with its tool calls.
    Assistant,
    /// The observation of one tool call.
    Tool,
}

/// One chat message. An assistant message is one agent step: its `tool_calls` are the actions and
/// the `tool` messages after it are their observations; `step` records how that step went.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    /// Who says it.
    pub role: Role,
    /// Text content; `null` and OpenAI's list of text parts both read as a string.
    #[serde(default, deserialize_with = "content_text")]
    pub content: String,
    /// The actions of an assistant step, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tool_calls: Vec<ToolCall>,
    /// For a `tool` message, the id of the call it answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_call_id: Option<String>,
    /// For a `tool` message, the tool's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// SWE-Lego's per-turn mask: `true` means no loss on this assistant turn.
    #[serde(default, skip_serializing_if = "is_false")]
    pub turn_mask: bool,
    /// Metadata of the step this assistant message starts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<StepMeta>,
}

/// A tool call in OpenAI function shape.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolCall {
    /// The call's id, which its observation names.
    #[serde(default)]
    pub id: String,
    /// Always `function` (OpenAI's `type`).
    #[serde(rename = "type", default = "function_kind")]
    pub kind: String,
    /// The function called and its arguments.
    pub function: FunctionCall,
}

/// The function of a [`ToolCall`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FunctionCall {
    /// The tool's name.
    pub name: String,
    /// The arguments as the model wrote them: a JSON string (an object given inline is accepted
    /// and stored as its JSON text).
    #[serde(deserialize_with = "arguments_text")]
    pub arguments: String,
}

/// What happened when a step ran.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StepMeta {
    /// The execution-time error of the step, if it had one .
    #[serde(default)]
    pub error: Option<StepError>,
    /// The exit status of the command the step ran, if it ran one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<i64>,
    /// How long the step's actions took, in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_s: Option<f64>,
    /// The tokens the model call of the step used, when the policy counts them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<TokenUsage>,
}

/// Tokens one model call used (or a sum of them), as OpenAI-compatible servers count them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenUsage {
    /// Tokens of the prompt.
    pub prompt_tokens: u64,
    /// Tokens generated.
    pub completion_tokens: u64,
}

impl TokenUsage {
    /// Adds `other` to `self`.
    pub fn add(&mut self, other: TokenUsage) {
        self.prompt_tokens += other.prompt_tokens;
        self.completion_tokens += other.completion_tokens;
    }
}

/// An execution-time error of a step: the action did not do what the agent meant, through a
/// fault of the action itself. A test run that fails by assertion is not one of these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepError {
    /// The tool call is not valid JSON or not a call at all.
    ToolCallParse,
    /// The call names a tool the policy was not given.
    UnknownTool,
    /// Arguments missing, of the wrong type, or not allowed for the tool.
    InvalidArguments,
    /// The editor refused the action (its observation starts with `ERROR:`).
    EditorError,
    /// The command hit its time limit.
    CommandTimeout,
    /// The shell could not find the command.
    CommandNotFound,
    /// Python itself rejected the command's code: a `SyntaxError`/`IndentationError`.
    PythonSyntaxError,
    /// Python could not import a module the command needed: `ImportError`/`ModuleNotFoundError`.
    PythonImportError,
}

impl StepError {
    /// Every kind, in a fixed order.
    pub const ALL: [StepError; 8] = [
        StepError::ToolCallParse,
        StepError::UnknownTool,
        StepError::InvalidArguments,
        StepError::EditorError,
        StepError::CommandTimeout,
        StepError::CommandNotFound,
        StepError::PythonSyntaxError,
        StepError::PythonImportError,
    ];

    /// The snake_case name used in files.
    pub fn as_str(self) -> &'static str {
        match self {
            StepError::ToolCallParse => "tool_call_parse",
            StepError::UnknownTool => "unknown_tool",
            StepError::InvalidArguments => "invalid_arguments",
            StepError::EditorError => "editor_error",
            StepError::CommandTimeout => "command_timeout",
            StepError::CommandNotFound => "command_not_found",
            StepError::PythonSyntaxError => "python_syntax_error",
            StepError::PythonImportError => "python_import_error",
        }
    }
}

impl std::fmt::Display for StepError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl ToolCall {
    /// A function call with the given id, tool name and JSON arguments text.
    pub fn new(
        id: impl Into<String>,
        name: impl Into<String>,
        arguments: impl Into<String>,
    ) -> Self {
        ToolCall {
            id: id.into(),
            kind: function_kind(),
            function: FunctionCall {
                name: name.into(),
                arguments: arguments.into(),
            },
        }
    }
}

impl Message {
    /// An assistant step: its text and the tool calls it makes.
    pub fn assistant(content: impl Into<String>, tool_calls: Vec<ToolCall>) -> Self {
        Message {
            tool_calls,
            ..Message::new(Role::Assistant, content)
        }
    }

    /// The observation answering the tool call `tool_call_id`.
    pub fn tool_result(tool_call_id: Option<&str>, content: impl Into<String>) -> Self {
        Message {
            tool_call_id: tool_call_id.map(str::to_owned),
            ..Message::new(Role::Tool, content)
        }
    }

    /// A message of `role` with `content` and nothing else.
    pub fn new(role: Role, content: impl Into<String>) -> Self {
        Message {
            role,
            content: content.into(),
            tool_calls: Vec::new(),
            tool_call_id: None,
            name: None,
            turn_mask: false,
            step: None,
        }
    }
}

fn is_false(b: &bool) -> bool {
    !*b
}

fn function_kind() -> String {
    "function".to_owned()
}

/// SWE-bench ships test lists as JSON-encoded strings; other tools write arrays. Read both.
fn test_list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    use serde::de::Error as _;
    match Value::deserialize(d)? {
        Value::Null => Ok(Vec::new()),
        Value::Array(items) => items
            .into_iter()
            .map(|v| match v {
                Value::String(s) => Ok(s),
                other => Err(D::Error::custom(format!(
                    "test name must be a string, got {other}"
                ))),
            })
            .collect(),
        Value::String(s) if s.trim().is_empty() => Ok(Vec::new()),
        Value::String(s) => serde_json::from_str::<Vec<String>>(&s)
            .map_err(|e| D::Error::custom(format!("test list string is not a JSON array: {e}"))),
        other => Err(D::Error::custom(format!(
            "test list must be an array or a string, got {other}"
        ))),
    }
}

fn content_text<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    use serde::de::Error as _;
    match Value::deserialize(d)? {
        Value::Null => Ok(String::new()),
        Value::String(s) => Ok(s),
        // OpenAI's content parts: [{"type": "text", "text": "..."}]; only text parts exist here.
        Value::Array(parts) => {
            let mut text = String::new();
            for part in parts {
                match part.get("text").and_then(Value::as_str) {
                    Some(t) => text.push_str(t),
                    None => {
                        return Err(D::Error::custom(format!(
                            "content part without text: {part}"
                        )));
                    }
                }
            }
            Ok(text)
        }
        other => Err(D::Error::custom(format!(
            "content must be a string, got {other}"
        ))),
    }
}

fn arguments_text<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    match Value::deserialize(d)? {
        Value::String(s) => Ok(s),
        other => Ok(other.to_string()),
    }
}
