//! What checks may know about the target besides its answers: plain data the target layer fills
//! in when it starts the server (a label, the MCP path, what a container start showed, cold
//! starts). No handles: a check never reaches the target itself.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::baseline::Delta;

/// What checks may know about the target: data, no handles.
#[derive(Clone, Debug)]
pub struct TargetFacts {
    /// What the report calls the target (secrets redacted).
    pub label: String,
    /// Path (and query) of the MCP endpoint: `/mcp`.
    pub mcp_path: String,
    /// The endpoint's full URL, for clients of its own (`bench`); may hold secrets in its query,
    /// so it is never printed: `label` is.
    pub endpoint: Option<url::Url>,
    /// What starting the container showed, for a container target.
    pub container: Option<ContainerFacts>,
    /// Things every report must say about how the target was reached (e.g. `--insecure`).
    pub notes: Vec<String>,
}

/// What inspecting the image told.
#[derive(Clone, Debug, Default)]
pub struct ImageFacts {
    pub reference: String,
    pub os: String,
    pub architecture: String,
    pub size_bytes: u64,
    pub user: String,
}

/// One container start, each time measured from the create call.
#[derive(Clone, Debug, Default)]
pub struct StartTimings {
    pub running: Duration,
    pub ping: Option<Duration>,
    pub mcp: Option<Duration>,
}

/// What the container target observed: plain data the image.* and latency.cold-start checks judge.
#[derive(Clone, Debug)]
pub struct ContainerFacts {
    pub image: ImageFacts,
    pub deploy: bool,
    pub startup_timeout: Duration,
    pub start: StartTimings,
    /// `Err(why)` when the container never answered: exited, or nothing on port 8000.
    pub ready: Result<(), String>,
    pub cold_starts: Vec<StartTimings>,
    /// The host port that 8000 is published on.
    pub port: u16,
    /// The last lines the container printed, when it never answered.
    pub logs: String,
    /// How long the container took to stop after SIGTERM; set when the run sends it, last.
    pub sigterm: std::sync::OnceLock<Result<Duration, String>>,
}

/// The cold-start distribution, in milliseconds.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ColdStarts {
    pub starts: usize,
    /// Each start's first MCP answer, fastest first.
    pub first_mcp_ms: Vec<f64>,
    pub p50_ms: f64,
    pub max_ms: f64,
}

impl ColdStarts {
    /// The extra starts (`--cold-starts N`) and the container under test; starts that never
    /// answered MCP have no time to count (image.starts judges them).
    pub fn of(container: &ContainerFacts) -> ColdStarts {
        let mut samples: Vec<Duration> = container
            .cold_starts
            .iter()
            .chain(std::iter::once(&container.start))
            .filter_map(|s| s.mcp)
            .collect();
        samples.sort();
        let ms = |d: Duration| (d.as_secs_f64() * 10_000.0).round() / 10.0;
        ColdStarts {
            starts: samples.len(),
            first_mcp_ms: samples.iter().map(|d| ms(*d)).collect(),
            p50_ms: ms(crate::stats::percentile(&samples, 0.5)),
            max_ms: samples.last().map_or(0.0, |d| ms(*d)),
        }
    }

    /// Each metric against a baseline; a regression is `tolerance` (0.10 = 10%) worse or more.
    pub fn compare(&self, baseline: &ColdStarts, tolerance: f64) -> Vec<Delta> {
        vec![Delta::new(
            "cold start p50 (ms)",
            baseline.p50_ms,
            self.p50_ms,
            true,
            tolerance,
        )]
    }
}
