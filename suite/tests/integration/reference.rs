//! The clean reference server passes every applicable check, in both eras and both modes.

use agentcore_mcp_reference::Config;
use agentcore_mcp_suite::{Profile, Target};

use super::common::{assert_passed, check, non_passes, quick_options, reference};

#[tokio::test(flavor = "multi_thread")]
async fn clean_reference_passes_everything_over_sse() {
    let report = check(&reference(&[], false), &quick_options()).await;
    assert!(non_passes(&report).is_empty(), "{:#?}", non_passes(&report));
    assert!(
        report.eras.iter().all(|e| e.spoken),
        "both eras are spoken: {:?}",
        report.eras
    );
    assert!(report.summary.passed > 100, "{}", report.summary.line());
}

#[tokio::test(flavor = "multi_thread")]
async fn clean_reference_passes_everything_in_json_mode() {
    let report = check(&reference(&[], true), &quick_options()).await;
    assert!(non_passes(&report).is_empty(), "{:#?}", non_passes(&report));
    let skipped_sse = report
        .results
        .iter()
        .filter(|r| r.id.starts_with("sse.") && r.message.contains("JSON, not SSE"));
    assert!(
        skipped_sse.count() >= 20,
        "SSE framing checks skip when the server answers JSON"
    );
}

/// A stateful reference server passes under both profiles, judged by the stateful rules.
#[tokio::test(flavor = "multi_thread")]
async fn stateful_reference_passes_under_both_profiles() {
    let target = Target::Embedded(Config {
        stateful: true,
        keepalive: std::time::Duration::from_millis(100),
        ..Config::default()
    });
    for profile in [Profile::Agentcore, Profile::Mcp] {
        let mut options = quick_options();
        options.probe.profile = profile;
        let report = check(&target, &options).await;
        assert!(
            non_passes(&report).is_empty(),
            "{profile:?}: {:#?}",
            non_passes(&report)
        );
        assert_eq!(report.eras[0].sessions, Some("stateful"));
        let stateful_rules = [
            "session.terminated-404",
            "session.reinitialize",
            "session.id-entropy",
            "session.missing-400",
        ];
        assert_passed(&report, &stateful_rules);
    }
}
