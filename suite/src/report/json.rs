//! The JSON report: `Report` serialized as is (see docs/report-schema.md).

use super::Report;

pub fn render(report: &Report) -> String {
    let mut text = serde_json::to_string_pretty(report).expect("reports serialize");
    text.push('\n');
    text
}
