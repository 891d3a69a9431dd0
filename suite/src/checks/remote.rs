//! remote — the InvokeAgentRuntime path (an AgentCore runtime, or the local emulator): what a
//! production client sees through the platform. Each check sends its requests as platform calls
//! (`Cx::invoke`), so the platform's own refusals come back typed; they need a transport that
//! offers them (`Capability::Platform`), and skip elsewhere with the reason.

use serde_json::json;

use super::{Check, Level, Outcome, Runs, Scope, check_fn};
use crate::probe::{Cx, Era, Invoked, Req, SESSION_ID};
use crate::wire::agentcore::contract::RUNTIME_SESSION_ID;
use crate::wire::platform::{AuthKind, Credential};
use crate::wire::transport::{Capability, WireError};

pub const CHECKS: &[Check] = &[
    Check {
        id: "remote.sse-response",
        level: Level::Must,
        scope: Scope::EachEra,
        needs: &[Capability::Platform],
        runs: Runs::ANYWHERE,
        source: "AGENTCORE runtime-mcp-protocol-contract (response format); MCP basic/transports",
        rule: "through InvokeAgentRuntime, tools/list with the Accept AWS's guides send comes back as one parsable JSON or SSE body holding the response to its id",
        run: check_fn!(sse_response),
    },
    Check {
        id: "remote.accept",
        level: Level::Should,
        scope: Scope::EachEra,
        needs: &[Capability::Platform],
        runs: Runs::ANYWHERE,
        source: "AGENTCORE deploy guides (the 406 claim); MCP basic/transports (client Accept MUST list both)",
        rule: "the Accept AWS's guides send (`application/json, text/event-stream`) is served (MUST); a call without the accept member — the Rust SDK's default — is served too (interop hazard); one media type alone is reported",
        run: check_fn!(accept),
    },
    Check {
        id: "remote.session-roundtrip",
        level: Level::Must,
        scope: Scope::Server,
        needs: &[Capability::Platform],
        runs: Runs::ANYWHERE,
        source: "AGENTCORE runtime-mcp-protocol-contract (Session Management: accept the platform's Mcp-Session-Id)",
        rule: "the runtime session id comes back unchanged; the Mcp-Session-Id a response carries (the server's or the platform's) is accepted on the next request",
        run: check_fn!(session_roundtrip),
    },
    Check {
        id: "remote.guide-protocol-version",
        level: Level::Should,
        scope: Scope::Legacy,
        needs: &[Capability::Platform],
        runs: Runs::ANYWHERE,
        source: "AGENTCORE deploy guides (clients told to send mcpProtocolVersion='2024-11-05'); interop hazard",
        rule: "a request with `Mcp-Protocol-Version: 2024-11-05`, the version AWS's AgentCore guides tell clients to send, is served",
        run: check_fn!(guide_protocol_version),
    },
    Check {
        id: "remote.auth-required",
        level: Level::Must,
        scope: Scope::Server,
        needs: &[Capability::Platform],
        runs: Runs::ANYWHERE,
        source: "AGENTCORE runtime-mcp-protocol-contract (OAuth Authentication Responses); InvokeAgentRuntime API (SigV4); MCP 2025-11-25 basic/authorization.mdx#authorization-server-location",
        rule: "without credentials, or with wrong ones, the runtime refuses: 403 for SigV4, 401 with WWW-Authenticate for OAuth, whose resource_metadata serves RFC 9728 metadata naming at least one authorization server",
        run: check_fn!(auth_required),
    },
    Check {
        id: "remote.errors-typed",
        level: Level::Should,
        scope: Scope::Server,
        needs: &[Capability::Platform],
        runs: Runs::ANYWHERE,
        source: "InvokeAgentRuntime API (errors: x-amzn-ErrorType, message)",
        rule: "a request the platform refuses (a 32-character runtime session id) comes back as a typed error with a message, which SDKs surface as e.g. ValidationException",
        run: check_fn!(errors_typed),
    },
];

