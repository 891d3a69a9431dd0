//! The runner: starts the target, lets the probe find which eras the server speaks, lists the
//! jobs (one per check and era, or a skip with its reason), runs them in phases, and emits an
//! event for each check started and finished. What it found is a [`Report`] (plain data in
//! [`results`]); drawing progress and rendering reports belong to the caller.

pub mod expected;
pub mod results;

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Instant;

use futures_util::{FutureExt, StreamExt};

use crate::checks::{self, Check, Outcome, Phase, Scope, TargetKind};
use crate::error::Error;
use crate::probe::{ColdStarts, Cx, Era, Probe, ProbeSettings};
use crate::targets::{Running, Target, WaitProgress};
use crate::wire::jsonrpc::MODERN_VERSION;
use crate::wire::reqwest_transport::TlsTrust;
use crate::wire::transport::WireError;
use expected::ExpectedFailures;
use results::{CheckResult, EraInfo, Report, SCHEMA_VERSION, Summary, Tool};

/// Everything a run needs besides the target.
#[derive(Clone, Debug, Default)]
pub struct RunOptions {
    pub probe: ProbeSettings,
    /// How to trust an https:// target's certificate.
    pub tls: TlsTrust,
    /// Run only checks whose id equals or starts with one of these (`accept`, `sse.utf8`).
    pub only: Vec<String>,
    pub skip: Vec<String>,
    pub expected: ExpectedFailures,
    /// Wait this long for a target that starts in the background (`--wait`).
    pub wait: Option<std::time::Duration>,
    /// `--surface-baseline`: compare the surface with a saved one; its gate joins the verdict.
    pub surface_gate: Option<crate::surface::SurfaceGate>,
}

fn selected(id: &str, patterns: &[String]) -> bool {
    patterns.iter().any(|p| {
        let p = checks::canonical_id(p);
        id == p || id.starts_with(&format!("{}.", p.trim_end_matches('.')))
    })
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

/// Starts the target, waiting for it first with `--wait`.
async fn start(target: &Target, options: &RunOptions, progress: &WaitProgress<'_>) -> Result<Running, Error> {
    match options.wait {
        None => target.start(options.probe.timeout, &options.tls).await,
        Some(wait) => {
            target
                .start_when_up(wait, options.probe.timeout, &options.tls, progress)
                .await
        }
    }
}

/// `surface`: starts the target and records what each era serves (list methods only).
pub async fn record_surface(
    target: &Target,
    options: &RunOptions,
    progress: &WaitProgress<'_>,
) -> Result<crate::surface::Surface, Error> {
    let running = start(target, options, progress).await?;
    if let Some(Err(why)) = running.facts.container.as_ref().map(|c| c.ready.clone()) {
        return Err(Error::Setup(format!("{} never answered: {why}", running.facts.label)));
    }
    let mut probe = Probe::new(running.transport.clone(), running.facts.clone(), options.probe.clone());
    probe.discover().await?;
    crate::surface::of_probe(Arc::new(probe), &running.facts.label).await
}

/// What a run tells its caller while it goes.
#[derive(Debug)]
pub enum Event<'a> {
    /// `--wait`: the target is not up yet; waited this long so far, and what the last try saw.
    Waiting {
        waited: std::time::Duration,
        last_seen: &'a str,
    },
    /// The jobs are planned: this many results will follow.
    Planned {
        jobs: usize,
    },
    Started {
        id: &'static str,
        era: Option<Era>,
    },
    Finished(&'a CheckResult),
}

/// Receives the run's events (a progress bar, a live log); must be cheap.
pub type Observer<'a> = dyn Fn(Event<'_>) + Send + Sync + 'a;

/// Runs the whole catalog against `target` and returns the report.
pub async fn run(target: &Target, options: &RunOptions) -> Result<Report, Error> {
    run_checks(target, options, &checks::catalog(), &|_| {}).await
}

