//! remote — the InvokeAgentRuntime path (an AgentCore runtime, or the local emulator): what a
//! production client sees through the platform. Each check sends its requests straight through
//! the API with `util::invoke`, so the platform's own refusals come back typed.

use serde_json::{Value, json};

use super::util::{Invoked, invoke, runtime};
use super::{Check, Level, Outcome, Phase, Scope, check_fn};
use crate::probe::{Cx, Era, SESSION_ID};
use crate::wire::agentcore::{Answer, Auth, Credential, RUNTIME_SESSION_ID};
use crate::wire::transport::WireError;

pub const CHECKS: &[Check] = &[
    Check {
        id: "remote.sse-response",
        level: Level::Must,
        scope: Scope::EachEra,
        phase: Phase::Together,
        needs: &[],
        source: "AGENTCORE runtime-mcp-protocol-contract (response format); MCP basic/transports",
        rule: "through InvokeAgentRuntime, tools/list with the seed's Accept comes back as one parsable JSON or SSE body holding the response to its id",
        run: check_fn!(sse_response),
    },
    Check {
        id: "remote.accept",
        level: Level::Should,
        scope: Scope::EachEra,
        phase: Phase::Together,
        needs: &[],
        source: "AGENTCORE deploy guides (the 406 claim); MCP basic/transports (client Accept MUST list both)",
        rule: "the seed's Accept (`application/json, text/event-stream`) is served (MUST); a call without the accept member — the Rust SDK's default — is served too (interop hazard); one media type alone is reported",
        run: check_fn!(accept),
    },
    Check {
        id: "remote.session-roundtrip",
        level: Level::Must,
        scope: Scope::Server,
        phase: Phase::Together,
        needs: &[],
        source: "AGENTCORE runtime-mcp-protocol-contract (Session Management: accept the platform's Mcp-Session-Id)",
        rule: "the runtime session id comes back unchanged; the Mcp-Session-Id a response carries (the server's or the platform's) is accepted on the next request",
        run: check_fn!(session_roundtrip),
    },
    Check {
        id: "remote.seed-protocol-version",
        level: Level::Should,
        scope: Scope::Legacy,
        phase: Phase::Together,
        needs: &[],
        source: "AGENTCORE deploy guides (clients told to send mcpProtocolVersion='2024-11-05'); interop hazard",
        rule: "a request with `Mcp-Protocol-Version: 2024-11-05`, as the guides tell clients to send, is served",
        run: check_fn!(seed_protocol_version),
    },
    Check {
        id: "remote.auth-required",
        level: Level::Must,
        scope: Scope::Server,
        phase: Phase::Together,
        needs: &[],
        source: "AGENTCORE runtime-mcp-protocol-contract (OAuth Authentication Responses); InvokeAgentRuntime API (SigV4)",
        rule: "without credentials, or with wrong ones, the runtime refuses: 403 for SigV4, 401 with WWW-Authenticate for OAuth",
        run: check_fn!(auth_required),
    },
    Check {
        id: "remote.errors-typed",
        level: Level::Should,
        scope: Scope::Server,
        phase: Phase::Together,
        needs: &[],
        source: "InvokeAgentRuntime API (errors: x-amzn-ErrorType, message)",
        rule: "a request the platform refuses (a 32-character runtime session id) comes back as a typed error with a message, which SDKs surface as e.g. ValidationException",
        run: check_fn!(errors_typed),
    },
];

/// A tools/list or ping as the AgentCore guides send it.
fn seed_request(cx: &Cx) -> crate::probe::Req {
    if cx.declares("tools") {
        cx.standard("tools/list", json!({}))
    } else {
        cx.cheap()
    }
}

fn id_of(req: &crate::probe::Req) -> Value {
    req.expect.as_ref().map(|(id, _)| id.clone()).unwrap_or(Value::Null)
}

/// A request in the run's session (stateful servers), with its id.
fn in_session(cx: &Cx, req: crate::probe::Req) -> crate::probe::Req {
    match cx.session() {
        Some(session) => req.header(SESSION_ID, session),
        None => req,
    }
}

