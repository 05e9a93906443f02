//! The four tools of an OpenHands CodeAct agent, as the OpenAI function schemas a policy sees.
//!
//! SWE-Lego's agent has exactly these tools. The key order of each schema is part of the
//! contract: chat templates dump the schemas in order into the system prompt, so the order
//! decides the tokens (`type`, `function{name, description, parameters{type, properties,
//! required}}`).

use serde_json::{Value, json};

/// Names of the four OpenHands tools, in the order [`openhands_tools`] gives them.
pub const OPENHANDS_TOOL_NAMES: [&str; 4] =
    ["execute_bash", "str_replace_editor", "think", "finish"];

/// The OpenAI function schemas of `execute_bash`, `str_replace_editor`, `think` and `finish`.
/// The descriptions are lego's own, written after OpenHands' tool semantics.
pub fn openhands_tools() -> Vec<Value> {
    vec![execute_bash(), str_replace_editor(), think(), finish()]
}

fn execute_bash() -> Value {
    json!({
        "type": "function",
        "function": {
            "name": "execute_bash",
            "description": "Run a bash command in a persistent shell session inside the sandbox.\n\
    * The shell keeps its state between calls: the working directory and exported variables persist.\n\
    * Only one command runs at a time; chain several with `&&` or `;` in one call.\n\
    * For commands that run long, redirect output to a file and run them in the background, e.g. `python server.py > server.log 2>&1 &`.\n\
    * A command that prints nothing new for a while returns early with a note that it is still running; send an empty command to wait for more output, text with `is_input` set to answer a prompt, or `C-c` to interrupt it.\n\
    * Output that is very long is clipped; page through big files with `head`, `tail`, `sed -n` or `grep` instead.\n\
    * The result ends with the exit code of the command, or with a note that it timed out.",
            "parameters": {
                "type": "object",
                "properties": {
                    "command": {
                        "type": "string",
                        "description": "The bash command to run. May be empty to read more output of the running command, or a key such as `C-c` or `C-d` when `is_input` is true."
                    },
                    "is_input": {
                        "type": "string",
                        "description": "If true, `command` is sent as input to the command that is still running instead of starting a new one. Default: false.",
                        "enum": ["true", "false"]
                    },
                    "timeout": {
                        "type": "number",
                        "description": "Optional hard limit in seconds. When it passes, the command is interrupted and its output so far is returned."
                    }
                },
                "required": ["command"]
            }
        }
    })
}

fn str_replace_editor() -> Value {
    json!({
        "type": "function",
        "function": {
            "name": "str_replace_editor",
            "description": "View, create and edit plain-text files.\n\
    * Every `path` is absolute, e.g. `/testbed/src/module.py`.\n\
    * `view` on a file prints it with line numbers, like `cat -n`; `view_range` limits it to some lines. `view` on a directory lists its non-hidden entries two levels deep.\n\
    * `create` writes a new file and refuses a path that already exists.\n\
    * `str_replace` replaces `old_str` by `new_str`. `old_str` must match exactly one place in the file, whitespace included; give enough surrounding lines to make it unique.\n\
    * `insert` adds `new_str` after line `insert_line` (0 inserts at the top).\n\
    * `undo_edit` reverts the last edit made to the file.\n\
    * The editor keeps the state of files between calls; long output is clipped.",
            "parameters": {
                "type": "object",
                "properties": {
                    "command": {
                        "type": "string",
                        "description": "The action to take.",
                        "enum": ["view", "create", "str_replace", "insert", "undo_edit"]
                    },
                    "path": {
                        "type": "string",
                        "description": "Absolute path of the file or directory."
                    },
                    "file_text": {
                        "type": "string",
                        "description": "Content of the new file; required by `create`."
                    },
                    "old_str": {
                        "type": "string",
                        "description": "The exact text to replace; required by `str_replace`."
                    },
                    "new_str": {
                        "type": "string",
                        "description": "The replacement text for `str_replace` (empty deletes `old_str`), or the text to add for `insert`."
                    },
                    "insert_line": {
                        "type": "integer",
                        "description": "The line after which `insert` adds `new_str`; required by `insert`."
                    },
                    "view_range": {
                        "type": "array",
                        "description": "For `view` on a file: `[start, end]` line numbers, 1-based and inclusive; `[start, -1]` shows everything from `start` on.",
                        "items": {"type": "integer"}
                    }
                },
                "required": ["command", "path"]
            }
        }
    })
}

fn think() -> Value {
    json!({
        "type": "function",
        "function": {
            "name": "think",
            "description": "Write down a thought: reason about the cause of a bug, weigh possible fixes, or plan the next steps. Changes nothing and fetches nothing; the thought is only recorded.",
            "parameters": {
                "type": "object",
                "properties": {
                    "thought": {
                        "type": "string",
                        "description": "The thought."
                    }
                },
                "required": ["thought"]
            }
        }
    })
}

fn finish() -> Value {
    json!({
        "type": "function",
        "function": {
            "name": "finish",
            "description": "End the task once it is solved, or once no further progress is possible, with a short summary of what was done.",
            "parameters": {
                "type": "object",
                "properties": {
                    "message": {
                        "type": "string",
                        "description": "Summary of the changes made and how they were checked."
                    }
                },
                "required": ["message"]
            }
        }
    })
}

#[cfg(test)]
mod tests;
