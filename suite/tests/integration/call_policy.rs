//! The call policy: a run calls only tools annotated read-only unless told otherwise, and says
//! which it left alone. The fixture (fixtures/python/tool_policy_server.py) logs every call.

use agentcore_mcp_suite::checks::Verdict;
use agentcore_mcp_suite::probe::CallPolicy;
use agentcore_mcp_suite::{Report, RunOptions, Target};
use serde_json::json;

use super::common::{check, quick_options};
use super::python_sdk::{python, start};

/// Runs the suite with `options` against a fresh fixture; returns the report and the tools called.
async fn run(options: RunOptions) -> Option<(Report, Vec<String>)> {
    let python = python()?;
    let log = std::env::temp_dir().join(format!(
        "agentcore-suite-calls-{}-{:?}.log",
        std::process::id(),
        std::thread::current().id()
    ));
    let _ = std::fs::remove_file(&log);
    let (_server, url) = start(&python, "tool_policy_server.py", &[log.to_str().unwrap()]).await;
    let report = check(&Target::Url(url), &options).await;
    let mut called: Vec<String> = std::fs::read_to_string(&log)
        .unwrap_or_default()
        .lines()
        .map(str::to_string)
        .collect();
    let _ = std::fs::remove_file(&log);
    called.sort();
    called.dedup();
    Some((report, called))
}

fn tools_call(report: &Report) -> Vec<&agentcore_mcp_suite::report::CheckResult> {
    report.results.iter().filter(|r| r.id == "tools.call").collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_default_run_calls_only_read_only_tools() {
    let Some((report, called)) = run(quick_options()).await else {
        return;
    };
    assert_eq!(called, ["read_thing"], "a whole default run");
    for result in tools_call(&report) {
        assert_eq!(result.verdict, Verdict::Pass, "{}", result.message);
        let said = result.evidence.join(" ");
        assert!(said.contains("wipe_things") && said.contains("touch_thing"), "{said}");
        assert!(said.contains("--call-policy all"), "{said}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn policy_all_calls_every_tool_and_none_calls_nothing() {
    let mut options = quick_options();
    options.only = vec!["tools.call".into()];
    options.probe.call_policy = CallPolicy::All;
    let Some((_, called)) = run(options.clone()).await else {
        return;
    };
    assert_eq!(called, ["read_thing", "touch_thing", "wipe_things"]);

    options.probe.call_policy = CallPolicy::None;
    let Some((report, called)) = run(options).await else {
        return;
    };
    assert!(called.is_empty(), "{called:?}");
    for result in tools_call(&report) {
        assert_eq!(result.verdict, Verdict::Skip);
        assert!(result.message.contains("--call-policy none"), "{}", result.message);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_named_call_calls_exactly_that_tool() {
    let mut options = quick_options();
    options.probe.calls = vec![("touch_thing".into(), json!({ "name": "x" }))];
    let Some((report, called)) = run(options).await else {
        return;
    };
    assert_eq!(called, ["touch_thing"], "a whole run with --call touch_thing");
    for result in tools_call(&report) {
        assert_eq!(result.verdict, Verdict::Pass, "{}", result.message);
    }
}

/// A tool that answers after `--timeout` while sending progress is waited for (each notification
/// restarts the wait), and past `--max-call-time` it is a warn naming the tool, the wait and the
/// progress seen: no MUST bounds how long a tool may take.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_tool_that_sends_progress_is_waited_for_then_warned_never_failed() {
    use std::time::Duration;

    use super::common::{non_passes, reference, verdicts};

    // `slow` sends ten progress notifications over `seconds`: one every 0.25 s here.
    let mut options = quick_options();
    options.only = vec!["tools.call".into()];
    options.probe.timeout = Duration::from_secs(1);
    options.probe.calls = vec![("slow".into(), json!({ "seconds": 2.5 }))];
    let report = check(&reference(&[], false), &options).await;
    assert_eq!(
        verdicts(&report, "tools.call"),
        [Verdict::Pass, Verdict::Pass],
        "{:#?}",
        non_passes(&report)
    );

    options.probe.max_call_time = Duration::from_millis(1500);
    let report = check(&reference(&[], false), &options).await;
    assert_eq!(
        verdicts(&report, "tools.call"),
        [Verdict::Warn, Verdict::Warn],
        "{:#?}",
        non_passes(&report)
    );
    let message = &report.results.iter().find(|r| r.id == "tools.call").unwrap().message;
    assert!(message.contains("slow (still working after 1."), "{message}");
    assert!(message.contains("progress notification(s)"), "{message}");
    assert!(message.contains("--max-call-time 1.5 s"), "{message}");
}
