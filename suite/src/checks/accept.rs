//! accept — how the server treats the Accept header. MCP obliges clients to accept both JSON and
//! SSE; it says nothing of servers facing other clients, so 406 is an SDK convention (and the
//! AWS's guides' claim that the runtime always answers 406 is about the SDK in the container). RFC 9110
//! §12.5.1 lets a server honour Accept with 406 or disregard it. The verdicts follow that: only
//! refusing the standard Accept fails; the rest are interop hazards.

use serde_json::Value;

use super::util::is_success;
use super::{Check, Level, Outcome, Runs, Scope, check_fn};
use crate::probe::{Cx, Reply};
use crate::wire::transport::{Capability, WireError};

const TRANSPORT: &str = "MCP 2025-11-25 basic/transports.mdx#sending-messages-to-the-server";
const RFC: &str = "HTTP RFC 9110 §12.5.1 (Accept)";

pub const CHECKS: &[Check] = &[
    Check {
        id: "accept.both",
        level: Level::Must,
        scope: Scope::EachEra,
        needs: &[],
        runs: Runs::ANYWHERE.even_without_era(),
        source: TRANSPORT,
        rule: "`Accept: application/json, text/event-stream` (what clients MUST send) is served with 2xx",
        run: check_fn!(both),
    },
    Check {
        id: "accept.json-only",
        level: Level::Should,
        scope: Scope::EachEra,
        needs: &[],
        runs: Runs::ANYWHERE,
        source: RFC,
        rule: "`Accept: application/json` gets 406 or 2xx application/json, never an SSE body the client cannot read",
        run: check_fn!(json_only),
    },
    Check {
        id: "accept.sse-only",
        level: Level::Should,
        scope: Scope::EachEra,
        needs: &[],
        runs: Runs::ANYWHERE,
        source: RFC,
        rule: "`Accept: text/event-stream` gets 406 or 2xx SSE, not JSON",
        run: check_fn!(sse_only),
    },
    Check {
        id: "accept.missing",
        level: Level::Should,
        scope: Scope::EachEra,
        needs: &[Capability::AnyHeader],
        runs: Runs::ANYWHERE,
        source: RFC,
        rule: "a request without Accept (any type acceptable) is served",
        run: check_fn!(missing),
    },
    Check {
        id: "accept.wildcard",
        level: Level::Should,
        scope: Scope::EachEra,
        needs: &[],
        runs: Runs::ANYWHERE,
        source: RFC,
        rule: "`Accept: */*` is served",
        run: check_fn!(wildcard),
    },
    Check {
        id: "accept.406-shape",
        level: Level::Should,
        scope: Scope::EachEra,
        needs: &[],
        runs: Runs::ANYWHERE,
        source: "JSONRPC 2.0 §5 (response id); MCP 2025-11-25 basic/transports.mdx",
        rule: "a 406 has an empty body or a JSON-RPC error whose id is null or the request's",
        run: check_fn!(shape_406),
    },
];

const VARIANTS: &[(&str, Option<&str>)] = &[
    ("both", Some("application/json, text/event-stream")),
    ("json-only", Some("application/json")),
    ("sse-only", Some("text/event-stream")),
    ("wildcard", Some("*/*")),
    ("missing", None),
];

async fn with_accept(cx: &Cx, accept: Option<&str>) -> Result<Reply, WireError> {
    let req = cx.cheap().without("accept");
    let req = match accept {
        Some(accept) => req.header("accept", accept),
        None => req,
    };
    cx.send(req).await
}

/// Every Accept variant with its reply; `None` for one the transport cannot send (no Accept
/// header at all, through reqwest or a platform), so the matrix reports it instead of failing.
async fn matrix(cx: &Cx) -> Result<Vec<(&'static str, Option<Reply>)>, WireError> {
    let mut rows = Vec::new();
    for (name, accept) in VARIANTS {
        match with_accept(cx, *accept).await {
            Ok(reply) => rows.push((*name, Some(reply))),
            Err(WireError::Unobservable(_)) => rows.push((*name, None)),
            Err(e) => return Err(e),
        }
    }
    Ok(rows)
}

fn matrix_line(name: &str, reply: Option<&Reply>) -> String {
    match reply {
        Some(reply) => format!("accept {name:<9} → {}", reply.status_line()),
        None => format!("accept {name:<9} → not sent (the transport cannot)"),
    }
}

