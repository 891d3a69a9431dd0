//! Interop with a server nobody here wrote: the Python `mcp` SDK's MCPServer as the AgentCore
//! samples run it (stateless), in SSE and JSON modes, and as the SDK runs by default (stateful:
//! it mints `Mcp-Session-Id`). Every failure must be a real violation, and those are listed with
//! their citation in fixtures/python/expected-failures.yml.
//!
//! Needs a Python with `mcp` installed: `MCP_PYTHON=/path/to/python` (.ci/run makes a venv).
//! Without it the tests skip loudly, unless `AGENTCORE_SUITE_REQUIRE_PYTHON=1` (CI) makes that a failure.

use std::process::Command;
use std::time::Duration;

use agentcore_mcp_suite::{ExpectedFailures, Report, Target};

use super::common::{Child, assert_passed, check, free_port, non_passes, quick_options, required_tool, serve_on};

pub const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/python");

pub fn python() -> Option<String> {
    required_tool(
        "MCP_PYTHON",
        "AGENTCORE_SUITE_REQUIRE_PYTHON",
        "Python SDK interop tests (a python with `mcp` installed)",
    )
}

/// Runs fixtures/python/`script` with `args` on a free port; returns it and its MCP URL.
pub async fn start(python: &str, script: &str, args: &[&str]) -> (Child, String) {
    let port = free_port();
    let mut command = Command::new(python);
    command
        .arg(format!("{FIXTURES}/{script}"))
        .arg(port.to_string())
        .args(args);
    (serve_on(command, port).await, format!("http://127.0.0.1:{port}/mcp"))
}

async fn judge(args: &[&str]) -> Option<Report> {
    let python = python()?;
    let (_server, url) = start(&python, "mcp_server.py", args).await;
    let mut options = quick_options();
    options.probe.latency_budget = Duration::from_secs(2);
    let expected = std::fs::read_to_string(format!("{FIXTURES}/expected-failures.yml")).unwrap();
    options.expected = ExpectedFailures::parse(&expected, "expected-failures.yml").unwrap();
    let report = check(&Target::Url(url), &options).await;
    assert!(report.eras.iter().all(|e| e.spoken), "{:?}", report.eras);
    assert!(
        report.passed(),
        "unexpected failures or stale entries: {:#?}\n{:?}",
        non_passes(&report),
        report.summary
    );
    assert!(report.summary.passed > 60, "{}", report.summary.line());
    Some(report)
}

#[tokio::test(flavor = "multi_thread")]
async fn python_sdk_sse_mode_has_only_its_known_violations() {
    judge(&[]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn python_sdk_json_mode_has_only_its_known_violations() {
    judge(&["--json"]).await;
}

/// The SDK's default (stateless_http=False): judged as the stateful server it is.
#[tokio::test(flavor = "multi_thread")]
async fn python_sdk_stateful_is_judged_as_stateful() {
    let Some(report) = judge(&["--stateful"]).await else {
        return;
    };
    assert_eq!(report.eras[0].sessions, Some("stateful"), "{:?}", report.eras);
    let stateful_rules = ["session.terminated-404", "session.reinitialize", "session.id-entropy"];
    assert_passed(&report, &stateful_rules);
}

/// The SDK's stateful server offers one GET /mcp stream a session: `bench --streams` opens each
/// in a session of its own and holds them all while the mix runs in the run's session, where
/// two requests in flight at once each carry their own JSON-RPC id (with one id, the SDK loses
/// one of the two responses and the request times out).
#[tokio::test(flavor = "multi_thread")]
async fn python_sdk_stateful_holds_get_streams_each_in_its_own_session() {
    let Some(python) = python() else {
        return;
    };
    let (_server, url) = start(&python, "mcp_server.py", &["--stateful"]).await;
    let args = [
        "bench",
        "--url",
        &url,
        "--streams",
        "20",
        "--hold",
        "2s",
        "--duration",
        "1s",
        "--concurrency",
        "2",
        "--format",
        "json",
        "--quiet",
    ]
    .map(String::from);
    let out =
        tokio::task::spawn_blocking(move || super::common::suite(&args.iter().map(String::as_str).collect::<Vec<_>>()))
            .await
            .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
    let held = &report["results"]["held"];
    assert_eq!(
        held["kind"],
        "GET /mcp",
        "{}{}",
        super::common::text(&out.stdout),
        super::common::text(&out.stderr)
    );
    assert_eq!(
        (&held["held_to_end"], &held["refused"], &held["dropped"]),
        (&20.into(), &0.into(), &0.into()),
        "{held}"
    );
    assert_eq!(report["results"]["errors"], 0, "{}", report["results"]);
}
