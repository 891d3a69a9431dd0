//! insta snapshots of the JSON and HTML reports (timings redacted) and the catalog listing.

use agentcore_mcp_suite::report::{Report, html, json};
use agentcore_mcp_suite::stats::Timing;
use serde_json::Value;
use std::time::Duration;

use super::common::{check, quick_options, reference};

fn settings() -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(concat!(env!("CARGO_MANIFEST_DIR"), "/../snapshots"));
    settings.set_prepend_module_to_snapshot(false);
    settings
}

/// Evidence without its body excerpts, whose cut point moves with the width of JSON-RPC ids (which
/// depend on the order concurrent checks ran in): the request line and headers, then the status
/// and content type.
fn stable_evidence(line: &str) -> String {
    let request = line.find("] ").map_or(line, |end| &line[..=end]);
    let response: Vec<&str> = line
        .split(" → ")
        .nth(1)
        .unwrap_or("")
        .split_whitespace()
        .take(2)
        .collect();
    format!("{request} … → {}", response.join(" "))
}

/// Timings, ports, clocks and ids change from run to run; everything else is the contract.
fn redact(mut report: Value) -> Value {
    report["duration_ms"] = "[ms]".into();
    report["target"] = "[target]".into();
    for result in report["results"].as_array_mut().unwrap() {
        result["duration_ms"] = "[ms]".into();
        let id = result["id"].as_str().unwrap_or("").to_string();
        if id.starts_with("latency.") || id.starts_with("ping.") || id == "schema.valid" {
            result["message"] = "[varies]".into();
            result["evidence"] = "[varies]".into();
        } else if let Some(evidence) = result["evidence"].as_array_mut() {
            for line in evidence {
                *line = stable_evidence(line.as_str().unwrap_or("")).into();
            }
        }
    }
    report
}

#[tokio::test(flavor = "multi_thread")]
async fn json_report_of_a_failing_run() {
    let mut options = quick_options();
    options.only = vec!["accept".into(), "lifecycle".into(), "ping".into(), "schema".into()];
    let report = check(&reference(&["accept-ignored", "version-echo-unknown"], false), &options).await;
    let value: Value = serde_json::from_str(&json::render(&report)).unwrap();
    settings().bind(|| insta::assert_json_snapshot!("json_report_failing", redact(value)));
}

/// `redact`, on the report itself: what the HTML page is rendered from.
fn redact_report(mut report: Report) -> Report {
    report.duration_ms = Duration::ZERO;
    report.target = "[target]".into();
    for result in &mut report.results {
        result.duration_ms = Duration::ZERO;
        if result.id.starts_with("latency.") || result.id.starts_with("ping.") || result.id == "schema.valid" {
            result.message = "[varies]".into();
            result.evidence = vec!["[varies]".into()];
        } else {
            result.evidence = result.evidence.iter().map(|line| stable_evidence(line)).collect();
        }
        if result.timing.is_some() {
            let ms = |n: u64| Timing::of(&[Duration::from_millis(n)]).unwrap().p50_ms;
            result.timing = Some(Timing {
                samples: 5,
                p50_ms: ms(1),
                p90_ms: ms(2),
                p99_ms: ms(3),
                max_ms: ms(4),
            });
        }
    }
    report
}

/// The HTML page of a clean run and of a failing one (the golden files reviewers diff).
#[tokio::test(flavor = "multi_thread")]
async fn html_reports_of_a_clean_and_a_failing_run() {
    let mut options = quick_options();
    options.only = vec![
        "accept".into(),
        "lifecycle".into(),
        "ping".into(),
        "latency.ping".into(),
    ];
    let clean = check(&reference(&[], false), &options).await;
    assert!(clean.passed());
    let failing = check(&reference(&["accept-ignored", "version-echo-unknown"], false), &options).await;
    assert!(!failing.passed());
    settings().bind(|| {
        insta::assert_snapshot!("html_report_clean", html::render(&redact_report(clean)));
        insta::assert_snapshot!("html_report_failing", html::render(&redact_report(failing)));
    });
}

#[test]
fn catalog_listing() {
    let list = std::process::Command::new(env!("CARGO_BIN_EXE_agentcore-mcp-suite"))
        .args(["list", "--format", "json"])
        .output()
        .unwrap();
    let catalog: Value = serde_json::from_slice(&list.stdout).unwrap();
    settings().bind(|| insta::assert_json_snapshot!("catalog", catalog));
}
