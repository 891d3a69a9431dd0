//! http — the streamable HTTP transport rules: where the endpoint is, which statuses and content
//! types answer what, and what malformed or hostile input gets.

use serde_json::{Value, json};

use super::util::{has_result, is_success};
use super::{Check, Level, Outcome, Runs, Scope, check_fn};
use crate::probe::{Cx, Era, Profile, SESSION_ID};
use crate::wire::jsonrpc;
use crate::wire::transport::Capability;
use crate::wire::transport::{Cut, WireError};

/// Just over the 4 MiB request limit the SDKs default to.
const OVERSIZE: usize = 4 * 1024 * 1024 + 64 * 1024;

const TRANSPORT: &str = "MCP 2025-11-25 basic/transports.mdx#sending-messages-to-the-server";

pub const CHECKS: &[Check] = &[
    Check {
        id: "http.endpoint-mcp",
        level: Level::Must,
        scope: Scope::EachEra,
        needs: &[],
        runs: Runs::ANYWHERE.even_without_era(),
        source: "AGENTCORE runtime-mcp-protocol-contract.html (POST /mcp on 0.0.0.0:8000)",
        rule: "POST to the MCP path (default /mcp) answers a JSON-RPC request",
        run: check_fn!(endpoint_mcp),
    },
    Check {
        id: "http.any-host",
        level: Level::Should,
        scope: Scope::EachEra,
        needs: &[Capability::AnyHeader],
        runs: Runs::ANYWHERE,
        source: "AGENTCORE hazard (proxied Host); rmcp ≥ 1.4 and the Python SDK on loopback check Host",
        rule: "a request whose Host is not loopback (a proxied one) is served",
        run: check_fn!(any_host),
    },
    Check {
        id: "http.notification-202",
        level: Level::Must,
        scope: Scope::Legacy,
        needs: &[],
        runs: Runs::ANYWHERE,
        source: TRANSPORT,
        rule: "an accepted notification gets 202 Accepted with no body",
        run: check_fn!(notification_202),
    },
    Check {
        id: "http.response-content-type",
        level: Level::Must,
        scope: Scope::EachEra,
        needs: &[],
        runs: Runs::ANYWHERE,
        source: TRANSPORT,
        rule: "a request's 2xx response is application/json or text/event-stream",
        run: check_fn!(response_content_type),
    },
    Check {
        id: "http.get",
        level: Level::Must,
        scope: Scope::Legacy,
        needs: &[Capability::AnyMethodAndPath],
        runs: Runs::ANYWHERE.watching_a_stream(),
        source: "MCP 2025-11-25 basic/transports.mdx#listening-for-messages-from-the-server",
        rule: "GET answers an SSE stream or 405 (a stateless server should 405)",
        run: check_fn!(get),
    },
    Check {
        id: "http.protocol-version-invalid",
        level: Level::Must,
        scope: Scope::Legacy,
        needs: &[],
        runs: Runs::ANYWHERE,
        source: "MCP 2025-11-25 basic/transports.mdx#protocol-version-header",
        rule: "an invalid MCP-Protocol-Version gets 400 (revisions from 2025-06-18)",
        run: check_fn!(protocol_version_invalid),
    },
    Check {
        id: "http.protocol-version-missing",
        level: Level::Should,
        scope: Scope::Legacy,
        needs: &[],
        runs: Runs::ANYWHERE,
        source: "MCP 2025-11-25 basic/transports.mdx#protocol-version-header",
        rule: "a request without MCP-Protocol-Version is served (assumed 2025-03-26)",
        run: check_fn!(protocol_version_missing),
    },
    Check {
        id: "http.origin-invalid",
        level: Level::Must,
        scope: Scope::EachEra,
        needs: &[Capability::AnyHeader],
        runs: Runs::ANYWHERE,
        source: "MCP 2025-11-25 basic/transports.mdx#security-warning",
        rule: "a present, invalid Origin gets 403 (any 4xx before 2025-11-25); warn-level under the agentcore profile",
        run: check_fn!(origin_invalid),
    },
    Check {
        id: "http.malformed-json",
        level: Level::Must,
        scope: Scope::EachEra,
        needs: &[],
        runs: Runs::ANYWHERE,
        source: TRANSPORT,
        rule: "invalid JSON gets an HTTP error status (4xx), never a success result",
        run: check_fn!(malformed_json),
    },
    Check {
        id: "http.bad-content-type",
        level: Level::Should,
        scope: Scope::EachEra,
        needs: &[],
        runs: Runs::ANYWHERE,
        source: "HTTP RFC 9110 §15.5.16 (415); CORS-simple text/plain requests skip preflight",
        rule: "a body labelled text/plain gets 4xx, not a result",
        run: check_fn!(bad_content_type),
    },
    Check {
        id: "http.batch",
        level: Level::Must,
        scope: Scope::EachEra,
        needs: &[],
        runs: Runs::ANYWHERE,
        source: "MCP 2025-03-26 basic/index.mdx#batching (MUST receive); removed in 2025-06-18",
        rule: "batches are answered under 2025-03-26 and refused (4xx) under later revisions",
        run: check_fn!(batch),
    },
    Check {
        id: "http.oversize",
        level: Level::Should,
        scope: Scope::EachEra,
        needs: &[],
        runs: Runs::ANYWHERE,
        source: "HTTP RFC 9110 §15.5.14 (413); SDK default limit 4 MiB",
        rule: "a body over 4 MiB (the SDKs' default limit) gets 413 (or another 4xx) and the server stays healthy",
        run: check_fn!(oversize),
    },
];

