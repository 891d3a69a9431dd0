//! Markdown for CI step summaries: the summary line, then one table row per non-pass result.

use super::Report;
use crate::checks::Verdict;

fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

pub fn render(report: &Report) -> String {
    let mut out = format!(
        "## MCP conformance: {}\n\n**{}** — {} (profile {}, {:.2} s)\n\n",
        cell(&report.target),
        if report.passed() { "PASS" } else { "FAIL" },
        report.summary.line(),
        report.profile.name(),
        report.duration_ms.as_secs_f64()
    );
    for era in report.eras.iter().filter(|e| e.spoken) {
        let version = era.version.as_deref().unwrap_or("");
        out.push_str(&format!("- {} era: {version} ({})\n", era.era.name(), era.shape()));
    }
    out.push('\n');
    for note in &report.notes {
        out.push_str(&format!("> **Note:** {}\n\n", cell(note)));
    }
    let notable: Vec<_> = report.results.iter().filter(|r| r.verdict != Verdict::Pass).collect();
    if !notable.is_empty() {
        out.push_str("| verdict | check | message | source |\n|---|---|---|---|\n");
        for result in notable {
            let verdict = match (&result.expected, result.verdict) {
                (Some(_), v) => format!("{} (expected)", v.name()),
                (None, v) => v.name().to_string(),
            };
            out.push_str(&format!(
                "| {verdict} | `{}` | {} | {} |\n",
                result.name(),
                cell(&result.message),
                cell(result.source)
            ));
        }
    }
    if let Some(drift) = &report.surface_drift {
        out.push('\n');
        out.push_str(&crate::surface::render::markdown(drift).replacen("## ", "### ", 1));
    }
    for stale in &report.summary.stale {
        out.push_str(&format!(
            "\n- stale expected-failure entry `{}`: the check passes now; remove it\n",
            cell(stale)
        ));
    }
    out
}
