//! Where a task's sandbox comes from: the repository (one for all tasks, or one per task's
//! `repo`), copied at the task's base commit with its history sanitised, and for a synthetic
//! task the bug applied and committed as the only commit.

use std::path::PathBuf;

use lego_data::{SanitizeMode, SanitizeOptions, SanitizedCopy, Task, TaskSource, sanitized_copy};
use std::sync::Mutex;

use lego_sandbox::{ExecOptions, Sandbox, Starter, with_stdin};

use crate::error::{Error, Result};
use crate::rollouts::lock;

/// Where the repositories of a task set are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Repos {
    /// Every task is of this one repository (`--repo DIR`).
    One(PathBuf),
    /// One directory per task `repo` under this root, named `owner__name` as SWE-smith names
    /// them (`--repos ROOT`).
    PerRepo(PathBuf),
}

impl Repos {
    /// The repository of `task`.
    pub fn path_for(&self, task: &Task) -> PathBuf {
        match self {
            Repos::One(dir) => dir.clone(),
            Repos::PerRepo(root) => root.join(task.repo.replace('/', "__")),
        }
    }
}

/// A task's repository ready to start sandboxes from, and the task as it reads inside them.
#[derive(Debug)]
pub struct TaskRepo {
    copy: SanitizedCopy,
    name: String,
}

impl TaskRepo {
    /// Copies the repository of `task` at its base commit with `mode`'s history (squash or
    /// truncate: nothing after the base; keep: hack-inclusive).
    pub fn prepare(repos: &Repos, task: &Task, mode: SanitizeMode) -> Result<TaskRepo> {
        let repo = repos.path_for(task);
        if !repo.is_dir() {
            return Err(Error::Task {
                instance_id: task.instance_id.clone(),
                message: format!("its repository {} is not a directory", repo.display()),
            });
        }
        if task.base_commit.is_empty() {
            return Err(Error::Task {
                instance_id: task.instance_id.clone(),
                message: "it has no base_commit".to_owned(),
            });
        }
        let options = SanitizeOptions {
            mode,
            ..SanitizeOptions::default()
        };
        let copy = sanitized_copy(&repo, &task.base_commit, &options)?;
        let name = if task.repo.is_empty() {
            repo.file_name()
                .map_or_else(|| "repo".to_owned(), |n| n.to_string_lossy().into_owned())
        } else {
            task.repo.clone()
        };
        Ok(TaskRepo { copy, name })
    }

    /// The prepared directory (what sandboxes copy).
    pub fn path(&self) -> PathBuf {
        self.copy.path()
    }

    /// A sandbox of the task on `starter`, set up by [`setup_task`]: the sandbox and the task
    /// with `base_commit` naming the sandbox's HEAD.
    pub fn start(&self, starter: &Starter, task: &Task) -> Result<(Box<dyn Sandbox>, Task)> {
        let mut sandbox = starter.start(&self.path(), Some(&self.name))?;
        let local = setup_task(sandbox.as_mut(), task)?;
        Ok((sandbox, local))
    }
}

/// Whether `task` is synthetic with a bug to inject (`bug_patch`).
pub fn bug_patch(task: &Task) -> Option<&str> {
    let patch = task.extra.get("bug_patch")?.as_str()?;
    (task.source == Some(TaskSource::Synthetic) || !patch.is_empty()).then_some(patch)
}

/// Makes the sandbox's `/testbed` the task's starting point and returns the task as it reads
/// there: `base_commit` is the sandbox's HEAD (a squashed history has a new commit id). A
/// synthetic task gets its bug applied and the buggy tree committed as the only commit, so
/// nothing in git shows the clean version. The tracked files are dated an hour back, so that
/// Python never mistakes an edit made in the episode's first second for the unchanged file.
pub fn setup_task(sandbox: &mut dyn Sandbox, task: &Task) -> Result<Task> {
    let exec = ExecOptions::default();
    let fail = |what: &str, output: &str| Error::Task {
        instance_id: task.instance_id.clone(),
        message: format!("{what}: {}", last_lines(output)),
    };
    if let Some(patch) = bug_patch(task) {
        let out = sandbox.exec(&with_stdin("git apply", patch), &exec)?;
        if out.exit_code != Some(0) {
            return Err(fail("its bug_patch does not apply", &out.output));
        }
        let out = sandbox.exec(
            "rm -rf .git && git init -q -b main && git add -A && \
             git -c user.name=lego -c user.email=lego@localhost commit -q -m 'Initial commit'",
            &exec,
        )?;
        if out.exit_code != Some(0) {
            return Err(fail("cannot commit the buggy tree", &out.output));
        }
    }
    // Every tracked file an hour old, as in an environment built beforehand: the sandbox's copy
    // and the bug were written just now, and Python's bytecode cache tells a changed source by
    // its size and its mtime in whole seconds, so a same-size edit (an operator put back) made
    // within that second, as a fast policy makes it, would run the stale bytecode.
    let out = sandbox.exec(
        "git ls-files -z | xargs -0 -r touch -c -h -m -d '1 hour ago'",
        &exec,
    )?;
    if out.exit_code != Some(0) {
        tracing::warn!(instance_id = %task.instance_id, output = %last_lines(&out.output), "cannot backdate the task's files");
    }
    let head = sandbox.exec("git rev-parse HEAD", &exec)?;
    let head = head.output.trim();
    if head.len() != 40 {
        return Err(fail("the sandbox's HEAD is not a commit", head));
    }
    Ok(Task {
        base_commit: head.to_owned(),
        ..task.clone()
    })
}

fn last_lines(output: &str) -> String {
    let lines: Vec<&str> = output.trim_end().lines().collect();
    lines[lines.len().saturating_sub(3)..].join(" | ")
}

/// The sandboxes of a runner's jobs, one task each: a [`Pool`](lego_sandbox::Pool)'s factory
/// ([`JobSandboxes::start`]) that prepares the task's repository and keeps it for the job
/// ([`JobSandboxes::take_repo`]), since the local backend resets from it.
pub(crate) struct JobSandboxes<'a> {
    tasks: Vec<&'a Task>,
    repos: &'a Repos,
    starter: &'a Starter,
    history: SanitizeMode,
    prepared: Vec<Mutex<Option<TaskRepo>>>,
}

impl<'a> JobSandboxes<'a> {
    pub(crate) fn new(
        tasks: Vec<&'a Task>,
        repos: &'a Repos,
        starter: &'a Starter,
        history: SanitizeMode,
    ) -> Self {
        let prepared = tasks.iter().map(|_| Mutex::new(None)).collect();
        JobSandboxes {
            tasks,
            repos,
            starter,
            history,
            prepared,
        }
    }

    /// The sandbox of job `job`, on a fresh copy of its task's repository.
    pub(crate) fn start(&self, job: usize) -> lego_sandbox::Result<Box<dyn Sandbox>> {
        let task = self.tasks[job];
        let repo = TaskRepo::prepare(self.repos, task, self.history).map_err(|e| {
            lego_sandbox::Error::Prepare {
                what: format!("the repository of {}", task.instance_id),
                source: Box::new(e),
            }
        })?;
        let sandbox = self.starter.start(&repo.path(), Some(&task.repo))?;
        *lock(&self.prepared[job]) = Some(repo);
        Ok(sandbox)
    }

    /// The repository job `job`'s sandbox was made from; dropping it removes the copy.
    pub(crate) fn take_repo(&self, job: usize) -> Option<TaskRepo> {
        lock(&self.prepared[job]).take()
    }
}
