//! `bench merge`: adding up 16 shard files (decode each saved histogram, add, percentiles), as a
//! merge job after a 16-runner matrix does.
//!
//! `cargo bench -p agentcore-mcp-benches --bench bench_merge`

use agentcore_mcp_suite::bench::BenchReport;
use agentcore_mcp_suite::bench::histograms::encode_histogram;
use criterion::{Criterion, criterion_group, criterion_main};
use hdrhistogram::Histogram;
use serde_json::json;

/// Shard `index` of 16: 100,000 latencies spread from 0.1 ms to ~1 s, saved as `bench --save` would.
fn shard(index: u32) -> (String, BenchReport) {
    let mut latency = Histogram::<u64>::new_with_bounds(1, 600_000_000, 3).unwrap();
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15 ^ u64::from(index);
    for _ in 0..100_000 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        latency.record(100 + x % 1_000_000).unwrap();
    }
    let file = json!({
        "schema": "agentcore-mcp-suite/bench", "schema_version": 1, "tool_version": "bench",
        "target": "http://127.0.0.1/mcp", "machine": {"os": "linux", "arch": "x86_64", "cores": 2},
        "settings": {"loop_kind": "open", "concurrency": 64, "rate": 16000.0, "duration_s": 60.0, "requests": null, "mix": ["tools/list"]},
        "shard": {"index": index, "count": 16},
        "results": {
            "requests": 100_000, "errors": 0, "errors_by_kind": {}, "started_at_ms": 1_000, "ended_at_ms": 61_000,
            "elapsed_s": 60.0, "throughput_rps": 1666.7,
            "latency_ms": {"p50": 0.0, "p90": 0.0, "p99": 0.0, "p999": 0.0, "max": 0.0, "mean": 0.0},
            "curve": [], "histogram": encode_histogram(&latency),
        },
    });
    (format!("shard-{index}.json"), serde_json::from_value(file).unwrap())
}

fn merge_16(c: &mut Criterion) {
    let files: Vec<(String, BenchReport)> = (1..=16).map(shard).collect();
    let merged = BenchReport::merge(&files).unwrap();
    assert_eq!(merged.results.requests, 1_600_000);
    c.bench_function("bench merge: 16 shard files of 100,000 requests each", |b| {
        b.iter(|| BenchReport::merge(&files).unwrap())
    });
}

criterion_group!(benches, merge_16);
criterion_main!(benches);