/// A tools/list or ping as the AgentCore guides send it.
fn guide_request(cx: &Cx) -> Req {
    if cx.declares("tools") {
        cx.standard("tools/list", json!({}))
    } else {
        cx.cheap()
    }
}

/// A request in the run's session (stateful servers).
fn in_session(cx: &Cx, req: Req) -> Req {
    match cx.session() {
        Some(session) => req.header(SESSION_ID, session),
        None => req,
    }
}

/// The platform's refusal of a call that should have been served: that check's `error`.
fn refused(cx: &Cx, invoked: &Invoked) -> Option<Outcome> {
    match invoked {
        Invoked::Refused(refusal) => Some(Outcome::error(
            refusal.explain(cx.platform_auth().unwrap_or(AuthKind::SigV4)),
        )),
        Invoked::Served(_) => None,
    }
}

async fn sse_response(cx: &Cx) -> Result<Outcome, WireError> {
    let invoked = cx
        .invoke(in_session(cx, guide_request(cx)), Credential::Configured)
        .await?;
    if let Some(error) = refused(cx, &invoked) {
        return Ok(error);
    }
    let Invoked::Served(reply) = &invoked else {
        unreachable!("refusals returned above")
    };
    if !(200..300).contains(&reply.status()) {
        return Ok(Outcome::fail(format!("not served: {}", invoked.summary())));
    }
    let id = reply
        .request
        .expect
        .as_ref()
        .map(|(id, _)| id.clone())
        .unwrap_or_default();
    Ok(match reply.response() {
        Some(_) => Outcome::pass(format!("{}: the response to id {id} parsed", invoked.summary())),
        None => Outcome::fail(format!(
            "{}: no response to id {id} in the body as a strict client reads it ({} message(s) parsed)",
            invoked.summary(),
            reply.messages.len()
        ))
        .with(reply.evidence()),
    })
}

async fn accept(cx: &Cx) -> Result<Outcome, WireError> {
    let variants: [(&str, Option<&str>); 4] = [
        ("both (AWS's guides)", Some("application/json, text/event-stream")),
        ("no accept member (the Rust SDK's default)", None),
        ("application/json only", Some("application/json")),
        ("text/event-stream only", Some("text/event-stream")),
    ];
    let mut matrix = Vec::new();
    let mut missing_refused = None;
    for (i, (name, accept)) in variants.iter().enumerate() {
        let req = in_session(cx, cx.cheap());
        let req = match accept {
            Some(value) => req.header("accept", value),
            None => req.without("accept"),
        };
        let invoked = cx.invoke(req, Credential::Configured).await?;
        if let Some(error) = refused(cx, &invoked) {
            return Ok(error);
        }
        let served = invoked.result().is_some();
        matrix.push(format!("{name}: {}", invoked.summary()));
        match (i, served) {
            (0, false) => {
                return Ok(Outcome::fail(format!(
                    "the Accept AWS's guides send was not served: {}",
                    invoked.summary()
                ))
                .with(matrix.join("; ")));
            }
            (1, false) => missing_refused = Some(invoked.summary()),
            // One media type only: a server may refuse it (clients MUST accept both); reported.
            _ => {}
        }
    }
    Ok(match missing_refused {
        None => Outcome::pass(matrix.join("; ")),
        Some(summary) => Outcome::warn(format!(
            "a call without the accept member (what the Rust SDK sends unless told) got {summary}: callers must set accept='application/json, text/event-stream'"
        ))
        .with(matrix.join("; ")),
    })
}

