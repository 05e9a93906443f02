//! The scripted expert: a policy that knows the task's gold patch and works like a careful
//! agent, because no language model can be reached where lego's own tests and demo run.
//!
//! It explores (`view` of the repository, `grep` for the code the fix touches), adds the
//! task's tests where it has a test patch, runs the failing tests to see them fail, views each
//! file it fixes, applies the fix hunk by hunk with the editor (`str_replace`, `insert`,
//! `create`; `rm` for deleted files), runs the tests again and calls `finish`. An edit the
//! editor refuses (an ambiguous hunk) is recovered by `git apply` of the file's remaining
//! hunks, so with no mistakes it resolves every valid task.
//!
//! With [`ExpertOptions::mistake_rate`] above zero it makes, before an action and with that
//! probability (from a seeded generator), the mistakes real agents make, then the correct
//! action: a relative path (the editor's error, with its hint), an `old_str` that is not unique
//! or not verbatim, a mistyped command (`command not found`). A test run that fails by
//! assertion, which the reproduction always is, is not an error. Its trajectories say
//! `policy: "scripted-expert"`: they are scripted, not a model's.

use std::collections::VecDeque;

use lego_data::{Message, Rng, Role, Task, ToolCall};
use lego_sandbox::{TESTBED, patch_files, with_stdin};
use serde_json::{Value, json};

use crate::policy::{Context, Policy, PolicyError, Turn};

/// How the scripted expert behaves.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ExpertOptions {
    /// Probability of a mistake before each action that has one (0 = none).
    pub mistake_rate: f64,
    /// Seed of the mistakes (combine with the task and rollout for distinct episodes).
    pub seed: u64,
}

impl Default for ExpertOptions {
    fn default() -> Self {
        ExpertOptions {
            mistake_rate: 0.0,
            seed: 0,
        }
    }
}

/// The scripted expert for one episode.
#[derive(Debug)]
pub struct ScriptedExpert {
    plan: VecDeque<Action>,
    files: Vec<FilePatch>,
    rng: Rng,
    mistake_rate: f64,
    /// The correct action sent last, to check its observation.
    last: Option<Action>,
}

#[derive(Debug, Clone)]
struct Action {
    thought: String,
    tool: &'static str,
    args: Value,
    kind: Kind,
    /// A mistake was made before it already: the next try is the correct one.
    erred: bool,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Plain,
    /// A view of a file that will be edited (a mistake: a relative path).
    ViewFile,
    /// A test run (a mistake: a mistyped command).
    Tests,
    /// The edit of hunk `hunk` of file `file` (a mistake: a bad `old_str`).
    Edit {
        file: usize,
        hunk: usize,
    },
    /// A mistake: its error is expected.
    Mistake,
}

impl ScriptedExpert {
    /// The expert for `task`.
    pub fn new(task: &Task, options: ExpertOptions) -> Self {
        let code = parse_patch(&task.patch);
        let tests = parse_patch(&task.test_patch);
        let mut files = tests.clone();
        files.extend(code.iter().cloned());
        let mut plan = VecDeque::new();
        plan.push_back(Action::plain(
            "Let me start by exploring the repository structure.",
            "str_replace_editor",
            json!({"command": "view", "path": TESTBED}),
        ));
        if let Some(symbol) = code.iter().find_map(FilePatch::symbol) {
            plan.push_back(Action::plain(
                &format!("Let me find where `{symbol}` is defined and used."),
                "execute_bash",
                json!({"command": format!("grep -rn \"{symbol}\" {TESTBED} --include='*.py' | head -n 20")}),
            ));
        }
        if !tests.is_empty() {
            plan.push_back(Action::plain(
                "Let me add a test that reproduces the issue, so I can see it fail.",
                "think",
                json!({"thought": "The issue should be captured by a test first; then I fix the code and check that the test passes."}),
            ));
            edits(&mut plan, &tests, 0, false);
        }
        let test_command = test_command(task);
        plan.push_back(Action {
            thought: "Now let me run the tests to reproduce the problem.".to_owned(),
            tool: "execute_bash",
            args: json!({"command": test_command}),
            kind: Kind::Tests,
            erred: false,
        });
        edits(&mut plan, &code, tests.len(), true);
        plan.push_back(Action {
            thought: "Let me run the tests again to verify the fix.".to_owned(),
            tool: "execute_bash",
            args: json!({"command": test_command}),
            kind: Kind::Tests,
            erred: false,
        });
        let edited: Vec<String> = patch_files(&task.patch);
        plan.push_back(Action::plain(
            "The tests pass now.",
            "finish",
            json!({"message": format!("I resolved the issue by changing {}. The tests that reproduced the problem now pass.", edited.join(", "))}),
        ));
        ScriptedExpert {
            plan,
            files,
            rng: Rng::new(options.seed),
            mistake_rate: options.mistake_rate,
            last: None,
        }
    }

