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

use crate::Fault;
use crate::reply::json_response;
use crate::reply::{Answer, PROTOCOL_VERSION, Refusal, code, header};
use crate::{MODERN_VERSIONS, Server, legacy, modern};

pub(crate) async fn mcp_endpoint(
    State(server): State<Arc<Server>>,
    method: Method,
    headers: HeaderMap,
    body: Body,
) -> Response {
    if method != Method::POST {
        return non_post(&server, &method, &headers).await;
    }
    post(server.clone(), headers, body)
        .await
        .unwrap_or_else(|refusal| refusal.render(&server))
}

async fn post(server: Arc<Server>, headers: HeaderMap, body: Body) -> Answer {
    check_host_and_origin(&server, &headers)?;
    let limit = if server.fault(Fault::NoBodyLimit) {
        usize::MAX
    } else {
        server.config.max_body_bytes
    };
    let Ok(bytes) = axum::body::to_bytes(body, limit).await else {
        return Err(Refusal::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            code::INVALID_REQUEST,
            "request body too large",
        ));
    };
    if !is_json_content_type(&headers) && !server.fault(Fault::ContentTypeUnchecked) {
        return Err(Refusal::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            code::INVALID_REQUEST,
            "Content-Type must be application/json",
        ));
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

/// GET and DELETE: no stream to offer (405); a session to end only when stateful.
async fn non_post(server: &Arc<Server>, method: &Method, headers: &HeaderMap) -> Response {
    let modern = header(headers, PROTOCOL_VERSION).is_some_and(|v| MODERN_VERSIONS.contains(&v));
    if *method == Method::GET && server.fault(Fault::Get200Json) {
        return json_response(server, StatusCode::OK, &json!({}));
    }
    if *method == Method::GET && server.fault(Fault::ModernGetSse) && modern {
        // An SSE stream that stays silent: a dead end for clients that open it.
        let silent = futures_util::stream::once(async {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            Ok::<_, std::convert::Infallible>(Bytes::new())
        });
        return ([(header::CONTENT_TYPE, "text/event-stream")], Body::from_stream(silent)).into_response();
    }
    if *method == Method::DELETE && server.fault(Fault::DeleteCrashes) {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    // Sessions are legacy-era only: a 2026-07-28 DELETE gets 405 like any stateless one.
    if let Some(sessions) = server
        .sessions
        .as_ref()
        .filter(|_| *method == Method::DELETE && !modern)
    {
        return sessions.end(headers).into_response();
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
fn check_host_and_origin(server: &Server, headers: &HeaderMap) -> Result<(), Refusal> {
    let forbidden = |message: String| Refusal::new(StatusCode::FORBIDDEN, code::INVALID_REQUEST, message);
    if server.fault(Fault::LoopbackHostOnly) {
        let host = header(headers, "host").unwrap_or("");
        let name = host.rsplit_once(':').map_or(host, |(name, _)| name);
        if !matches!(name, "localhost" | "127.0.0.1" | "[::1]") {
            return Err(forbidden("Host header is not allowed".into()));
        }
    }
    match header(headers, "origin") {
        Some(origin) if !server.fault(Fault::OriginUnchecked) && !origin_allowed(server, origin) => {
            Err(forbidden(format!("Origin `{origin}` is not allowed")))
        }
        _ => Ok(()),
    }
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

fn parse_error(server: &Server, bytes: &[u8], e: serde_json::Error) -> Answer {
    if server.fault(Fault::MalformedJsonServed) {
        return Ok(json_response(
            server,
            StatusCode::OK,
            &json!({ "jsonrpc": "2.0", "id": 1, "result": {} }),
        ));
    }
    let detail = if std::str::from_utf8(bytes).is_err() {
        "body is not UTF-8".to_string()
    } else {
        e.to_string()
    };
    let refusal = Refusal::new(
        StatusCode::BAD_REQUEST,
        code::PARSE_ERROR,
        format!("Parse error: {detail}"),
    );
    if server.fault(Fault::ParseErrorIdNotNull) {
        return Err(refusal.id(&json!(0)));
    }
    Err(refusal)
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
