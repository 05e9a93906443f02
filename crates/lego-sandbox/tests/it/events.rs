//! What a user sees with `RUST_LOG=lego_sandbox=debug`: the spans and events of sandboxes, tool
//! calls, test runs, validations and pool jobs, nested as the work is.

use std::sync::{Arc, Mutex};

use lego_sandbox::{
    LocalOptions, LocalSandbox, Pool, Sandbox, ToolState, ValidateOptions, tool_call, validate,
};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::fmt::format::FmtSpan;

use crate::run::{make_repo, task};

/// What a `fmt` subscriber writes, kept for the test to read.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

/// Runs `f` with the subscriber `lego tools replay` would install for `RUST_LOG=filter`;
/// returns what it printed.
fn logged<T>(filter: &str, f: impl FnOnce() -> T) -> (T, String) {
    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(captured.clone())
        .with_ansi(false)
        .with_span_events(FmtSpan::CLOSE)
        .finish();
    let value = tracing::subscriber::with_default(subscriber, f);
    (value, captured.text())
}

/// The first line holding `needle`, or a failure that shows the whole log.
fn line<'a>(text: &'a str, needle: &str) -> &'a str {
    text.lines()
        .find(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("no line with {needle:?} in:\n{text}"))
}

#[test]
fn a_pool_job_shows_its_sandbox_its_tool_calls_and_its_validation_nested() {
    let dir = tempfile::tempdir().unwrap();
    let (base, test_patch, gold) = make_repo(dir.path());
    let mut task = task(
        &base,
        &test_patch,
        "python3 -m unittest -v tests.test_add tests.test_sub",
    );
    task.patch = gold;
    let (results, text) = logged("lego_sandbox=debug", || {
        let pool = Pool::new(1, |_| {
            let sb = LocalSandbox::start(dir.path(), LocalOptions::default())?;
            Ok(Box::new(sb) as Box<dyn Sandbox>)
        });
        pool.run(vec![()], |sb, ()| {
            let mut state = ToolState::default();
            let obs = tool_call(sb, &mut state, "execute_bash", r#"{"command": "echo hi"}"#);
            let validation = validate(sb, &task, &ValidateOptions::default())?;
            Ok::<_, lego_sandbox::Error>((obs, validation))
        })
    });
    let (obs, validation) = results.into_iter().next().unwrap().unwrap();
    assert!(obs.text.contains("hi"), "{obs:?}");
    assert_eq!(validation.rejection, None, "{}", validation.after_log);

    // Fields recorded after a span starts (the sandbox's id) come last.
    let job = "pool{jobs=1 concurrency=1}:pool_job{job=0}:sandbox{backend=\"local\" repo=";
    let started = line(&text, "sandbox started");
    assert!(started.contains(job), "{started}");
    assert!(started.contains(" id=\"lego-sandbox-"), "{started}");
    let call = line(&text, "tool call done");
    assert!(call.contains(job), "{call}");
    assert!(call.contains(":tool_call{tool=\"execute_bash\"}"), "{call}");
    assert!(call.contains("exit_code=0"), "{call}");
    // Commands show at debug, cut to their first line; their whole text only at trace.
    assert!(line(&text, "exec done").contains(job), "{text}");
    assert!(!text.contains("exec text"), "{text}");
    let graded = line(&text, "tests graded");
    assert!(
        graded.contains(
            ":validate{instance_id=demo__calc-1 runs=1}:run_tests{instance_id=demo__calc-1 run=1}"
        ),
        "{graded}"
    );
    let kept = line(&text, "candidate kept");
    assert!(kept.contains("fail_to_pass=1 pass_to_pass=1"), "{kept}");
    assert!(line(&text, "sandbox stopped").contains(job), "{text}");
    assert!(
        line(&text, "pool job done").contains("pool_job{job=0}"),
        "{text}"
    );
    assert!(line(&text, "pool done").contains("failed=0"), "{text}");
}

#[test]
fn a_rejected_validation_says_why_and_a_retried_patch_says_each_try() {
    let dir = tempfile::tempdir().unwrap();
    let (base, test_patch, _gold) = make_repo(dir.path());
    let mut task = task(&base, &test_patch, "python3 -m unittest -v tests.test_add");
    task.patch = "diff --git a/nothing.py b/nothing.py\n--- a/nothing.py\n+++ b/nothing.py\n@@ -1 +1 @@\n-x\n+y\n".to_owned();
    let (validation, text) = logged("lego_sandbox=debug", || {
        let mut sb = LocalSandbox::start(dir.path(), LocalOptions::default()).unwrap();
        validate(&mut sb, &task, &ValidateOptions::default()).unwrap()
    });
    assert!(validation.rejection.is_some());
    let retried = line(&text, "did not apply this way; trying the next");
    assert!(
        retried.contains("command=\"git apply --verbose\""),
        "{retried}"
    );
    let rejected = line(&text, "candidate rejected");
    assert!(
        rejected.contains("rejection=\"code_patch_does_not_apply\""),
        "{rejected}"
    );
}

#[cfg(feature = "docker")]
#[test]
fn docker_events_keep_the_callers_span_inside_the_runtime() {
    use lego_sandbox::{DockerSandbox, SandboxConfig};

    let test = "docker_events_keep_the_callers_span_inside_the_runtime";
    let dir = crate::repo::repo();
    let Some((docker, image)) = crate::engine::env_image(test, dir.path(), "lego-it-tools", &[])
    else {
        return;
    };
    let ((), text) = logged("lego_sandbox=debug,it=debug", || {
        let mut sb = DockerSandbox::start(&docker, &image.tag, SandboxConfig::default()).unwrap();
        let mut state = ToolState::default();
        let obs = tool_call(
            &mut sb,
            &mut state,
            "execute_bash",
            r#"{"command": "echo hi"}"#,
        );
        assert!(obs.text.contains("hi"), "{obs:?}");
        let out = Sandbox::exec(&mut sb, "echo ok", &lego_sandbox::ExecOptions::default()).unwrap();
        assert_eq!(out.output, "ok\n");
        // A future run by the backend's runtime, and one run from inside that runtime (on a
        // scoped thread), both keep the caller's span.
        let outer = tracing::debug_span!("outer");
        let _entered = outer.enter();
        docker.block_on(async {
            tracing::debug!(target: "it", "in the runtime");
            docker.block_on(async { tracing::debug!(target: "it", "on the scoped thread") });
        });
        drop(_entered);
        Sandbox::stop(&mut sb).unwrap();
    });
    let call = line(&text, "tool call done");
    assert!(
        call.contains("sandbox{backend=\"docker\" image=") && call.contains(":tool_call{"),
        "{call}"
    );
    assert!(
        line(&text, "exec done").contains("sandbox{backend=\"docker\""),
        "{text}"
    );
    assert!(line(&text, "in the runtime").contains("outer"), "{text}");
    assert!(
        line(&text, "on the scoped thread").contains("outer"),
        "{text}"
    );
    assert!(
        line(&text, "sandbox stopped").contains("sandbox{backend=\"docker\""),
        "{text}"
    );
}
