//! The self-validation rule: every check has a reference-server fault under which it reports
//! its non-pass verdict (fail for MUST-level checks, and the run exits 1; warn for the rest).

use agentcore_mcp_reference::FAULTS;
use agentcore_mcp_suite::RunOptions;
use agentcore_mcp_suite::checks::{Level, TargetKind, Verdict, catalog};

use super::common::{check, quick_options, reference};
use super::remote::platform_checks;

/// Only a container target can trip the checks that judge one (`runs.target` is not `Any`):
/// container.rs trips each of them (with fixture images, flags, or the reference image's own
/// faults), and unit tests cover the 2 GB / 60 s limits.
fn container_only(id: &str) -> bool {
    catalog().iter().any(|c| c.id == id && c.runs.target != TargetKind::Any)
}

#[test]
fn every_check_has_a_fault() {
    for check in catalog() {
        let covered = FAULTS.iter().any(|f| f.trips().any(|t| t == check.id));
        assert!(
            covered || container_only(check.id) || platform_checks(false).contains(&check.id),
            "no fault trips {}",
            check.id
        );
    }
    for fault in FAULTS {
        for id in fault.trips() {
            assert!(
                catalog().iter().any(|c| c.id == id),
                "fault {} names unknown check {id}",
                fault.name()
            );
        }
    }
}

fn options_for(check_id: &str) -> RunOptions {
    let mut options = quick_options();
    options.only = vec![check_id.to_string()];
    // The slow-* faults add 150–300 ms; even a loaded machine answers the clean server well under 100 ms.
    if check_id.starts_with("latency.") {
        options.probe.latency_budget = std::time::Duration::from_millis(100);
    }
    options
}

#[tokio::test(flavor = "multi_thread")]
async fn every_fault_trips_the_checks_it_names() {
    let mut problems = Vec::new();
    for fault in FAULTS {
        // remote.rs trips the checks only a remote target runs, through the emulator.
        for id in fault
            .trips()
            .filter(|id| !container_only(id) && !platform_checks(true).contains(id))
        {
            let check_def = catalog().into_iter().find(|c| c.id == id).expect("known check");
            let report = check(&reference(&[fault.name()], false), &options_for(id)).await;
            let verdicts: Vec<Verdict> = report
                .results
                .iter()
                .filter(|r| r.id == id)
                .map(|r| r.verdict)
                .collect();
            let wanted = match check_def.level {
                Level::Must => Verdict::Fail,
                Level::Should => Verdict::Warn,
            };
            // Under the agentcore profile, origin checks are warn-level by design; the reference
            // server speaks both eras, where a removed method served warns.
            let wanted = if id == "http.origin-invalid" || id == "modern.removed-methods" {
                Verdict::Warn
            } else {
                wanted
            };
            if !verdicts.contains(&wanted) {
                problems.push(format!(
                    "--fault {} left {id} at {verdicts:?}, wanted {wanted:?}",
                    fault.name()
                ));
            }
            if wanted == Verdict::Fail && report.passed() {
                problems.push(format!("--fault {} failed {id} but the run passed", fault.name()));
            }
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
}
