//! Charts as plain SVG text (it opens in any browser, embeds in HTML and diffs in review), drawn
//! from plain numbers: the latency-percentile curve of a bench run (the HDR histogram view: the x
//! axis stretches toward the tail, 50% · 90% · 99% · 99.9% · 99.99%), the cold-start distribution
//! (one bar per start, fastest first) and the timed checks of a report (p50/p90/p99/max per check).

use crate::probe::ColdStarts;
use crate::stats::Timing;

const WIDTH: f64 = 720.0;
const HEIGHT: f64 = 360.0;
const MARGIN: f64 = 56.0;

/// Where percentile `p` (0–100) sits on the x axis: log10 of 1 / (1 - p), so each "nine" is one step.
fn nines(p: f64) -> f64 {
    let tail = (1.0 - p / 100.0).max(1e-5);
    (1.0 / tail).log10()
}

/// A bench run's latency by percentile; `curve` holds (percentile, milliseconds) points.
pub fn latency_curve_svg(target: &str, curve: &[(f64, f64)], requests: u64, throughput_rps: f64) -> String {
    let max_x = nines(99.999);
    let max_y = curve.iter().map(|(_, ms)| *ms).fold(0.0, f64::max).max(0.001) * 1.1;
    let x = |p: f64| MARGIN + nines(p) / max_x * (WIDTH - 2.0 * MARGIN);
    let y = |ms: f64| HEIGHT - MARGIN - ms / max_y * (HEIGHT - 2.0 * MARGIN);
    let points: Vec<String> = curve
        .iter()
        .map(|(p, ms)| format!("{:.1},{:.1}", x(*p), y(*ms)))
        .collect();
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" height=\"{HEIGHT}\" font-family=\"sans-serif\" font-size=\"12\">\n\
         <rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n\
         <text x=\"{MARGIN}\" y=\"24\" font-size=\"14\">latency by percentile: {} ({} requests, {:.0} req/s)</text>\n",
        escape(target),
        requests,
        throughput_rps
    );
    let bottom = HEIGHT - MARGIN;
    out.push_str(&format!(
        "<line x1=\"{MARGIN}\" y1=\"{bottom}\" x2=\"{}\" y2=\"{bottom}\" stroke=\"black\"/>\n<line x1=\"{MARGIN}\" y1=\"{MARGIN}\" x2=\"{MARGIN}\" y2=\"{bottom}\" stroke=\"black\"/>\n",
        WIDTH - MARGIN
    ));
    for p in [0.0, 90.0, 99.0, 99.9, 99.99] {
        out.push_str(&format!(
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{p}%</text>\n",
            x(p),
            bottom + 18.0
        ));
    }
    y_labels(&mut out, max_y, 2, y);
    out.push_str(&format!(
        "<polyline fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"2\" points=\"{}\"/>\n</svg>\n",
        points.join(" ")
    ));
    out
}

/// One bar per container start (create → first MCP answer), fastest first, with the p50 marked.
pub fn cold_starts_svg(target: &str, cold: &ColdStarts) -> String {
    let max_y = cold.max_ms.max(0.001) * 1.1;
    let bottom = HEIGHT - MARGIN;
    let y = |ms: f64| bottom - ms / max_y * (HEIGHT - 2.0 * MARGIN);
    let slot = (WIDTH - 2.0 * MARGIN) / cold.first_mcp_ms.len().max(1) as f64;
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" height=\"{HEIGHT}\" font-family=\"sans-serif\" font-size=\"12\">\n\
         <rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n\
         <text x=\"{MARGIN}\" y=\"24\" font-size=\"14\">cold starts, create → first MCP answer: {} ({} starts, p50 {} ms)</text>\n\
         <line x1=\"{MARGIN}\" y1=\"{bottom}\" x2=\"{}\" y2=\"{bottom}\" stroke=\"black\"/>\n",
        escape(target),
        cold.starts,
        cold.p50_ms,
        WIDTH - MARGIN
    );
    y_labels(&mut out, max_y, 0, y);
    for (i, ms) in cold.first_mcp_ms.iter().enumerate() {
        out.push_str(&format!(
            "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"#1f77b4\"><title>{ms} ms</title></rect>\n",
            MARGIN + i as f64 * slot + slot * 0.1,
            y(*ms),
            slot * 0.8,
            bottom - y(*ms)
        ));
    }
    out.push_str(&format!(
        "<line x1=\"{MARGIN}\" y1=\"{p50:.1}\" x2=\"{}\" y2=\"{p50:.1}\" stroke=\"#d62728\" stroke-dasharray=\"4 3\"/>\n</svg>\n",
        WIDTH - MARGIN,
        p50 = y(cold.p50_ms)
    ));
    out
}

