//! What `bench` measured, as a versioned JSON file (`--save`), and the gate against a saved
//! baseline (`--baseline FILE --tolerance 10%`): each metric's delta, and which ones regressed.

use std::collections::BTreeMap;
use std::path::Path;

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

pub use super::histograms::{Percentiles, decode_histogram, encode_histogram};
use super::histograms::{add_histogram, ms};
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
    /// `--shard I/N`: which share of the run this file holds (the settings are the whole run's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<Shard>,
    /// `bench merge`: how many files were added up into this one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merged_from: Option<usize>,
    pub results: Results,
}

/// One share of a run split across runners: `index` of `count`, from 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    pub index: u32,
    pub count: u32,
}

impl Shard {
    /// `I/N` with 1 ≤ I ≤ N; with `from_zero`, 0 ≤ I < N (a Kubernetes Indexed Job's
    /// JOB_COMPLETION_INDEX).
    pub fn parse(text: &str, from_zero: bool) -> Result<Shard, String> {
        let parsed = text
            .split_once('/')
            .and_then(|(i, n)| Some((i.trim().parse::<u32>().ok()?, n.trim().parse::<u32>().ok()?)));
        let first = u32::from(!from_zero);
        match parsed {
            Some((index, count)) if index >= first && index < count + first => Ok(Shard {
                index: index + 1 - first,
                count,
            }),
            _ if from_zero => Err(format!(
                "--shard `{text}` is not a shard like 1/4 (0 ≤ I < N with --shard-from-zero)"
            )),
            _ => Err(format!("--shard `{text}` is not a shard like 2/4 (1 ≤ I ≤ N)")),
        }
    }

    /// This shard's part of `total` whole requests: the remainder goes to the first shards.
    pub fn share(self, total: u64) -> u64 {
        let (count, index) = (u64::from(self.count), u64::from(self.index));
        total / count + u64::from(index <= total % count)
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
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
    /// Of the errors, the platform's refusals for load over its quota (ThrottlingException, 429,
    /// ServiceQuotaExceededException): their latency is the platform's, not the server's.
    #[serde(default)]
    pub throttled: u64,
    /// When the load started and ended (Unix milliseconds): merged files span the union.
    #[serde(default)]
    pub started_at_ms: u64,
    #[serde(default)]
    pub ended_at_ms: u64,
    pub elapsed_s: f64,
    pub throughput_rps: f64,
    /// Latency in milliseconds.
    pub latency_ms: Percentiles,
    /// (percentile, milliseconds) points of the latency curve, for charts.
    pub curve: Vec<(f64, f64)>,
    /// Container targets: create → first MCP answer of each start (`--cold-starts N` adds starts).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cold_starts: Option<ColdStarts>,
    /// Streamed (SSE) responses: time to head, first event, response event; gaps; events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub streams: Option<super::streams::StreamResults>,
    /// `--streams N --hold D`: what the held streams did, and /ping meanwhile.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub held: Option<super::hold::HeldStreams>,
    /// `--sessions N`: the requests on a new runtime session (cold) and on a running one (warm).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runtime_sessions: Option<super::sessions::RuntimeSessions>,
    /// The suite's own peak memory (MB, resident), where the OS says it; merged: the largest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suite_peak_rss_mb: Option<f64>,
    /// A container target's peak memory while the load ran (MB, as `docker stats` shows it,
    /// sampled twice a second); merged: the largest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_peak_memory_mb: Option<f64>,
    /// The latency histogram itself (microseconds; HdrHistogram V2 + DEFLATE, base64), so that
    /// files from several runners add up to exact percentiles (`bench merge`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub histogram: Option<String>,
}

/// Throttling refusals are named `throttled: …` among the errors.
pub const THROTTLED: &str = "throttled";

/// When the load ran: Unix milliseconds at its start and end.
#[derive(Clone, Copy, Debug)]
pub struct Window {
    pub started_at_ms: u64,
    pub ended_at_ms: u64,
}

impl Results {
    /// The numbers of `latency`, `errors_by_kind` and the time `window`; throughput over it.
    fn of(latency: &Histogram<u64>, errors_by_kind: BTreeMap<String, u64>, window: Window) -> Results {
        let at = |q: f64| ms(latency.value_at_quantile(q));
        let curve = [0.0, 50.0, 75.0, 90.0, 95.0, 99.0, 99.5, 99.9, 99.99, 100.0]
            .into_iter()
            .map(|p| (p, at(p / 100.0)))
            .collect();
        let requests = latency.len();
        let elapsed_s = window.ended_at_ms.saturating_sub(window.started_at_ms) as f64 / 1000.0;
        let throttled = errors_by_kind
            .iter()
            .filter(|(kind, _)| kind.contains(THROTTLED))
            .map(|(_, n)| n)
            .sum();
        Results {
            requests,
            errors: errors_by_kind.values().sum(),
            throttled,
            errors_by_kind,
            started_at_ms: window.started_at_ms,
            ended_at_ms: window.ended_at_ms,
            elapsed_s,
            throughput_rps: requests as f64 / elapsed_s.max(1e-9),
            latency_ms: Percentiles::of_micros(latency),
            curve,
            cold_starts: None,
            streams: None,
            held: None,
            runtime_sessions: None,
            suite_peak_rss_mb: None,
            server_peak_memory_mb: None,
            histogram: Some(encode_histogram(latency)),
        }
    }
}

impl BenchReport {
    pub(super) fn new(
        plan: &BenchSpec,
        target: &str,
        mix: &[Template],
        latency: &Histogram<u64>,
        errors_by_kind: BTreeMap<String, u64>,
        window: Window,
    ) -> BenchReport {
        let (loop_kind, concurrency, rate) = match plan.load {
            Load::Closed { concurrency } => ("closed", concurrency, None),
            Load::Open { rate, concurrency } => ("open", concurrency, Some(rate)),
        };
        BenchReport {
            schema: SCHEMA.into(),
            schema_version: SCHEMA_VERSION,
            tool_version: env!("CARGO_PKG_VERSION").into(),
            target: target.into(),
            machine: Machine::this(),
            // The whole run's settings, also in a shard's file: shards of one run compare equal.
            settings: Settings {
                loop_kind: loop_kind.into(),
                concurrency,
                rate,
                duration_s: plan.duration.map(|d| d.as_secs_f64()),
                requests: plan.requests,
                mix: mix.iter().map(|t| t.name.clone()).collect(),
            },
            shard: plan.shard,
            merged_from: None,
            results: Results::of(latency, errors_by_kind, window),
        }
    }

