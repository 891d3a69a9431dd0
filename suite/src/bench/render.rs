//! `bench` results as text: the human summary and the Markdown table, with the baseline
//! comparison when there is one.

use super::results::BenchReport;
use crate::baseline::{Delta, render_deltas};

/// The human summary: settings, numbers, errors, and the baseline table when there is one.
pub fn render_human(report: &BenchReport, deltas: Option<&[Delta]>) -> String {
    let r = &report.results;
    let l = &r.latency_ms;
    let mut out = format!(
        "bench {} ({} loop, concurrency {}{}; mix: {})\n  {} requests in {:.2} s: {:.0} req/s, {} errors\n  latency ms: p50 {} · p90 {} · p99 {} · p99.9 {} · max {} · mean {}\n",
        report.target,
        report.settings.loop_kind,
        report.settings.concurrency,
        report
            .settings
            .rate
            .map(|r| format!(", {r} req/s offered"))
            .unwrap_or_default(),
        report.settings.mix.join(", "),
        r.requests,
        r.elapsed_s,
        r.throughput_rps,
        r.errors,
        l.p50,
        l.p90,
        l.p99,
        l.p999,
        l.max,
        l.mean
    );
    if let Some(streams) = &r.streams {
        out.push_str(&format!(
            "  streamed {} responses: {}\n",
            streams.responses,
            streams.summary()
        ));
    }
    if let Some(held) = &r.held {
        out.push_str(&format!("  {}\n", held.summary()));
    }
    if let Some(sessions) = &r.runtime_sessions {
        out.push_str(&format!("  {}\n", sessions.summary()));
    }
    for (kind, count) in &r.errors_by_kind {
        out.push_str(&format!("  error {kind}: {count}\n"));
    }
    if let Some(peak) = r.server_peak_memory_mb {
        out.push_str(&format!(
            "  server peak memory: {peak} MB (the container, as docker stats shows it)\n"
        ));
    }
    if let Some(peak) = r.suite_peak_rss_mb {
        out.push_str(&format!("  suite peak memory: {peak} MB resident\n"));
    }
    if let Some(note) = throttle_note(report) {
        out.push_str(&format!("  {note}\n"));
    }
    if let Some(shard) = report.shard {
        out.push_str(&format!(
            "  shard {}/{} of the run (`bench merge` adds the shards up)\n",
            shard.index, shard.count
        ));
    }
    if let Some(files) = report.merged_from {
        out.push_str(&format!(
            "  merged from {files} files (histograms added: exact percentiles)\n"
        ));
    }
    if let Some(cold) = &r.cold_starts {
        out.push_str(&format!(
            "  cold starts (create → first MCP answer): p50 {} ms, max {} ms over {} starts\n",
            cold.p50_ms, cold.max_ms, cold.starts
        ));
    }
    if let Some(deltas) = deltas {
        out.push('\n');
        out.push_str(&render_deltas(deltas));
    }
    out
}

/// Markdown for CI step summaries.
pub fn render_markdown(report: &BenchReport, deltas: Option<&[Delta]>) -> String {
    let r = &report.results;
    let l = &r.latency_ms;
    let mut out = format!(
        "## bench: {}\n\n{} loop, concurrency {}; {} requests, {:.0} req/s, {} errors\n\n| p50 | p90 | p99 | p99.9 | max |\n|---|---|---|---|---|\n| {} | {} | {} | {} | {} |\n",
        report.target,
        report.settings.loop_kind,
        report.settings.concurrency,
        r.requests,
        r.throughput_rps,
        r.errors,
        l.p50,
        l.p90,
        l.p99,
        l.p999,
        l.max
    );
    if let Some(streams) = &r.streams {
        out.push_str(&format!(
            "\n| streamed ({} responses), ms | p50 | p99 | max |\n|---|---|---|---|\n",
            streams.responses
        ));
        for (what, t) in streams.chart_rows() {
            out.push_str(&format!("| {what} | {} | {} | {} |\n", t.p50_ms, t.p99_ms, t.max_ms));
        }
        let events = &streams.events_per_response;
        out.push_str(&format!(
            "| events per response | {} | {} | {} |\n",
            events.p50, events.p99, events.max
        ));
    }
    if let Some(held) = &r.held {
        out.push_str(&format!("\n{}\n", held.summary().replace("\n  ", "\n\n")));
    }
    if let Some(sessions) = &r.runtime_sessions {
        out.push_str(&format!("\n{}\n", sessions.summary()));
    }
    if let Some(peak) = r.server_peak_memory_mb {
        out.push_str(&format!(
            "\nServer peak memory: {peak} MB (the container, as docker stats shows it)\n"
        ));
    }
    if let Some(note) = throttle_note(report) {
        out.push_str(&format!("\n> **{note}**\n"));
    }
    if let Some(deltas) = deltas {
        out.push_str("\n| metric | baseline | now | worse by | |\n|---|---|---|---|---|\n");
        for d in deltas {
            out.push_str(&format!(
                "| {} | {:.3} | {:.3} | {:+.1}% | {} |\n",
                d.metric,
                d.baseline,
                d.now,
                d.worse_by * 100.0,
                if d.regressed { "**regressed**" } else { "ok" }
            ));
        }
    }
    out
}