/// One row per timed thing (a check, a part of a stream): a bar to p90, a darker one to p50, a
/// tick at p99 and a dot at max, under `title`.
pub fn timings_svg(title: &str, rows: &[(String, Timing)]) -> String {
    const ROW: f64 = 26.0;
    const LABEL: f64 = 230.0;
    let height = MARGIN + ROW * rows.len() as f64 + 40.0;
    let max_x = rows.iter().map(|(_, t)| t.max_ms).fold(0.0, f64::max).max(0.001) * 1.1;
    let x = |ms: f64| LABEL + ms / max_x * (WIDTH - LABEL - MARGIN / 2.0);
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" height=\"{height}\" font-family=\"sans-serif\" font-size=\"12\">\n\
         <rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n\
         <text x=\"8\" y=\"20\" font-size=\"14\">{}: bars p50 · p90, tick p99, dot max</text>\n",
        escape(title)
    );
    for (i, (label, t)) in rows.iter().enumerate() {
        let top = MARGIN - 16.0 + i as f64 * ROW;
        out.push_str(&format!(
            "<g><title>{label}: p50 {} ms, p90 {} ms, p99 {} ms, max {} ms ({} samples)</title>\n\
             <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{label}</text>\n\
             <rect x=\"{LABEL}\" y=\"{top:.1}\" width=\"{:.1}\" height=\"16\" fill=\"#aec7e8\"/>\n\
             <rect x=\"{LABEL}\" y=\"{top:.1}\" width=\"{:.1}\" height=\"16\" fill=\"#1f77b4\"/>\n\
             <line x1=\"{p99:.1}\" y1=\"{:.1}\" x2=\"{p99:.1}\" y2=\"{:.1}\" stroke=\"#d62728\" stroke-width=\"2\"/>\n\
             <circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"3\" fill=\"black\"/></g>\n",
            t.p50_ms,
            t.p90_ms,
            t.p99_ms,
            t.max_ms,
            t.samples,
            LABEL - 8.0,
            top + 12.0,
            x(t.p90_ms) - LABEL,
            x(t.p50_ms) - LABEL,
            top - 2.0,
            top + 18.0,
            x(t.max_ms),
            top + 8.0,
            label = escape(label),
            p99 = x(t.p99_ms),
        ));
    }
    let bottom = MARGIN + ROW * rows.len() as f64 - 6.0;
    for step in 0..=4 {
        let ms = max_x * step as f64 / 4.0;
        out.push_str(&format!(
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{ms:.1} ms</text>\n",
            x(ms),
            bottom + 16.0
        ));
    }
    out.push_str("</svg>\n");
    out
}

/// Five labels up the y axis, from 0 to `max_y` milliseconds.
fn y_labels(out: &mut String, max_y: f64, decimals: usize, y: impl Fn(f64) -> f64) {
    for step in 0..=4 {
        let ms = max_y * step as f64 / 4.0;
        out.push_str(&format!(
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{ms:.decimals$} ms</text>\n",
            MARGIN - 6.0,
            y(ms) + 4.0
        ));
    }
}

pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