/// The standard Accept is served with 2xx. Evidence carries the whole Accept matrix.
async fn both(cx: &Cx) -> Result<Outcome, WireError> {
    let rows = matrix(cx).await?;
    let Some((_, Some(reply))) = rows.first() else {
        return Ok(Outcome::error("the standard Accept could not be sent"));
    };
    let outcome = if is_success(reply) {
        Outcome::pass(format!("served: {}", reply.status_line()))
    } else {
        Outcome::fail(format!("the Accept every client MUST send got {}", reply.status_line()))
    };
    let lines = rows.iter().map(|(name, reply)| matrix_line(name, reply.as_ref()));
    Ok(lines.fold(outcome.with(reply.evidence()), Outcome::with))
}

/// JSON-only clients get 406 or JSON; an SSE body breaks them.
async fn json_only(cx: &Cx) -> Result<Outcome, WireError> {
    let reply = with_accept(cx, Some("application/json")).await?;
    Ok(match (reply.status(), reply.is_sse()) {
        (406, _) => Outcome::pass("406 (an SDK convention; AWS's guides present it as the runtime's rule)"),
        (200..=299, false) => Outcome::pass(format!("served as {}", reply.status_line())),
        (200..=299, true) => {
            Outcome::warn("an SSE body was sent to a client that accepts only application/json: it cannot parse it")
        }
        _ => Outcome::warn(format!("answered {}; expected 406 or 2xx JSON", reply.status_line())),
    }
    .with(reply.evidence()))
}

/// SSE-only clients get 406 or SSE.
async fn sse_only(cx: &Cx) -> Result<Outcome, WireError> {
    let reply = with_accept(cx, Some("text/event-stream")).await?;
    Ok(match (reply.status(), reply.is_sse()) {
        (406, _) => Outcome::pass("406"),
        (200..=299, true) => Outcome::pass("served as SSE"),
        (200..=299, false) => Outcome::warn(format!(
            "{} sent to a client that accepts only text/event-stream",
            reply.status_line()
        )),
        _ => Outcome::warn(format!("answered {}; expected 406 or 2xx SSE", reply.status_line())),
    }
    .with(reply.evidence()))
}

/// No Accept means any type is acceptable (RFC 9110); refusing it breaks clients that send none.
async fn missing(cx: &Cx) -> Result<Outcome, WireError> {
    let reply = with_accept(cx, None).await?;
    Ok(if is_success(&reply) {
        Outcome::pass(format!("served: {}", reply.status_line()))
    } else {
        Outcome::warn(format!(
            "{} without an Accept header; RFC 9110 makes any type acceptable then, and clients that send none \
             (the AWS SDK's InvokeAgentRuntime unless `accept` is set, health probes, curl scripts) break",
            reply.status_line()
        ))
    }
    .with(reply.evidence()))
}

/// `*/*` accepts everything; proxies and generic HTTP clients send it.
async fn wildcard(cx: &Cx) -> Result<Outcome, WireError> {
    let reply = with_accept(cx, Some("*/*")).await?;
    Ok(if is_success(&reply) {
        Outcome::pass(format!("served: {}", reply.status_line()))
    } else {
        Outcome::warn(format!(
            "{} for `Accept: */*`, which admits every type; proxies and generic HTTP clients send it",
            reply.status_line()
        ))
    }
    .with(reply.evidence()))
}

/// A 406 must not invent an id: JSON-RPC errors carry the request's id, or null if unknown.
async fn shape_406(cx: &Cx) -> Result<Outcome, WireError> {
    let refusals: Vec<Reply> = matrix(cx)
        .await?
        .into_iter()
        .filter_map(|(_, reply)| reply.filter(|r| r.status() == 406))
        .collect();
    let Some(first) = refusals.first() else {
        return Ok(Outcome::skip("no Accept variant was refused with 406"));
    };
    for reply in &refusals {
        if reply.http.body.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let Some(message) = reply.messages.first() else {
            continue; // a plain-text explanation is fine
        };
        let request_id = reply.request.expect.as_ref().map(|(id, _)| id.clone());
        let id = message.get("id").cloned().unwrap_or(Value::Null);
        if !(id.is_null() || Some(&id) == request_id.as_ref()) {
            return Ok(
                Outcome::warn(format!("the 406 body's id {id} is neither null nor the request's id"))
                    .with(reply.evidence()),
            );
        }
    }
    Ok(Outcome::pass(format!("{} refusal(s), none with a made-up id", refusals.len())).with(first.evidence()))
}