/// Runs `catalog` (the whole catalog, or checks of the caller's own) and reports each step.
pub async fn run_checks(
    target: &Target,
    options: &RunOptions,
    catalog: &[&'static Check],
    observer: &Observer<'_>,
) -> Result<Report, Error> {
    validate_patterns(&options.only)?;
    validate_patterns(&options.skip)?;
    let started = Instant::now();
    let progress = |waited: std::time::Duration, last_seen: &str| {
        observer(Event::Waiting { waited, last_seen });
    };
    let running = start(target, options, &progress).await?;
    let mut probe = Probe::new(running.transport.clone(), running.facts.clone(), options.probe.clone());
    let down = running.facts.container.as_ref().and_then(|c| c.ready.clone().err());
    match &down {
        Some(why) => probe.never_answered(why),
        None => probe.discover().await?,
    }
    let probe = Arc::new(probe);
    refuse_unlisted_calls(&probe).await?;

    let jobs = jobs(&probe, options, catalog, down.as_deref());
    observer(Event::Planned { jobs: jobs.len() });
    let mut results = Vec::with_capacity(jobs.len());
    for phase in [Phase::Together, Phase::Alone, Phase::Last, Phase::Final] {
        let mut batch: Vec<_> = jobs.iter().filter(|j| j.check.runs.phase == phase).collect();
        batch.sort_by_key(|j| !j.check.runs.watches_stream);
        if phase == Phase::Final && batch.iter().any(|j| j.skip.is_none()) {
            // The final phase judges how the target stops: stop it now, once.
            if let (Some(result), Some(container)) = (running.sigterm().await, &probe.facts().container) {
                let _ = container.sigterm.set(result);
            }
        }
        let width = if phase == Phase::Together { 8 } else { 1 };
        let mut stream = futures_util::stream::iter(batch.into_iter().map(|job| execute(&probe, job, observer)))
            .buffer_unordered(width);
        while let Some(result) = stream.next().await {
            results.push(result);
        }
    }
    // The drift gate lists what the checks listed, on the same probe, before the target stops.
    let surface_drift = match &options.surface_gate {
        Some(gate) => Some(gate.judge(probe.clone(), &probe.facts().label).await?),
        None => None,
    };
    let cold_starts = running
        .facts
        .container
        .as_ref()
        .filter(|c| c.ready.is_ok())
        .map(ColdStarts::of);
    running.stop().await;

    let order = |r: &CheckResult| (catalog.iter().position(|c| c.id == r.id), r.era);
    results.sort_by_key(order);
    let stale = options.expected.apply(&mut results);
    let discovery = probe.discovery();
    Ok(Report {
        schema_version: SCHEMA_VERSION,
        tool: Tool {
            name: "agentcore-mcp-suite",
            version: env!("CARGO_PKG_VERSION"),
        },
        target: probe.facts().label.clone(),
        profile: options.probe.profile,
        notes: probe.facts().notes.clone(),
        eras: vec![
            EraInfo {
                era: Era::Legacy,
                spoken: discovery.legacy.is_some(),
                version: discovery.legacy.as_ref().map(|(v, _)| v.clone()),
                note: discovery.legacy.is_none().then(|| discovery.legacy_absent.clone()),
                sessions: discovery.legacy.as_ref().map(|_| match discovery.legacy_session {
                    Some(_) => "stateful",
                    None => "stateless",
                }),
                responses: responses(discovery.answers_sse[Era::Legacy as usize]),
            },
            EraInfo {
                era: Era::Modern,
                spoken: discovery.modern.is_some(),
                version: discovery.modern.as_ref().map(|_| MODERN_VERSION.to_string()),
                note: discovery.modern.is_none().then(|| discovery.modern_absent.clone()),
                sessions: discovery.modern.as_ref().map(|_| "stateless"),
                responses: responses(discovery.answers_sse[Era::Modern as usize]),
            },
        ],
        duration_ms: started.elapsed(),
        summary: Summary::of(&results, stale),
        results,
        cold_starts,
        surface_drift,
    })
}

/// A `--call` naming a tool the server does not list is a usage error before any check runs: the
/// list is read once, at the start (a server whose list changes later is judged by what it
/// listed then).
async fn refuse_unlisted_calls(probe: &Arc<Probe>) -> Result<(), Error> {
    if probe.settings().calls.is_empty() {
        return Ok(());
    }
    for era in [Era::Legacy, Era::Modern] {
        if !probe.discovery().speaks(era) {
            continue;
        }
        let unlisted = checks::util::unlisted_calls(&Cx::new(probe.clone(), Some(era)))
            .await
            .map_err(|e| Error::Setup(format!("cannot list the server's tools for --call: {e}")))?;
        if let Some(first) = unlisted.into_iter().next() {
            return Err(Error::Usage(first));
        }
    }
    Ok(())
}

fn responses(answers_sse: Option<bool>) -> Option<&'static str> {
    answers_sse.map(|sse| if sse { "sse" } else { "json" })
}

