//! Helpers shared by the test modules.

use std::time::Duration;

use agentcore_mcp_reference::{Config, Faults};
use agentcore_mcp_suite::checks::Verdict;
use agentcore_mcp_suite::{Options, Report, RunOptions, Target, run};

/// Options that keep test runs short: few latency samples, a tight keep-alive window.
pub fn quick_options() -> RunOptions {
    RunOptions {
        probe: Options {
            samples: 3,
            latency_budget: Duration::from_secs(1),
            slow_checks: true,
            keepalive_max_gap: Duration::from_millis(600),
            timeout: Duration::from_secs(5),
            ..Options::default()
        },
        ..RunOptions::default()
    }
}

/// The reference server with `faults`, sending keep-alives every 100 ms.
pub fn reference(faults: &[&str], json_response: bool) -> Target {
    Target::Embedded(Config {
        json_response,
        faults: Faults::parse(faults.iter().copied()).expect("known faults"),
        keepalive: Duration::from_millis(100),
        ..Config::default()
    })
}

pub async fn check(target: &Target, options: &RunOptions) -> Report {
    tokio::time::timeout(Duration::from_secs(120), run(target, options))
        .await
        .expect("a run finishes within two minutes")
        .expect("the run starts")
}

/// Results that are not pass or skip, one line each, for assertion messages.
pub fn non_passes(report: &Report) -> Vec<String> {
    report
        .results
        .iter()
        .filter(|r| !matches!(r.verdict, Verdict::Pass | Verdict::Skip))
        .map(|r| {
            format!(
                "{} {}: {} | {}",
                r.verdict.name(),
                r.name(),
                r.message,
                r.evidence.join(" | ")
            )
        })
        .collect()
}
