//! POST /mcp: the transport rules both eras share, in the order they apply — method, Host and
//! Origin, body size, Content-Type, JSON parsing — then the split into the legacy (initialize
//! handshake) or modern (2026-07-28 `_meta` envelope) era.

use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::sse::json_response;
use crate::{MODERN_VERSIONS, Server, legacy, modern};

pub(crate) const PROTOCOL_VERSION: &str = "mcp-protocol-version";
pub(crate) const SESSION_ID: &str = "mcp-session-id";
pub(crate) const RUNTIME_SESSION_ID: &str = "x-amzn-bedrock-agentcore-runtime-session-id";

/// JSON-RPC error codes used here.
pub(crate) mod code {
    pub const PARSE_ERROR: i64 = -32700;
    pub const INVALID_REQUEST: i64 = -32600;
    pub const METHOD_NOT_FOUND: i64 = -32601;
    pub const INVALID_PARAMS: i64 = -32602;
    pub const INTERNAL_ERROR: i64 = -32603;
    pub const HEADER_MISMATCH: i64 = -32020;
    pub const UNSUPPORTED_PROTOCOL_VERSION: i64 = -32022;
}

/// A JSON-RPC error object.
pub(crate) fn rpc_error(server: &Server, code: i64, message: impl Into<String>) -> Value {
    let code = if server.fault("error-code-string") {
        json!(code.to_string())
    } else {
        json!(code)
    };
    json!({ "code": code, "message": message.into() })
}

/// An HTTP error status carrying a JSON-RPC error response.
pub(crate) fn error_response(server: &Server, status: StatusCode, id: &Value, error: Value) -> Response {
    json_response(server, status, &json!({ "jsonrpc": "2.0", "id": id, "error": error }))
}

pub(crate) fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim)
}

/// 202 Accepted with no body: the answer to a notification or a posted response.
pub(crate) fn accepted(server: &Server) -> Response {
    if server.fault("notification-200") {
        return StatusCode::OK.into_response();
    }
    StatusCode::ACCEPTED.into_response()
}

pub(crate) async fn mcp_endpoint(
    State(server): State<Arc<Server>>,
    method: Method,
    headers: HeaderMap,
    body: Body,
) -> Response {
    if method != Method::POST {
        return non_post(&server, &method, &headers).await;
    }
    if let Some(refusal) = check_host_and_origin(&server, &headers) {
        return refusal;
    }
    let limit = if server.fault("no-body-limit") {
        usize::MAX
    } else {
        server.config.max_body_bytes
    };
    let Ok(bytes) = axum::body::to_bytes(body, limit).await else {
        let error = rpc_error(&server, code::INVALID_REQUEST, "request body too large");
        return error_response(&server, StatusCode::PAYLOAD_TOO_LARGE, &Value::Null, error);
    };
    if !is_json_content_type(&headers) && !server.fault("content-type-unchecked") {
        let error = rpc_error(&server, code::INVALID_REQUEST, "Content-Type must be application/json");
        return error_response(&server, StatusCode::UNSUPPORTED_MEDIA_TYPE, &Value::Null, error);
    }
    let message: Value = match serde_json::from_slice(&bytes) {
        Ok(message) => message,
        Err(e) => return parse_error(&server, &bytes, e),
    };
    if is_modern(&message, header(&headers, PROTOCOL_VERSION)) {
        modern::handle(server, headers, message).await
    } else {
        legacy::handle(server, headers, message).await
    }
}

/// GET and DELETE: a stateless server has no stream to offer and no session to end.
async fn non_post(server: &Arc<Server>, method: &Method, headers: &HeaderMap) -> Response {
    if *method == Method::GET && server.fault("get-200-json") {
        return json_response(server, StatusCode::OK, &json!({}));
    }
    if *method == Method::GET && server.fault("modern-get-sse") {
        let modern = header(headers, PROTOCOL_VERSION).is_some_and(|v| MODERN_VERSIONS.contains(&v));
        if modern {
            // An SSE stream that stays silent: a dead end for clients that open it.
            let silent = futures_util::stream::once(async {
                tokio::time::sleep(Duration::from_secs(3600)).await;
                Ok::<_, std::convert::Infallible>(Bytes::new())
            });
            return ([(header::CONTENT_TYPE, "text/event-stream")], Body::from_stream(silent)).into_response();
        }
    }
    if *method == Method::DELETE && server.fault("delete-crashes") {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    let mut response = StatusCode::METHOD_NOT_ALLOWED.into_response();
    response
        .headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static("POST"));
    response
}

