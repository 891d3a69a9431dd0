//! agentcore-mcp-suite: conformance checks for MCP servers on Amazon Bedrock AgentCore Runtime.
//!
//! The data path runs one way: a [`Target`] yields an endpoint → the wire layer sends raw HTTP and
//! parses SSE and JSON-RPC strictly → the [checks](checks::catalog) judge what came back → a
//! [`Report`] renders as human, JSON, JUnit or Markdown.
//!
//! Use it from `cargo test`:
//!
//! ```no_run
//! # async fn demo() -> Result<(), agentcore_mcp_suite::Error> {
//! use agentcore_mcp_suite::{RunOptions, Target, run};
//!
//! let report = run(&Target::Url("http://127.0.0.1:8000/mcp".into()), &RunOptions::default()).await?;
//! assert!(report.passed(), "{}", agentcore_mcp_suite::report::human::render(&report, false));
//! # Ok(()) }
//! ```

pub mod checks;
pub mod cli;
pub mod expected;
pub mod probe;
pub mod report;
pub mod target;
pub mod wire;

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use serde_json::{Value, json};

pub use checks::{Check, Outcome, Verdict};
pub use expected::ExpectedFailures;
pub use probe::{Era, Options, Profile};
pub use report::Report;
pub use target::Target;

use checks::{Phase, Scope};
use probe::{Cx, Discovery, Probe};
use report::model::{CheckResult, EraInfo, Summary, Tool};
use wire::jsonrpc::{self, LEGACY_VERSIONS, MODERN_VERSION};

/// Errors that stop a run before any verdict: each maps to exit code 2.
#[derive(Debug)]
pub enum Error {
    /// A bad flag, file or value.
    Usage(String),
    /// The target could not be started or reached.
    Setup(String),
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::Usage(message) | Error::Setup(message) => f.write_str(message),
        }
    }
}

impl std::error::Error for Error {}

/// Everything a run needs besides the target.
#[derive(Clone, Debug, Default)]
pub struct RunOptions {
    pub probe: Options,
    /// Run only checks whose id equals or starts with one of these (`accept`, `sse.utf8`).
    pub only: Vec<String>,
    pub skip: Vec<String>,
    pub expected: ExpectedFailures,
    /// Draw a progress bar on stderr when the run takes longer than a second.
    pub progress: bool,
}

fn selected(id: &str, patterns: &[String]) -> bool {
    patterns
        .iter()
        .any(|p| id == p || id.starts_with(&format!("{}.", p.trim_end_matches('.'))))
}

/// Rejects `--only` / `--skip` patterns that match no check.
pub fn validate_patterns(patterns: &[String]) -> Result<(), Error> {
    let catalog = checks::catalog();
    for pattern in patterns {
        if !catalog.iter().any(|c| selected(c.id, std::slice::from_ref(pattern))) {
            return Err(Error::Usage(format!("`{pattern}` matches no check id (see `list`)")));
        }
    }
    Ok(())
}

/// Runs the catalog against `target` and returns the report.
pub async fn run(target: &Target, options: &RunOptions) -> Result<Report, Error> {
    validate_patterns(&options.only)?;
    validate_patterns(&options.skip)?;
    let started = Instant::now();
    let running = target.start(options.probe.timeout).await?;
    let mut probe = Probe::new(running.endpoint.clone(), options.probe.clone());
    probe.container = running.container.clone();
    probe.discovery = match running.container.as_ref().map(|c| &c.ready) {
        Some(Err(why)) => Discovery {
            legacy_absent: why.clone(),
            modern_absent: why.clone(),
            ..Discovery::default()
        },
        _ => discover(&probe).await?,
    };
    let probe = Arc::new(probe);

    let down = running.container.as_ref().and_then(|c| c.ready.clone().err());
    let jobs = plan(&probe, options, down.as_deref());
    let progress = progress_bar(options.progress, jobs.len());
    let mut results = Vec::with_capacity(jobs.len());
    for phase in [Phase::Together, Phase::Alone, Phase::Last, Phase::Final] {
        let batch: Vec<_> = jobs.iter().filter(|j| j.check.phase == phase).collect();
        let width = if phase == Phase::Together { 8 } else { 1 };
        let mut stream =
            futures_util::stream::iter(batch.into_iter().map(|job| execute(&probe, job))).buffer_unordered(width);
        while let Some(result) = stream.next().await {
            progress.inc(1);
            results.push(result);
        }
    }
    progress.finish_and_clear();
    if let Some(container) = &running.container {
        container.remove().await;
    }
    drop(running);

    let order = |r: &CheckResult| (checks::catalog().iter().position(|c| c.id == r.id), r.era);
    results.sort_by_key(order);
    let stale = options.expected.apply(&mut results);
    let discovery = &probe.discovery;
    Ok(Report {
        schema_version: report::model::SCHEMA_VERSION,
        tool: Tool {
            name: "agentcore-mcp-suite",
            version: env!("CARGO_PKG_VERSION"),
        },
        target: running_label(target, &probe),
        profile: options.probe.profile,
        eras: vec![
            EraInfo {
                era: Era::Legacy,
                spoken: discovery.legacy.is_some(),
                version: discovery.legacy.as_ref().map(|(v, _)| v.clone()),
                note: discovery.legacy.is_none().then(|| discovery.legacy_absent.clone()),
            },
            EraInfo {
                era: Era::Modern,
                spoken: discovery.modern.is_some(),
                version: discovery.modern.as_ref().map(|_| MODERN_VERSION.to_string()),
                note: discovery.modern.is_none().then(|| discovery.modern_absent.clone()),
            },
        ],
        duration_ms: started.elapsed(),
        summary: Summary::of(&results, stale),
        results,
    })
}