    /// When the editor refused a planned edit, the file's remaining hunks go in by `git apply`.
    fn recover(&mut self, messages: &[Message]) {
        let Some(Action {
            kind: Kind::Edit { file, hunk },
            tool: "str_replace_editor",
            ..
        }) = self.last
        else {
            return;
        };
        let refused = messages
            .last()
            .is_some_and(|m| m.role == Role::Tool && m.content.starts_with("ERROR"));
        if !refused {
            return;
        }
        self.plan
            .retain(|a| !matches!(a.kind, Kind::Edit { file: f, .. } if f == file));
        let patch = self.files[file].rest_from(hunk);
        self.plan.push_front(Action::plain(
            "The edit did not go through; let me apply the rest of this change as a patch.",
            "execute_bash",
            json!({"command": with_stdin(&format!("cd {TESTBED} && git apply"), &patch)}),
        ));
    }

    /// A mistake to make before `action`, if the dice say so.
    fn mistake(&mut self, action: &Action, messages: &[Message]) -> Option<Action> {
        if action.erred || self.mistake_rate <= 0.0 || self.rng.next_f64() >= self.mistake_rate {
            return None;
        }
        let mistake = |thought: &str, tool: &'static str, args: Value| Action {
            thought: thought.to_owned(),
            tool,
            args,
            kind: Kind::Mistake,
            erred: false,
        };
        match action.kind {
            Kind::ViewFile => {
                let path = action.args["path"].as_str()?;
                let relative = path.strip_prefix(TESTBED)?.trim_start_matches('/');
                Some(mistake(
                    &action.thought,
                    "str_replace_editor",
                    json!({"command": "view", "path": relative}),
                ))
            }
            Kind::Tests => {
                let command = action.args["command"].as_str()?;
                Some(mistake(
                    &action.thought,
                    "execute_bash",
                    json!({"command": mistype(command)}),
                ))
            }
            Kind::Edit { file, .. } if action.args["command"] == "str_replace" => {
                let path = action.args["path"].as_str()?;
                let old = action.args["old_str"].as_str()?;
                let removed = self.files[file].removed_lines();
                let bad = repeated_line(messages, path, &removed).unwrap_or_else(|| reindent(old));
                let mut args = action.args.clone();
                args["old_str"] = Value::String(bad);
                Some(mistake(&action.thought, "str_replace_editor", args))
            }
            _ => None,
        }
    }
}

impl Policy for ScriptedExpert {
    fn name(&self) -> &str {
        "scripted-expert"
    }

    fn next(&mut self, context: &Context<'_>) -> Result<Turn, PolicyError> {
        self.recover(context.messages);
        let Some(action) = self.plan.pop_front() else {
            return Err(PolicyError::Failed(
                "the scripted expert has nothing left to do".to_owned(),
            ));
        };
        let sent = match self.mistake(&action, context.messages) {
            Some(mistake) => {
                self.plan.push_front(Action {
                    erred: true,
                    ..action
                });
                self.last = None;
                mistake
            }
            None => {
                self.last = Some(action.clone());
                action
            }
        };
        let call = ToolCall::new(String::new(), sent.tool, sent.args.to_string());
        Ok(Turn {
            message: Message::assistant(sent.thought, vec![call]),
            usage: None,
        })
    }
}

impl Action {
    fn plain(thought: &str, tool: &'static str, args: Value) -> Self {
        Action {
            thought: thought.to_owned(),
            tool,
            args,
            kind: Kind::Plain,
            erred: false,
        }
    }
}

/// Hunks of one file the expert makes with the editor; the rest of a longer change goes in as a
/// patch, as an agent with a long, mechanical change would do it.
const EDITOR_HUNKS: usize = 4;

