//! One self-contained HTML page (no scripts, no external assets: it works offline and as a CI
//! artifact): the header and counts, latency and cold-start charts as inline SVG, then the
//! verdicts grouped by area with evidence folded under each. The verdict filter is CSS over radio
//! buttons, so the page needs no JavaScript.

use super::Report;
use crate::chart::{cold_starts_svg, escape, timings_svg};
use crate::checks::Verdict;

const STYLE: &str = "
body{font:14px/1.45 system-ui,sans-serif;margin:0 auto;max-width:1100px;padding:16px 24px;color:#1b1f24}
h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:20px 0 6px;border-bottom:1px solid #d0d7de}
.status{display:inline-block;padding:2px 10px;border-radius:4px;color:#fff;font-weight:600}
.status.pass{background:#1a7f37}.status.fail{background:#cf222e}
.meta,.rule{color:#57606a}.note{background:#fff8c5;padding:6px 10px;border-radius:4px}
.counts span{display:inline-block;margin-right:14px}
.filters{margin:12px 0}.filters input{display:none}
.filters label{border:1px solid #d0d7de;border-radius:12px;padding:2px 10px;margin-right:4px;cursor:pointer}
#show-all:checked~.filters label[for=show-all],#show-problems:checked~.filters label[for=show-problems],
#show-fail:checked~.filters label[for=show-fail],#show-warn:checked~.filters label[for=show-warn],
#show-skip:checked~.filters label[for=show-skip],#show-pass:checked~.filters label[for=show-pass]{background:#0969da;color:#fff}
#show-problems:checked~main .result:not(.fail):not(.error):not(.warn){display:none}
#show-fail:checked~main .result:not(.fail):not(.error){display:none}
#show-warn:checked~main .result:not(.warn){display:none}
#show-skip:checked~main .result:not(.skip){display:none}
#show-pass:checked~main .result:not(.pass){display:none}
details.result{border-left:4px solid #d0d7de;margin:2px 0;padding:2px 8px}
details.result summary{cursor:pointer}
.result.pass{border-color:#1a7f37}.result.fail{border-color:#cf222e}.result.warn{border-color:#bf8700}
.result.error{border-color:#8250df}.result.skip,.result.xfail{border-color:#8c959f}
.badge{display:inline-block;min-width:44px;font:600 12px monospace;text-transform:uppercase}
.pass .badge{color:#1a7f37}.fail .badge{color:#cf222e}.warn .badge{color:#9a6700}.error .badge{color:#8250df}
.skip .badge,.xfail .badge{color:#57606a}
pre{background:#f6f8fa;padding:6px 8px;overflow-x:auto;white-space:pre-wrap;word-break:break-all;font-size:12px}
svg{max-width:100%;height:auto}
table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #d0d7de;padding:2px 6px;text-align:left}
tr.fail td:first-child{color:#cf222e;font-weight:600}
";

/// The verdict filters: (id suffix, label).
const FILTERS: &[(&str, &str)] = &[
    ("all", "all"),
    ("problems", "fail · error · warn"),
    ("fail", "fail · error"),
    ("warn", "warn"),
    ("skip", "skip"),
    ("pass", "pass"),
];

pub fn render(report: &Report) -> String {
    let status = if report.passed() { "pass" } else { "fail" };
    let target = escape(&report.target);
    let mut out = format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>MCP conformance: {target} — {}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<header>\n\
         <h1>MCP conformance: {target}</h1>\n\
         <p><span class=\"status {status}\">{}</span> <span class=\"meta\">profile {} · {:.2} s · {} {}</span></p>\n",
        status.to_uppercase(),
        status.to_uppercase(),
        report.profile.name(),
        report.duration_ms.as_secs_f64(),
        report.tool.name,
        report.tool.version,
    );
    out.push_str("<ul class=\"eras\">\n");
    for era in &report.eras {
        let said = match (&era.version, &era.note) {
            (Some(version), _) if era.spoken => format!("speaks {} ({})", escape(version), era.shape()),
            (_, Some(note)) => format!("not spoken: {}", escape(note)),
            _ => "not spoken".to_string(),
        };
        out.push_str(&format!("<li>{} era: {said}</li>\n", era.era.name()));
    }
    out.push_str("</ul>\n");
    for note in &report.notes {
        out.push_str(&format!("<p class=\"note\">Note: {}</p>\n", escape(note)));
    }
    let s = &report.summary;
    out.push_str(&format!(
        "<p class=\"counts\"><span>{} passed</span><span>{} failed</span><span>{} warned</span>\
         <span>{} skipped</span><span>{} errored</span><span>{} expected failures</span></p>\n</header>\n",
        s.passed, s.failed, s.warned, s.skipped, s.errored, s.expected
    ));
    charts(report, &mut out);
    // The radio buttons precede the filters and main: CSS selects what to hide by sibling order.
    for (i, (id, _)) in FILTERS.iter().enumerate() {
        let checked = if i == 0 { " checked" } else { "" };
        out.push_str(&format!(
            "<input type=\"radio\" name=\"show\" id=\"show-{id}\" hidden{checked}>\n"
        ));
    }
    out.push_str("<nav class=\"filters\">show: ");
    for (id, label) in FILTERS {
        out.push_str(&format!("<label for=\"show-{id}\">{label}</label>"));
    }
    out.push_str("</nav>\n<main>\n");
    if let Some(drift) = &report.surface_drift {
        surface_drift(drift, &mut out);
    }
    results(report, &mut out);
    for stale in &report.summary.stale {
        out.push_str(&format!(
            "<p class=\"note\">Stale expected-failure entry <code>{}</code>: the check passes now; remove it.</p>\n",
            escape(stale)
        ));
    }
    out.push_str("</main>\n</body>\n</html>\n");
    out
}

/// The timed checks' percentiles and the container's cold starts, when the run has them.
fn charts(report: &Report, out: &mut String) {
    let timed: Vec<(String, crate::stats::Timing)> = report
        .results
        .iter()
        .filter_map(|r| Some((r.name(), r.timing.clone()?)))
        .collect();
    if timed.is_empty() && report.cold_starts.is_none() {
        return;
    }
    out.push_str("<section class=\"charts\">\n<h2>Latency</h2>\n");
    if !timed.is_empty() {
        out.push_str(&timings_svg("latency per timed check", &timed));
    }
    if let Some(cold) = &report.cold_starts {
        out.push_str(&cold_starts_svg(&report.target, cold));
    }
    out.push_str("</section>\n");
}

fn results(report: &Report, out: &mut String) {
    let mut area = "";
    for result in &report.results {
        if result.area != area {
            if !area.is_empty() {
                out.push_str("</section>\n");
            }
            area = result.area;
            out.push_str(&format!("<section>\n<h2>{}</h2>\n", escape(area)));
        }
        let class = if result.expected.is_some() {
            "xfail"
        } else {
            result.verdict.name()
        };
        // Problems open by default; passes and skips fold away.
        let open = if result.is_failure() || result.verdict == Verdict::Warn {
            " open"
        } else {
            ""
        };
        let badge = if result.expected.is_some() {
            "xfail"
        } else {
            result.verdict.name()
        };
        out.push_str(&format!(
            "<details class=\"result {class} {}\"{open}>\n<summary><span class=\"badge\">{badge}</span> \
             <code>{}</code> {}</summary>\n<p class=\"rule\">{} rule: {} — <i>{}</i></p>\n",
            result.verdict.name(),
            escape(&result.name()),
            escape(&result.message),
            result.level.name().to_uppercase(),
            escape(result.rule),
            escape(result.source),
        ));
        if let Some(reason) = &result.expected {
            out.push_str(&format!("<p>Expected failure: {}</p>\n", escape(reason)));
        }
        if !result.evidence.is_empty() {
            let lines: Vec<String> = result.evidence.iter().map(|e| escape(e)).collect();
            out.push_str(&format!("<pre>{}</pre>\n", lines.join("\n")));
        }
        out.push_str("</details>\n");
    }
    if !area.is_empty() {
        out.push_str("</section>\n");
    }
}

/// `--surface-baseline`: the classified changes, those that fail the gate first.
fn surface_drift(drift: &crate::surface::render::Drift, out: &mut String) {
    use crate::surface::render::shown;
    out.push_str(&format!(
        "<section>\n<h2>Surface drift</h2>\n<p>{} against <code>{}</code> (recorded {})</p>\n",
        drift.counts(),
        escape(&drift.baseline),
        escape(&drift.baseline_recorded_at)
    ));
    if !drift.changes.is_empty() {
        out.push_str("<table>\n<tr><th>class</th><th>where</th><th>what</th><th>before</th><th>after</th></tr>\n");
        for change in &drift.changes {
            let class = if drift.fail_on.trips(change.class) {
                "fail"
            } else {
                "warn"
            };
            out.push_str(&format!(
                "<tr class=\"{class}\"><td>{}</td><td><code>{}</code></td><td>{}</td><td><code>{}</code></td><td><code>{}</code></td></tr>\n",
                change.class.name(),
                escape(&change.path),
                escape(&change.what),
                escape(&shown(&change.before)),
                escape(&shown(&change.after)),
            ));
        }
        out.push_str("</table>\n");
    }
    out.push_str("</section>\n");
}