fn running_label(target: &Target, probe: &Probe) -> String {
    match target {
        Target::Url(url) => probe::redact_query(url),
        Target::Container(_) => match &probe.container {
            Some(container) => format!("container of {} at {}", container.image.reference, probe.endpoint.url()),
            None => "container".into(),
        },
        Target::Embedded(config) => {
            let faults: Vec<_> = config.faults.names().collect();
            let mode = if config.json_response { "JSON" } else { "SSE" };
            let mut label = format!("embedded reference server ({mode}) at {}", probe.endpoint.url());
            if !faults.is_empty() {
                label.push_str(&format!(", faults: {}", faults.join(", ")));
            }
            label
        }
    }
}

/// Checks that still run when the server speaks no era the suite found: they say why.
const RUN_WITHOUT_ERA: &[&str] = &["http.endpoint-mcp", "accept.both"];

/// One check to run, in one era (or none, for server-wide checks).
struct Job {
    check: &'static Check,
    era: Option<Era>,
    /// Set when the check does not apply: the skip reason.
    skip: Option<String>,
}

/// The jobs to run. `down` says why the target never answered: then only the image checks run.
fn plan(probe: &Probe, options: &RunOptions, down: Option<&str>) -> Vec<Job> {
    let discovery = &probe.discovery;
    let spoken = |era: Era| match era {
        Era::Legacy => discovery.legacy.is_some(),
        Era::Modern => discovery.modern.is_some(),
    };
    let absent = |era: Era| match era {
        Era::Legacy => format!("the server does not speak the legacy era: {}", discovery.legacy_absent),
        Era::Modern => format!("the server does not speak 2026-07-28: {}", discovery.modern_absent),
    };
    let mut jobs = Vec::new();
    for check in checks::catalog() {
        if (!options.only.is_empty() && !selected(check.id, &options.only)) || selected(check.id, &options.skip) {
            continue;
        }
        if let Some(why) = down.filter(|_| check.area() != "image") {
            let era = match check.scope {
                Scope::Server => None,
                Scope::EachEra | Scope::Legacy => Some(Era::Legacy),
                Scope::Modern => Some(Era::Modern),
            };
            let skip = Some(format!("the container never answered ({why}); see image.starts"));
            jobs.push(Job { check, era, skip });
            continue;
        }
        let eras: Vec<Era> = match check.scope {
            Scope::Server => {
                jobs.push(Job {
                    check,
                    era: None,
                    skip: None,
                });
                continue;
            }
            Scope::EachEra => vec![Era::Legacy, Era::Modern],
            Scope::Legacy => vec![Era::Legacy],
            Scope::Modern => vec![Era::Modern],
        };
        for era in eras {
            // An era-specific check the server cannot run is reported; an each-era check is
            // reported once per era only where that era is spoken.
            // With no era spoken the endpoint check still runs, so a URL that is not an MCP
            // server fails the run instead of skipping everything.
            let none_spoken = !spoken(Era::Legacy) && !spoken(Era::Modern);
            if spoken(era) || (none_spoken && era == Era::Legacy && RUN_WITHOUT_ERA.contains(&check.id)) {
                jobs.push(Job {
                    check,
                    era: Some(era),
                    skip: None,
                });
            } else if check.scope != Scope::EachEra || none_spoken {
                jobs.push(Job {
                    check,
                    era: Some(era),
                    skip: Some(absent(era)),
                });
            }
        }
    }
    jobs
}

