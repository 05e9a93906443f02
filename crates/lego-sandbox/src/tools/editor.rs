//! `str_replace_editor`: OpenHands' file editor (openhands-aci 0.3's `OHEditor`), its outputs and
//! its error texts, over [`Sandbox`] file access.

use std::collections::HashMap;
use std::time::Duration;

use serde_json::{Map, Value};

use crate::error::Error;
use crate::local::shell_quote;
use crate::sandbox::{ExecOptions, FileKind, Sandbox};

/// Lines of context around an edit in the snippet shown after it (aci's `SNIPPET_CONTEXT_WINDOW`).
const SNIPPET_CONTEXT_WINDOW: usize = 4;
/// Characters of file text shown before clipping (aci's `MAX_RESPONSE_LEN_CHAR`).
const MAX_RESPONSE_LEN_CHAR: usize = 16_000;
const MAX_FILE_SIZE: usize = 10 * 1024 * 1024;
const MAX_HISTORY_PER_FILE: usize = 10;
const FILE_CONTENT_TRUNCATED_NOTICE: &str = "<response clipped><NOTE>To save on context only part of this file has been shown to you. You should retry this tool after you have searched inside the file with `grep -n` in order to find the line numbers of what you are looking for.</NOTE>";
const DIRECTORY_CONTENT_TRUNCATED_NOTICE: &str = "<response clipped><NOTE>To save on context only part of this directory has been shown to you. You should use `ls -la` instead to view large directories incrementally.</NOTE>";

type History = HashMap<String, Vec<String>>;

/// Runs one editor call; errors come back as OpenHands shows them, `ERROR:\n{message}`.
pub(crate) fn run(
    sandbox: &mut dyn Sandbox,
    history: &mut History,
    args: &Map<String, Value>,
) -> String {
    for required in ["command", "path"] {
        if !args.contains_key(required) {
            return super::missing(required, "str_replace_editor");
        }
    }
    match edit(sandbox, history, args) {
        Ok(text) => text,
        Err(message) => format!("ERROR:\n{message}"),
    }
}

fn edit(
    sandbox: &mut dyn Sandbox,
    history: &mut History,
    args: &Map<String, Value>,
) -> Result<String, String> {
    let command = text_arg(args, "command").unwrap_or_default();
    let raw_path = text_arg(args, "path").unwrap_or_default();
    let path = py_path(&raw_path);
    let kind = validate_path(sandbox, &command, &path)?;
    match command.as_str() {
        "view" => view(sandbox, &path, kind, args.get("view_range")),
        "create" => {
            let Some(file_text) = text_arg(args, "file_text") else {
                return Err(param_missing("create", "file_text"));
            };
            write(sandbox, &path, &file_text)?;
            add_history(history, &path, file_text);
            Ok(format!("File created successfully at: {path}"))
        }
        "str_replace" => {
            let Some(old_str) = text_arg(args, "old_str") else {
                return Err(param_missing("str_replace", "old_str"));
            };
            let new_str = text_arg(args, "new_str");
            if new_str.as_deref() == Some(old_str.as_str()) {
                return Err(invalid(
                    "new_str",
                    &old_str,
                    "No replacement was performed. `new_str` and `old_str` must be different.",
                ));
            }
            str_replace(
                sandbox,
                history,
                &path,
                &old_str,
                &new_str.unwrap_or_default(),
            )
        }
        "insert" => {
            let Some(line) = args.get("insert_line") else {
                return Err(param_missing("insert", "insert_line"));
            };
            let Some(new_str) = text_arg(args, "new_str") else {
                return Err(param_missing("insert", "new_str"));
            };
            let Some(line) = line.as_i64() else {
                return Err(invalid(
                    "insert_line",
                    &py_value(line),
                    "It should be an integer.",
                ));
            };
            insert(sandbox, history, &path, line, &new_str)
        }
        "undo_edit" => {
            // As aci, an unreadable file fails before the history is looked at.
            read(sandbox, &path)?;
            let Some(old) = history.get_mut(&path).and_then(Vec::pop) else {
                return Err(format!("No edit history found for {path}."));
            };
            write(sandbox, &path, &old)?;
            Ok(format!(
                "Last edit to {path} undone successfully. {}",
                make_output(&old, &path, 1)
            ))
        }
        other => Err(format!(
            "Unrecognized command {other}. The allowed commands for the oh_editor tool are: view, create, str_replace, insert, undo_edit"
        )),
    }
}

