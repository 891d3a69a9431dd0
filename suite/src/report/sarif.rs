//! SARIF 2.1.0 for code scanning (GitHub and others): one rule per check id, a result for each
//! fail, error and warn (passes and skips are counted in the run's properties), expected
//! failures as suppressed results with the file's reason.
//!
//! A server conformance finding has no source line, but GitHub refuses an upload whose results
//! lack `locations[].physicalLocation.artifactLocation.uri`; every result is anchored to one file
//! of the user's repository (`--sarif-anchor`, see `cli/check.rs` for the default), relative to
//! `%SRCROOT%`, line 1.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::{CheckResult, Report};
use crate::checks::{Level, Verdict};
use crate::surface::diff::Class;
use crate::surface::render::{Drift, shown};

/// The anchor when the caller names none: the file nearly every repository has.
pub const DEFAULT_ANCHOR: &str = "README.md";

pub fn render(report: &Report, anchor: &str) -> String {
    let results: Vec<&CheckResult> = report
        .results
        .iter()
        .filter(|r| matches!(r.verdict, Verdict::Fail | Verdict::Error | Verdict::Warn))
        .collect();
    // One rule per check id among the results, in report order.
    let mut rule_index = BTreeMap::new();
    let mut rules = Vec::new();
    for result in &results {
        if !rule_index.contains_key(result.id) {
            rule_index.insert(result.id, rules.len());
            rules.push(rule(result));
        }
    }
    let label = slug(&report.target);
    let mut sarif_results: Vec<Value> = results
        .iter()
        .map(|r| sarif_result(r, rule_index[r.id], anchor))
        .collect();
    if let Some(drift) = &report.surface_drift {
        drift_results(drift, anchor, &mut rules, &mut sarif_results);
    }
    let summary = &report.summary;
    let log = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": report.tool.name,
                "version": report.tool.version,
                "rules": rules,
            } },
            // The part before the last slash is the category: one per profile and target, so
            // several servers can be uploaded from one repository.
            "automationDetails": { "id": format!("agentcore-mcp-suite/{}/{label}/", report.profile.name()) },
            "invocations": [{
                "executionSuccessful": true,
                "exitCode": if report.passed() { 0 } else { 1 },
            }],
            "results": sarif_results,
            "properties": {
                "target": report.target,
                "profile": report.profile.name(),
                "passed": summary.passed,
                "failed": summary.failed,
                "warned": summary.warned,
                "skipped": summary.skipped,
                "errored": summary.errored,
                "expected": summary.expected,
                "stale": summary.stale,
                "notes": report.notes,
            },
        }],
    });
    let mut text = serde_json::to_string_pretty(&log).expect("SARIF serializes");
    text.push('\n');
    text
}

fn rule(result: &CheckResult) -> Value {
    let level = match result.level {
        Level::Must => "error",
        Level::Should => "warning",
    };
    json!({
        "id": result.id,
        "shortDescription": { "text": result.rule },
        "fullDescription": { "text": format!("{} (source: {})", result.rule, result.source) },
        "help": { "text": format!(
            "Source: {}. `agentcore-mcp-suite explain {}` shows what the check needs and the reference-server fault that breaks the rule; the result's message says what the server did.",
            result.source, result.id
        ) },
        "defaultConfiguration": { "level": level },
        "properties": { "tags": [result.area, result.level.name()] },
    })
}

