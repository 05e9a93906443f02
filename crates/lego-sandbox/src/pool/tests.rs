use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use lego_data::Progress;

use super::{JobError, Pool};
use crate::error::Error;
use crate::local::{LocalOptions, LocalSandbox};
use crate::sandbox::{ExecOptions, Sandbox};

#[test]
fn results_in_order_bounded_and_failures_isolated() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("f"), "x").expect("write");
    let roots = std::sync::Mutex::new(Vec::new());
    let pool = Pool::new(3, |job| {
        if job == 5 {
            return Err(Error::ShellIdle);
        }
        let sb = LocalSandbox::start(dir.path(), LocalOptions::default())?;
        let root = sb
            .host_root()
            .expect("live")
            .parent()
            .expect("root")
            .to_owned();
        roots.lock().expect("lock").push(root);
        Ok(Box::new(sb) as Box<dyn Sandbox>)
    });
    let running = AtomicUsize::new(0);
    let most = AtomicUsize::new(0);
    let results = pool.run((0..10).collect(), |sb, i: usize| {
        let now = running.fetch_add(1, Ordering::SeqCst) + 1;
        most.fetch_max(now, Ordering::SeqCst);
        std::thread::sleep(Duration::from_millis(50));
        running.fetch_sub(1, Ordering::SeqCst);
        match i {
            3 => panic!("job three"),
            7 => Err("seven"),
            _ => {
                let out = sb
                    .exec(&format!("echo {i}"), &ExecOptions::default())
                    .map_err(|_| "exec")?;
                Ok(out.output)
            }
        }
    });
    assert_eq!(results.len(), 10);
    for (i, r) in results.iter().enumerate() {
        match (i, r) {
            (3, Err(JobError::Panicked { job: 3, message })) => assert_eq!(message, "job three"),
            (5, Err(JobError::Start { job: 5, .. })) => {}
            (7, Err(JobError::Failed { job: 7, source })) => assert_eq!(*source, "seven"),
            (_, Ok(out)) => assert_eq!(*out, format!("{i}\n")),
            other => panic!("unexpected {other:?}"),
        }
    }
    assert!(most.load(Ordering::SeqCst) <= 3);
    let roots = roots.into_inner().expect("lock");
    assert_eq!(roots.len(), 9);
    for root in roots {
        assert!(!root.exists(), "{} was left", root.display());
    }
}

/// Counts what a [`Pool`] reports, and when: how many jobs had ended at each job's start.
#[derive(Default)]
struct Counted {
    total: AtomicU64,
    done: AtomicU64,
}

impl Progress for Counted {
    fn set_total(&self, total: u64) {
        self.total.store(total, Ordering::SeqCst);
    }
    fn set_position(&self, done: u64) {
        self.done.store(done, Ordering::SeqCst);
    }
    fn advance(&self, n: u64) {
        self.done.fetch_add(n, Ordering::SeqCst);
    }
}

#[test]
fn progress_counts_every_ended_job_as_it_ends() {
    let dir = tempfile::tempdir().expect("temp dir");
    let pool = Pool::new(1, |job| {
        if job == 2 {
            return Err(Error::ShellIdle);
        }
        Ok(Box::new(LocalSandbox::start(dir.path(), LocalOptions::default())?) as Box<dyn Sandbox>)
    });
    let progress = Counted::default();
    let seen = std::sync::Mutex::new(Vec::new());
    let results = pool.run_with_progress(
        (0..5).collect(),
        |_sb, i: usize| {
            // One worker: the jobs before this one have all ended and been counted.
            seen.lock()
                .expect("lock")
                .push((i, progress.done.load(Ordering::SeqCst)));
            if i == 3 { Err("three") } else { Ok(i) }
        },
        &progress,
    );
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 3);
    assert_eq!(progress.total.load(Ordering::SeqCst), 5);
    // Failed jobs (no sandbox for job 2, an error from job 3) count as ended too.
    assert_eq!(progress.done.load(Ordering::SeqCst), 5);
    assert_eq!(
        seen.into_inner().expect("lock"),
        vec![(0, 0), (1, 1), (3, 3), (4, 4)]
    );
}