fn validate_path(
    sandbox: &mut dyn Sandbox,
    command: &str,
    path: &str,
) -> Result<Option<FileKind>, String> {
    if !path.starts_with('/') {
        let mut hint = "The path should be an absolute path, starting with `/`.".to_owned();
        // openhands-aci suggests the path under its workspace root when something is there;
        // agents lean on the hint to correct themselves.
        let suggested = under_testbed(path);
        if matches!(sandbox.file_kind(&suggested), Ok(Some(_))) {
            hint.push_str(&format!(" Maybe you meant {suggested}?"));
        }
        return Err(invalid("path", path, &hint));
    }
    let kind = match sandbox.file_kind(path) {
        Ok(kind) => kind,
        Err(Error::OutsideSandbox { root, .. }) => {
            return Err(invalid(
                "path",
                path,
                &format!(
                    "The path {path} is outside the repository: only {root} and the files below it can be viewed or edited."
                ),
            ));
        }
        Err(e) => return Err(format!("Ran into {e} while trying to read {path}")),
    };
    if command == "create" && kind.is_some() {
        return Err(invalid(
            "path",
            path,
            &format!(
                "File already exists at: {path}. Cannot overwrite files using command `create`."
            ),
        ));
    }
    if command != "create" && kind.is_none() {
        return Err(invalid(
            "path",
            path,
            &format!("The path {path} does not exist. Please provide a valid path."),
        ));
    }
    if command != "view" && kind == Some(FileKind::Dir) {
        return Err(invalid(
            "path",
            path,
            &format!(
                "The path {path} is a directory and only the `view` command can be used on directories."
            ),
        ));
    }
    Ok(kind)
}

fn view(
    sandbox: &mut dyn Sandbox,
    path: &str,
    kind: Option<FileKind>,
    range: Option<&Value>,
) -> Result<String, String> {
    let range = range.filter(|r| !r.is_null());
    if kind == Some(FileKind::Dir) {
        if let Some(r) = range.filter(|r| r.as_array().is_none_or(|a| !a.is_empty())) {
            return Err(invalid(
                "view_range",
                &py_value(r),
                "The `view_range` parameter is not allowed when `path` points to a directory.",
            ));
        }
        return view_dir(sandbox, path);
    }
    let content = read(sandbox, path)?;
    let Some(range) = range.filter(|r| r.as_array().is_none_or(|a| !a.is_empty())) else {
        return Ok(make_output(&content, path, 1));
    };
    let pair = range
        .as_array()
        .filter(|a| a.len() == 2)
        .and_then(|a| Some((a[0].as_i64()?, a[1].as_i64()?)));
    let Some((start, end)) = pair else {
        return Err(invalid(
            "view_range",
            &py_value(range),
            "It should be a list of two integers.",
        ));
    };
    let num_lines = count_lines(&content) as i64;
    if start < 1 || start > num_lines {
        return Err(invalid(
            "view_range",
            &py_value(range),
            &format!(
                "Its first element `{start}` should be within the range of lines of the file: [1, {num_lines}]."
            ),
        ));
    }
    let mut warning = None;
    let end = if end == -1 {
        num_lines
    } else if end > num_lines {
        warning = Some(format!(
            "We only show up to {num_lines} since there's only {num_lines} lines in this file"
        ));
        num_lines
    } else {
        end
    };
    if end < start {
        return Err(invalid(
            "view_range",
            &py_value(range),
            &format!(
                "Its second element `{end}` should be greater than or equal to the first element `{start}`."
            ),
        ));
    }
    let selected = line_range(&content, start as usize, end as usize);
    let joined: Vec<&str> = selected.lines().collect();
    let mut out = make_output(&joined.join("\n"), path, start as usize);
    if let Some(w) = warning {
        out += &format!("\nNOTE: {w}\n");
    }
    Ok(out)
}

