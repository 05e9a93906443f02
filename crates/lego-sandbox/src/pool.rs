//! [`Pool`]: many sandboxes at once, each job in its own, with a bound on how many run.
//!
//! Plain threads (the sandboxes are synchronous): `concurrency` workers take the inputs in order,
//! each creates a sandbox with the factory, runs the job in it and stops it, whatever the job
//! did. A job that fails or panics becomes an error in its own slot and the others go on;
//! results come back in input order.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::error::{Error, Result};
use crate::sandbox::Sandbox;

/// Runs jobs in sandboxes, at most `concurrency` at a time.
///
/// ```no_run
/// use lego_sandbox::{LocalOptions, LocalSandbox, Pool, Sandbox, ExecOptions};
///
/// let pool = Pool::new(4, |_job| {
///     Ok(Box::new(LocalSandbox::start("repo", LocalOptions::default())?) as Box<dyn Sandbox>)
/// });
/// let results = pool.run(vec!["pytest -q tests/a.py", "pytest -q tests/b.py"], |sb, cmd| {
///     sb.exec(cmd, &ExecOptions::default()).map(|out| out.exit_code)
/// });
/// for result in results {
///     println!("{result:?}");
/// }
/// ```
pub struct Pool<F> {
    concurrency: usize,
    factory: F,
}

impl<F> std::fmt::Debug for Pool<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pool")
            .field("concurrency", &self.concurrency)
            .finish_non_exhaustive()
    }
}

/// Why a job of a [`Pool`] has no result.
#[derive(Debug, thiserror::Error)]
pub enum JobError<E> {
    /// The factory could not make its sandbox (or panicked: then the message says so).
    #[error("failed to start the sandbox of job {job}")]
    Start {
        job: usize,
        #[source]
        source: Error,
    },
    /// The job returned an error.
    #[error("job {job} failed")]
    Failed {
        job: usize,
        #[source]
        source: E,
    },
    /// The job panicked; the panic's message.
    #[error("job {job} panicked: {message}")]
    Panicked { job: usize, message: String },
    /// The job ended but its sandbox could not be stopped.
    #[error("failed to stop the sandbox of job {job}")]
    Stop {
        job: usize,
        #[source]
        source: Error,
    },
}

impl<F> Pool<F>
where
    F: Fn(usize) -> Result<Box<dyn Sandbox>> + Sync,
{
    /// A pool running at most `concurrency` jobs at once (at least one); `factory(i)` makes the
    /// sandbox of the `i`-th job.
    pub fn new(concurrency: usize, factory: F) -> Self {
        Pool {
            concurrency: concurrency.max(1),
            factory,
        }
    }

    /// Runs `job` on every input, each in a fresh sandbox that is stopped after it; the results
    /// in input order. Returns when all jobs have ended and all their sandboxes are stopped.
    pub fn run<I, T, E, J>(&self, inputs: Vec<I>, job: J) -> Vec<Result<T, JobError<E>>>
    where
        I: Send,
        T: Send,
        E: Send,
        J: Fn(&mut dyn Sandbox, I) -> Result<T, E> + Sync,
    {
        let n = inputs.len();
        let inputs: Vec<Mutex<Option<I>>> =
            inputs.into_iter().map(|i| Mutex::new(Some(i))).collect();
        let results: Vec<Slot<T, E>> = (0..n).map(|_| Mutex::new(None)).collect();
        let next = AtomicUsize::new(0);
        std::thread::scope(|scope| {
            for _ in 0..self.concurrency.min(n) {
                scope.spawn(|| {
                    loop {
                        let i = next.fetch_add(1, Ordering::SeqCst);
                        if i >= n {
                            return;
                        }
                        let input = lock(&inputs[i]).take().expect("each input is taken once");
                        let result = self.one(i, input, &job);
                        *lock(&results[i]) = Some(result);
                    }
                });
            }
        });
        results
            .into_iter()
            .enumerate()
            .map(|(job, slot)| {
                slot.into_inner()
                    .unwrap_or_else(|e| e.into_inner())
                    .unwrap_or_else(|| {
                        Err(JobError::Panicked {
                            job,
                            message: "the worker ended without a result".to_owned(),
                        })
                    })
            })
            .collect()
    }

    fn one<I, T, E, J>(&self, job: usize, input: I, run: &J) -> Result<T, JobError<E>>
    where
        J: Fn(&mut dyn Sandbox, I) -> Result<T, E>,
    {
        let mut sandbox = match catch_unwind(AssertUnwindSafe(|| (self.factory)(job))) {
            Ok(Ok(sandbox)) => sandbox,
            Ok(Err(source)) => return Err(JobError::Start { job, source }),
            Err(panic) => {
                return Err(JobError::Panicked {
                    job,
                    message: format!("the factory panicked: {}", panic_message(&*panic)),
                });
            }
        };
        let outcome = catch_unwind(AssertUnwindSafe(|| run(sandbox.as_mut(), input)));
        // Stopped whatever the job did; dropping stops it too, but here a failure is seen.
        let stopped = sandbox.stop();
        drop(sandbox);
        match (outcome, stopped) {
            (Err(panic), _) => Err(JobError::Panicked {
                job,
                message: panic_message(&*panic),
            }),
            (Ok(Err(source)), _) => Err(JobError::Failed { job, source }),
            (Ok(Ok(_)), Err(source)) => Err(JobError::Stop { job, source }),
            (Ok(Ok(value)), Ok(())) => Ok(value),
        }
    }
}

/// Where a worker leaves the result of one job.
type Slot<T, E> = Mutex<Option<Result<T, JobError<E>>>>;

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A poisoned slot only means a worker panicked between taking and storing; the data is fine.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = panic.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = panic.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic without a message".to_owned()
    }
}

#[cfg(test)]
mod tests;
