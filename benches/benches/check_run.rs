//! Benchmarks of the suite against the embedded reference server on loopback:
//! a full default `check` run, and single round trips through the wire layer.
//!
//! `cargo bench -p agentcore-mcp-benches` (criterion; reports in target/criterion/).

use std::time::Duration;

use agentcore_mcp_suite::wire::plain::PlainHttp;
use agentcore_mcp_suite::wire::transport::{HttpRequest, Limits, Transport};
use agentcore_mcp_suite::{RunOptions, Target, run};
use criterion::{Criterion, criterion_group, criterion_main};

fn full_check(c: &mut Criterion) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let target = Target::Embedded(agentcore_mcp_reference::Config::default());
    let options = RunOptions::default();
    let mut group = c.benchmark_group("check");
    group.sample_size(10).measurement_time(Duration::from_secs(15));
    group.bench_function("default catalog, embedded reference server", |b| {
        b.to_async(&runtime).iter(|| async {
            let report = run(&target, &options).await.unwrap();
            assert!(report.passed());
        })
    });
    group.finish();
}

fn round_trips(c: &mut Criterion) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    let port = listener.local_addr().unwrap().port();
    runtime.spawn(agentcore_mcp_reference::serve(
        listener,
        agentcore_mcp_reference::Config::default(),
    ));
    let transport = PlainHttp::new("127.0.0.1", port);
    let limits = Limits {
        timeout: Duration::from_secs(5),
        max_body_bytes: 1 << 20,
        close_grace: Duration::from_millis(100),
    };
    let ping = HttpRequest {
        method: "GET".into(),
        path: "/ping".into(),
        headers: vec![],
        body: vec![],
    };
    let tools_list = HttpRequest {
        method: "POST".into(),
        path: "/mcp".into(),
        headers: vec![
            ("content-type".into(), "application/json".into()),
            ("accept".into(), "application/json, text/event-stream".into()),
            ("mcp-protocol-version".into(), "2025-11-25".into()),
        ],
        body: br#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#.to_vec(),
    };
    let mut group = c.benchmark_group("round trip (new connection each)");
    for (name, request) in [("GET /ping", &ping), ("POST tools/list (SSE)", &tools_list)] {
        group.bench_function(name, |b| {
            b.to_async(&runtime).iter(|| async {
                let response = transport.exchange(request, limits, &mut |_| false).await.unwrap();
                assert_eq!(response.status, 200);
            })
        });
    }
    group.finish();
}

criterion_group!(benches, full_check, round_trips);
criterion_main!(benches);