async fn endpoint_mcp(cx: &Cx) -> Result<Outcome, WireError> {
    let reply = cx.send(cx.cheap()).await?;
    Ok(if reply.response().is_some() {
        Outcome::pass(format!("{} answered on {}", reply.status_line(), cx.facts().mcp_path))
    } else {
        Outcome::fail(format!(
            "POST {} got {} with no JSON-RPC response",
            cx.facts().mcp_path,
            reply.status_line()
        ))
        .with(reply.evidence())
    })
}

async fn any_host(cx: &Cx) -> Result<Outcome, WireError> {
    let host = "bedrock-agentcore.us-east-1.amazonaws.com";
    let reply = cx.send(cx.cheap().header("host", host)).await?;
    Ok(if is_success(&reply) {
        Outcome::pass(format!("served with Host: {host}"))
    } else {
        Outcome::warn(format!(
            "Host: {host} got {}: a loopback-only Host allow-list (rmcp ≥ 1.4 default, Python SDK bound to loopback) \
             refuses proxied traffic; whether AgentCore forwards such a Host is unconfirmed",
            reply.status_line()
        ))
        .with(reply.evidence())
    })
}

async fn notification_202(cx: &Cx) -> Result<Outcome, WireError> {
    let reply = cx.send(cx.notification("notifications/initialized", json!({}))).await?;
    let empty = reply.http.body.iter().all(u8::is_ascii_whitespace);
    Ok(match reply.status() {
        202 if empty => Outcome::pass("202 with no body"),
        202 => Outcome::fail("202 with a body; an accepted notification gets none"),
        200..=299 => Outcome::fail(format!(
            "{}; an accepted notification MUST get 202",
            reply.status_line()
        )),
        400..=499 => Outcome::warn(format!(
            "notifications/initialized refused with {}; clients see a failed handshake",
            reply.status()
        )),
        _ => Outcome::fail(format!("{} for a notification", reply.status_line())),
    }
    .with(reply.evidence()))
}

async fn response_content_type(cx: &Cx) -> Result<Outcome, WireError> {
    let reply = cx.send(cx.cheap()).await?;
    if !is_success(&reply) {
        return Ok(Outcome::error(format!("the request got {}", reply.status_line())).with(reply.evidence()));
    }
    Ok(match reply.http.media_type().as_deref() {
        Some("application/json" | "text/event-stream") => Outcome::pass(reply.status_line()),
        other => Outcome::fail(format!(
            "a 2xx response labelled `{}`; it MUST be application/json or text/event-stream",
            other.unwrap_or("(none)")
        ))
        .with(reply.evidence()),
    })
}

