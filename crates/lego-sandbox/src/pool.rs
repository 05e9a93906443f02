//! [`Pool`]: many sandboxes at once, each job in its own, with a bound on how many run.
//!
//! Plain threads (the sandboxes are synchronous): `concurrency` workers take the inputs in order,
//! each creates a sandbox with the factory, runs the job in it and stops it, whatever the job
//! did. A job that fails or panics becomes an error in its own slot and the others go on;
//! results come back in input order. The run is a `pool` span and each job a `pool_job` span in
//! it, on whichever worker runs it, so a job's sandbox and its units of work nest under the job.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use lego_data::{NoProgress, Progress};

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
        /// The job's index in the inputs.
        job: usize,
        /// The factory's error.
        #[source]
        source: Error,
    },
    /// The job returned an error.
    #[error("job {job} failed")]
    Failed {
        /// The job's index in the inputs.
        job: usize,
        /// The job's own error.
        #[source]
        source: E,
    },
    /// The job panicked; the panic's message.
    #[error("job {job} panicked: {message}")]
    Panicked {
        /// The job's index in the inputs.
        job: usize,
        /// The panic's message.
        message: String,
    },
    /// The job ended but its sandbox could not be stopped.
    #[error("failed to stop the sandbox of job {job}")]
    Stop {
        /// The job's index in the inputs.
        job: usize,
        /// Why the sandbox did not stop.
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
        self.run_with_progress(inputs, job, &NoProgress)
    }

    /// [`Pool::run`], reporting to `progress` as it goes: the number of inputs as the total,
    /// then one unit as each job ends, whatever its result (its sandbox stopped).
    pub fn run_with_progress<I, T, E, J>(
        &self,
        inputs: Vec<I>,
        job: J,
        progress: &dyn Progress,
    ) -> Vec<Result<T, JobError<E>>>
    where
        I: Send,
        T: Send,
        E: Send,
        J: Fn(&mut dyn Sandbox, I) -> Result<T, E> + Sync,
    {
        let n = inputs.len();
        let span = tracing::debug_span!("pool", jobs = n, concurrency = self.concurrency);
        let _entered = span.enter();
        let started = Instant::now();
        progress.set_total(n as u64);
        let inputs: Vec<Mutex<Option<I>>> =
            inputs.into_iter().map(|i| Mutex::new(Some(i))).collect();
        let results: Vec<Slot<T, E>> = (0..n).map(|_| Mutex::new(None)).collect();
        let next = AtomicUsize::new(0);
        // A new thread has neither the caller's subscriber (when it is a scoped default, not the
        // global one) nor its current span: the workers take both, so jobs report where the
        // caller's own events go, inside the pool's span.
        let dispatch = tracing::dispatcher::get_default(Clone::clone);
        std::thread::scope(|scope| {
            for _ in 0..self.concurrency.min(n) {
                scope.spawn(|| {
                    let _subscriber = tracing::dispatcher::set_default(&dispatch);
                    let _entered = span.enter();
                    loop {
                        let i = next.fetch_add(1, Ordering::SeqCst);
                        if i >= n {
                            return;
                        }
                        let input = lock(&inputs[i]).take().expect("each input is taken once");
                        let result = tracing::debug_span!("pool_job", job = i)
                            .in_scope(|| self.one(i, input, &job));
                        *lock(&results[i]) = Some(result);
                        progress.advance(1);
                    }
                });
            }
        });
        let results: Vec<Result<T, JobError<E>>> = results
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
            .collect();
        tracing::debug!(
            jobs = n,
            failed = results.iter().filter(|r| r.is_err()).count(),
            seconds = started.elapsed().as_secs_f64(),
            "pool done"
        );
        results
    }

    /// One job, with the event that says how it ended.
    fn one<I, T, E, J>(&self, job: usize, input: I, run: &J) -> Result<T, JobError<E>>
    where
        J: Fn(&mut dyn Sandbox, I) -> Result<T, E>,
    {
        let started = Instant::now();
        let result = self.one_inner(job, input, run);
        let seconds = started.elapsed().as_secs_f64();
        match &result {
            Ok(_) => tracing::debug!(seconds, "pool job done"),
            Err(JobError::Start { source, .. }) => {
                tracing::debug!(error = %source, seconds, "pool job's sandbox did not start");
            }
            // The caller has the job's own error; its type need not be printable.
            Err(JobError::Failed { .. }) => tracing::debug!(seconds, "pool job failed"),
            Err(JobError::Panicked { message, .. }) => {
                tracing::warn!(message, seconds, "pool job panicked");
            }
            Err(JobError::Stop { source, .. }) => {
                tracing::warn!(error = %source, seconds, "pool job's sandbox did not stop");
            }
        }
        result
    }

    fn one_inner<I, T, E, J>(&self, job: usize, input: I, run: &J) -> Result<T, JobError<E>>
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
