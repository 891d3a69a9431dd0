//! latency — measured, budgeted. N sequential samples on fresh connections (connect time counts),
//! p50/p90/p99/max of the full response and p50 of the first byte; `latency.keep-alive` compares
//! them with requests on one kept-alive connection, as proxies and SDK clients send them. A p99
//! over the budget warns; the numbers are always in the message, with the events' timing when
//! the responses streamed (SSE).

use std::time::Duration;

use serde_json::{Value, json};

use super::{Check, Level, Outcome, Phase, Runs, Scope, check_fn};
use crate::probe::{Cx, Req};
use crate::stats::{Timing, percentile};
use crate::wire::jsonrpc;
use crate::wire::stream_timing::{self, StreamTiming};
use crate::wire::transport::{Capability, WireError};

const SOURCE: &str = "AGENTCORE latency budget (configurable: --latency-budget, --samples)";

pub const CHECKS: &[Check] = &[
    Check {
        id: "latency.ping",
        level: Level::Should,
        scope: Scope::Server,
        needs: &[Capability::Ping],
        runs: Runs::ANYWHERE.in_phase(Phase::Alone),
        source: SOURCE,
        rule: "GET /ping p99 within the latency budget",
        run: check_fn!(ping),
    },
    Check {
        id: "latency.keep-alive",
        level: Level::Should,
        scope: Scope::EachEra,
        needs: &[Capability::KeepAlive],
        runs: Runs::ANYWHERE.in_phase(Phase::Alone),
        source: "AGENTCORE latency budget; the delayed-ACK × Nagle stall (RFC 1122 §4.2.3.2, RFC 896)",
        rule: "requests on one kept-alive connection (proxies, SDK clients) are not 20 ms slower than on fresh ones (p50 of 5 each)",
        run: check_fn!(keep_alive),
    },
    Check {
        id: "latency.cold-start",
        level: Level::Must,
        scope: Scope::Server,
        needs: &[],
        runs: Runs::ON_CONTAINERS,
        source: "AGENTCORE runtime initialization limit (60 s); budget --cold-start-budget",
        rule: "container create → running → first /ping 200 → first MCP answer: fail over 60 s, warn over the budget",
        run: check_fn!(cold_start),
    },
    Check {
        id: "latency.new-session",
        level: Level::Should,
        scope: Scope::Server,
        needs: &[Capability::Platform],
        runs: Runs::ANYWHERE.in_phase(Phase::Alone),
        source: "AGENTCORE runtime sessions (a new session is a new microVM); budgets --cold-start-budget, --latency-budget",
        rule: "the first request on a new runtime session within the cold-start budget, the same request on that warm session within the latency budget",
        run: check_fn!(new_session),
    },
    Check {
        id: "latency.initialize",
        level: Level::Should,
        scope: Scope::Legacy,
        needs: &[],
        runs: Runs::ANYWHERE.in_phase(Phase::Alone),
        source: SOURCE,
        rule: "initialize p99 within the latency budget",
        run: check_fn!(initialize),
    },
    Check {
        id: "latency.discover",
        level: Level::Should,
        scope: Scope::Modern,
        needs: &[],
        runs: Runs::ANYWHERE.in_phase(Phase::Alone),
        source: SOURCE,
        rule: "server/discover p99 within the latency budget",
        run: check_fn!(discover),
    },
    Check {
        id: "latency.tools-list",
        level: Level::Should,
        scope: Scope::EachEra,
        needs: &[],
        runs: Runs::ANYWHERE.in_phase(Phase::Alone),
        source: SOURCE,
        rule: "tools/list p99 within the latency budget",
        run: check_fn!(tools_list),
    },
    Check {
        id: "latency.tools-call",
        level: Level::Should,
        scope: Scope::EachEra,
        needs: &[],
        runs: Runs::ANYWHERE.in_phase(Phase::Alone),
        source: SOURCE,
        rule: "tools/call of the fastest argument-free tool the call policy allows: p99 within the latency budget",
        run: check_fn!(tools_call),
    },
];

fn ms(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1000.0)
}

/// Sends `make()` N times and judges the p99 against the budget; over it is a `level` violation.
async fn measure(cx: &Cx, what: &str, level: Level, make: impl Fn() -> Req) -> Result<Outcome, WireError> {
    let (numbers, p99, timing) = match sample(cx, what, make).await? {
        Ok(measured) => measured,
        Err(unanswered) => return Ok(unanswered),
    };
    let budget = cx.settings().latency_budget;
    let outcome = if p99 <= budget {
        Outcome::pass(numbers)
    } else {
        Outcome::violation(
            level,
            format!("{numbers}: p99 over the {} ms budget", budget.as_millis()),
        )
    };
    Ok(outcome.timed(timing))
}

