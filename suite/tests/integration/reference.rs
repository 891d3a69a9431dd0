//! The clean reference server passes every applicable check, in both eras and both modes.

use super::common::{check, non_passes, quick_options, reference};

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