fn sarif_result(result: &CheckResult, rule_index: usize, anchor: &str) -> Value {
    let (level, text) = match result.verdict {
        Verdict::Error => ("error", format!("{}: could not run: {}", result.name(), result.message)),
        Verdict::Warn => ("warning", format!("{}: {}", result.name(), result.message)),
        _ => ("error", format!("{}: {}", result.name(), result.message)),
    };
    let era = result.era.map_or("server", |e| e.name());
    let mut value = json!({
        "ruleId": result.id,
        "ruleIndex": rule_index,
        "level": level,
        "message": { "text": text },
        "locations": [{ "physicalLocation": {
            "artifactLocation": { "uri": anchor, "uriBaseId": "%SRCROOT%" },
            "region": { "startLine": 1 },
        } }],
        // Stable across runs, so code scanning tracks one alert per finding; the target is
        // told apart by the run's category (automationDetails), where alerts are matched.
        "partialFingerprints": {
            "agentcoreMcpSuite/v1": fingerprint(&[result.id, era]),
        },
    });
    if let Some(reason) = &result.expected {
        value["suppressions"] = json!([{ "kind": "external", "status": "accepted", "justification": reason }]);
    }
    value
}

/// `--surface-baseline`: one rule per drift class (`surface.breaking`…), one result per change;
/// those that trip the gate are errors, other risky ones warnings, compatible ones notes.
fn drift_results(drift: &Drift, anchor: &str, rules: &mut Vec<Value>, results: &mut Vec<Value>) {
    for class in [Class::Breaking, Class::Risky, Class::Compatible] {
        let changes: Vec<_> = drift.changes.iter().filter(|c| c.class == class).collect();
        if changes.is_empty() {
            continue;
        }
        let id = format!("surface.{}", class.name());
        let index = rules.len();
        rules.push(json!({
            "id": id,
            "shortDescription": { "text": format!("a {} change of the tool surface since {}", class.name(), drift.baseline) },
            "help": { "text": "`agentcore-mcp-suite surface --baseline FILE` shows the drift; `--update` accepts it after review." },
            "defaultConfiguration": { "level": if drift.fail_on.trips(class) { "error" } else { "warning" } },
            "properties": { "tags": ["surface", class.name()] },
        }));
        for change in changes {
            let level = match class {
                _ if drift.fail_on.trips(class) => "error",
                Class::Compatible => "note",
                _ => "warning",
            };
            let text = format!(
                "{}: {} ({} → {})",
                change.path,
                change.what,
                shown(&change.before),
                shown(&change.after)
            );
            results.push(json!({
                "ruleId": id,
                "ruleIndex": index,
                "level": level,
                "message": { "text": text },
                "locations": [{ "physicalLocation": {
                    "artifactLocation": { "uri": anchor, "uriBaseId": "%SRCROOT%" },
                    "region": { "startLine": 1 },
                } }],
                "partialFingerprints": { "agentcoreMcpSuite/v1": fingerprint(&[&id, &change.path, &change.what]) },
            }));
        }
    }
}

/// FNV-1a (64 bit) of the parts, as hex: stable across runs, platforms and releases.
fn fingerprint(parts: &[&str]) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in parts.join("\u{1f}").bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{hash:016x}")
}

/// The target label as one path segment of an automation id; a loopback port (the embedded
/// server's is new every run) is left out, so the category stays the same.
fn slug(label: &str) -> String {
    let mut stable = String::with_capacity(label.len());
    let mut rest = label;
    while let Some(at) = rest.find("127.0.0.1:") {
        let after = &rest[at + "127.0.0.1:".len()..];
        stable.push_str(&rest[..at + "127.0.0.1".len()]);
        rest = after.trim_start_matches(|c: char| c.is_ascii_digit());
    }
    stable.push_str(rest);
    let slug: String = stable
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect();
    slug.trim_matches('-').chars().take(80).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_and_slugs_are_stable() {
        assert_eq!(fingerprint(&["a", "b"]), fingerprint(&["a", "b"]));
        assert_ne!(fingerprint(&["a", "b"]), fingerprint(&["ab", ""]));
        assert_eq!(
            slug("https://mcp.example.com:8443/mcp"),
            "https---mcp.example.com-8443-mcp"
        );
        assert_eq!(
            slug("embedded at http://127.0.0.1:41234/mcp"),
            slug("embedded at http://127.0.0.1:5/mcp")
        );
    }
}