/// What `sample` measured: the numbers as text, the p99, the distribution.
type Sampled = (String, Duration, Option<Timing>);

/// Sends `make()` `--samples` times; gives what it measured, or the error outcome for a sample
/// that did not succeed (nothing can be timed then).
async fn sample(cx: &Cx, what: &str, make: impl Fn() -> Req) -> Result<Result<Sampled, Outcome>, WireError> {
    let samples = cx.settings().samples.max(1);
    let mut totals = Vec::with_capacity(samples);
    let mut first_bytes = Vec::with_capacity(samples);
    let mut streams = Vec::new();
    for _ in 0..samples {
        let reply = cx.send(make()).await?;
        let answered = reply.request.expect.is_none() || reply.response().is_some();
        if !(200..300).contains(&reply.status()) || !answered {
            let outcome =
                Outcome::error(format!("{what} did not succeed, so it cannot be timed")).with(reply.evidence());
            return Ok(Err(outcome));
        }
        totals.push(reply.http.timings.total);
        first_bytes.push(reply.http.timings.first_byte);
        streams.extend(stream_timing::of_response(&reply.http));
    }
    totals.sort();
    first_bytes.sort();
    let p99 = percentile(&totals, 0.99);
    let mut numbers = format!(
        "{what}: p50 {} ms, p90 {} ms, p99 {} ms, max {} ms; first byte p50 {} ms ({samples} samples)",
        ms(percentile(&totals, 0.5)),
        ms(percentile(&totals, 0.9)),
        ms(p99),
        ms(totals[totals.len() - 1]),
        ms(percentile(&first_bytes, 0.5)),
    );
    if let Some(streamed) = stream_numbers(&streams) {
        numbers.push_str(&format!("; {streamed}"));
    }
    Ok(Ok((numbers, p99, Timing::of(&totals))))
}

/// How the streamed (SSE) samples' events arrived: when the first event and the response event
/// came, the gaps between events and how many there were; `None` when none streamed.
fn stream_numbers(streams: &[StreamTiming]) -> Option<String> {
    let sorted = |pick: &dyn Fn(&StreamTiming) -> Vec<Duration>| {
        let mut samples: Vec<Duration> = streams.iter().flat_map(pick).collect();
        samples.sort();
        samples
    };
    let first = sorted(&|t| t.first_event.into_iter().collect());
    let response = sorted(&|t| t.response_event.into_iter().collect());
    let gaps = sorted(&|t| t.gaps.clone());
    let events = streams.iter().map(|t| t.events).max()?;
    let mut parts = vec![format!(
        "streamed ({} of the samples): first event p50 {} ms",
        streams.len(),
        ms(percentile(&first, 0.5))
    )];
    parts.push(format!(
        "response event p50 {} ms, p99 {} ms",
        ms(percentile(&response, 0.5)),
        ms(percentile(&response, 0.99))
    ));
    if let Some(widest) = gaps.last() {
        parts.push(format!(
            "gaps between events p50 {} ms, p99 {} ms, max {} ms",
            ms(percentile(&gaps, 0.5)),
            ms(percentile(&gaps, 0.99)),
            ms(*widest)
        ));
    }
    parts.push(format!("up to {events} events a response"));
    Some(parts.join(", "))
}

async fn ping(cx: &Cx) -> Result<Outcome, WireError> {
    let probe = cx.get("/ping").await?;
    if probe.status() != 200 {
        return Ok(Outcome::skip(format!(
            "GET /ping answers {}; see ping.reachable",
            probe.status()
        )));
    }
    // --require-ping makes every /ping rule binding, its latency too.
    let level = if cx.settings().require_ping {
        Level::Must
    } else {
        Level::Should
    };
    measure(cx, "GET /ping", level, || {
        Req::new("GET", "/ping").header("accept", "application/json")
    })
    .await
}

/// Requests each way for latency.keep-alive: the stall it looks for costs ~40 ms on every reused
/// request, so a median of five tells it from noise; more would only make slow servers wait.
const KEEP_ALIVE_SAMPLES: usize = 5;

/// The same cheap request on fresh connections and on one kept-alive connection: a reused
/// connection that is much slower (typically ~40 ms a request) shows Nagle's algorithm waiting
/// for the client's delayed ACK; clients and proxies that keep connections open pay it every time.
async fn keep_alive(cx: &Cx) -> Result<Outcome, WireError> {
    let samples = cx.settings().samples.clamp(3, KEEP_ALIVE_SAMPLES);
    let mut fresh = Vec::with_capacity(samples);
    for _ in 0..samples {
        let reply = cx.send(cx.cheap()).await?;
        if reply.response().is_none() {
            return Ok(Outcome::error("the request did not succeed, so it cannot be timed").with(reply.evidence()));
        }
        fresh.push(reply.http.timings.total);
    }
    // One more than the samples: the first request on the connection also pays for connecting.
    let responses = cx.send_kept_alive((0..=samples).map(|_| cx.cheap()).collect()).await?;
    let mut reused: Vec<Duration> = responses.iter().skip(1).map(|r| r.timings.total).collect();
    fresh.sort();
    reused.sort();
    Ok(judge_keep_alive(
        percentile(&fresh, 0.5),
        percentile(&reused, 0.5),
        samples,
    ))
}

