//! The runner: a check that panics becomes that check's `error` and the report is still written;
//! a transport that cannot observe everything gets skips with reasons, never a pass, never a fail.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use agentcore_mcp_suite::checks::{self, Check, CheckFuture, Level, Runs, Scope, Verdict};
use agentcore_mcp_suite::probe::Cx;
use agentcore_mcp_suite::report::{self, Format};
use agentcore_mcp_suite::targets::CustomTarget;
use agentcore_mcp_suite::wire::plain::PlainHttp;
use agentcore_mcp_suite::wire::transport::{Enough, Exchange, HttpRequest, Limits, Observes, Transport, WireError};
use agentcore_mcp_suite::{Event, Target, run_checks};

use super::common::{quick_options, reference};

fn panics(_cx: &Cx) -> CheckFuture<'_> {
    Box::pin(async { panic!("a hostile reply hit an expect") })
}

static PANICKING: Check = Check {
    id: "test.panics",
    level: Level::Must,
    scope: Scope::EachEra,
    needs: &[],
    runs: Runs::ANYWHERE,
    source: "this test",
    rule: "panics",
    run: panics,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_check_is_an_error_and_the_run_goes_on() {
    let catalog = [&PANICKING, checks::find("lifecycle.ping").unwrap()];
    let finished = AtomicUsize::new(0);
    let observer = |event: Event<'_>| {
        if let Event::Finished(_) = event {
            finished.fetch_add(1, Ordering::Relaxed);
        }
    };
    let report = run_checks(&reference(&[], false), &quick_options(), &catalog, &observer)
        .await
        .expect("the run starts");
    let panicked: Vec<_> = report.results.iter().filter(|r| r.id == "test.panics").collect();
    assert_eq!(panicked.len(), 2, "one per era");
    for result in panicked {
        assert_eq!(result.verdict, Verdict::Error);
        assert!(
            result.message.contains("a hostile reply hit an expect"),
            "{}",
            result.message
        );
    }
    let ping = report.results.iter().find(|r| r.id == "lifecycle.ping").unwrap();
    assert_eq!(ping.verdict, Verdict::Pass, "{}", ping.message);
    assert_eq!(finished.load(Ordering::Relaxed), report.results.len());
    assert!(!report.passed());
    for format in [Format::Human, Format::Json, Format::Junit, Format::Markdown] {
        assert!(report::render(&report, format, false).contains("test.panics"));
    }
}

/// POST to the MCP endpoint with the headers a platform forwards, nothing else: like an
/// AgentCore data-plane transport. It counts what it had to refuse.
struct PostOnly {
    inner: PlainHttp,
    refused: AtomicUsize,
}

impl Transport for PostOnly {
    fn name(&self) -> &str {
        "POST-only test"
    }

    fn observes(&self) -> Observes {
        Observes {
            any_method_and_path: false,
            any_header: false,
            ping: false,
            raw_bytes: false,
            keep_alive: false,
            response_headers: false,
            platform: false,
        }
    }

    fn exchange<'a>(&'a self, request: &'a HttpRequest, limits: Limits, enough: Enough<'a>) -> Exchange<'a> {
        if self.observes().lacks_for(request, "/mcp").is_some() {
            self.refused.fetch_add(1, Ordering::Relaxed);
            return Box::pin(async { Err(WireError::Unobservable("refused".into())) });
        }
        self.inner.exchange(request, limits, enough)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_a_transport_cannot_observe_is_skipped_with_the_reason() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(agentcore_mcp_reference::serve(
        listener,
        agentcore_mcp_reference::Config::default(),
    ));
    let transport = Arc::new(PostOnly {
        inner: PlainHttp::new("127.0.0.1", port),
        refused: AtomicUsize::new(0),
    });
    let target = Target::Custom(CustomTarget {
        transport: transport.clone(),
        mcp_path: "/mcp".into(),
        label: "reference server through a POST-only transport".into(),
    });
    let catalog = checks::catalog();
    let report = run_checks(&target, &quick_options(), &catalog, &|_| {})
        .await
        .expect("the run starts");

    let mut needing = 0;
    for check in &catalog {
        let results: Vec<_> = report.results.iter().filter(|r| r.id == check.id).collect();
        if check.needs.is_empty() {
            continue;
        }
        needing += 1;
        assert!(!results.is_empty(), "{} is not reported", check.id);
        for result in results {
            assert_eq!(result.verdict, Verdict::Skip, "{}: {}", result.name(), result.message);
            assert!(
                result.message.contains("which the POST-only test transport cannot"),
                "{}: {}",
                result.name(),
                result.message
            );
        }
    }
    assert!(needing >= 10, "only {needing} checks declare needs");
    // Every check that needs more than POST declares it: none had to be refused on the way,
    // none failed or errored on the clean server, and the rest still ran.
    assert_eq!(transport.refused.load(Ordering::Relaxed), 0);
    let problems: Vec<_> = report
        .results
        .iter()
        .filter(|r| {
            matches!(r.verdict, Verdict::Fail | Verdict::Error) || r.message.starts_with("the POST-only test transport")
        })
        .map(|r| format!("{} {}: {}", r.verdict.name(), r.name(), r.message))
        .collect();
    assert!(problems.is_empty(), "{problems:#?}");
    assert!(report.summary.passed > 80, "{}", report.summary.line());
}
