//! latency — measured, budgeted. N sequential samples on fresh connections (AgentCore's proxy
//! opens its own), p50/p90/p99/max of the full response and p50 of the first byte. A p99 over the
//! budget warns; the numbers are always in the message.

use std::time::Duration;

use serde_json::{Value, json};

use super::{Check, Level, Outcome, Phase, Scope, check_fn};
use crate::probe::{Cx, Req};
use crate::wire::http::WireError;
use crate::wire::jsonrpc;

const SOURCE: &str = "AGENTCORE latency budget (configurable: --latency-budget, --samples)";

pub const CHECKS: &[Check] = &[
    Check {
        id: "latency.ping",
        level: Level::Should,
        scope: Scope::Server,
        phase: Phase::Alone,
        source: SOURCE,
        rule: "GET /ping p99 within the latency budget",
        run: check_fn!(ping),
    },
    Check {
        id: "latency.initialize",
        level: Level::Should,
        scope: Scope::Legacy,
        phase: Phase::Alone,
        source: SOURCE,
        rule: "initialize p99 within the latency budget",
        run: check_fn!(initialize),
    },
    Check {
        id: "latency.discover",
        level: Level::Should,
        scope: Scope::Modern,
        phase: Phase::Alone,
        source: SOURCE,
        rule: "server/discover p99 within the latency budget",
        run: check_fn!(discover),
    },
    Check {
        id: "latency.tools-list",
        level: Level::Should,
        scope: Scope::EachEra,
        phase: Phase::Alone,
        source: SOURCE,
        rule: "tools/list p99 within the latency budget",
        run: check_fn!(tools_list),
    },
    Check {
        id: "latency.tools-call",
        level: Level::Should,
        scope: Scope::EachEra,
        phase: Phase::Alone,
        source: SOURCE,
        rule: "tools/call of an argument-free tool p99 within the latency budget",
        run: check_fn!(tools_call),
    },
];

/// Nearest-rank percentile of sorted samples.
pub fn percentile(sorted: &[Duration], q: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = (q * sorted.len() as f64).ceil().max(1.0) as usize;
    sorted[rank.min(sorted.len()) - 1]
}

fn ms(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1000.0)
}

/// Sends `make()` N times and judges the p99 against the budget.
async fn measure(cx: &Cx, what: &str, make: impl Fn() -> Req) -> Result<Outcome, WireError> {
    let samples = cx.options().samples.max(1);
    let mut totals = Vec::with_capacity(samples);
    let mut first_bytes = Vec::with_capacity(samples);
    for _ in 0..samples {
        let reply = cx.send(make()).await?;
        let answered = reply.request.expect.is_none() || reply.response().is_some();
        if !(200..300).contains(&reply.status()) || !answered {
            return Ok(Outcome::error(format!("{what} did not succeed, so it cannot be timed")).with(reply.evidence()));
        }
        totals.push(reply.http.timings.total);
        first_bytes.push(reply.http.timings.first_byte);
    }
    totals.sort();
    first_bytes.sort();
    let p99 = percentile(&totals, 0.99);
    let numbers = format!(
        "{what}: p50 {} ms, p90 {} ms, p99 {} ms, max {} ms; first byte p50 {} ms ({samples} samples)",
        ms(percentile(&totals, 0.5)),
        ms(percentile(&totals, 0.9)),
        ms(p99),
        ms(totals[totals.len() - 1]),
        ms(percentile(&first_bytes, 0.5)),
    );
    let budget = cx.options().latency_budget;
    Ok(if p99 <= budget {
        Outcome::pass(numbers)
    } else {
        Outcome::warn(format!("{numbers}: p99 over the {} ms budget", budget.as_millis()))
    })
}

async fn ping(cx: &Cx) -> Result<Outcome, WireError> {
    let probe = cx.get("/ping").await?;
    if probe.status() != 200 {
        return Ok(Outcome::skip(format!(
            "GET /ping answers {}; see ping.reachable",
            probe.status()
        )));
    }
    measure(cx, "GET /ping", || {
        Req::new("GET", "/ping").header("accept", "application/json")
    })
    .await
}

async fn initialize(cx: &Cx) -> Result<Outcome, WireError> {
    measure(cx, "initialize", || {
        cx.standard("initialize", jsonrpc::initialize_params(&cx.version()))
    })
    .await
}

async fn discover(cx: &Cx) -> Result<Outcome, WireError> {
    measure(cx, "server/discover", || cx.standard("server/discover", json!({}))).await
}

async fn tools_list(cx: &Cx) -> Result<Outcome, WireError> {
    if !cx.declares("tools") {
        return Ok(Outcome::skip("the server declares no tools capability"));
    }
    measure(cx, "tools/list", || cx.standard("tools/list", json!({}))).await
}

async fn tools_call(cx: &Cx) -> Result<Outcome, WireError> {
    if !cx.declares("tools") {
        return Ok(Outcome::skip("the server declares no tools capability"));
    }
    let tools = super::features::list_tools(cx).await?;
    let Some(name) = tools
        .iter()
        .find(|t| super::features::is_argument_free(t) && is_quick(t))
        .and_then(|t| t["name"].as_str())
    else {
        return Ok(Outcome::skip("no argument-free tool to call"));
    };
    let what = format!("tools/call {name}");
    measure(cx, &what, || {
        cx.standard("tools/call", json!({ "name": name, "arguments": {} }))
    })
    .await
}

/// Tools made to take long are not latency samples.
pub fn is_quick(tool: &Value) -> bool {
    let name = tool["name"].as_str().unwrap_or("");
    !(name == "slow" || name.contains("progress") || name.contains("logging") || name.contains("sleep"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let samples: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        assert_eq!(percentile(&samples, 0.5), Duration::from_millis(50));
        assert_eq!(percentile(&samples, 0.99), Duration::from_millis(99));
        assert_eq!(percentile(&samples[..1], 0.99), Duration::from_millis(1));
        assert_eq!(percentile(&[], 0.5), Duration::ZERO);
    }
}
