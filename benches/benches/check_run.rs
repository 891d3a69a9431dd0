//! Benchmarks of the suite against the embedded reference server on loopback: a full default
//! `check` run; round trips for /ping, initialize, server/discover, tools/list and tools/call on
//! a fresh connection each and on one kept-alive connection (where the 44 ms Nagle stall showed);
//! and the strict SSE parser's throughput.
//!
//! `cargo bench -p agentcore-mcp-benches` (criterion; reports in target/criterion/).

use std::time::Duration;

use agentcore_mcp_suite::wire::plain::PlainHttp;
use agentcore_mcp_suite::wire::sse::SseParser;
use agentcore_mcp_suite::wire::transport::{Heard, HttpRequest, Limits, Transport};
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
        body_watch: None,
        max_total: None,
    };
    let ping = HttpRequest::new("GET", "/ping");
    let post = |version: &str, body: &str, extra: &[(&str, &str)]| {
        let mut headers = vec![
            ("content-type".to_string(), "application/json".to_string()),
            ("accept".to_string(), "application/json, text/event-stream".to_string()),
            ("mcp-protocol-version".to_string(), version.to_string()),
        ];
        headers.extend(extra.iter().map(|(n, v)| (n.to_string(), v.to_string())));
        HttpRequest {
            method: "POST".into(),
            path: "/mcp".into(),
            headers,
            body: body.as_bytes().to_vec(),
        }
    };
    let legacy = "2025-11-25";
    let meta = r#""_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}"#;
    let requests = [
        ("GET /ping", ping),
        (
            "initialize",
            post(
                legacy,
                r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"bench","version":"1"}}}"#,
                &[],
            ),
        ),
        (
            "server/discover",
            post(
                "2026-07-28",
                &format!(r#"{{"jsonrpc":"2.0","id":1,"method":"server/discover","params":{{{meta}}}}}"#),
                &[("mcp-method", "server/discover")],
            ),
        ),
        (
            "tools/list",
            post(legacy, r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#, &[]),
        ),
        (
            "tools/call",
            post(
                legacy,
                r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"test_simple_text","arguments":{}}}"#,
                &[],
            ),
        ),
    ];
    let mut group = c.benchmark_group("round trip, new connection each (SSE)");
    for (name, request) in &requests {
        group.bench_function(*name, |b| {
            b.to_async(&runtime).iter(|| async {
                let response = transport.exchange(request, limits, &mut |_| Heard::More).await.unwrap();
                assert_eq!(response.status, 200);
            })
        });
    }
    group.finish();
    // 50 requests on one connection per iteration; criterion reports the time per request.
    let mut group = c.benchmark_group("round trip, one kept-alive connection (SSE)");
    for (name, request) in &requests {
        let batch: Vec<HttpRequest> = std::iter::repeat_n(request.clone(), 50).collect();
        group.throughput(criterion::Throughput::Elements(50));
        group.bench_function(*name, |b| {
            b.to_async(&runtime).iter(|| async {
                let responses = transport.exchange_kept_alive(&batch, limits).await.unwrap();
                assert!(responses.iter().all(|r| r.status == 200));
            })
        });
    }
    group.finish();
}

/// The strict SSE parser per stream shape, 4 MiB each: typical events, what a hostile server may
/// send instead (tiny comments, blank lines, tiny events, one line without end), and tiny chunks.
/// Throughput should be of one order across shapes: the scan is linear whatever the shape.
fn sse_parser(c: &mut Criterion) {
    const SIZE: usize = 4 << 20;
    let fill = |unit: &str| unit.repeat(SIZE / unit.len()).into_bytes();
    let typical = fill(
        "id: 7\nevent: message\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\",\"params\":{\"progress\":1}}\n\n",
    );
    let mut one_line = b"data: ".to_vec();
    one_line.resize(SIZE, b'a');
    let shapes: [(&str, Vec<u8>, usize); 6] = [
        ("typical events, 1 KiB chunks", typical.clone(), 1024),
        ("typical events, 16-byte chunks", typical, 16),
        ("tiny comments, 1 KiB chunks", fill(":\n"), 1024),
        ("blank lines, 1 KiB chunks", fill("\n"), 1024),
        ("tiny events, 1 KiB chunks", fill("data:\n\n"), 1024),
        ("one line without end, 1 KiB chunks", one_line, 1024),
    ];
    let mut group = c.benchmark_group("sse parser (4 MiB)");
    group.throughput(criterion::Throughput::Bytes(SIZE as u64));
    for (name, stream, chunk) in &shapes {
        group.bench_function(*name, |b| {
            b.iter(|| {
                let mut parser = SseParser::new();
                for piece in stream.chunks(*chunk) {
                    parser.feed(piece);
                }
                parser.finish()
            })
        });
    }
    group.finish();
}

criterion_group!(benches, full_check, round_trips, sse_parser);
criterion_main!(benches);
