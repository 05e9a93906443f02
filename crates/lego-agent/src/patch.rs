//! The final patch of an episode (SWE-bench's `model_patch`) and its grade.

use lego_data::{Outcome, Task, TestPatterns, split_patch};
use lego_sandbox::{ExecOptions, Grade, Resolution, Sandbox, patch_files};

/// The diff of `/testbed` against `base`, new files included, with what a grader cannot or
/// should not apply left out: changes to test files (by `tests`), binary files and Python's
/// caches. `Err` only when the sandbox fails.
pub fn final_patch(
    sandbox: &mut dyn Sandbox,
    base: &str,
    tests: &TestPatterns,
) -> lego_sandbox::Result<String> {
    // `git add -A` so that new files are in the diff, as OpenHands makes its patch.
    let command = format!(
        "git add -A >/dev/null 2>&1; git -c core.quotepath=false diff --cached --no-color \
         --no-ext-diff {base} -- . ':(exclude,glob)**/__pycache__/**' ':(exclude,glob)**/*.pyc'"
    );
    let out = sandbox.exec(&command, &ExecOptions::default())?;
    let diff = if out.exit_code == Some(0) {
        out.output
    } else {
        tracing::warn!(output = %out.output, "git diff failed; the final patch is empty");
        String::new()
    };
    Ok(code_changes(&diff, tests))
}

/// The sections of `diff` a grader applies: not test files, not binary.
pub fn code_changes(diff: &str, tests: &TestPatterns) -> String {
    let code = split_patch(diff, tests).code;
    let mut kept = String::new();
    for section in sections(&code) {
        let binary = section
            .lines()
            .any(|l| l.starts_with("Binary files ") || l == "GIT binary patch");
        if !binary {
            kept.push_str(section);
        }
    }
    kept
}

fn sections(diff: &str) -> Vec<&str> {
    let mut starts: Vec<usize> = diff
        .match_indices("diff --git ")
        .filter(|(i, _)| *i == 0 || diff.as_bytes()[i - 1] == b'\n')
        .map(|(i, _)| i)
        .collect();
    starts.push(diff.len());
    starts.windows(2).map(|w| &diff[w[0]..w[1]]).collect()
}

/// The outcome of a graded patch: SWE-bench's resolution, with SWE-Lego's semi-resolved (every
/// file of the gold patch edited, tests still failing) between resolved and unresolved, and an
/// error when the log gave no result.
pub fn outcome(task: &Task, final_patch: &str, grade: &Grade) -> Outcome {
    match grade.resolution {
        None => Outcome::Error,
        Some(Resolution::Full) => Outcome::Resolved,
        Some(_) => {
            let edited = patch_files(final_patch);
            let gold = patch_files(&task.patch);
            if !gold.is_empty() && gold.iter().all(|f| edited.contains(f)) {
                Outcome::SemiResolved
            } else {
                Outcome::Unresolved
            }
        }
    }
}

#[cfg(test)]
mod tests;