/// Reused connections more than 20 ms slower than fresh ones at p50 warn, naming the likely cause.
fn judge_keep_alive(fresh: Duration, reused: Duration, samples: usize) -> Outcome {
    let numbers = format!(
        "p50 {} ms on fresh connections, {} ms on one kept-alive connection ({samples} samples each)",
        ms(fresh),
        ms(reused)
    );
    if reused > fresh + Duration::from_millis(20) {
        Outcome::warn(format!(
            "{numbers}: every request on a reused connection stalls; ~40 ms is the signature of Nagle's \
             algorithm waiting for a delayed ACK: set TCP_NODELAY on accepted sockets"
        ))
    } else {
        Outcome::pass(numbers)
    }
}

async fn cold_start(cx: &Cx) -> Result<Outcome, WireError> {
    let Some(container) = cx.facts().container.as_ref() else {
        return Ok(Outcome::skip("the target is not a container (use --image or --build)"));
    };
    if container.ready.is_err() {
        return Ok(Outcome::skip("the container never answered; see image.starts"));
    }
    let mut starts = container.cold_starts.clone();
    starts.push(container.start.clone());
    let phase = |pick: fn(&crate::probe::StartTimings) -> Option<Duration>| {
        let mut samples: Vec<Duration> = starts.iter().filter_map(pick).collect();
        samples.sort();
        samples
    };
    let running = phase(|s| Some(s.running));
    let ping = phase(|s| s.ping);
    let mcp = phase(|s| s.mcp);
    let describe = |name: &str, samples: &[Duration]| {
        if samples.is_empty() {
            format!("{name} n/a")
        } else {
            format!(
                "{name} p50 {} ms / max {} ms",
                ms(percentile(samples, 0.5)),
                ms(samples[samples.len() - 1])
            )
        }
    };
    let numbers = format!(
        "{}; {}; {} ({} start{})",
        describe("running", &running),
        describe("/ping 200", &ping),
        describe("first MCP answer", &mcp),
        starts.len(),
        if starts.len() == 1 { "" } else { "s" }
    );
    let worst = mcp.last().copied().unwrap_or_default();
    Ok(judge_cold_start(numbers, worst, cx.settings().cold_start_budget).timed(Timing::of(&mcp)))
}

async fn time_call<'a>(
    cx: &'a Cx,
    candidate: &'a (String, Value),
) -> (&'a (String, Value), Result<crate::probe::Reply, WireError>) {
    let (name, args) = candidate;
    (
        candidate,
        cx.call("tools/call", json!({ "name": name, "arguments": args })).await,
    )
}

/// Judges the slowest first MCP answer: AgentCore's limit fails, the budget warns.
fn judge_cold_start(numbers: String, worst: Duration, budget: Duration) -> Outcome {
    if worst.as_secs() >= super::util::INIT_LIMIT_SECS {
        Outcome::fail(format!("{numbers}: over AgentCore's 60 s initialization limit"))
    } else if worst > budget {
        Outcome::warn(format!("{numbers}: over the {} ms budget", budget.as_millis()))
    } else {
        Outcome::pass(numbers)
    }
}

async fn initialize(cx: &Cx) -> Result<Outcome, WireError> {
    measure(cx, "initialize", Level::Should, || {
        cx.standard("initialize", jsonrpc::initialize_params(&cx.version()))
    })
    .await
}

async fn discover(cx: &Cx) -> Result<Outcome, WireError> {
    measure(cx, "server/discover", Level::Should, || {
        cx.standard("server/discover", json!({}))
    })
    .await
}

async fn tools_list(cx: &Cx) -> Result<Outcome, WireError> {
    if !cx.declares("tools") {
        return Ok(Outcome::skip("the server declares no tools capability"));
    }
    measure(cx, "tools/list", Level::Should, || cx.standard("tools/list", json!({}))).await
}

