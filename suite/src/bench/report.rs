//! What `bench` measured, as a versioned JSON file (`--save`), and the gate against a saved
//! baseline (`--baseline FILE --tolerance 10%`): each metric's delta, and which ones regressed.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

use super::{BenchPlan, Load, Template};
use crate::Error;
pub use crate::coldstarts::ColdStarts;

/// What the file says it is; a JSON file without it is not a bench result.
pub const SCHEMA: &str = "agentcore-mcp-suite/bench";
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct BenchReport {
    pub schema: String,
    pub schema_version: u32,
    pub tool_version: String,
    pub target: String,
    pub machine: Machine,
    pub settings: Settings,
    pub results: Results,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Machine {
    pub os: String,
    pub arch: String,
    pub cores: usize,
}

impl Machine {
    pub fn this() -> Machine {
        Machine {
            os: std::env::consts::OS.into(),
            arch: std::env::consts::ARCH.into(),
            cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Settings {
    /// `closed` or `open`.
    pub loop_kind: String,
    pub concurrency: usize,
    /// Offered requests a second (open loop).
    pub rate: Option<f64>,
    pub duration_s: Option<f64>,
    pub requests: Option<u64>,
    /// The request mix, sent in turn.
    pub mix: Vec<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Results {
    pub requests: u64,
    pub errors: u64,
    pub errors_by_kind: BTreeMap<String, u64>,
    pub elapsed_s: f64,
    pub throughput_rps: f64,
    /// Latency in milliseconds.
    pub latency_ms: Percentiles,
    /// (percentile, milliseconds) points of the latency curve, for charts.
    pub curve: Vec<(f64, f64)>,
    /// Container targets: create → first MCP answer of each start (`--cold-starts N` adds starts).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cold_starts: Option<ColdStarts>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Percentiles {
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    pub p999: f64,
    pub max: f64,
    pub mean: f64,
}

fn ms(micros: u64) -> f64 {
    (micros as f64 / 10.0).round() / 100.0
}

impl BenchReport {
    pub(super) fn new(
        plan: &BenchPlan,
        target: &str,
        mix: &[Template],
        latency: &Histogram<u64>,
        errors_by_kind: BTreeMap<String, u64>,
        elapsed: Duration,
    ) -> BenchReport {
        let (loop_kind, concurrency, rate) = match plan.load {
            Load::Closed { concurrency } => ("closed", concurrency, None),
            Load::Open { rate, concurrency } => ("open", concurrency, Some(rate)),
        };
        let at = |q: f64| ms(latency.value_at_quantile(q));
        let curve = [0.0, 50.0, 75.0, 90.0, 95.0, 99.0, 99.5, 99.9, 99.99, 100.0]
            .into_iter()
            .map(|p| (p, at(p / 100.0)))
            .collect();
        let requests = latency.len();
        BenchReport {
            schema: SCHEMA.into(),
            schema_version: SCHEMA_VERSION,
            tool_version: env!("CARGO_PKG_VERSION").into(),
            target: target.into(),
            machine: Machine::this(),
            settings: Settings {
                loop_kind: loop_kind.into(),
                concurrency,
                rate,
                duration_s: plan.duration.map(|d| d.as_secs_f64()),
                requests: plan.requests,
                mix: mix.iter().map(|t| t.name.clone()).collect(),
            },
            results: Results {
                requests,
                errors: errors_by_kind.values().sum(),
                errors_by_kind,
                elapsed_s: elapsed.as_secs_f64(),
                throughput_rps: requests as f64 / elapsed.as_secs_f64().max(1e-9),
                latency_ms: Percentiles {
                    p50: at(0.5),
                    p90: at(0.9),
                    p99: at(0.99),
                    p999: at(0.999),
                    max: ms(latency.max()),
                    mean: (latency.mean() / 10.0).round() / 100.0,
                },
                curve,
                cold_starts: None,
            },
        }
    }

    /// Writes the JSON and, beside it, the latency chart (.svg) and, for a container target, the
    /// cold-start chart (.cold-starts.svg).
    pub fn save(&self, path: &Path) -> Result<(), Error> {
        let text = serde_json::to_string_pretty(self).expect("a bench report serializes");
        write(path, &(text + "\n"))?;
        write(&path.with_extension("svg"), &super::chart::svg(self))?;
        match &self.results.cold_starts {
            Some(cold) => write(
                &path.with_extension("cold-starts.svg"),
                &super::chart::cold_starts_svg(&self.target, cold),
            ),
            None => Ok(()),
        }
    }

    /// Reads a saved report, refusing files that are not one or have another schema version.
    pub fn load(path: &Path) -> Result<BenchReport, Error> {
        let value = read_json(path)?;
        if value.get("schema").and_then(|s| s.as_str()) != Some(SCHEMA) {
            return Err(Error::Usage(format!(
                "--baseline {}: not a file `bench --save` wrote (no \"schema\": \"{SCHEMA}\")",
                path.display()
            )));
        }
        require_version(&value, SCHEMA_VERSION, path)?;
        serde_json::from_value(value).map_err(|e| Error::Usage(format!("--baseline {}: {e}", path.display())))
    }
}

pub(crate) fn write(path: &Path, text: &str) -> Result<(), Error> {
    std::fs::write(path, text).map_err(|e| Error::Setup(format!("cannot write {}: {e}", path.display())))
}

/// A baseline file's JSON; unreadable or not JSON is a usage error.
pub(crate) fn read_json(path: &Path) -> Result<serde_json::Value, Error> {
    let shown = path.display();
    let text = std::fs::read_to_string(path).map_err(|e| Error::Usage(format!("--baseline {shown}: {e}")))?;
    serde_json::from_str(&text).map_err(|e| Error::Usage(format!("--baseline {shown}: not JSON ({e})")))
}

/// Refuses a baseline written with another schema version than the one this suite reads.
pub(crate) fn require_version(value: &serde_json::Value, wanted: u32, path: &Path) -> Result<(), Error> {
    let version = value.get("schema_version").and_then(|v| v.as_u64());
    if version == Some(u64::from(wanted)) {
        return Ok(());
    }
    Err(Error::Usage(format!(
        "--baseline {}: schema version {}, this suite reads {wanted}; save a new baseline",
        path.display(),
        version.map_or("missing".to_string(), |v| v.to_string())
    )))
}

/// One metric against the baseline.
#[derive(Clone, Debug)]
pub struct Delta {
    pub metric: &'static str,
    pub baseline: f64,
    pub now: f64,
    /// Relative change, positive = worse.
    pub worse_by: f64,
    pub regressed: bool,
}

/// Compares `now` with `baseline`: latency percentiles and error rate may grow, throughput may
/// shrink, each by at most `tolerance` (0.10 = 10%).
pub fn compare(now: &BenchReport, baseline: &BenchReport, tolerance: f64) -> Vec<Delta> {
    let (a, b) = (&baseline.results, &now.results);
    let error_rate = |r: &Results| r.errors as f64 / (r.requests.max(1) as f64);
    let metrics: [(&'static str, f64, f64, bool); 6] = [
        ("throughput (req/s)", a.throughput_rps, b.throughput_rps, false),
        ("p50 (ms)", a.latency_ms.p50, b.latency_ms.p50, true),
        ("p90 (ms)", a.latency_ms.p90, b.latency_ms.p90, true),
        ("p99 (ms)", a.latency_ms.p99, b.latency_ms.p99, true),
        ("p99.9 (ms)", a.latency_ms.p999, b.latency_ms.p999, true),
        ("error rate", error_rate(a), error_rate(b), true),
    ];
    let cold = match (&b.cold_starts, &a.cold_starts) {
        (Some(now), Some(baseline)) => now.compare(baseline, tolerance),
        _ => Vec::new(),
    };
    metrics
        .into_iter()
        .map(|(metric, baseline, now, lower_is_better)| Delta::new(metric, baseline, now, lower_is_better, tolerance))
        .chain(cold)
        .collect()
}

impl Delta {
    /// `now` against `baseline`; worse by more than `tolerance` (0.10 = 10%) regressed.
    pub fn new(metric: &'static str, baseline: f64, now: f64, lower_is_better: bool, tolerance: f64) -> Delta {
        let change = if baseline > 0.0 {
            (now - baseline) / baseline
        } else if now > 0.0 {
            1.0
        } else {
            0.0
        };
        let worse_by = if lower_is_better { change } else { -change };
        Delta {
            metric,
            baseline,
            now,
            worse_by,
            regressed: worse_by > tolerance,
        }
    }
}

/// The per-metric table of a baseline comparison, as text.
pub fn render_deltas(deltas: &[Delta]) -> String {
    let mut out = format!("  {:<20} {:>12} {:>12} {:>9}\n", "metric", "baseline", "now", "change");
    for d in deltas {
        out.push_str(&format!(
            "  {:<20} {:>12.3} {:>12.3} {:>+8.1}%{}\n",
            d.metric,
            d.baseline,
            d.now,
            d.worse_by * 100.0,
            if d.regressed { "  REGRESSED" } else { "" }
        ));
    }
    out
}

/// `10%` or `0.1` → 0.10.
pub fn parse_tolerance(text: &str) -> Result<f64, Error> {
    let bad = || Error::Usage(format!("--tolerance `{text}` is not a percentage like 10%"));
    let value = match text.trim().strip_suffix('%') {
        Some(number) => number.trim().parse::<f64>().map_err(|_| bad())? / 100.0,
        None => return Err(bad()),
    };
    if !(0.0..=10.0).contains(&value) {
        return Err(bad());
    }
    Ok(value)
}

/// The human summary: settings, numbers, errors, and the baseline table when there is one.
pub fn render_human(report: &BenchReport, deltas: Option<&[Delta]>) -> String {
    let r = &report.results;
    let l = &r.latency_ms;
    let mut out = format!(
        "bench {} ({} loop, concurrency {}{}; mix: {})\n  {} requests in {:.2} s: {:.0} req/s, {} errors\n  latency ms: p50 {} · p90 {} · p99 {} · p99.9 {} · max {} · mean {}\n",
        report.target,
        report.settings.loop_kind,
        report.settings.concurrency,
        report
            .settings
            .rate
            .map(|r| format!(", {r} req/s offered"))
            .unwrap_or_default(),
        report.settings.mix.join(", "),
        r.requests,
        r.elapsed_s,
        r.throughput_rps,
        r.errors,
        l.p50,
        l.p90,
        l.p99,
        l.p999,
        l.max,
        l.mean
    );
    for (kind, count) in &r.errors_by_kind {
        out.push_str(&format!("  error {kind}: {count}\n"));
    }
    if let Some(cold) = &r.cold_starts {
        out.push_str(&format!(
            "  cold starts (create → first MCP answer): p50 {} ms, max {} ms over {} starts\n",
            cold.p50_ms, cold.max_ms, cold.starts
        ));
    }
    if let Some(deltas) = deltas {
        out.push('\n');
        out.push_str(&render_deltas(deltas));
    }
    out
}

/// Markdown for CI step summaries.
pub fn render_markdown(report: &BenchReport, deltas: Option<&[Delta]>) -> String {
    let r = &report.results;
    let l = &r.latency_ms;
    let mut out = format!(
        "## bench: {}\n\n{} loop, concurrency {}; {} requests, {:.0} req/s, {} errors\n\n| p50 | p90 | p99 | p99.9 | max |\n|---|---|---|---|---|\n| {} | {} | {} | {} | {} |\n",
        report.target,
        report.settings.loop_kind,
        report.settings.concurrency,
        r.requests,
        r.throughput_rps,
        r.errors,
        l.p50,
        l.p90,
        l.p99,
        l.p999,
        l.max
    );
    if let Some(deltas) = deltas {
        out.push_str("\n| metric | baseline | now | worse by | |\n|---|---|---|---|---|\n");
        for d in deltas {
            out.push_str(&format!(
                "| {} | {:.3} | {:.3} | {:+.1}% | {} |\n",
                d.metric,
                d.baseline,
                d.now,
                d.worse_by * 100.0,
                if d.regressed { "**regressed**" } else { "ok" }
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tolerances_are_percentages() {
        assert_eq!(parse_tolerance("10%").unwrap(), 0.1);
        assert_eq!(parse_tolerance(" 2.5 %").unwrap(), 0.025);
        assert!(parse_tolerance("10").is_err());
        assert!(parse_tolerance("ten%").is_err());
        assert!(parse_tolerance("-5%").is_err());
    }
}