async fn get(cx: &Cx) -> Result<Outcome, WireError> {
    let mut req = cx
        .to_endpoint("GET")
        .header("accept", "text/event-stream")
        .header("mcp-protocol-version", &cx.version());
    // A GET stream may legitimately stay open: watch it briefly after the head, then let go.
    req.expect = Some((json!("never"), String::new()));
    req.body_watch = Some(super::util::STREAM_WATCH);
    let reply = cx.send(req).await?;
    Ok(match reply.status() {
        405 => Outcome::pass("405: no server-initiated stream (stateless)"),
        200 if reply.is_sse() => {
            // A stateful session's stream may well have nothing to say yet; a stateless server's
            // never will, and clients that open it wait on a dead end.
            let silent = reply.http.body.is_empty() && reply.http.cut.is_some();
            if silent && !cx.stateful() {
                Outcome::warn(format!(
                    "GET opened an SSE stream that sent nothing for {} ms; a stateless server should answer 405",
                    super::util::STREAM_WATCH.as_millis()
                ))
            } else {
                Outcome::pass("GET opened an SSE stream")
            }
        }
        _ => Outcome::fail(format!(
            "GET answered {}; it MUST be an SSE stream or 405",
            reply.status_line()
        )),
    }
    .with(reply.evidence()))
}

async fn protocol_version_invalid(cx: &Cx) -> Result<Outcome, WireError> {
    if cx.version() == "2025-03-26" {
        return Ok(Outcome::skip(
            "the header exists from 2025-06-18; the server negotiated 2025-03-26",
        ));
    }
    let reply = cx.send(cx.cheap().header("mcp-protocol-version", "1999-01-01")).await?;
    Ok(if reply.status() == 400 {
        Outcome::pass("400 for MCP-Protocol-Version: 1999-01-01")
    } else {
        Outcome::fail(format!(
            "MCP-Protocol-Version: 1999-01-01 got {}; it MUST be 400",
            reply.status_line()
        ))
        .with(reply.evidence())
    })
}

async fn protocol_version_missing(cx: &Cx) -> Result<Outcome, WireError> {
    let reply = cx.send(cx.cheap().without("mcp-protocol-version")).await?;
    Ok(if reply.result().is_some() {
        Outcome::pass("served without MCP-Protocol-Version")
    } else {
        Outcome::warn(format!(
            "{} without MCP-Protocol-Version; the server SHOULD assume 2025-03-26 (older clients and probes send none)",
            reply.status_line()
        ))
        .with(reply.evidence())
    })
}

async fn origin_invalid(cx: &Cx) -> Result<Outcome, WireError> {
    let level = if cx.settings().profile == Profile::Agentcore {
        Level::Should
    } else {
        Level::Must
    };
    let reply = cx.send(cx.cheap().header("origin", "http://evil.example.com")).await?;
    let needs_403 = cx.era() == Era::Modern || cx.version().as_str() >= "2025-11-25";
    Ok(match reply.status() {
        403 => Outcome::pass("403 for Origin: http://evil.example.com"),
        400..=499 if !needs_403 => Outcome::pass(format!("{} for a foreign Origin", reply.status())),
        status => Outcome::violation(
            level,
            format!(
                "Origin: http://evil.example.com got {status}; it MUST be 403 (DNS rebinding){}",
                if level == Level::Should {
                    " — warn only: behind AgentCore the proxy sets the headers"
                } else {
                    ""
                }
            ),
        )
        .with(reply.evidence()),
    })
}