async fn sse_response(cx: &Cx) -> Result<Outcome, WireError> {
    let runtime = match runtime(cx) {
        Ok(r) => r,
        Err(skip) => return Ok(skip),
    };
    let req = in_session(cx, seed_request(cx));
    let id = id_of(&req);
    let invoked = invoke(cx, &runtime, req, Credential::Configured).await?;
    let Answer::Served(http) = &invoked.answer else {
        return Ok(Outcome::error(invoked.summary()));
    };
    if !(200..300).contains(&http.status) {
        return Ok(Outcome::fail(format!("not served: {}", invoked.summary())));
    }
    Ok(match invoked.response(&id) {
        Some(_) => Outcome::pass(format!("{}: the response to id {id} parsed", invoked.summary())),
        None => Outcome::fail(format!(
            "{}: no response to id {id} in the body as a strict client reads it ({} message(s) parsed)",
            invoked.summary(),
            invoked.messages.len()
        ))
        .with(crate::wire::sse::excerpt(&String::from_utf8_lossy(&http.body), 300)),
    })
}

async fn accept(cx: &Cx) -> Result<Outcome, WireError> {
    let runtime = match runtime(cx) {
        Ok(r) => r,
        Err(skip) => return Ok(skip),
    };
    let variants: [(&str, Option<&str>); 4] = [
        ("both (the seed's)", Some("application/json, text/event-stream")),
        ("no accept member (the Rust SDK's default)", None),
        ("application/json only", Some("application/json")),
        ("text/event-stream only", Some("text/event-stream")),
    ];
    let mut matrix = Vec::new();
    let mut missing_refused = None;
    for (i, (name, accept)) in variants.iter().enumerate() {
        let mut req = in_session(cx, cx.cheap());
        req = match accept {
            Some(value) => req.header("accept", value),
            None => req.without("accept"),
        };
        let id = id_of(&req);
        let invoked = invoke(cx, &runtime, req, Credential::Configured).await?;
        if let Answer::Refused(refusal) = &invoked.answer {
            return Ok(Outcome::error(refusal.explain(&runtime.spec().auth)));
        }
        let served = invoked.response(&id).is_some_and(|m| m.get("result").is_some());
        matrix.push(format!("{name}: {}", invoked.summary()));
        match (i, served) {
            (0, false) => {
                return Ok(
                    Outcome::fail(format!("the seed's Accept was not served: {}", invoked.summary()))
                        .with(matrix.join("; ")),
                );
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
    let runtime = match runtime(cx) {
        Ok(r) => r,
        Err(skip) => return Ok(skip),
    };
    let cx = &Cx {
        probe: cx.probe.clone(),
        era: Some(Era::Legacy),
    };
    if cx.probe.discovery.legacy.is_none() {
        // Through the platform even initialize carries a session id (the platform's). A server
        // that answers it 404, as servers answer unknown sessions, cannot be used on AgentCore.
        let initialize = cx.standard("initialize", crate::wire::jsonrpc::initialize_params(&cx.version()));
        let invoked = invoke(cx, &runtime, initialize, Credential::Configured).await?;
        return Ok(match &invoked.answer {
            Answer::Served(http) if http.status == 404 => Outcome::fail(format!(
                "initialize got {} through the platform, which adds an Mcp-Session-Id: the server refuses session ids it did not mint, so no client can start on AgentCore",
                invoked.summary()
            )),
            _ => Outcome::skip(format!(
                "the server speaks no legacy era ({})",
                cx.probe.discovery.legacy_absent
            )),
        });
    }
    let sent_runtime_session = runtime.spec().runtime_session_id.clone();
    // A stateful server mints its id at initialize; a stateless one gets the platform's.
    let first = if cx.stateful() {
        cx.standard("initialize", crate::wire::jsonrpc::initialize_params(&cx.version()))
    } else {
        cx.cheap()
    };
    let first_id = id_of(&first);
    let invoked = invoke(cx, &runtime, first, Credential::Configured).await?;
    let Answer::Served(http) = &invoked.answer else {
        return Ok(Outcome::error(invoked.summary()));
    };
    if invoked.response(&first_id).and_then(|m| m.get("result")).is_none() {
        return Ok(Outcome::fail(format!(
            "a request without Mcp-Session-Id (the platform adds one) was not served: {}",
            invoked.summary()
        )));
    }
    let echoed = http.header(RUNTIME_SESSION_ID);
    if echoed.is_some_and(|e| e != sent_runtime_session) {
        return Ok(Outcome::fail(format!(
            "runtime session `{sent_runtime_session}` came back as `{}`",
            echoed.unwrap_or("")
        )));
    }
    let Some(session) = http.header(SESSION_ID).map(str::to_string) else {
        return Ok(Outcome::warn(
            "the response carries no Mcp-Session-Id: clients cannot stay on one microVM",
        ));
    };
    if cx.stateful() {
        let initialized = cx
            .notification("notifications/initialized", json!({}))
            .header(SESSION_ID, &session);
        invoke(cx, &runtime, initialized, Credential::Configured).await?;
    }
    let again = cx.cheap().header(SESSION_ID, &session);
    let again_id = id_of(&again);
    let invoked = invoke(cx, &runtime, again, Credential::Configured).await?;
    Ok(match invoked.response(&again_id).and_then(|m| m.get("result")) {
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

async fn seed_protocol_version(cx: &Cx) -> Result<Outcome, WireError> {
    let runtime = match runtime(cx) {
        Ok(r) => r,
        Err(skip) => return Ok(skip),
    };
    let req = in_session(cx, seed_request(cx)).header("mcp-protocol-version", "2024-11-05");
    let id = id_of(&req);
    let invoked = invoke(cx, &runtime, req, Credential::Configured).await?;
    if let Answer::Refused(refusal) = &invoked.answer {
        return Ok(Outcome::error(refusal.explain(&runtime.spec().auth)));
    }
    Ok(match invoked.response(&id).and_then(|m| m.get("result")) {
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
    let runtime = match runtime(cx) {
        Ok(r) => r,
        Err(skip) => return Ok(skip),
    };
    let oauth = matches!(runtime.spec().auth, Auth::Bearer(_));
    let mut seen = Vec::new();
    for (credential, name) in [
        (Credential::Missing, "no credentials"),
        (Credential::Wrong, "wrong credentials"),
    ] {
        let invoked = invoke(cx, &runtime, cx.cheap(), credential).await?;
        match &invoked.answer {
            Answer::Served(http) if (200..300).contains(&http.status) => {
                return Ok(Outcome::fail(format!(
                    "a call with {name} was served ({}): anyone can invoke this runtime",
                    invoked.summary()
                )));
            }
            Answer::Served(http) => seen.push(format!("{name}: HTTP {} (not a platform error)", http.status)),
            Answer::Refused(refusal) => {
                let expected = if oauth { 401 } else { 403 };
                if refusal.status != expected && !(oauth && refusal.status == 403) {
                    return Ok(Outcome::fail(format!(
                        "a call with {name} got {} {}, not {expected}",
                        refusal.status, refusal.code
                    )));
                }
                if oauth && credential == Credential::Missing && refusal.www_authenticate.is_none() {
                    return Ok(Outcome::fail(
                        "an OAuth runtime's 401 lacks WWW-Authenticate: clients cannot find the authorization server",
                    ));
                }
                seen.push(format!("{name}: {} {}", refusal.status, refusal.code));
            }
        }
    }
    Ok(Outcome::pass(seen.join("; ")))
}

async fn errors_typed(cx: &Cx) -> Result<Outcome, WireError> {
    let runtime = match runtime(cx) {
        Ok(r) => r,
        Err(skip) => return Ok(skip),
    };
    // 32 characters: one short of the API's minimum. The suite refuses to send such an id on
    // its own; this request breaks the rule on purpose.
    let short = "x".repeat(32);
    let req = cx.cheap().header(RUNTIME_SESSION_ID, &short);
    let invoked: Invoked = invoke(cx, &runtime, req, Credential::Configured).await?;
    Ok(match &invoked.answer {
        Answer::Refused(refusal) if !refusal.message.is_empty() => {
            Outcome::pass(format!("{} {}: {}", refusal.status, refusal.code, refusal.message))
        }
        Answer::Refused(refusal) => Outcome::warn(format!(
            "{} {} without a message: clients can only show the code",
            refusal.status, refusal.code
        )),
        Answer::Served(http) if (200..300).contains(&http.status) => Outcome::skip(
            "the platform served a 32-character runtime session id, so there was no refusal to judge (session.runtime-id-length judges that)",
        ),
        Answer::Served(http) => Outcome::warn(format!(
            "refused with HTTP {} but no x-amzn-ErrorType: SDKs raise an unnamed error",
            http.status
        )),
    })
}