fn view_dir(sandbox: &mut dyn Sandbox, path: &str) -> Result<String, String> {
    let q = shell_quote(path);
    let p = path.trim_end_matches('/');
    // As aci: count hidden entries at depth 1, list two levels without hidden ones, sorted, with
    // a slash after directories (aci adds it in Python after sorting).
    let script = format!(
        "export LC_ALL=C\nfind -L {q} -mindepth 1 -maxdepth 1 -name '.*' | wc -l\necho '---'\nfind -L {q} -maxdepth 2 -not \\( -path {a} -o -path {b} \\) | sort | while IFS= read -r p; do if [ -d \"$p\" ]; then printf '%s/\\n' \"$p\"; else printf '%s\\n' \"$p\"; fi; done",
        a = shell_quote(&format!("{p}/.*")),
        b = shell_quote(&format!("{p}/*/.*")),
    );
    let options = ExecOptions {
        timeout: Duration::from_secs(60),
        ..ExecOptions::default()
    };
    let out = sandbox
        .exec(&script, &options)
        .map_err(|e| format!("Ran into {e} while trying to list {path}"))?;
    let (hidden, listing) = out.output.split_once("---\n").unwrap_or(("0", &out.output));
    let hidden: usize = hidden.trim().parse().unwrap_or(0);
    let listing = maybe_truncate(listing.trim(), DIRECTORY_CONTENT_TRUNCATED_NOTICE);
    let mut msg = format!(
        "Here's the files and directories up to 2 levels deep in {path}, excluding hidden items:\n{listing}"
    );
    if hidden > 0 {
        msg += &format!(
            "\n\n{hidden} hidden files/directories in this directory are excluded. You can use 'ls -la {path}' to see them."
        );
    }
    Ok(msg)
}

fn str_replace(
    sandbox: &mut dyn Sandbox,
    history: &mut History,
    path: &str,
    old_str: &str,
    new_str: &str,
) -> Result<String, String> {
    let content = read(sandbox, path)?;
    let occurrences: Vec<(usize, usize)> = content
        .match_indices(old_str)
        .map(|(at, _)| (content[..at].matches('\n').count() + 1, at))
        .collect();
    let Some(&(line, at)) = occurrences.first() else {
        return Err(format!(
            "No replacement was performed, old_str `{old_str}` did not appear verbatim in {path}."
        ));
    };
    if occurrences.len() > 1 {
        let mut lines: Vec<usize> = occurrences.iter().map(|o| o.0).collect();
        lines.dedup();
        let lines: Vec<String> = lines.iter().map(ToString::to_string).collect();
        return Err(format!(
            "No replacement was performed. Multiple occurrences of old_str `{old_str}` in lines [{}]. Please ensure it is unique.",
            lines.join(", ")
        ));
    }
    let new_content = format!(
        "{}{new_str}{}",
        &content[..at],
        &content[at + old_str.len()..]
    );
    write(sandbox, path, &new_content)?;
    add_history(history, path, content);
    let start = line.saturating_sub(SNIPPET_CONTEXT_WINDOW);
    let end = line + SNIPPET_CONTEXT_WINDOW + new_str.matches('\n').count();
    let snippet = line_range(&new_content, start + 1, end);
    Ok(format!(
        "The file {path} has been edited. {}Review the changes and make sure they are as expected. Edit the file again if necessary.",
        make_output(&snippet, &format!("a snippet of {path}"), start + 1)
    ))
}

fn insert(
    sandbox: &mut dyn Sandbox,
    history: &mut History,
    path: &str,
    insert_line: i64,
    new_str: &str,
) -> Result<String, String> {
    let content = read(sandbox, path)?;
    let num_lines = count_lines(&content);
    if insert_line < 0 || insert_line as usize > num_lines {
        return Err(invalid(
            "insert_line",
            &insert_line.to_string(),
            &format!("It should be within the range of allowed values: [0, {num_lines}]"),
        ));
    }
    let at = insert_line as usize;
    let lines: Vec<&str> = content.split_inclusive('\n').collect();
    let new_lines: Vec<&str> = new_str.split('\n').collect();
    let mut new_content: String = lines[..at].concat();
    for l in &new_lines {
        new_content.push_str(l);
        new_content.push('\n');
    }
    new_content.push_str(&lines[at..].concat());
    write(sandbox, path, &new_content)?;
    add_history(history, path, content);
    let start = at.saturating_sub(SNIPPET_CONTEXT_WINDOW);
    let end = (num_lines + new_lines.len()).min(at + SNIPPET_CONTEXT_WINDOW + new_lines.len());
    let snippet = line_range(&new_content, start + 1, end);
    let first = (at + 1).saturating_sub(SNIPPET_CONTEXT_WINDOW).max(1);
    Ok(format!(
        "The file {path} has been edited. {}Review the changes and make sure they are as expected (correct indentation, no duplicate lines, etc). Edit the file again if necessary.",
        make_output(&snippet, "a snippet of the edited file", first)
    ))
}

