//! Interop with a server nobody here wrote: the Python `mcp` SDK's MCPServer as the AgentCore
//! samples run it (stateless), in SSE and JSON modes. Every failure must be a real violation, and
//! those are listed with their citation in fixtures/python/expected-failures.yml.
//!
//! Needs a Python with `mcp` installed: `MCP_PYTHON=/path/to/python` (.ci/run makes a venv).
//! Without it the tests skip loudly, unless `AGENTCORE_SUITE_REQUIRE_PYTHON=1` (CI) makes that a failure.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use agentcore_mcp_suite::{ExpectedFailures, Target};

use super::common::{check, non_passes, quick_options};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/python");

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn python() -> Option<String> {
    match std::env::var("MCP_PYTHON") {
        Ok(path) if !path.is_empty() => Some(path),
        _ => {
            let required = std::env::var("AGENTCORE_SUITE_REQUIRE_PYTHON").is_ok_and(|v| v == "1");
            assert!(!required, "AGENTCORE_SUITE_REQUIRE_PYTHON=1 but MCP_PYTHON is not set");
            eprintln!("SKIPPED: Python SDK interop tests need MCP_PYTHON=<python with `mcp` installed>");
            None
        }
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn start(python: &str, json: bool) -> (Server, String) {
    let port = free_port();
    let mut command = Command::new(python);
    command.arg(format!("{FIXTURES}/mcp_server.py")).arg(port.to_string());
    if json {
        command.arg("--json");
    }
    let child = command
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("python starts");
    let server = Server(child);
    for _ in 0..200 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
            return (server, format!("http://127.0.0.1:{port}/mcp"));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the Python server did not listen on {port} within 10 s");
}

async fn judge(json: bool) {
    let Some(python) = python() else { return };
    let (_server, url) = start(&python, json).await;
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
}

#[tokio::test(flavor = "multi_thread")]
async fn python_sdk_sse_mode_has_only_its_known_violations() {
    judge(false).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn python_sdk_json_mode_has_only_its_known_violations() {
    judge(true).await;
}