/// Said whenever the platform throttled: those latencies are the throttle's, not the server's.
fn throttle_note(report: &BenchReport) -> Option<String> {
    let throttled = report.results.throttled;
    (throttled > 0).then(|| {
        format!(
            "{throttled} of {} requests were throttled by the platform (over the endpoint's quota): the latency is not the server's; lower --rate",
            report.results.requests
        )
    })
}

/// The benchmark's name in history services: the target without a loopback port (the embedded
/// server's changes every run) and the mix.
fn series(report: &BenchReport) -> String {
    let mut label = report.target.clone();
    if let Some(at) = label.find("127.0.0.1:") {
        let digits = label[at + 10..].chars().take_while(char::is_ascii_digit).count();
        label.replace_range(at + 9..at + 10 + digits, "");
    }
    format!("{label} [{}]", report.settings.mix.join(" + "))
}

/// Bencher Metric Format: latency (nanoseconds; p50 with p90…p99 bounds), throughput (requests a
/// second), the time to a streamed response's first event, and the cold starts of a container
/// target.
pub fn bmf(report: &BenchReport) -> String {
    let r = &report.results;
    let ns = |ms: f64| (ms * 1e6).round();
    let mut measures = serde_json::json!({
        "latency": { "value": ns(r.latency_ms.p50), "lower_value": ns(r.curve.first().map_or(0.0, |c| c.1)), "upper_value": ns(r.latency_ms.p99) },
        "throughput": { "value": r.throughput_rps },
    });
    if let Some(first) = r.streams.as_ref().and_then(|s| s.first_event_ms.as_ref()) {
        measures["first-event"] = serde_json::json!({ "value": ns(first.p50), "upper_value": ns(first.p99) });
    }
    if let Some(cold) = &r.cold_starts {
        measures["cold-start"] = serde_json::json!({ "value": ns(cold.p50_ms), "upper_value": ns(cold.max_ms) });
    }
    let out = serde_json::json!({ series(report): measures });
    serde_json::to_string_pretty(&out).expect("BMF serializes") + "\n"
}

/// github-action-benchmark's custom tools: `smaller` is latency p50/p90/p99, the first event of
/// streamed responses and cold starts (ms, customSmallerIsBetter), else throughput (req/s,
/// customBiggerIsBetter).
pub fn benchmark_action(report: &BenchReport, smaller: bool) -> String {
    let r = &report.results;
    let name = series(report);
    let entry = |what: &str, unit: &str, value: f64| serde_json::json!({ "name": format!("{name} {what}"), "unit": unit, "value": value });
    let entries: Vec<serde_json::Value> = if smaller {
        let mut list = vec![
            entry("p50", "ms", r.latency_ms.p50),
            entry("p90", "ms", r.latency_ms.p90),
            entry("p99", "ms", r.latency_ms.p99),
        ];
        if let Some(first) = r.streams.as_ref().and_then(|s| s.first_event_ms.as_ref()) {
            list.push(entry("first event p50", "ms", first.p50));
        }
        if let Some(cold) = &r.cold_starts {
            list.push(entry("cold start p50", "ms", cold.p50_ms));
        }
        list
    } else {
        vec![entry("throughput", "req/s", r.throughput_rps)]
    };
    serde_json::to_string_pretty(&entries).expect("benchmark JSON serializes") + "\n"
}
