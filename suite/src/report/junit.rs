//! JUnit XML: a test suite per area, a test case per result. A violated rule is a `failure`, a
//! check that could not run an `error`, a check that does not apply `skipped` with the reason.

use quick_junit::{NonSuccessKind, Report as JunitReport, TestCase, TestCaseStatus, TestSuite};

use super::Report;
use crate::checks::Verdict;

pub fn render(report: &Report) -> String {
    let mut junit = JunitReport::new("agentcore-mcp-suite");
    let mut suites: Vec<TestSuite> = Vec::new();
    for result in &report.results {
        let area = result.area;
        let status = match (result.verdict, &result.expected) {
            (Verdict::Fail | Verdict::Error, Some(_)) | (Verdict::Pass | Verdict::Info | Verdict::Warn, _) => {
                TestCaseStatus::success()
            }
            (Verdict::Skip, _) => {
                let mut status = TestCaseStatus::skipped();
                status.set_message(result.message.as_str());
                status
            }
            (Verdict::Fail, None) | (Verdict::Error, None) => {
                let kind = if result.verdict == Verdict::Fail {
                    NonSuccessKind::Failure
                } else {
                    NonSuccessKind::Error
                };
                let mut status = TestCaseStatus::non_success(kind);
                status.set_message(result.message.as_str());
                status.set_description(result.evidence.join("\n"));
                status
            }
        };
        let mut case = TestCase::new(result.name(), status);
        case.set_classname(format!("{area}.{}", result.era.map(|e| e.name()).unwrap_or("server")));
        case.set_time(result.duration_ms);
        let mut out = format!(
            "{}: {}\nsource: {}",
            result.verdict.name(),
            result.message,
            result.source
        );
        if let Some(reason) = &result.expected {
            out.push_str(&format!("\nexpected failure: {reason}"));
        }
        case.set_system_out(out);
        match suites.iter_mut().find(|s| s.name.as_str() == area) {
            Some(suite) => {
                suite.add_test_case(case);
            }
            None => {
                let mut suite = TestSuite::new(area);
                suite.add_test_case(case);
                suites.push(suite);
            }
        }
    }
    if !report.summary.stale.is_empty() {
        let mut suite = TestSuite::new("expected-failures");
        for stale in &report.summary.stale {
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
            status.set_message("stale entry: the check passes now; remove it from the expected-failures file");
            suite.add_test_case(TestCase::new(stale.as_str(), status));
        }
        suites.push(suite);
    }
    if let Some(drift) = &report.surface_drift {
        suites.push(crate::surface::render::junit_suite(drift));
    }
    for suite in &mut suites {
        for note in &report.notes {
            suite.add_property(("note", note.as_str()));
        }
    }
    junit.add_test_suites(suites);
    junit.set_time(report.duration_ms);
    junit
        .to_string()
        .unwrap_or_else(|e| format!("<!-- cannot render JUnit: {e} -->\n"))
}
