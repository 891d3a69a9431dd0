//! Discovery: which eras the server speaks, how it answers (SSE or JSON), and whether it holds
//! sessions — found once, before any check runs, by an initialize offering the newest legacy
//! version and a server/discover in the 2026-07-28 envelope.

use std::sync::Arc;

use serde_json::{Value, json};

use super::{Cx, Era, Probe, Reply, SESSION_ID};
use crate::error::Error;
use crate::wire::jsonrpc::{self, LEGACY_VERSIONS, MODERN_VERSION};
use crate::wire::sse::SseParser;
use crate::wire::transport::WireError;

/// What the server said about itself when the run began.
#[derive(Clone, Debug, Default)]
pub struct Discovery {
    /// The negotiated legacy version and the initialize result.
    pub legacy: Option<(String, Value)>,
    /// The `Mcp-Session-Id` the legacy initialize minted: the server is stateful, and every later
    /// request of the run's session carries it.
    pub legacy_session: Option<String>,
    /// Whether each era answered requests as SSE (else JSON), [legacy, modern].
    pub answers_sse: [Option<bool>; 2],
    /// The server/discover result.
    pub modern: Option<Value>,
    /// Why an era is not spoken, for the skip messages.
    pub legacy_absent: String,
    pub modern_absent: String,
}

impl Discovery {
    pub fn speaks(&self, era: Era) -> bool {
        match era {
            Era::Legacy => self.legacy.is_some(),
            Era::Modern => self.modern.is_some(),
        }
    }
}

/// Which eras the server speaks: an initialize offering the newest legacy version, and a
/// server/discover in the 2026-07-28 envelope. An unreachable server is a setup error.
pub(super) async fn discover(probe: &Probe) -> Result<Discovery, Error> {
    // Refused connections stop the run (exit 2); anything else a server does is reported on.
    let unreachable = |e: &WireError| Error::Setup(format!("cannot reach {}: {e}", probe.facts.label));
    // A probe of its own, whose requests carry no discovered version or session yet.
    let fresh = Arc::new(Probe::new(
        probe.transport.clone(),
        probe.facts.clone(),
        probe.settings.clone(),
    ));
    let legacy = Cx::new(fresh.clone(), Some(Era::Legacy));
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
                    if let Some(session) = &discovery.legacy_session
                        && let Err(e @ WireError::Connect(_)) = legacy.send_initialized(session, v).await
                    {
                        return Err(unreachable(&e));
                    }
                }
                Some(v) => {
                    discovery.legacy_absent =
                        format!("initialize answered version `{v}`, which the suite does not know")
                }
                None => discovery.legacy_absent = format!("initialize {}", what_came_back(&reply)),
            }
        }
    }
    let modern = legacy.in_era(Era::Modern);
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
            } else if let Some(listed) = result.as_ref().and_then(|r| r.get("supportedVersions")) {
                discovery.modern_absent =
                    format!("server/discover answered, but its supportedVersions {listed} lack {MODERN_VERSION}");
            } else {
                discovery.modern_absent = format!("server/discover {}", what_came_back(&reply));
            }
        }
    }
    // What discovery received counts for schema.valid too.
    probe
        .seen_messages()
        .extend(std::mem::take(&mut *fresh.seen_messages()));
    Ok(discovery)
}

/// What a request that found no era got: the JSON-RPC error (code, message, the versions it
/// lists) when there is one, else the HTTP status and media type.
fn what_came_back(reply: &Reply) -> String {
    let Some(error) = reply.error() else {
        return format!("was not answered ({})", reply.status_line());
    };
    let code = error.get("code").map_or("?".to_string(), Value::to_string);
    let message = error.get("message").and_then(Value::as_str).unwrap_or("");
    let supported = error
        .pointer("/data/supported")
        .or_else(|| error.pointer("/data/supportedVersions"))
        .map(|v| format!("; it supports {v}"))
        .unwrap_or_default();
    format!(
        "was refused: {} with JSON-RPC error {code} `{}`{supported}",
        reply.status_line(),
        crate::wire::sse::excerpt(message, 120)
    )
}

/// Discovery reads like a lenient client, so a server with broken framing (an unterminated last
/// event, a wrong label, a wrong id) is still found and the strict checks can say what is broken.
fn lenient_result(reply: &Reply) -> Option<Value> {
    if let Some(result) = reply.result() {
        return Some(result.clone());
    }
    let mut messages = reply.messages.clone();
    if messages.is_empty() {
        // Read the body as events whatever its label, ending a last event left unterminated.
        let mut parser = SseParser::new();
        parser.feed(&reply.http.body);
        parser.feed(b"\n\n");
        messages = jsonrpc::messages_in_events(&parser.finish().events);
    }
    let mut results = messages.iter().filter_map(|m| m.get("result"));
    let first = results.next()?;
    results.next().is_none().then(|| first.clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::transport::{HttpResponse, Timings};

    fn reply(status: u16, body: &str) -> Reply {
        Reply {
            request: super::super::Req::new("POST", "/mcp"),
            http: HttpResponse {
                status,
                headers: vec![("content-type".into(), b"application/json".to_vec())],
                body: body.as_bytes().to_vec(),
                chunks: Vec::new(),
                timings: Timings::default(),
                cut: None,
            },
            sse: None,
            messages: jsonrpc::messages_in_json(body.as_bytes()),
        }
    }

    /// An era the server refuses is described by what it answered, not as "not answered".
    #[test]
    fn says_what_came_back() {
        let refused = reply(
            400,
            r#"{"jsonrpc":"2.0","id":1,"error":{"code":-32022,"message":"Unsupported protocol version","data":{"supported":["2025-06-18"]}}}"#,
        );
        assert_eq!(
            what_came_back(&refused),
            r#"was refused: HTTP 400 application/json with JSON-RPC error -32022 `Unsupported protocol version`; it supports ["2025-06-18"]"#
        );
        assert_eq!(
            what_came_back(&reply(404, "")),
            "was not answered (HTTP 404 application/json)"
        );
    }
}
