//! Rendering a `Report`: one file per format.

pub mod human;
pub mod json;
pub mod junit;
pub mod markdown;

pub use crate::runner::results::{CheckResult, Report, Summary};

/// Output formats of `check`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum Format {
    Human,
    Json,
    Junit,
    Markdown,
}

/// The report in `format`; `color` only affects the human format.
pub fn render(report: &Report, format: Format, color: bool) -> String {
    match format {
        Format::Human => human::render(report, color),
        Format::Json => json::render(report),
        Format::Junit => junit::render(report),
        Format::Markdown => markdown::render(report),
    }
}
