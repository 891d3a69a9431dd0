//! How the server answers, shared by both eras: header names, JSON-RPC error codes, the `Refusal`
//! error type handlers return with `?`, 202 for notifications, and Accept negotiation. A leaf:
//! it knows the server's faults, not the handlers.

use axum::body::Body;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::{Fault, Server};

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

pub(crate) fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim)
}

/// A JSON-RPC error object.
pub(crate) fn rpc_error(server: &Server, code: i64, message: impl Into<String>) -> Value {
    let code = if server.fault(Fault::ErrorCodeString) {
        json!(code.to_string())
    } else {
        json!(code)
    };
    json!({ "code": code, "message": message.into() })
}

/// A request the server turns down: an HTTP error status carrying a JSON-RPC error response.
pub(crate) struct Refusal {
    pub status: StatusCode,
    pub id: Value,
    pub code: i64,
    pub message: String,
    pub data: Option<Value>,
}

/// What request handlers return: the response, or the refusal to render instead.
pub(crate) type Answer = Result<Response, Refusal>;

impl Refusal {
    /// A refusal with id null (the request's id was not read or not valid).
    pub fn new(status: StatusCode, code: i64, message: impl Into<String>) -> Refusal {
        Refusal {
            status,
            id: Value::Null,
            code,
            message: message.into(),
            data: None,
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Refusal {
        Refusal::new(StatusCode::BAD_REQUEST, code::INVALID_REQUEST, message)
    }

    pub fn id(mut self, id: &Value) -> Refusal {
        self.id = id.clone();
        self
    }

    pub fn data(mut self, data: Value) -> Refusal {
        self.data = Some(data);
        self
    }

    pub fn render(self, server: &Server) -> Response {
        let mut error = rpc_error(server, self.code, self.message);
        if let Some(data) = self.data {
            error["data"] = data;
        }
        json_response(
            server,
            self.status,
            &json!({ "jsonrpc": "2.0", "id": self.id, "error": error }),
        )
    }
}

/// 202 Accepted with no body: the answer to a notification or a posted response.
pub(crate) fn accepted(server: &Server) -> Response {
    if server.fault(Fault::Notification200) {
        return StatusCode::OK.into_response();
    }
    StatusCode::ACCEPTED.into_response()
}

/// Does the Accept header admit `wanted`? A missing header admits everything (RFC 9110 §12.5.1).
pub(crate) fn accepts(server: &Server, headers: &HeaderMap, wanted: &str) -> bool {
    if server.fault(Fault::RejectStandardAccept) {
        return false;
    }
    let Some(accept) = header(headers, "accept") else {
        return !server.fault(Fault::RequireAccept);
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
            || (media == "*/*" && !server.fault(Fault::RejectWildcardAccept))
            || media.strip_suffix("/*") == Some(wanted_type);
        matches && !refused
    })
}

/// 406 with a JSON-RPC error naming what the server would have sent.
pub(crate) fn not_acceptable(server: &Server, id: &Value, sends: &str) -> Refusal {
    let id = if server.fault(Fault::NotAcceptableMadeUpId) {
        json!("made-up-406")
    } else {
        id.clone()
    };
    Refusal::new(
        StatusCode::NOT_ACCEPTABLE,
        code::INVALID_REQUEST,
        format!("Not Acceptable: this server answers with {sends}"),
    )
    .id(&id)
}

/// Whether to answer a request as SSE (else JSON), or the 406 to send instead.
pub(crate) fn negotiate(server: &Server, headers: &HeaderMap, id: &Value) -> Result<bool, Refusal> {
    let sends = response_type(server);
    let as_sse = sends == "text/event-stream";
    if as_sse && server.fault(Fault::JsonToSseOnlyAccept) && header(headers, "accept") == Some("text/event-stream") {
        return Ok(false);
    }
    if as_sse && server.fault(Fault::AcceptIgnored) {
        return Ok(true);
    }
    if accepts(server, headers, sends) {
        Ok(as_sse)
    } else {
        Err(not_acceptable(server, id, sends))
    }
}

/// The content type a request's response will have.
pub(crate) fn response_type(server: &Server) -> &'static str {
    if server.config.json_response {
        "application/json"
    } else {
        "text/event-stream"
    }
}

pub(crate) fn json_response(server: &Server, status: StatusCode, body: &Value) -> Response {
    let content_type = if server.fault(Fault::WrongContentType) {
        "text/plain"
    } else {
        "application/json"
    };
    Response::builder()
        .status(status)
        .header(axum::http::header::CONTENT_TYPE, content_type)
        .body(Body::from(body.to_string()))
        .expect("static headers are valid")
}
