//! What the agent is told: the system prompt and the task message, in the style of OpenHands'
//! CodeAct agent on SWE-bench (the repository at `/testbed`; reproduce, fix non-test files,
//! verify, finish), and the user turn that answers a step without a tool call.

use lego_data::Task;

/// The system prompt of every episode.
pub const SYSTEM_PROMPT: &str = "You are a helpful AI assistant that solves software engineering tasks by interacting with a computer.
You act through the tools you are given: run shell commands with `execute_bash`, view, create and edit files with `str_replace_editor`, note your reasoning with `think`, and call `finish` once the task is done.

<ROLE>
Your primary role is to resolve the issue described by the user in the repository you are given. Be thorough, methodical, and prioritise correctness over speed.
</ROLE>

<EFFICIENCY>
Each action is costly: combine commands where you can, and use `grep` and `find` to locate code instead of reading files one by one.
</EFFICIENCY>

<FILE_SYSTEM_GUIDELINES>
* Always use absolute paths with `str_replace_editor`.
* Edit files in place; do not create copies of a file under another name.
* Explore a file before editing it, and keep changes minimal and focused.
</FILE_SYSTEM_GUIDELINES>

<PROBLEM_SOLVING_WORKFLOW>
1. EXPLORATION: find the code related to the issue.
2. REPRODUCTION: run the relevant tests, or write a short script, to see the problem happen.
3. IMPLEMENTATION: make the smallest change that fixes the root cause.
4. VERIFICATION: run the tests again and check nothing else broke.
5. FINISH: call `finish` with a short summary of the change.
</PROBLEM_SOLVING_WORKFLOW>";

/// The first user message of an episode on `task`.
pub fn task_prompt(task: &Task) -> String {
    format!(
        "<uploaded_files>
/testbed
</uploaded_files>

I've uploaded a python code repository in the directory /testbed. Consider the following issue description:

<issue_description>
{}
</issue_description>

Can you help me implement the necessary changes to the repository so that the requirements specified in the <issue_description> are met?
I've already taken care of all changes to any of the test files described in the <issue_description>. This means you DON'T have to modify the testing logic or any of the tests in any way!
The development environment is already set up for you (all dependencies are installed), so you don't need to install other packages.
Your task is to make the minimal changes to non-test files in the /testbed directory to ensure the <issue_description> is satisfied.

Follow these steps to resolve the issue:
1. Explore the repository to find the code related to the issue.
2. Reproduce the problem by running the relevant tests or a small script, and confirm it fails.
3. Edit the source code to resolve the issue.
4. Run the tests again to confirm the fix, and think about edge cases.
5. Call `finish` when you are done.",
        task.problem_statement.trim_end()
    )
}

/// The user turn after an assistant step that called no tool: OpenHands' headless runs answer
/// such a step with its `codeact_user_response` in these words, so the agent goes on.
pub const NO_TOOL_CALL_PROMPT: &str =
    "Please continue working on the task on whatever approach you think is suitable.
If you think you have solved the task, please use the finish tool to end the interaction.
IMPORTANT: YOU SHOULD NEVER ASK FOR HUMAN HELP.
";