/// The actions that make the files of one patch (`first` is the index of its first file in the
/// expert's files): Python files edited with the editor (viewed first where `view`), the rest
/// (other files, renames, deletions, ...) applied together as one patch.
fn edits(plan: &mut VecDeque<Action>, files: &[FilePatch], first: usize, view: bool) {
    let mut rest = String::new();
    let mut rest_names = Vec::new();
    for (k, file) in files.iter().enumerate() {
        let i = first + k;
        if !file.is_plain_edit() || !file.path.ends_with(".py") {
            rest.push_str(&file.rest_from(0));
            rest_names.push(file.path.clone());
            continue;
        }
        let edit = |hunk: usize, thought: String, args: Value| Action {
            thought,
            tool: "str_replace_editor",
            args,
            kind: Kind::Edit { file: i, hunk },
            erred: false,
        };
        if file.new_file {
            let text: String = file.hunks.iter().map(|h| h.new_text() + "\n").collect();
            plan.push_back(edit(
                0,
                format!("Let me create {}.", file.path),
                json!({"command": "create", "path": file.abs(), "file_text": text}),
            ));
            continue;
        }
        if view {
            plan.push_back(Action {
                thought: format!("Let me look at {} to understand the code.", file.path),
                tool: "str_replace_editor",
                args: json!({"command": "view", "path": file.abs()}),
                kind: Kind::ViewFile,
                erred: false,
            });
        }
        for (h, hunk) in file.hunks.iter().enumerate().take(EDITOR_HUNKS) {
            let thought = format!(
                "Let me make the change around line {} of {}.",
                hunk.old_start, file.path
            );
            let old = hunk.old_text();
            let args = if old.is_empty() {
                json!({"command": "insert", "path": file.abs(), "insert_line": hunk.old_start, "new_str": hunk.new_text()})
            } else {
                json!({"command": "str_replace", "path": file.abs(), "old_str": old, "new_str": hunk.new_text()})
            };
            plan.push_back(edit(h, thought, args));
        }
        if file.hunks.len() > EDITOR_HUNKS {
            // An edit of the file's, so that a refused hunk before it takes it along.
            plan.push_back(Action {
                thought: format!(
                    "The remaining changes to {} are mechanical; let me apply them as a patch.",
                    file.path
                ),
                tool: "execute_bash",
                args: json!({"command": with_stdin(&format!("cd {TESTBED} && git apply"), &file.rest_from(EDITOR_HUNKS))}),
                kind: Kind::Edit { file: i, hunk: EDITOR_HUNKS },
                erred: false,
            });
        }
    }
    if !rest.is_empty() {
        plan.push_back(Action::plain(
            &format!("Let me also update {}.", rest_names.join(", ")),
            "execute_bash",
            json!({"command": with_stdin(&format!("cd {TESTBED} && git apply"), &rest)}),
        ));
    }
}

/// The task's test command, its output cut to its end (the summary lines).
fn test_command(task: &Task) -> String {
    let command = match task.test_cmd.as_deref().filter(|c| !c.trim().is_empty()) {
        Some(cmd) => cmd.to_owned(),
        None => {
            let mut files: Vec<&str> = task
                .fail_to_pass
                .iter()
                .filter_map(|t| t.split("::").next())
                .collect();
            files.dedup();
            format!("python -m pytest -rA {}", files.join(" "))
        }
    };
    format!("cd {TESTBED} && {command} 2>&1 | tail -n 40")
}

/// The command with its program name mistyped (two letters swapped).
fn mistype(command: &str) -> String {
    let (cd, rest) = match command.split_once(" && ") {
        Some((cd, rest)) => (format!("{cd} && "), rest),
        None => (String::new(), command),
    };
    let (program, args) = rest.split_once(' ').unwrap_or((rest, ""));
    let mut chars: Vec<char> = program.chars().collect();
    if chars.len() >= 4 {
        chars.swap(2, 3);
    } else {
        chars.push('x');
    }
    let program: String = chars.into_iter().collect();
    format!("{cd}{program} {args}")
}

/// A line that appears more than once in the last view of `path`: an `old_str` that is not
/// unique. The view may predate edits of the file; a line that is part of none of `removed`
/// (the lines the file's hunks remove) is still there as often as it was, so the mistake
/// stays a mistake instead of replacing the one occurrence an earlier edit left.
fn repeated_line(messages: &[Message], path: &str, removed: &[&str]) -> Option<String> {
    let view = messages
        .iter()
        .rev()
        .find(|m| m.role == Role::Tool && m.content.contains(&format!("cat -n` on {path}:")))?;
    let lines: Vec<&str> = view
        .content
        .lines()
        .filter_map(|l| l.split_once('\t').map(|(_, text)| text))
        .filter(|text| text.trim().len() > 8)
        .collect();
    lines
        .iter()
        .find(|l| {
            lines.iter().filter(|m| m == l).count() > 1 && !removed.iter().any(|r| r.contains(**l))
        })
        .map(|l| l.to_string())
}

