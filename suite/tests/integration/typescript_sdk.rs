//! Interop with the TypeScript SDK's server, stateful as its documentation sets it up (a
//! `sessionIdGenerator`): judged as the stateful server it is, with no failure the cited text
//! does not back (verdicts recorded in fixtures/third-party/).
//!
//! Needs `MCP_NODE_MODULES=<node_modules with @modelcontextprotocol/sdk>` (.ci/run installs it).
//! Without it the test skips loudly, unless `AGENTCORE_SUITE_REQUIRE_TYPESCRIPT=1` (CI).

use std::process::Command;
use std::time::Duration;

use agentcore_mcp_suite::Target;

use super::common::{Child, assert_passed, check, free_port, non_passes, quick_options, required_tool, serve_on};

const SERVER: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/typescript/server.cjs");

/// The TypeScript SDK's stateful server and its MCP URL; a loud skip without the SDK.
pub async fn start() -> Option<(Child, String)> {
    let modules = required_tool(
        "MCP_NODE_MODULES",
        "AGENTCORE_SUITE_REQUIRE_TYPESCRIPT",
        "TypeScript SDK interop tests (node_modules with @modelcontextprotocol/sdk)",
    )?;
    let port = free_port();
    let mut command = Command::new("node");
    command.arg(SERVER).arg(port.to_string()).env("NODE_PATH", modules);
    Some((serve_on(command, port).await, format!("http://127.0.0.1:{port}/mcp")))
}

#[tokio::test(flavor = "multi_thread")]
async fn typescript_sdk_stateful_server_passes_as_stateful() {
    let Some((_server, url)) = start().await else { return };
    let mut options = quick_options();
    options.probe.latency_budget = Duration::from_secs(2);
    let report = check(&Target::Url(url), &options).await;
    assert!(report.passed(), "{:#?}\n{:?}", non_passes(&report), report.summary);
    assert_eq!(report.eras[0].sessions, Some("stateful"), "{:?}", report.eras);
    let stateful_rules = [
        "session.terminated-404",
        "session.reinitialize",
        "session.id-entropy",
        "session.missing-400",
        "tools.call",
    ];
    assert_passed(&report, &stateful_rules);
}
