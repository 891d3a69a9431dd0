//! health — GET /ping. AgentCore does not require /ping of MCP runtimes (it probes POST /mcp);
//! HTTP-protocol runtimes must serve it and AWS's deployment guide asks for it. So these
//! checks warn by default and fail only with `--require-ping`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

use super::{Check, Level, Outcome, Runs, Scope, check_fn};
use crate::probe::{Cx, Reply};
use crate::wire::transport::{Capability, WireError};

const SOURCE: &str = "AGENTCORE runtime-long-run.html (HTTP-protocol /ping contract); SEED deployment guide";

pub const CHECKS: &[Check] = &[
    Check {
        id: "ping.reachable",
        level: Level::Should,
        scope: Scope::Server,
        needs: &[Capability::Ping],
        runs: Runs::ANYWHERE,
        source: SOURCE,
        rule: "GET /ping answers 200",
        run: check_fn!(reachable),
    },
    Check {
        id: "ping.json",
        level: Level::Should,
        scope: Scope::Server,
        needs: &[Capability::Ping],
        runs: Runs::ANYWHERE,
        source: SOURCE,
        rule: "/ping answers Content-Type application/json with a JSON object",
        run: check_fn!(json_body),
    },
    Check {
        id: "ping.status",
        level: Level::Should,
        scope: Scope::Server,
        needs: &[Capability::Ping],
        runs: Runs::ANYWHERE,
        source: SOURCE,
        rule: "`status` is exactly `Healthy` or `HealthyBusy`",
        run: check_fn!(status),
    },
    Check {
        id: "ping.time-of-last-update",
        level: Level::Should,
        scope: Scope::Server,
        needs: &[Capability::Ping],
        runs: Runs::ANYWHERE,
        source: SOURCE,
        rule: "`time_of_last_update`, if present, is integer Unix seconds, not in the future (60 s slack)",
        run: check_fn!(time_of_last_update),
    },
    Check {
        id: "ping.busy",
        level: Level::Should,
        scope: Scope::Server,
        needs: &[Capability::Ping],
        runs: Runs::ANYWHERE,
        source: SOURCE,
        rule: "while a long request runs, /ping reports `HealthyBusy` (needs the reference server's `slow` tool)",
        run: check_fn!(busy),
    },
];

/// `--require-ping` turns every ping.* violation into a failure.
fn level(cx: &Cx) -> Level {
    if cx.settings().require_ping {
        Level::Must
    } else {
        Level::Should
    }
}

/// The /ping body when /ping answers 200 with JSON, or the outcome to report instead.
async fn ping_json(cx: &Cx) -> Result<Result<(Value, Reply), Outcome>, WireError> {
    let reply = cx.get("/ping").await?;
    if reply.status() != 200 {
        return Ok(Err(Outcome::skip(format!(
            "GET /ping answers {}; see ping.reachable",
            reply.status()
        ))));
    }
    match serde_json::from_slice::<Value>(&reply.http.body) {
        Ok(body) if body.is_object() => Ok(Ok((body, reply))),
        _ => Ok(Err(
            Outcome::skip("the /ping body is not a JSON object; see ping.json").with(reply.evidence())
        )),
    }
}

/// GET /ping answers 200.
async fn reachable(cx: &Cx) -> Result<Outcome, WireError> {
    let reply = cx.get("/ping").await?;
    Ok(if reply.status() == 200 {
        Outcome::pass("GET /ping answers 200")
    } else {
        Outcome::violation(level(cx), format!("GET /ping answers {}, not 200", reply.status())).with(reply.evidence())
    })
}

/// If /ping is served: Content-Type application/json, body a JSON object.
async fn json_body(cx: &Cx) -> Result<Outcome, WireError> {
    let reply = cx.get("/ping").await?;
    if reply.status() != 200 {
        return Ok(Outcome::skip(format!(
            "GET /ping answers {}; see ping.reachable",
            reply.status()
        )));
    }
    let media = reply.http.media_type().unwrap_or_default();
    let object = serde_json::from_slice::<Value>(&reply.http.body).is_ok_and(|v| v.is_object());
    Ok(match (media == "application/json", object) {
        (true, true) => Outcome::pass("application/json with a JSON object"),
        (false, _) => Outcome::violation(level(cx), format!("Content-Type is `{media}`, not application/json")),
        (true, false) => Outcome::violation(level(cx), "the body is not a JSON object"),
    }
    .with(reply.evidence()))
}

