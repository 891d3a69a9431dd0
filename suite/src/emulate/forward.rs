//! Forwarding an invocation as the platform does: the headers it forwards (the API's members and
//! allow-listed custom headers), the session id it adds, the response streamed back unbuffered.

use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, Request};
use axum::response::Response;

use super::Gate;
use super::errors::{runtime_client_error, validation};
use super::runtime_sessions::session_instance;
use crate::wire::agentcore::contract::{MEMBER_HEADERS, RUNTIME_SESSION_ID, new_runtime_session_id};
use crate::wire::reqwest_transport::chain;

/// The request headers the platform forwards to the container: the API's members (research:
/// session headers, the MCP headers, Accept, Content-Type, tracing) and allow-listed custom
/// headers. Authorization and the signing headers stay behind.
fn forwarded(name: &str) -> bool {
    MEMBER_HEADERS.contains(&name) || name.starts_with("x-amzn-bedrock-agentcore-runtime-custom-")
}

pub(super) async fn invoke(gate: &Gate, headers: &HeaderMap, body: axum::body::Bytes, session_id: String) -> Response {
    let instance = match session_instance(gate, &session_id).await {
        Ok(instance) => instance,
        Err(why) => {
            return runtime_client_error(&format!(
                "Runtime initialization time exceeded or the runtime failed: {why}"
            ));
        }
    };
    // The platform gives every request a session id: the client's, or one it makes. Except an
    // initialize without one: AgentCore supports stateful servers (Python `stateless_http=False`),
    // which mint their id there and answer 404 to an initialize carrying an id they never minted;
    // the platform's id then only goes back to the client, for routing (inference: the docs say
    // both "the platform adds one" and "stateful servers are supported").
    let client_session = headers
        .get("mcp-session-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let initialize = serde_json::from_slice::<serde_json::Value>(&body)
        .is_ok_and(|message| message.get("method").and_then(|m| m.as_str()) == Some("initialize"));
    let forward_session = client_session.is_some() || !initialize;
    let mcp_session = client_session.unwrap_or_else(new_mcp_session_id);
    let mut upstream = Request::post(instance.mcp_url.as_str());
    for (name, value) in headers {
        if forwarded(name.as_str()) && name.as_str() != "mcp-session-id" && name.as_str() != RUNTIME_SESSION_ID {
            upstream = upstream.header(name, value);
        }
    }
    if forward_session {
        upstream = upstream.header("mcp-session-id", &mcp_session);
    }
    if !headers.contains_key("content-type") {
        // Inference, not documented: boto3 sends no Content-Type when the caller gives no
        // `contentType` (as AWS's own "complete working example" does), the MCP SDK servers
        // answer such a request 415, and against real runtimes those scripts work, so the
        // platform must supply one. The payload of an MCP runtime is JSON.
        upstream = upstream.header("content-type", "application/json");
    }
    let upstream = upstream
        .header(RUNTIME_SESSION_ID, &session_id)
        .header("x-amzn-bedrock-agentcore-runtime-request-id", new_mcp_session_id())
        .body(http_body_util::Full::new(body));
    let upstream = match upstream {
        Ok(request) => request,
        Err(e) => return validation(&format!("a header cannot be forwarded: {e}"), "headers"),
    };
    let response = match tokio::time::timeout(Duration::from_secs(60), gate.http.request(upstream)).await {
        Ok(Ok(response)) => response,
        Ok(Err(e)) => return runtime_client_error(&format!("The runtime did not answer: {}", chain(&e))),
        Err(_) => return runtime_client_error("The runtime did not answer within 60 s"),
    };
    let mut reply = Response::builder().status(response.status());
    let upstream_headers = response.headers();
    for name in [
        "content-type",
        "mcp-protocol-version",
        "cache-control",
        "x-accel-buffering",
    ] {
        if let Some(value) = upstream_headers.get(name) {
            reply = reply.header(name, value);
        }
    }
    // A session id the server minted wins; else the one the platform added.
    let session_header = upstream_headers
        .get("mcp-session-id")
        .cloned()
        .or_else(|| HeaderValue::from_str(&mcp_session).ok());
    if let Some(value) = session_header {
        reply = reply.header("mcp-session-id", value);
    }
    reply = reply.header(RUNTIME_SESSION_ID, &session_id);
    reply.body(Body::new(response.into_body())).unwrap_or_default()
}

pub(super) fn new_mcp_session_id() -> String {
    new_runtime_session_id().replace("agentcore-mcp-suite-", "")
}
