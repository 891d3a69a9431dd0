//! What `bench` measured, as a versioned JSON file (`--save`), and the gate against a saved
//! baseline (`--baseline FILE --tolerance 10%`): each metric's delta, and which ones regressed.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

use super::{BenchSpec, Load, Template};
use crate::baseline::{Delta, Machine, read_json, require_version};
use crate::error::Error;
use crate::probe::ColdStarts;

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
        plan: &BenchSpec,
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
