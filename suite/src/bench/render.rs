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
    for (kind, count) in &r.errors_by_kind {
        out.push_str(&format!("  error {kind}: {count}\n"));
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