async fn session_roundtrip(cx: &Cx) -> Result<Outcome, WireError> {
    let cx = &cx.in_era(Era::Legacy);
    let initialize = || cx.standard("initialize", crate::wire::jsonrpc::initialize_params(&cx.version()));
    if cx.discovery().legacy.is_none() {
        // Through the platform even initialize carries a session id (the platform's). A server
        // that answers it 404, as servers answer unknown sessions, cannot be used on AgentCore.
        let invoked = cx.invoke(initialize(), Credential::Configured).await?;
        return Ok(match &invoked {
            Invoked::Served(reply) if reply.status() == 404 => Outcome::fail(format!(
                "initialize got {} through the platform, which adds an Mcp-Session-Id: the server refuses session ids it did not mint, so no client can start on AgentCore",
                invoked.summary()
            )),
            _ => Outcome::skip(format!(
                "the server speaks no legacy era ({})",
                cx.discovery().legacy_absent
            )),
        });
    }
    let sent_runtime_session = cx.runtime_session_id().unwrap_or_default();
    // A stateful server mints its id at initialize; a stateless one gets the platform's.
    let first = if cx.stateful() { initialize() } else { cx.cheap() };
    let invoked = cx.invoke(first, Credential::Configured).await?;
    if let Some(error) = refused(cx, &invoked) {
        return Ok(error);
    }
    let Invoked::Served(reply) = &invoked else {
        unreachable!("refusals returned above")
    };
    if invoked.result().is_none() {
        return Ok(Outcome::fail(format!(
            "a request without Mcp-Session-Id (the platform adds one) was not served: {}",
            invoked.summary()
        )));
    }
    let echoed = reply.http.header(RUNTIME_SESSION_ID);
    if echoed.is_some_and(|e| e != sent_runtime_session) {
        return Ok(Outcome::fail(format!(
            "runtime session `{sent_runtime_session}` came back as `{}`",
            echoed.unwrap_or("")
        )));
    }
    let Some(session) = reply.http.header(SESSION_ID).map(str::to_string) else {
        return Ok(Outcome::warn(
            "the response carries no Mcp-Session-Id: clients cannot stay on one microVM",
        ));
    };
    if cx.stateful() {
        let initialized = cx
            .notification("notifications/initialized", json!({}))
            .header(SESSION_ID, &session);
        cx.invoke(initialized, Credential::Configured).await?;
    }
    let again = cx.cheap().header(SESSION_ID, &session);
    let invoked = cx.invoke(again, Credential::Configured).await?;
    Ok(match invoked.result() {
        Some(_) => Outcome::pass(format!(
            "runtime session echoed{}; Mcp-Session-Id `{session}` accepted on the next request",
            if echoed.is_some() { "" } else { " (not returned)" }
        )),
        None => Outcome::fail(format!(
            "the Mcp-Session-Id the response carried was refused on the next request: {}",
            invoked.summary()
        )),
    })
}

async fn guide_protocol_version(cx: &Cx) -> Result<Outcome, WireError> {
    let req = in_session(cx, guide_request(cx)).header("mcp-protocol-version", "2024-11-05");
    let invoked = cx.invoke(req, Credential::Configured).await?;
    if let Some(error) = refused(cx, &invoked) {
        return Ok(error);
    }
    Ok(match invoked.result() {
        Some(_) => Outcome::pass(format!(
            "served with Mcp-Protocol-Version 2024-11-05 ({})",
            invoked.summary()
        )),
        None => Outcome::warn(format!(
            "Mcp-Protocol-Version 2024-11-05 was refused ({}): every client that follows the AgentCore guide (mcpProtocolVersion='2024-11-05') breaks; serve it with the oldest rules you speak, or tell clients to send a version you support",
            invoked.summary()
        )),
    })
}

