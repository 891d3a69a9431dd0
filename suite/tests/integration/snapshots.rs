//! insta snapshots of the JSON report (timings redacted) and the catalog listing.

use agentcore_mcp_suite::report::json;
use serde_json::Value;

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

#[test]
fn catalog_listing() {
    let list = std::process::Command::new(env!("CARGO_BIN_EXE_agentcore-mcp-suite"))
        .args(["list", "--format", "json"])
        .output()
        .unwrap();
    let catalog: Value = serde_json::from_slice(&list.stdout).unwrap();
    settings().bind(|| insta::assert_json_snapshot!("catalog", catalog));
}
