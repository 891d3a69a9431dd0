//! The runner: starts the target, finds which eras the server speaks, plans the jobs (one per
//! check and era, or a skip with its reason), runs them in phases, and emits an event for each
//! check started and finished. Drawing progress and rendering reports belong to the caller.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Instant;

use futures_util::{FutureExt, StreamExt};
use serde_json::{Value, json};

use crate::checks::{self, Check, Outcome, Phase, Scope};
use crate::probe::{Cx, Discovery, Era, Probe, SESSION_ID};
use crate::report::model::{CheckResult, EraInfo, Report, SCHEMA_VERSION, Summary, Tool};
use crate::target::Target;
use crate::wire::jsonrpc::{self, LEGACY_VERSIONS, MODERN_VERSION};
use crate::wire::transport::WireError;
use crate::{Error, RunOptions, selected, validate_patterns};

/// What a run tells its caller while it goes.
#[derive(Debug)]
pub enum Event<'a> {
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
    let running = target.start(options.probe.timeout, &options.tls).await?;
    let mut probe = Probe::new(running.transport.clone(), running.facts.clone(), options.probe.clone());
    let down = running.facts.container.as_ref().and_then(|c| c.ready.clone().err());
    probe.discovery = match &down {
        Some(why) => Discovery {
            legacy_absent: why.clone(),
            modern_absent: why.clone(),
            ..Discovery::default()
        },
        None => discover(&probe).await?,
    };
    let probe = Arc::new(probe);

    let jobs = plan(&probe, options, catalog, down.as_deref());
    observer(Event::Planned { jobs: jobs.len() });
    let mut results = Vec::with_capacity(jobs.len());
    for phase in [Phase::Together, Phase::Alone, Phase::Last, Phase::Final] {
        let mut batch: Vec<_> = jobs.iter().filter(|j| j.check.phase == phase).collect();
        batch.sort_by_key(|j| !checks::util::WATCHES_A_STREAM.contains(&j.check.id));
        if phase == Phase::Final && batch.iter().any(|j| j.skip.is_none()) {
            // The final phase judges how the target stops: stop it now, once.
            if let (Some(result), Some(container)) = (running.sigterm().await, &probe.facts.container) {
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
    let cold_starts = running
        .facts
        .container
        .as_ref()
        .filter(|c| c.ready.is_ok())
        .map(crate::coldstarts::ColdStarts::of);
    running.stop().await;

    let order = |r: &CheckResult| (catalog.iter().position(|c| c.id == r.id), r.era);
    results.sort_by_key(order);
    let stale = options.expected.apply(&mut results);
    let discovery = &probe.discovery;
    Ok(Report {
        schema_version: SCHEMA_VERSION,
        tool: Tool {
            name: "agentcore-mcp-suite",
            version: env!("CARGO_PKG_VERSION"),
        },
        target: probe.facts.label.clone(),
        profile: options.probe.profile,
        notes: probe.facts.notes.clone(),
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
    })
}

fn responses(answers_sse: Option<bool>) -> Option<&'static str> {
    answers_sse.map(|sse| if sse { "sse" } else { "json" })
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
fn plan(probe: &Probe, options: &RunOptions, catalog: &[&'static Check], down: Option<&str>) -> Vec<Job> {
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
    let observes = probe.transport.observes();
    for &check in catalog {
        if (!options.only.is_empty() && !selected(check.id, &options.only)) || selected(check.id, &options.skip) {
            continue;
        }
        if let Some(&lacking) = check.needs.iter().find(|&&need| !observes.can(need)) {
            let skip = Some(format!(
                "needs to {}, which the {} transport cannot",
                lacking.describe(),
                probe.transport.name()
            ));
            jobs.push(Job {
                check,
                era: first_era(check.scope),
                skip,
            });
            continue;
        }
        if let Some(why) = down.filter(|_| check.area() != "image") {
            let skip = Some(format!("the container never answered ({why}); see image.starts"));
            jobs.push(Job {
                check,
                era: first_era(check.scope),
                skip,
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
            let cx = Cx {
                probe: probe.clone(),
                era: job.era,
            };
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

/// Which eras the server speaks: an initialize offering the newest legacy version, and a
/// server/discover in the 2026-07-28 envelope. An unreachable server is a setup error.
pub(crate) async fn discover(probe: &Probe) -> Result<Discovery, Error> {
    // Refused connections stop the run (exit 2); anything else a server does is reported on.
    let unreachable = |e: &WireError| Error::Setup(format!("cannot reach {}: {e}", probe.facts.label));
    let legacy = Cx {
        probe: Arc::new(Probe::new(
            probe.transport.clone(),
            probe.facts.clone(),
            probe.options.clone(),
        )),
        era: Some(Era::Legacy),
    };
    let mut discovery = Discovery::default();
    match legacy
        .call("initialize", jsonrpc::initialize_params(LEGACY_VERSIONS[0]))
        .await
    {
        Err(e @ WireError::Connect(_)) => return Err(unreachable(&e)),
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
                    discovery.answers_sse[Era::Legacy as usize] = Some(reply.is_sse());
                    // A stateful server: the handshake ends with `initialized` in the new session.
                    discovery.legacy_session = reply.http.header(SESSION_ID).map(str::to_string);
                    if discovery.legacy_session.is_some() && probe.transport.adds_session_ids() {
                        // Behind AgentCore every response carries a session id; the server holds
                        // sessions only if it refuses one it never minted.
                        let unknown = legacy
                            .standard("ping", json!({}))
                            .header("mcp-protocol-version", v)
                            .header(SESSION_ID, "agentcore-mcp-suite-never-minted-0000000000000000");
                        match legacy.send(unknown).await {
                            Err(e @ WireError::Connect(_)) => return Err(unreachable(&e)),
                            Ok(reply) if reply.result().is_some() => discovery.legacy_session = None,
                            _ => {}
                        }
                    }
                    if let Some(session) = &discovery.legacy_session {
                        let initialized = legacy
                            .notification("notifications/initialized", json!({}))
                            .header("mcp-protocol-version", v)
                            .header(SESSION_ID, session);
                        if let Err(e @ WireError::Connect(_)) = legacy.send(initialized).await {
                            return Err(unreachable(&e));
                        }
                    }
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
        Err(e @ WireError::Connect(_)) => return Err(unreachable(&e)),
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
                discovery.answers_sse[Era::Modern as usize] = Some(reply.is_sse());
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
fn lenient_result(reply: &crate::probe::Reply) -> Option<Value> {
    if let Some(result) = reply.result() {
        return Some(result.clone());
    }
    let mut messages = reply.messages.clone();
    if messages.is_empty() {
        // Read the body as events whatever its label, ending a last event left unterminated.
        let mut parser = crate::wire::sse::SseParser::new();
        parser.feed(&reply.http.body);
        parser.feed(b"\n\n");
        messages = parser
            .finish()
            .events
            .iter()
            .filter_map(|e| serde_json::from_str(&e.data).ok())
            .collect();
    }
    let mut results = messages.iter().filter_map(|m| m.get("result"));
    let first = results.next()?;
    results.next().is_none().then(|| first.clone())
}
