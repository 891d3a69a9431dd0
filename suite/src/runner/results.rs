//! What a run found, as plain data: what every report format renders. Serialized as the JSON report (schema version
//! in `schema_version`; documented in docs/report-schema.md).

use std::time::Duration;

use serde::Serialize;

use crate::checks::{Level, Verdict};
use crate::probe::{Era, Profile};

pub const SCHEMA_VERSION: u32 = 1;

#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub schema_version: u32,
    pub tool: Tool,
    pub target: String,
    pub profile: Profile,
    /// What every reader must know about how the target was reached (e.g. `--insecure`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    pub eras: Vec<EraInfo>,
    #[serde(serialize_with = "millis")]
    pub duration_ms: Duration,
    pub results: Vec<CheckResult>,
    pub summary: Summary,
    /// Container targets: the cold-start distribution (`--cold-starts N` adds starts).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cold_starts: Option<crate::probe::ColdStarts>,
    /// `--surface-baseline`: the classified changes from the saved surface.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub surface_drift: Option<crate::surface::render::Drift>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Tool {
    pub name: &'static str,
    pub version: &'static str,
}

/// An era the server was probed for, and what the probe found.
#[derive(Clone, Debug, Serialize)]
pub struct EraInfo {
    pub era: Era,
    pub spoken: bool,
    /// The negotiated (legacy) or served (modern) protocol version.
    pub version: Option<String>,
    /// Why the era is not spoken.
    pub note: Option<String>,
    /// `stateful` when initialize minted an `Mcp-Session-Id` (then resent on every request),
    /// else `stateless`; null when the era is not spoken.
    pub sessions: Option<&'static str>,
    /// `sse` or `json`: how the server answered requests; null when the era is not spoken.
    pub responses: Option<&'static str>,
}

#[derive(Clone, Debug, Serialize)]
pub struct CheckResult {
    pub id: &'static str,
    /// The check's area (its id's prefix): how human and JUnit reports group results.
    #[serde(skip)]
    pub area: &'static str,
    pub era: Option<Era>,
    pub verdict: Verdict,
    pub level: Level,
    pub source: &'static str,
    /// The rule the verdict judges, in one line (as `list` shows it).
    pub rule: &'static str,
    pub message: String,
    pub evidence: Vec<String>,
    /// Percentiles of what a latency check timed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timing: Option<crate::stats::Timing>,
    #[serde(serialize_with = "millis")]
    pub duration_ms: Duration,
    /// Set when an expected-failures entry covers this result: the entry's reason.
    pub expected: Option<String>,
}

impl EraInfo {
    /// `stateful, SSE`: how the server speaks this era.
    pub fn shape(&self) -> String {
        let responses = self.responses.map(str::to_uppercase);
        [self.sessions.map(str::to_string), responses]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl CheckResult {
    /// `id` or `id@era`: how JUnit names it and expected-failures files address it.
    pub fn name(&self) -> String {
        match self.era {
            Some(era) => format!("{}@{}", self.id, era.name()),
            None => self.id.to_string(),
        }
    }

    /// Does this result make the run fail?
    pub fn is_failure(&self) -> bool {
        matches!(self.verdict, Verdict::Fail | Verdict::Error) && self.expected.is_none()
    }
}

#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct Summary {
    pub passed: usize,
    pub failed: usize,
    pub warned: usize,
    pub skipped: usize,
    pub errored: usize,
    pub info: usize,
    /// Failures tolerated by an expected-failures file.
    pub expected: usize,
    /// Expected-failures entries whose check passed: they must be removed.
    pub stale: Vec<String>,
}

impl Summary {
    pub fn of(results: &[CheckResult], stale: Vec<String>) -> Summary {
        let mut summary = Summary {
            stale,
            ..Summary::default()
        };
        for result in results {
            if result.expected.is_some() && matches!(result.verdict, Verdict::Fail | Verdict::Error) {
                summary.expected += 1;
                continue;
            }
            match result.verdict {
                Verdict::Pass => summary.passed += 1,
                Verdict::Fail => summary.failed += 1,
                Verdict::Warn => summary.warned += 1,
                Verdict::Skip => summary.skipped += 1,
                Verdict::Error => summary.errored += 1,
                Verdict::Info => summary.info += 1,
            }
        }
        summary
    }

    /// `N passed, N failed, N warned, N skipped` (+ errors and expected failures when present).
    pub fn line(&self) -> String {
        let mut line = format!(
            "{} passed, {} failed, {} warned, {} skipped",
            self.passed, self.failed, self.warned, self.skipped
        );
        if self.errored > 0 {
            line.push_str(&format!(", {} errored", self.errored));
        }
        if self.expected > 0 {
            line.push_str(&format!(", {} expected failures", self.expected));
        }
        if !self.stale.is_empty() {
            line.push_str(&format!(", {} stale expected-failure entries", self.stale.len()));
        }
        line
    }
}

impl Report {
    /// Did the run pass (exit code 0)?
    pub fn passed(&self) -> bool {
        let drifted = self.surface_drift.as_ref().is_some_and(|d| !d.tripped().is_empty());
        !self.results.iter().any(CheckResult::is_failure) && self.summary.stale.is_empty() && !drifted
    }
}

fn millis<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64((d.as_secs_f64() * 1000.0 * 10.0).round() / 10.0)
}