/// Samples tools/call of the fastest tool the call policy allows that needs no arguments (or a
/// `--call`ed one): one timed call of each candidate picks it.
async fn tools_call(cx: &Cx) -> Result<Outcome, WireError> {
    if !cx.declares("tools") {
        return Ok(Outcome::skip("the server declares no tools capability"));
    }
    let callable = super::util::callable(cx).await?;
    let explicit = !cx.settings().calls.is_empty();
    let candidates: Vec<(String, Value)> = callable
        .calls
        .iter()
        .filter(|(tool, _)| explicit || super::util::is_argument_free(tool))
        .filter_map(|(tool, args)| Some((tool["name"].as_str()?.to_string(), args.clone())))
        .take(12)
        .collect();
    // One timed call of each candidate, all at once: enough to tell the fast from the slow.
    let probes: Vec<_> = candidates.iter().map(|candidate| time_call(cx, candidate)).collect();
    let mut fastest: Option<(Duration, &(String, Value))> = None;
    for (candidate, reply) in futures_util::future::join_all(probes).await {
        match reply {
            Ok(reply) if reply.result().is_some() => {
                let took = reply.http.timings.total;
                if fastest.is_none_or(|(best, _)| took < best) {
                    fastest = Some((took, candidate));
                }
            }
            Ok(_) | Err(WireError::Timeout(_)) => {} // failed or slow: not a latency sample
            Err(e) => return Err(e),
        }
    }
    let Some((_, (name, args))) = fastest else {
        let why = callable
            .not_called
            .unwrap_or_else(|| "no tool the suite may call answered".into());
        return Ok(Outcome::skip(format!("no argument-free tool to time: {why}")));
    };
    let what = format!("tools/call {name}");
    measure(cx, &what, Level::Should, || {
        cx.standard("tools/call", json!({ "name": name, "arguments": args }))
    })
    .await
}

/// First request on a fresh runtime session (a new microVM on AgentCore, a new container behind
/// the emulator with --image) against the same request on that session once warm.
async fn new_session(cx: &Cx) -> Result<Outcome, WireError> {
    use crate::probe::Invoked;
    use crate::wire::agentcore::contract::{RUNTIME_SESSION_ID, new_runtime_session_id};
    use crate::wire::platform::Credential;
    let era_cx = match cx.discovery().legacy {
        Some(_) => cx.in_era(crate::probe::Era::Legacy),
        None => cx.in_era(crate::probe::Era::Modern),
    };
    let request = || match era_cx.era() {
        crate::probe::Era::Legacy => era_cx.standard("initialize", jsonrpc::initialize_params(&era_cx.version())),
        crate::probe::Era::Modern => era_cx.standard("server/discover", json!({})),
    };
    // New sessions cost a microVM each: a few samples, not --samples.
    let rounds = cx.settings().samples.clamp(1, 3);
    let (mut cold, mut warm) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        let session = new_runtime_session_id();
        for samples in [&mut cold, &mut warm] {
            let req = request().header(RUNTIME_SESSION_ID, &session);
            let invoked = cx.invoke(req, Credential::Configured).await?;
            match &invoked {
                Invoked::Served(reply) if (200..300).contains(&reply.status()) => {
                    samples.push(reply.http.timings.total)
                }
                _ => return Ok(Outcome::error(format!("not served: {}", invoked.summary()))),
            }
        }
    }
    cold.sort();
    warm.sort();
    let (first, again) = (percentile(&cold, 0.5), percentile(&warm, 0.5));
    let numbers = format!(
        "first request on a new session p50 {} ms (max {} ms), same session again p50 {} ms ({rounds} sessions)",
        ms(first),
        ms(cold[cold.len() - 1]),
        ms(again)
    );
    let (cold_budget, warm_budget) = (cx.settings().cold_start_budget, cx.settings().latency_budget);
    Ok(if first > cold_budget {
        Outcome::warn(format!(
            "{numbers}: a new session over the {} ms budget",
            cold_budget.as_millis()
        ))
    } else if again > warm_budget {
        Outcome::warn(format!(
            "{numbers}: a warm session over the {} ms budget",
            warm_budget.as_millis()
        ))
    } else {
        Outcome::pass(numbers)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reused_connection_much_slower_than_fresh_ones_warns() {
        let ms = Duration::from_millis;
        assert_eq!(judge_keep_alive(ms(1), ms(2), 5).verdict, crate::checks::Verdict::Pass);
        assert_eq!(judge_keep_alive(ms(1), ms(43), 5).verdict, crate::checks::Verdict::Warn);
    }

    #[test]
    fn cold_start_fails_over_sixty_seconds_and_warns_over_the_budget() {
        let budget = Duration::from_secs(5);
        let judge = |secs| judge_cold_start(String::new(), Duration::from_secs(secs), budget).verdict;
        assert_eq!(judge(1), crate::checks::Verdict::Pass);
        assert_eq!(judge(6), crate::checks::Verdict::Warn);
        assert_eq!(judge(61), crate::checks::Verdict::Fail);
    }
}
