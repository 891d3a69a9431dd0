//! The tool surface and `--wait`: `surface` of the reference server end to end (start a URL
//! target, discover both eras, list tools, resources, templates and prompts), the drift diff of
//! two 1,000-tool surfaces, and what `--wait` adds once the server is already up.
//!
//! `cargo bench -p agentcore-mcp-benches --bench surface`

use std::time::Duration;

use agentcore_mcp_suite::runner::record_surface;
use agentcore_mcp_suite::surface::diff::diff;
use agentcore_mcp_suite::surface::{EraSurface, Surface};
use agentcore_mcp_suite::{RunOptions, Target, TlsTrust};
use criterion::{Criterion, criterion_group, criterion_main};
use serde_json::{Value, json};

/// A reference server on loopback for the whole run; its MCP URL.
fn reference(runtime: &tokio::runtime::Runtime) -> String {
    let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    let port = listener.local_addr().unwrap().port();
    runtime.spawn(agentcore_mcp_reference::serve(
        listener,
        agentcore_mcp_reference::Config::default(),
    ));
    format!("http://127.0.0.1:{port}/mcp")
}

fn surface_end_to_end(c: &mut Criterion) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let target = Target::Url(reference(&runtime));
    let options = RunOptions::default();
    let quiet = |_: Duration, _: &str| {};
    c.bench_function("surface: reference server, both eras, end to end", |b| {
        b.to_async(&runtime).iter(|| async {
            let surface = record_surface(&target, &options, &quiet).await.unwrap();
            assert_eq!(surface.eras.len(), 2);
        })
    });
}

/// `n` tools with a few properties and hints each; `edit` changes every tenth one.
fn tools(n: usize, edit: bool) -> Vec<Value> {
    (0..n)
        .map(|i| {
            let changed = edit && i % 10 == 0;
            json!({
                "name": format!("tool_{i}"),
                "description": if changed { format!("Tool {i}, reworded") } else { format!("Tool {i}") },
                "inputSchema": {
                    "type": "object",
                    "properties": {
                        "query": {"type": "string", "description": "what to look for"},
                        "limit": {"type": if changed { json!("string") } else { json!("integer") }},
                        "mode": {"enum": ["fast", "exact"]},
                    },
                    "required": if changed { json!(["query", "limit"]) } else { json!(["query"]) },
                },
                "annotations": {"readOnlyHint": !changed, "destructiveHint": false, "openWorldHint": false},
            })
        })
        .collect()
}

fn surface_of(tools: Vec<Value>) -> Surface {
    let era = EraSurface {
        protocol_version: "2025-11-25".into(),
        shape: "stateless, SSE".into(),
        server_info: json!({"name": "bench", "version": "1"}),
        capabilities: json!({"tools": {}}),
        tools,
        ..EraSurface::default()
    };
    Surface {
        schema_version: agentcore_mcp_suite::surface::SCHEMA_VERSION,
        suite_version: "bench".into(),
        recorded_at: "2026-12-01T00:00:00Z".into(),
        target: "bench".into(),
        eras: [("legacy".to_string(), era)].into(),
    }
}

fn diff_1000_tools(c: &mut Criterion) {
    let (before, after) = (surface_of(tools(1000, false)), surface_of(tools(1000, true)));
    let changes = diff(&before, &after).len();
    assert!(changes >= 400, "{changes}");
    c.bench_function("surface diff: 1,000 tools, every tenth changed", |b| {
        b.iter(|| diff(&before, &after))
    });
}

fn wait_overhead(c: &mut Criterion) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let target = Target::Url(reference(&runtime));
    let tls = TlsTrust::default();
    let quiet = |_: Duration, _: &str| {};
    let mut group = c.benchmark_group("--wait once the server is up");
    group.bench_function("start", |b| {
        b.to_async(&runtime)
            .iter(|| async { target.start(Duration::from_secs(5), &tls).await.unwrap() })
    });
    group.bench_function("start_when_up (--wait 60s)", |b| {
        b.to_async(&runtime).iter(|| async {
            target
                .start_when_up(Duration::from_secs(60), Duration::from_secs(5), &tls, &quiet)
                .await
                .unwrap()
        })
    });
    group.finish();
}

criterion_group!(benches, surface_end_to_end, diff_1000_tools, wait_overhead);
criterion_main!(benches);