async fn execute(probe: &Arc<Probe>, job: &Job) -> CheckResult {
    let started = Instant::now();
    let outcome = match &job.skip {
        Some(reason) => Outcome::skip(reason.clone()),
        None => {
            let cx = Cx {
                probe: probe.clone(),
                era: job.era,
            };
            match (job.check.run)(&cx).await {
                Ok(outcome) => outcome,
                Err(e) => Outcome::error(format!("could not run: {e}")),
            }
        }
    };
    CheckResult {
        id: job.check.id,
        era: job.era,
        verdict: outcome.verdict,
        level: job.check.level,
        source: job.check.source,
        message: outcome.message,
        evidence: outcome.evidence,
        duration_ms: started.elapsed(),
        expected: None,
    }
}

/// Which eras the server speaks: an initialize offering the newest legacy version, and a
/// server/discover in the 2026-07-28 envelope. An unreachable server is a setup error.
async fn discover(probe: &Probe) -> Result<Discovery, Error> {
    // Refused connections stop the run (exit 2); anything else a server does is reported on.
    let unreachable = |e: &wire::http::WireError| {
        Error::Setup(format!(
            "cannot reach {}: {e}",
            probe::redact_query(&probe.endpoint.url())
        ))
    };
    let legacy = Cx {
        probe: Arc::new(Probe::new(probe.endpoint.clone(), probe.options.clone())),
        era: Some(Era::Legacy),
    };
    let mut discovery = Discovery::default();
    match legacy
        .call("initialize", jsonrpc::initialize_params(LEGACY_VERSIONS[0]))
        .await
    {
        Err(e @ wire::http::WireError::Connect(_)) => return Err(unreachable(&e)),
        Err(e) => discovery.legacy_absent = format!("initialize: {e}"),
        Ok(reply) => {
            let result = lenient_result(&reply);
            match result
                .as_ref()
                .and_then(|r| r.get("protocolVersion"))
                .and_then(Value::as_str)
            {
                Some(v) if LEGACY_VERSIONS.contains(&v) => {
                    discovery.legacy = Some((v.to_string(), result.clone().unwrap_or(json!({}))));
                }
                Some(v) => {
                    discovery.legacy_absent =
                        format!("initialize answered version `{v}`, which the suite does not know")
                }
                None => {
                    discovery.legacy_absent =
                        format!("initialize was not answered ({})", checks::util::status_line(&reply))
                }
            }
        }
    }
    let modern = Cx {
        probe: legacy.probe.clone(),
        era: Some(Era::Modern),
    };
    match modern.call("server/discover", json!({})).await {
        Err(e @ wire::http::WireError::Connect(_)) => return Err(unreachable(&e)),
        Err(e) => discovery.modern_absent = format!("server/discover: {e}"),
        Ok(reply) => {
            let result = lenient_result(&reply);
            let speaks_modern = result
                .as_ref()
                .and_then(|r| r.get("supportedVersions"))
                .and_then(Value::as_array)
                .is_some_and(|v| v.iter().any(|x| x == MODERN_VERSION));
            if speaks_modern {
                discovery.modern = result;
            } else {
                discovery.modern_absent = format!(
                    "server/discover was not answered ({})",
                    checks::util::status_line(&reply)
                );
            }
        }
    }
    // What discovery received counts for schema.valid too.
    probe
        .seen
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .extend(std::mem::take(
            &mut *legacy.probe.seen.lock().unwrap_or_else(|e| e.into_inner()),
        ));
    Ok(discovery)
}

/// Discovery reads like a lenient client, so a server with broken framing (an unterminated last
/// event, a wrong label, a wrong id) is still found and the strict checks can say what is broken.
fn lenient_result(reply: &probe::Reply) -> Option<Value> {
    if let Some(result) = reply.result() {
        return Some(result.clone());
    }
    let mut messages = reply.messages.clone();
    if messages.is_empty() {
        let mut body = reply.http.body.clone();
        body.extend_from_slice(b"\n\n");
        messages = wire::sse::parse(&body)
            .events
            .iter()
            .filter_map(|e| serde_json::from_str(&e.data).ok())
            .collect();
    }
    let mut results = messages.iter().filter_map(|m| m.get("result"));
    let first = results.next()?;
    results.next().is_none().then(|| first.clone())
}

fn progress_bar(enabled: bool, total: usize) -> indicatif::ProgressBar {
    use std::io::IsTerminal;
    if !enabled || !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::with_draw_target(Some(total as u64), indicatif::ProgressDrawTarget::hidden());
    if let Ok(style) = indicatif::ProgressStyle::with_template("{spinner} checking {pos}/{len} {wide_bar}") {
        bar.set_style(style);
    }
    // Only runs that take longer than a second get a bar; quick ones stay quiet.
    let shown = bar.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_secs(1)).await;
        if !shown.is_finished() {
            shown.set_draw_target(indicatif::ProgressDrawTarget::stderr());
            shown.enable_steady_tick(Duration::from_millis(120));
        }
    });
    bar
}
