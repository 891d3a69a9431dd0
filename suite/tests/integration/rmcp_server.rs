//! A third-party Rust server: rmcp's `StreamableHttpService` (rmcp 3.11 from crates.io), once set
//! up for AgentCore (stateless, no Host allow-list) and once with its defaults (stateful sessions,
//! a loopback-only Host allow-list). Every fail and error must be backed by the cited text: those
//! are listed in fixtures/rmcp/expected-failures.yml; the verdicts are recorded in
//! fixtures/third-party/.

use std::sync::Arc;

use agentcore_mcp_suite::checks::Verdict;
use agentcore_mcp_suite::{ExpectedFailures, Report, Target};
use rmcp::handler::server::{router::tool::ToolRouter, wrapper::Parameters};
use rmcp::model::{CallToolResult, ContentBlock};
use rmcp::transport::streamable_http_server::session::{local::LocalSessionManager, never::NeverSessionManager};
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use rmcp::{ErrorData, ServerHandler, schemars, tool, tool_handler, tool_router};

use super::common::{assert_passed, check, non_passes, quick_options};

pub const EXPECTED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/rmcp/expected-failures.yml");
const EXPECTED_STATEFUL: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../fixtures/rmcp/expected-failures-stateful.yml"
);

#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
struct Sum {
    a: i64,
    b: i64,
}

/// The AgentCore sample tools, read-only and annotated so.
#[derive(Clone)]
struct Sample {
    tool_router: ToolRouter<Self>,
}

#[tool_router]
impl Sample {
    fn new() -> Self {
        Sample {
            tool_router: Self::tool_router(),
        }
    }

    #[tool(description = "Add two numbers together.", annotations(read_only_hint = true))]
    fn add_numbers(&self, Parameters(Sum { a, b }): Parameters<Sum>) -> Result<CallToolResult, ErrorData> {
        Ok(CallToolResult::success(vec![ContentBlock::text((a + b).to_string())]))
    }

    #[tool(description = "Say hello.", annotations(read_only_hint = true))]
    fn hello(&self) -> Result<CallToolResult, ErrorData> {
        Ok(CallToolResult::success(vec![ContentBlock::text("hello")]))
    }
}

#[tool_handler(router = self.tool_router, name = "rmcp-sample", version = "1.0.0")]
impl ServerHandler for Sample {}

/// Serves rmcp on a loopback port at /mcp; returns the URL.
pub async fn serve(agentcore_ready: bool) -> String {
    let app = if agentcore_ready {
        let config = StreamableHttpServerConfig::default()
            .with_legacy_session_mode(false)
            .disable_allowed_hosts();
        let service =
            StreamableHttpService::new(|| Ok(Sample::new()), Arc::new(NeverSessionManager::default()), config);
        axum::Router::new().route_service("/mcp", service)
    } else {
        let config = StreamableHttpServerConfig::default();
        let service =
            StreamableHttpService::new(|| Ok(Sample::new()), Arc::new(LocalSessionManager::default()), config);
        axum::Router::new().route_service("/mcp", service)
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://127.0.0.1:{port}/mcp")
}

async fn judge(agentcore_ready: bool) -> Report {
    let url = serve(agentcore_ready).await;
    let mut options = quick_options();
    let mut expected = std::fs::read_to_string(EXPECTED).unwrap();
    if !agentcore_ready {
        expected.push_str(&std::fs::read_to_string(EXPECTED_STATEFUL).unwrap());
    }
    options.expected = ExpectedFailures::parse(&expected, "fixtures/rmcp/expected-failures*.yml").unwrap();
    let report = check(&Target::Url(url), &options).await;
    if let Ok(path) = std::env::var("AGENTCORE_SUITE_RECORD") {
        let name = if agentcore_ready { "agentcore" } else { "defaults" };
        let json = agentcore_mcp_suite::report::json::render(&report);
        std::fs::write(format!("{path}/rmcp-3.11.0-{name}.json"), json).unwrap();
    }
    assert!(report.passed(), "{:#?}\n{:?}", non_passes(&report), report.summary);
    report
}

#[tokio::test(flavor = "multi_thread")]
async fn rmcp_set_up_for_agentcore_has_only_its_known_violations() {
    let report = judge(true).await;
    assert_eq!(report.eras[0].sessions, Some("stateless"));
    assert_passed(
        &report,
        &["tools.list", "tools.call", "session.platform-headers-accepted"],
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn rmcp_defaults_are_stateful_and_warned_about_their_host_allow_list() {
    let report = judge(false).await;
    assert_eq!(report.eras[0].sessions, Some("stateful"));
    let host = report.results.iter().find(|r| r.id == "http.any-host").unwrap();
    assert_eq!(host.verdict, Verdict::Warn, "{}", host.message);
    assert_passed(
        &report,
        &["session.terminated-404", "session.reinitialize", "session.id-entropy"],
    );
}