async fn auth_required(cx: &Cx) -> Result<Outcome, WireError> {
    let oauth = cx.platform_auth() == Some(AuthKind::Bearer);
    let mut seen = Vec::new();
    for (credential, name) in [
        (Credential::Missing, "no credentials"),
        (Credential::Wrong, "wrong credentials"),
    ] {
        let invoked = cx.invoke(cx.cheap(), credential).await?;
        match &invoked {
            Invoked::Served(reply) if (200..300).contains(&reply.status()) => {
                return Ok(Outcome::fail(format!(
                    "a call with {name} was served ({}): anyone can invoke this runtime",
                    invoked.summary()
                )));
            }
            Invoked::Served(reply) => seen.push(format!("{name}: HTTP {} (not a platform error)", reply.status())),
            Invoked::Refused(refusal) => {
                let expected = if oauth { 401 } else { 403 };
                if refusal.status != expected && !(oauth && refusal.status == 403) {
                    return Ok(Outcome::fail(format!(
                        "a call with {name} got {} {}, not {expected}",
                        refusal.status, refusal.code
                    )));
                }
                if oauth && credential == Credential::Missing {
                    let Some(challenge) = &refusal.www_authenticate else {
                        return Ok(Outcome::fail(
                            "an OAuth runtime's 401 lacks WWW-Authenticate: clients cannot find the authorization server",
                        ));
                    };
                    match protected_resource_metadata(cx, challenge).await? {
                        Ok(servers) => seen.push(format!("protected-resource metadata names {servers}")),
                        Err(problem) => {
                            return Ok(Outcome::fail(problem).with(format!("WWW-Authenticate: {challenge}")));
                        }
                    }
                }
                seen.push(format!("{name}: {} {}", refusal.status, refusal.code));
            }
        }
    }
    Ok(Outcome::pass(seen.join("; ")))
}

/// Follows a 401's `resource_metadata` as an MCP client does (RFC 9728 discovery) and checks
/// the document: a `resource`, and at least one authorization server (MCP 2025-11-25
/// basic/authorization.mdx "Authorization Server Location": MUST). Says which servers it names,
/// or what is wrong.
async fn protected_resource_metadata(cx: &Cx, challenge: &str) -> Result<Result<String, String>, WireError> {
    let Some(url) = challenge
        .split("resource_metadata=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
    else {
        return Ok(Err(
            "the 401's WWW-Authenticate names no resource_metadata: MCP clients cannot discover the authorization server".into(),
        ));
    };
    let response = match cx.fetch_platform_document(url).await {
        Ok(response) => response,
        Err(WireError::Unobservable(why)) => return Ok(Ok(format!("(not fetched: {why})"))),
        Err(e) => {
            return Ok(Err(format!(
                "the protected-resource metadata at {url} could not be fetched: {e}"
            )));
        }
    };
    if response.status != 200 {
        return Ok(Err(format!(
            "the protected-resource metadata the 401 names ({url}) answered HTTP {}: MCP clients cannot discover the authorization server",
            response.status
        )));
    }
    let document: serde_json::Value = serde_json::from_slice(&response.body).unwrap_or_default();
    let servers: Vec<&str> = document["authorization_servers"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s.as_str())
        .collect();
    if document["resource"].as_str().is_none_or(str::is_empty) {
        return Ok(Err(format!(
            "the protected-resource metadata at {url} has no `resource`: {document}"
        )));
    }
    if servers.is_empty() {
        return Ok(Err(format!(
            "the protected-resource metadata at {url} names no authorization server (MUST name at least one): {document}"
        )));
    }
    Ok(Ok(servers.join(", ")))
}

async fn errors_typed(cx: &Cx) -> Result<Outcome, WireError> {
    // 32 characters: one short of the API's minimum. The suite refuses to send such an id on
    // its own; this request breaks the rule on purpose.
    let short = "x".repeat(32);
    let req = cx
        .cheap()
        .header(RUNTIME_SESSION_ID, &short)
        .on_purpose("a 32-character runtime session id");
    Ok(match cx.invoke(req, Credential::Configured).await? {
        Invoked::Refused(refusal) if !refusal.message.is_empty() => {
            Outcome::pass(format!("{} {}: {}", refusal.status, refusal.code, refusal.message))
        }
        Invoked::Refused(refusal) => Outcome::warn(format!(
            "{} {} without a message: clients can only show the code",
            refusal.status, refusal.code
        )),
        Invoked::Served(reply) if (200..300).contains(&reply.status()) => Outcome::skip(
            "the platform served a 32-character runtime session id, so there was no refusal to judge (session.runtime-id-length judges that)",
        ),
        Invoked::Served(reply) => Outcome::warn(format!(
            "refused with HTTP {} but no x-amzn-ErrorType: SDKs raise an unnamed error",
            reply.status()
        )),
    })
}
