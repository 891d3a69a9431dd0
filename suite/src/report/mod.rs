//! Rendering a `Report`: one file per format.

pub mod html;
pub mod human;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod sarif;

pub use crate::runner::results::{CheckResult, Report, Summary};

/// Output formats of `check`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum Format {
    Human,
    Json,
    Junit,
    Markdown,
    /// SARIF 2.1.0, for code scanning.
    Sarif,
    /// One self-contained page (inline CSS and SVG charts), for people and CI artifacts.
    Html,
}

/// The report in `format`; `color` only affects the human format. SARIF results are anchored to
/// [`sarif::DEFAULT_ANCHOR`]; `render_anchored` names another file.
pub fn render(report: &Report, format: Format, color: bool) -> String {
    render_anchored(report, format, color, sarif::DEFAULT_ANCHOR)
}

/// `render`, with SARIF results anchored to `sarif_anchor` (a path relative to the repository).
pub fn render_anchored(report: &Report, format: Format, color: bool, sarif_anchor: &str) -> String {
    match format {
        Format::Sarif => sarif::render(report, sarif_anchor),
        Format::Human => human::render(report, color),
        Format::Json => json::render(report),
        Format::Junit => junit::render(report),
        Format::Markdown => markdown::render(report),
        Format::Html => html::render(report),
    }
}