/// One check to run, in one era (or none, for server-wide checks).
struct Job {
    check: &'static Check,
    era: Option<Era>,
    /// Set when the check does not apply: the skip reason.
    skip: Option<String>,
}

/// The jobs to run. `down` says why the target never answered: then only the image checks run.
fn jobs(probe: &Probe, options: &RunOptions, catalog: &[&'static Check], down: Option<&str>) -> Vec<Job> {
    let discovery = probe.discovery();
    let spoken = |era: Era| discovery.speaks(era);
    let container = probe.facts().container.is_some();
    let absent = |era: Era| match era {
        Era::Legacy => format!("the server does not speak the legacy era: {}", discovery.legacy_absent),
        Era::Modern => format!("the server does not speak 2026-07-28: {}", discovery.modern_absent),
    };
    let mut jobs = Vec::new();
    for &check in catalog {
        if (!options.only.is_empty() && !selected(check.id, &options.only)) || selected(check.id, &options.skip) {
            continue;
        }
        let unmet = if check.runs.target != TargetKind::Any && !container {
            Some("the target is not a container (use --image or --build)".to_string())
        } else if let Some(&lacking) = check.needs.iter().find(|&&need| !probe.can(need)) {
            Some(format!(
                "needs to {}, which the {} transport cannot",
                lacking.describe(),
                probe.transport_name()
            ))
        } else {
            down.filter(|_| check.runs.target != TargetKind::Image)
                .map(|why| format!("the container never answered ({why}); see image.starts"))
        };
        if let Some(skip) = unmet {
            jobs.push(Job {
                check,
                era: first_era(check.scope),
                skip: Some(skip),
            });
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
            if spoken(era) || (none_spoken && era == Era::Legacy && check.runs.without_era) {
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

/// The era a check that does not run is reported under.
fn first_era(scope: Scope) -> Option<Era> {
    match scope {
        Scope::Server => None,
        Scope::EachEra | Scope::Legacy => Some(Era::Legacy),
        Scope::Modern => Some(Era::Modern),
    }
}

async fn execute(probe: &Arc<Probe>, job: &Job, observer: &Observer<'_>) -> CheckResult {
    observer(Event::Started {
        id: job.check.id,
        era: job.era,
    });
    let started = Instant::now();
    let outcome = match &job.skip {
        Some(reason) => Outcome::skip(reason.clone()),
        None => {
            let cx = Cx::new(probe.clone(), job.era);
            // A panic in a check is that check's error; the run and its report go on.
            match AssertUnwindSafe((job.check.run)(&cx)).catch_unwind().await {
                Ok(Ok(outcome)) => outcome,
                Ok(Err(WireError::Unobservable(why))) => Outcome::skip(why),
                Ok(Err(e)) => Outcome::error(format!("could not run: {e}")),
                Err(panic) => Outcome::error(format!(
                    "the check panicked (a suite bug, please report it): {}",
                    panic_message(panic.as_ref())
                )),
            }
        }
    };
    let result = CheckResult {
        id: job.check.id,
        area: job.check.area(),
        era: job.era,
        verdict: outcome.verdict,
        level: job.check.level,
        source: job.check.source,
        rule: job.check.rule,
        message: outcome.message,
        evidence: outcome.evidence,
        timing: outcome.timing,
        duration_ms: started.elapsed(),
        expected: None,
    };
    observer(Event::Finished(&result));
    result
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "no message".into())
}
