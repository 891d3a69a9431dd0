//! The terminal report: results grouped by area, one line each, evidence under non-passes, and
//! the summary line last. Colour only on a terminal without NO_COLOR.

use super::Report;
use crate::checks::Verdict;

fn paint(text: &str, code: &str, color: bool) -> String {
    if color {
        format!("\x1b[{code}m{text}\x1b[0m")
    } else {
        text.to_string()
    }
}

fn badge(verdict: Verdict, expected: bool, color: bool) -> String {
    let (text, code) = match verdict {
        _ if expected => ("XFAIL", "2"),
        Verdict::Pass => ("PASS ", "32"),
        Verdict::Fail => ("FAIL ", "1;31"),
        Verdict::Warn => ("WARN ", "33"),
        Verdict::Skip => ("SKIP ", "2"),
        Verdict::Error => ("ERROR", "1;35"),
        Verdict::Info => ("INFO ", "36"),
    };
    paint(text, code, color)
}

pub fn render(report: &Report, color: bool) -> String {
    let mut out = format!(
        "agentcore-mcp-suite {} → {} (profile {})\n",
        report.tool.version,
        report.target,
        report.profile.name()
    );
    for era in &report.eras {
        let status = match (&era.version, &era.note) {
            (Some(v), _) if era.spoken => format!("speaks {v} ({})", era.shape()),
            (_, Some(note)) => format!("not spoken: {note}"),
            _ => "not spoken".to_string(),
        };
        out.push_str(&format!("  {} era: {status}\n", era.era.name()));
    }
    for note in &report.notes {
        out.push_str(&format!("  {} {note}\n", paint("note:", "1;33", color)));
    }
    let mut area = "";
    for result in &report.results {
        if result.area != area {
            area = result.area;
            out.push_str(&format!("\n{}\n", paint(area, "1", color)));
        }
        out.push_str(&format!(
            "  {} {:<44} {}\n",
            badge(result.verdict, result.expected.is_some(), color),
            result.name(),
            result.message
        ));
        if matches!(result.verdict, Verdict::Fail | Verdict::Error | Verdict::Warn) {
            out.push_str(&format!(
                "        {}\n",
                paint(&format!("source: {}", result.source), "2", color)
            ));
            for evidence in &result.evidence {
                out.push_str(&format!("        {}\n", paint(evidence, "2", color)));
            }
        }
        if let Some(reason) = &result.expected {
            out.push_str(&format!("        expected failure: {reason}\n"));
        }
    }
    for stale in &report.summary.stale {
        out.push_str(&format!(
            "\n{} expected-failure entry `{stale}`: the check passes now; remove the entry\n",
            paint("STALE", "1;31", color)
        ));
    }
    if let Some(drift) = &report.surface_drift {
        out.push('\n');
        out.push_str(&crate::surface::render::human(drift));
    }
    let verdict = if report.passed() {
        paint("PASS", "1;32", color)
    } else {
        paint("FAIL", "1;31", color)
    };
    out.push_str(&format!(
        "\n{verdict} in {:.2} s\n{}\n",
        report.duration_ms.as_secs_f64(),
        report.summary.line()
    ));
    out
}