fn read(sandbox: &mut dyn Sandbox, path: &str) -> Result<String, String> {
    let bytes = sandbox
        .read_file(path)
        .map_err(|e| format!("Ran into {e} while trying to read {path}"))?;
    if bytes.len() > MAX_FILE_SIZE {
        return Err(format!(
            "File validation failed for {path}: File is too large ({:.1}MB). Maximum allowed size is 10MB.",
            bytes.len() as f64 / 1024.0 / 1024.0
        ));
    }
    if bytes.contains(&0) {
        return Err(format!(
            "File validation failed for {path}: File appears to be binary and this file type cannot be read or edited by this tool."
        ));
    }
    String::from_utf8(bytes).map_err(|_| {
        format!("The editor only supports UTF-8 encoding files, please use bash commands for files with other encoding: {path}")
    })
}

fn write(sandbox: &mut dyn Sandbox, path: &str, text: &str) -> Result<(), String> {
    sandbox
        .write_file(path, text.as_bytes())
        .map_err(|e| format!("Ran into {e} while trying to write to {path}"))
}

fn add_history(history: &mut History, path: &str, text: String) {
    let entries = history.entry(path.to_string()).or_default();
    entries.push(text);
    if entries.len() > MAX_HISTORY_PER_FILE {
        entries.remove(0);
    }
}

/// aci's `_make_output`: clip, then number every `\n`-separated line from `start` (`cat -n`).
pub(crate) fn make_output(content: &str, description: &str, start: usize) -> String {
    let content = maybe_truncate(content, FILE_CONTENT_TRUNCATED_NOTICE);
    let numbered: Vec<String> = content
        .split('\n')
        .enumerate()
        .map(|(i, line)| format!("{:6}\t{line}", i + start))
        .collect();
    format!(
        "Here's the result of running `cat -n` on {description}:\n{}\n",
        numbered.join("\n")
    )
}

fn maybe_truncate(content: &str, notice: &str) -> String {
    match content.char_indices().nth(MAX_RESPONSE_LEN_CHAR) {
        Some((cut, _)) => format!("{}{notice}", &content[..cut]),
        None => content.to_string(),
    }
}

/// Python's count of lines when iterating a file.
fn count_lines(content: &str) -> usize {
    content.split_inclusive('\n').count()
}

/// Lines `start..=end` (1-based), with their line ends, as aci's `read_file(start, end)`.
fn line_range(content: &str, start: usize, end: usize) -> String {
    content
        .split_inclusive('\n')
        .enumerate()
        .filter(|(i, _)| (start..=end).contains(&(i + 1)))
        .map(|(_, l)| l)
        .collect()
}

/// A path as Python's `pathlib.Path` prints it: no empty or `.` parts, no trailing slash.
pub(crate) fn py_path(path: &str) -> String {
    let parts: Vec<&str> = path
        .split('/')
        .filter(|p| !p.is_empty() && *p != ".")
        .collect();
    let joined = parts.join("/");
    if path.starts_with('/') {
        format!("/{joined}")
    } else if joined.is_empty() {
        ".".to_string()
    } else {
        joined
    }
}

/// A JSON value as Python's `str()` shows it (`[1, 2]`, `'x'`, `None`).
fn py_value(v: &Value) -> String {
    match v {
        Value::Null => "None".into(),
        Value::Bool(b) => if *b { "True" } else { "False" }.into(),
        Value::String(s) => s.clone(),
        Value::Array(a) => format!(
            "[{}]",
            a.iter()
                .map(|x| match x {
                    Value::String(s) => format!("'{s}'"),
                    other => py_value(other),
                })
                .collect::<Vec<_>>()
                .join(", ")
        ),
        other => other.to_string(),
    }
}

fn text_arg(args: &Map<String, Value>, name: &str) -> Option<String> {
    match args.get(name)? {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

fn param_missing(command: &str, parameter: &str) -> String {
    format!("Parameter `{parameter}` is required for command: {command}.")
}

/// `/testbed / path` as Python's `pathlib` joins it: `.` segments and repeated slashes dropped,
/// `..` kept.
fn under_testbed(path: &str) -> String {
    let mut joined = crate::sandbox::TESTBED.to_owned();
    for segment in path.split('/').filter(|s| !s.is_empty() && *s != ".") {
        joined.push('/');
        joined.push_str(segment);
    }
    joined
}

fn invalid(parameter: &str, value: &str, hint: &str) -> String {
    format!("Invalid `{parameter}` parameter: {value}. {hint}")
}