/// Host is never checked (the server runs behind the AgentCore proxy, which forwards other
/// hosts); a present Origin must be allowed, which stops DNS rebinding from browsers without
/// breaking server-to-server traffic, which carries no Origin.
fn check_host_and_origin(server: &Server, headers: &HeaderMap) -> Option<Response> {
    if server.fault("loopback-host-only") {
        let host = header(headers, "host").unwrap_or("");
        let name = host.rsplit_once(':').map_or(host, |(name, _)| name);
        if !matches!(name, "localhost" | "127.0.0.1" | "[::1]") {
            let error = rpc_error(server, code::INVALID_REQUEST, "Host header is not allowed");
            return Some(error_response(server, StatusCode::FORBIDDEN, &Value::Null, error));
        }
    }
    let origin = header(headers, "origin")?;
    if server.fault("origin-unchecked") || origin_allowed(server, origin) {
        return None;
    }
    let error = rpc_error(
        server,
        code::INVALID_REQUEST,
        format!("Origin `{origin}` is not allowed"),
    );
    Some(error_response(server, StatusCode::FORBIDDEN, &Value::Null, error))
}

fn origin_allowed(server: &Server, origin: &str) -> bool {
    if server.config.allowed_origins.iter().any(|o| o == origin) {
        return true;
    }
    let Some(rest) = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"))
    else {
        return false;
    };
    let host = match rest.strip_prefix("[::1]") {
        Some(port) => return port.is_empty() || is_port(port),
        None => rest,
    };
    let (name, port) = host.split_once(':').map_or((host, ""), |(n, p)| (n, p));
    matches!(name, "localhost" | "127.0.0.1") && (port.is_empty() || is_port(&format!(":{port}")))
}

fn is_port(suffix: &str) -> bool {
    suffix
        .strip_prefix(':')
        .is_some_and(|p| !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()))
}

fn is_json_content_type(headers: &HeaderMap) -> bool {
    header(headers, "content-type").is_some_and(|v| {
        let essence = v.split(';').next().unwrap_or("").trim();
        essence.eq_ignore_ascii_case("application/json")
    })
}

fn parse_error(server: &Server, bytes: &[u8], e: serde_json::Error) -> Response {
    if server.fault("malformed-json-served") {
        return json_response(
            server,
            StatusCode::OK,
            &json!({ "jsonrpc": "2.0", "id": 1, "result": {} }),
        );
    }
    let id = if server.fault("parse-error-id-not-null") {
        json!(0)
    } else {
        Value::Null
    };
    let detail = if std::str::from_utf8(bytes).is_err() {
        "body is not UTF-8".to_string()
    } else {
        e.to_string()
    };
    let error = rpc_error(server, code::PARSE_ERROR, format!("Parse error: {detail}"));
    error_response(server, StatusCode::BAD_REQUEST, &id, error)
}

/// A request is modern when its body carries the 2026-07-28 envelope (`params._meta` with the
/// protocol version key) or its header names a modern version; everything else is legacy.
fn is_modern(message: &Value, header_version: Option<&str>) -> bool {
    let has_envelope = message
        .pointer("/params/_meta")
        .and_then(Value::as_object)
        .is_some_and(|meta| meta.contains_key("io.modelcontextprotocol/protocolVersion"));
    has_envelope || header_version.is_some_and(|v| MODERN_VERSIONS.contains(&v))
}

/// Does the Accept header admit `wanted`? A missing header admits everything (RFC 9110 §12.5.1).
pub(crate) fn accepts(server: &Server, headers: &HeaderMap, wanted: &str) -> bool {
    if server.fault("reject-standard-accept") {
        return false;
    }
    let Some(accept) = header(headers, "accept") else {
        return !server.fault("require-accept");
    };
    let (wanted_type, _) = wanted.split_once('/').unwrap_or((wanted, ""));
    accept.split(',').any(|range| {
        let mut parts = range.split(';');
        let media = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let refused = parts.any(|p| {
            let p = p.trim().replace(' ', "");
            p == "q=0" || p == "q=0.0" || p == "q=0.00" || p == "q=0.000"
        });
        let matches = media == wanted
            || (media == "*/*" && !server.fault("reject-wildcard-accept"))
            || media.strip_suffix("/*") == Some(wanted_type);
        matches && !refused
    })
}

/// 406 with a JSON-RPC error naming what the server would have sent.
pub(crate) fn not_acceptable(server: &Server, id: &Value, sends: &str) -> Response {
    let id = if server.fault("406-made-up-id") {
        json!("made-up-406")
    } else {
        id.clone()
    };
    let error = rpc_error(
        server,
        code::INVALID_REQUEST,
        format!("Not Acceptable: this server answers with {sends}"),
    );
    error_response(server, StatusCode::NOT_ACCEPTABLE, &id, error)
}

/// The content type to answer a request with, or the 406 to send instead.
pub(crate) fn negotiate(server: &Server, headers: &HeaderMap, id: &Value) -> Result<bool, Response> {
    let sends = crate::sse::response_type(server);
    let as_sse = sends == "text/event-stream";
    if as_sse && server.fault("json-to-sse-only-accept") && header(headers, "accept") == Some("text/event-stream") {
        return Ok(false);
    }
    if as_sse && server.fault("accept-ignored") {
        return Ok(true);
    }
    if accepts(server, headers, sends) {
        Ok(as_sse)
    } else {
        Err(not_acceptable(server, id, sends))
    }
}