    /// Adds up shard files of one run: the histograms (exact percentiles), requests and errors;
    /// throughput over the union of their time windows. Files of different targets, settings or
    /// schema versions, a file twice, or a file without its histogram are refused.
    pub fn merge(files: &[(String, BenchReport)]) -> Result<BenchReport, Error> {
        let refuse = |why: String| Err(Error::Usage(format!("bench merge: {why}")));
        let Some((first_name, first)) = files.first() else {
            return refuse("no files".into());
        };
        let mut latency: Option<Histogram<u64>> = None;
        let mut errors: BTreeMap<String, u64> = BTreeMap::new();
        let mut shards = std::collections::BTreeSet::new();
        let (mut start, mut end) = (u64::MAX, 0);
        for (name, file) in files {
            if file.target != first.target {
                return refuse(format!(
                    "{name} is of {}, {first_name} of {}",
                    file.target, first.target
                ));
            }
            if file.settings != first.settings {
                return refuse(format!(
                    "{name} ran other settings than {first_name} ({:?} vs {:?})",
                    file.settings, first.settings
                ));
            }
            if let Some(shard) = file.shard
                && !shards.insert((shard.index, shard.count))
            {
                return refuse(format!("{name} is shard {}/{} again", shard.index, shard.count));
            }
            let Some(encoded) = &file.results.histogram else {
                return refuse(format!(
                    "{name} has no histogram (saved by an older suite, or merged from one)"
                ));
            };
            let histogram = decode_histogram(encoded).map_err(|e| Error::Usage(format!("bench merge: {name}: {e}")))?;
            add_histogram(&mut latency, histogram).map_err(|e| Error::Usage(format!("bench merge: {name}: {e}")))?;
            for (kind, count) in &file.results.errors_by_kind {
                *errors.entry(kind.clone()).or_default() += count;
            }
            start = start.min(file.results.started_at_ms);
            end = end.max(file.results.ended_at_ms);
        }
        let latency = latency.expect("at least one file");
        let streams = super::streams::StreamTally::merge(files.iter().filter_map(|(_, f)| f.results.streams.as_ref()))
            .map_err(|e| Error::Usage(format!("bench merge: {e}")))?;
        let window = Window {
            started_at_ms: start,
            ended_at_ms: end,
        };
        let mut results = Results::of(&latency, errors, window);
        results.streams = streams;
        results.held = super::hold::HeldStreams::merge(files.iter().filter_map(|(_, f)| f.results.held.as_ref()))
            .map_err(|e| Error::Usage(format!("bench merge: {e}")))?;
        results.runtime_sessions = super::sessions::RuntimeSessions::merge(
            files.iter().filter_map(|(_, f)| f.results.runtime_sessions.as_ref()),
        )
        .map_err(|e| Error::Usage(format!("bench merge: {e}")))?;
        let largest =
            |pick: fn(&Results) -> Option<f64>| files.iter().filter_map(|(_, f)| pick(&f.results)).reduce(f64::max);
        results.suite_peak_rss_mb = largest(|r| r.suite_peak_rss_mb);
        results.server_peak_memory_mb = largest(|r| r.server_peak_memory_mb);
        Ok(BenchReport {
            shard: None,
            merged_from: Some(files.len()),
            results,
            ..first.clone()
        })
    }

    /// Reads a saved report, refusing files that are not one or have another schema version;
    /// errors name `flag`, the option that named the file.
    pub fn load(path: &Path, flag: &str) -> Result<BenchReport, Error> {
        let value = read_json(path, flag)?;
        if value.get("schema").and_then(|s| s.as_str()) != Some(SCHEMA) {
            return Err(Error::Usage(format!(
                "{flag} {}: not a file `bench --save` wrote (no \"schema\": \"{SCHEMA}\")",
                path.display()
            )));
        }
        require_version(&value, SCHEMA_VERSION, path, flag)?;
        serde_json::from_value(value).map_err(|e| Error::Usage(format!("{flag} {}: {e}", path.display())))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_parse_and_share_the_requests() {
        assert_eq!(Shard::parse("2/4", false), Ok(Shard { index: 2, count: 4 }));
        assert_eq!(Shard::parse("0/4", true), Ok(Shard { index: 1, count: 4 }));
        assert_eq!(Shard::parse("3/4", true), Ok(Shard { index: 4, count: 4 }));
        for bad in ["0/4", "5/4", "1", "a/b", "1/0"] {
            assert!(Shard::parse(bad, false).is_err(), "{bad}");
        }
        assert!(Shard::parse("4/4", true).is_err());
        let shares: Vec<u64> = (1..=3).map(|index| Shard { index, count: 3 }.share(100)).collect();
        assert_eq!(shares, [34, 33, 33]);
        assert_eq!(shares.iter().sum::<u64>(), 100);
    }
}