async fn malformed_json(cx: &Cx) -> Result<Outcome, WireError> {
    let reply = cx
        .send(cx.cheap().body(r#"{"jsonrpc": "2.0", "id": 1, "method": "ping""#))
        .await?;
    Ok(match reply.status() {
        400..=499 => Outcome::pass(format!("{} for invalid JSON", reply.status())),
        _ if has_result(&reply) => Outcome::fail("invalid JSON got a success result"),
        200..=299 => Outcome::warn(format!(
            "{}: the transport asks for an HTTP error status",
            reply.status_line()
        )),
        status => Outcome::warn(format!(
            "{status} for invalid JSON: a server error for a client's mistake"
        )),
    }
    .with(reply.evidence()))
}

async fn bad_content_type(cx: &Cx) -> Result<Outcome, WireError> {
    let reply = cx.send(cx.cheap().header("content-type", "text/plain")).await?;
    Ok(match reply.status() {
        400..=499 => Outcome::pass(format!("{} for Content-Type: text/plain", reply.status())),
        200..=299 => Outcome::warn(
            "a text/plain body was served as JSON-RPC; browsers send text/plain cross-origin without a CORS preflight",
        ),
        status => Outcome::warn(format!(
            "{status} for Content-Type: text/plain: a server error for a client's mistake"
        )),
    }
    .with(reply.evidence()))
}

fn ping_batch(cx: &Cx) -> Value {
    let (a, b) = (cx.next_id(), cx.next_id());
    json!([
        jsonrpc::request(&a, "ping", json!({})),
        jsonrpc::request(&b, "ping", json!({}))
    ])
}

async fn batch(cx: &Cx) -> Result<Outcome, WireError> {
    // Current revision: batches were removed, so they must not be served as if valid.
    let mut current = cx.cheap().json(&ping_batch(cx));
    current.expect = None;
    let reply = cx.send(current).await?;
    let refused = (400..500).contains(&reply.status());
    if !refused && has_result(&reply) {
        return Ok(Outcome::warn(format!(
            "a batch was answered with results under {}, which has no batches",
            cx.version()
        ))
        .with(reply.evidence()));
    }
    if !refused {
        return Ok(Outcome::warn(format!("a batch got {}; expected 4xx", reply.status_line())).with(reply.evidence()));
    }
    if cx.era() == Era::Modern {
        return Ok(Outcome::pass(format!("{} for a batch", reply.status())));
    }
    // 2025-03-26 servers MUST receive batches: test that if the server speaks 2025-03-26.
    let init = cx.call("initialize", jsonrpc::initialize_params("2025-03-26")).await?;
    if init.result().and_then(|r| r.get("protocolVersion")) != Some(&json!("2025-03-26")) {
        return Ok(Outcome::pass(format!(
            "{} for a batch; the server does not speak 2025-03-26",
            reply.status()
        )));
    }
    let mut old = cx
        .cheap()
        .header("mcp-protocol-version", "2025-03-26")
        .json(&ping_batch(cx));
    // A stateful server minted a 2025-03-26 session for that initialize: the batch goes there.
    if let Some(session) = init.http.header(SESSION_ID) {
        let initialized = cx
            .notification("notifications/initialized", json!({}))
            .header("mcp-protocol-version", "2025-03-26")
            .header(SESSION_ID, session);
        cx.send(initialized).await?;
        old = old.header(SESSION_ID, session);
    }
    old.expect = None;
    let old_reply = cx.send(old).await?;
    let answered = old_reply.messages.iter().filter(|m| m.get("result").is_some()).count();
    Ok(if answered == 2 {
        Outcome::pass(format!(
            "refused under {} ({}), answered under 2025-03-26",
            cx.version(),
            reply.status()
        ))
    } else {
        Outcome::fail(format!(
            "a 2025-03-26 batch of two pings got {answered} results ({}); 2025-03-26 servers MUST receive batches",
            old_reply.status_line()
        ))
        .with(old_reply.evidence())
    })
}

async fn oversize(cx: &Cx) -> Result<Outcome, WireError> {
    let padding = "x".repeat(OVERSIZE);
    let mut req = cx.cheap();
    let mut body: Value = serde_json::from_slice(&req.body).unwrap_or(json!({}));
    body["params"]["padding"] = json!(padding);
    req = req.json(&body);
    let reply = match cx.send(req).await {
        Ok(reply) => Some(reply),
        // Closing the connection mid-upload is a refusal too, if the server then stays healthy.
        Err(WireError::Protocol(_)) => None,
        Err(e) => return Err(e),
    };
    let after = cx.send(cx.cheap()).await?;
    if !is_success(&after) {
        return Ok(Outcome::warn(format!(
            "after a 4.1 MiB request the server answers {}",
            after.status_line()
        ))
        .with(after.evidence()));
    }
    Ok(match reply {
        None => Outcome::pass("the connection was closed during the 4.1 MiB upload; the server stayed healthy"),
        Some(reply) if reply.status() == 413 => Outcome::pass("413 for 4.1 MiB; the server stayed healthy"),
        Some(reply) if (400..500).contains(&reply.status()) => Outcome::pass(format!("{} for 4.1 MiB", reply.status())),
        Some(reply) if reply.http.cut == Some(Cut::TooLarge) => {
            Outcome::warn("the answer to a 4.1 MiB request was too large")
        }
        Some(reply) => Outcome::warn(format!(
            "a 4.1 MiB body got {}: no request size limit protects the server",
            reply.status_line()
        ))
        .with(reply.evidence().chars().take(300).collect::<String>()),
    })
}