/// `old` with its indentation changed: not verbatim in the file.
fn reindent(old: &str) -> String {
    old.lines()
        .map(|l| format!(" {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The name a line defines (`def name(`, `async def name(`, `class Name`), if it defines one.
fn defined_name(line: &str) -> Option<String> {
    let line = line.trim();
    let rest = line
        .strip_prefix("def ")
        .or_else(|| line.strip_prefix("class "))
        .or_else(|| line.strip_prefix("async def "))?;
    let name: String = rest
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect();
    (!name.is_empty()).then_some(name)
}

/// One file's part of a unified diff.
#[derive(Debug, Clone)]
struct FilePatch {
    path: String,
    /// The lines before the first hunk (`diff --git`, index, modes, `---`/`+++`).
    header: String,
    hunks: Vec<Hunk>,
    new_file: bool,
    deleted: bool,
    /// Something the editor cannot say (rename, mode change, missing final newline, binary).
    special: bool,
}

#[derive(Debug, Clone)]
struct Hunk {
    header: String,
    old_start: usize,
    lines: Vec<String>,
}

impl FilePatch {
    fn abs(&self) -> String {
        format!("{TESTBED}/{}", self.path)
    }

    fn is_plain_edit(&self) -> bool {
        !self.special && !self.deleted
    }

    /// A name the hunk headers show (`def name(` / `class Name`), to grep for.
    fn symbol(&self) -> Option<String> {
        self.hunks.iter().find_map(|h| {
            // The function the change is in: the last definition among the hunk's lines
            // before its first change, else the one git names in the header (the definition
            // the hunk starts in).
            let before_change = h
                .lines
                .iter()
                .take_while(|l| !l.starts_with('-') && !l.starts_with('+'))
                .map(|l| l.get(1..).unwrap_or(""));
            let in_hunk = before_change.filter_map(defined_name).last();
            in_hunk.or_else(|| defined_name(h.header.rsplit_once("@@")?.1))
        })
    }

    /// The lines its hunks remove, without their `-`.
    fn removed_lines(&self) -> Vec<&str> {
        self.hunks
            .iter()
            .flat_map(|h| &h.lines)
            .filter_map(|l| l.strip_prefix('-'))
            .collect()
    }

    /// The file's header and its hunks from `first` on: a patch `git apply` takes.
    fn rest_from(&self, first: usize) -> String {
        let mut out = self.header.clone();
        for hunk in &self.hunks[first.min(self.hunks.len())..] {
            out.push_str(&hunk.header);
            out.push('\n');
            for line in &hunk.lines {
                out.push_str(line);
                out.push('\n');
            }
        }
        out
    }
}

impl Hunk {
    fn side(&self, mark: char) -> String {
        self.lines
            .iter()
            .filter(|l| l.starts_with(' ') || l.starts_with(mark) || l.is_empty())
            .map(|l| l.get(1..).unwrap_or(""))
            .collect::<Vec<_>>()
            .join("\n")
    }

    fn old_text(&self) -> String {
        self.side('-')
    }

    fn new_text(&self) -> String {
        self.side('+')
    }
}

/// The files of a unified diff, in order.
fn parse_patch(patch: &str) -> Vec<FilePatch> {
    let mut files: Vec<FilePatch> = Vec::new();
    for line in patch.lines() {
        if let Some(rest) = line.strip_prefix("diff --git a/") {
            let path = rest.split_once(" b/").map_or(rest, |(_, b)| b).to_owned();
            files.push(FilePatch {
                path,
                header: format!("{line}\n"),
                hunks: Vec::new(),
                new_file: false,
                deleted: false,
                special: false,
            });
            continue;
        }
        let Some(file) = files.last_mut() else {
            continue;
        };
        if line.starts_with("@@ ") {
            let old_start = line
                .split_whitespace()
                .nth(1)
                .and_then(|r| r.trim_start_matches('-').split(',').next())
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
            file.hunks.push(Hunk {
                header: line.to_owned(),
                old_start,
                lines: Vec::new(),
            });
        } else if let Some(hunk) = file.hunks.last_mut() {
            if line.starts_with('\\') {
                file.special = true;
            }
            hunk.lines.push(line.to_owned());
        } else {
            file.header.push_str(line);
            file.header.push('\n');
            if line.starts_with("new file mode") {
                file.new_file = true;
            } else if line.starts_with("deleted file mode") {
                file.deleted = true;
            } else if line.starts_with("rename ")
                || line.starts_with("old mode")
                || line.starts_with("similarity")
                || line.starts_with("Binary files")
                || line == "GIT binary patch"
            {
                file.special = true;
            }
        }
    }
    files
}

/// A seed for one episode: the run's seed mixed with the task and the rollout.
pub fn episode_seed(seed: u64, instance_id: &str, rollout: usize) -> u64 {
    let mut h = Rng::new(seed ^ (rollout as u64).wrapping_mul(0xA24B_AED4_963E_E407));
    let mut acc = h.next_u64();
    for b in instance_id.bytes() {
        acc = (acc ^ u64::from(b)).wrapping_mul(0x0100_0000_01B3);
    }
    Rng::new(acc).next_u64()
}