/// `status` is exactly `Healthy` or `HealthyBusy` (capitalised as AWS documents it).
async fn status(cx: &Cx) -> Result<Outcome, WireError> {
    let (body, reply) = match ping_json(cx).await? {
        Ok(found) => found,
        Err(outcome) => return Ok(outcome),
    };
    let status = body.get("status");
    Ok(match status.and_then(Value::as_str) {
        Some("Healthy" | "HealthyBusy") => Outcome::pass(format!("status {}", status.unwrap_or(&json!(null)))),
        Some(s) if s.eq_ignore_ascii_case("healthy") || s.eq_ignore_ascii_case("healthybusy") => Outcome::violation(
            level(cx),
            format!("status `{s}` has the wrong case: AgentCore documents `Healthy` / `HealthyBusy` (a lowercase example in AWS's guide is wrong)"),
        ),
        _ => Outcome::violation(level(cx), format!("status is {}, not `Healthy` or `HealthyBusy`", json!(status))),
    }
    .with(reply.evidence()))
}

/// If present, `time_of_last_update` is integer Unix seconds and not in the future.
async fn time_of_last_update(cx: &Cx) -> Result<Outcome, WireError> {
    let (body, reply) = match ping_json(cx).await? {
        Ok(found) => found,
        Err(outcome) => return Ok(outcome),
    };
    let Some(value) = body.get("time_of_last_update") else {
        return Ok(Outcome::skip("no time_of_last_update (it is optional)"));
    };
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    Ok(match value.as_u64() {
        None => Outcome::violation(
            level(cx),
            format!("time_of_last_update is {value}, not integer Unix seconds"),
        ),
        Some(t) if t > now + 60 => Outcome::violation(
            level(cx),
            format!("time_of_last_update {t} is {} s in the future", t - now),
        ),
        Some(t) if t > 100_000_000_000 => {
            Outcome::violation(level(cx), format!("time_of_last_update {t} looks like milliseconds"))
        }
        Some(t) => Outcome::pass(format!("time_of_last_update {t} ({} s ago)", now.saturating_sub(t))),
    }
    .with(reply.evidence()))
}

/// While a long request runs, /ping reports `HealthyBusy`.
async fn busy(cx: &Cx) -> Result<Outcome, WireError> {
    let Some(cx) = cx.spoken() else {
        return Ok(Outcome::skip("the server speaks no MCP era the suite knows"));
    };
    if !super::util::callable(&cx).await?.allows("slow") {
        return Ok(Outcome::skip(
            "no `slow` tool the call policy allows, to keep the server busy (the reference server has one)",
        ));
    }
    if let Err(outcome) = ping_json(&cx).await? {
        return Ok(outcome);
    }
    // Watch /ping for the whole call, so a late start of the call cannot hide the busy state.
    let done = AtomicBool::new(false);
    let call = async {
        let reply = cx
            .call(
                "tools/call",
                json!({ "name": "slow", "arguments": { "seconds": 0.15 } }),
            )
            .await;
        done.store(true, Ordering::Relaxed);
        reply
    };
    let watch = async {
        let mut pings = Vec::new();
        while !done.load(Ordering::Relaxed) {
            tokio::time::sleep(Duration::from_millis(20)).await;
            pings.push(cx.get("/ping").await?);
        }
        Ok::<_, WireError>(pings)
    };
    let (call, pings) = tokio::join!(call, watch);
    let (pings, call) = (pings?, call?);
    if call.result().is_none() {
        return Ok(Outcome::error("the `slow` tool call did not succeed").with(call.evidence()));
    }
    let status_of = |reply: &Reply| {
        serde_json::from_slice::<Value>(&reply.http.body)
            .ok()
            .and_then(|b| b.get("status").cloned())
    };
    if pings.iter().any(|p| status_of(p) == Some(json!("HealthyBusy"))) {
        return Ok(Outcome::pass(format!(
            "HealthyBusy while `slow` ran ({} pings)",
            pings.len()
        )));
    }
    let seen: Vec<String> = pings.iter().map(|p| json!(status_of(p)).to_string()).collect();
    Ok(Outcome::violation(
        level(&cx),
        format!(
            "status {} while a 0.15 s request ran; the platform may end a busy session",
            seen.join(", ")
        ),
    ))
}
