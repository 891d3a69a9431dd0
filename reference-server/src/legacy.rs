//! The legacy era (2025-03-26, 2025-06-18, 2025-11-25): the initialize handshake, served
//! statelessly — no request needs a prior initialize, session ids are never minted or required,
//! and the platform's session headers are accepted as they come.

use std::sync::Arc;

use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use serde_json::{Map, Value, json};

use crate::http::{
    PROTOCOL_VERSION, RUNTIME_SESSION_ID, SESSION_ID, accepted, code, error_response, header, negotiate, rpc_error,
};
use crate::sse::{json_response, respond, response_message};
use crate::tools::{self, Call, Era};
use crate::{LEGACY_VERSIONS, SERVER_NAME, SERVER_VERSION, Server};

/// What a server assumes when the MCP-Protocol-Version header is absent (2025-06-18 transports).
const ASSUMED_VERSION: &str = "2025-03-26";
/// Answered to an initialize asking for a version this server does not speak.
const LATEST_VERSION: &str = "2025-11-25";

pub(crate) async fn handle(server: Arc<Server>, headers: HeaderMap, message: Value) -> Response {
    let version = match header(&headers, PROTOCOL_VERSION) {
        None if server.fault("require-protocol-version") => {
            let error = rpc_error(
                &server,
                code::INVALID_REQUEST,
                "MCP-Protocol-Version header is required",
            );
            return error_response(&server, StatusCode::BAD_REQUEST, &Value::Null, error);
        }
        None => ASSUMED_VERSION,
        Some(v) if LEGACY_VERSIONS.contains(&v) => v,
        Some(_) if server.fault("protocol-version-unchecked") => LATEST_VERSION,
        Some(v) => {
            let message = format!(
                "Unsupported MCP-Protocol-Version `{v}`; supported: {}",
                LEGACY_VERSIONS.join(", ")
            );
            let error = rpc_error(&server, code::INVALID_REQUEST, message);
            return error_response(&server, StatusCode::BAD_REQUEST, &Value::Null, error);
        }
    };
    if let Value::Array(batch) = message {
        // JSON-RPC batches exist only in 2025-03-26; later revisions removed them.
        if version != ASSUMED_VERSION || server.fault("batch-refused") {
            let error = rpc_error(
                &server,
                code::INVALID_REQUEST,
                format!("batches are not supported in {version}"),
            );
            return error_response(&server, StatusCode::BAD_REQUEST, &Value::Null, error);
        }
        return handle_batch(server, headers, batch).await;
    }
    let id = message.get("id").cloned();
    if let Some(refusal) = refuse_sessions(&server, &headers, id.as_ref()) {
        return refusal;
    }
    match classify(&server, &message) {
        Kind::Invalid(why) => {
            let id = id.filter(|id| id.is_string() || id.is_number()).unwrap_or(Value::Null);
            let error = rpc_error(&server, code::INVALID_REQUEST, why);
            error_response(&server, StatusCode::BAD_REQUEST, &id, error)
        }
        Kind::NotificationOrResponse => accepted(&server),
        Kind::Request { id, method, params } => {
            if server.fault("session-missing-404") && method != "initialize" && !headers.contains_key(SESSION_ID) {
                let error = rpc_error(&server, code::INVALID_REQUEST, "Session not found");
                return error_response(&server, StatusCode::NOT_FOUND, &id, error);
            }
            if server.fault("require-initialize") && method != "initialize" {
                let error = rpc_error(&server, code::INVALID_REQUEST, "Bad Request: Server not initialized");
                return error_response(&server, StatusCode::BAD_REQUEST, &id, error);
            }
            let as_sse = match negotiate(&server, &headers, &id) {
                Ok(as_sse) => as_sse,
                Err(refusal) => return refusal,
            };
            let minted = method == "initialize";
            let task_server = server.clone();
            let mut response = respond(server.clone(), id, as_sse, move |emit| {
                dispatch(Call::new(task_server, Era::Legacy, method, params, emit))
            })
            .await;
            if minted {
                mint_session(&server, &mut response);
            }
            response
        }
    }
}

enum Kind {
    Request { id: Value, method: String, params: Value },
    NotificationOrResponse,
    Invalid(String),
}

fn classify(server: &Server, message: &Value) -> Kind {
    let Some(object) = message.as_object() else {
        return Kind::Invalid("a JSON-RPC message must be an object".into());
    };
    if object.get("jsonrpc") != Some(&json!("2.0")) {
        return Kind::Invalid("`jsonrpc` must be \"2.0\"".into());
    }
    let method = object.get("method").and_then(Value::as_str);
    let Some(id) = object.get("id") else {
        return match method {
            Some(_) => Kind::NotificationOrResponse,
            None => Kind::Invalid("a notification needs a `method`".into()),
        };
    };
    let Some(method) = method else {
        if object.contains_key("result") || object.contains_key("error") {
            return Kind::NotificationOrResponse; // a client's response to a server request
        }
        if server.fault("invalid-request-accepted") {
            return Kind::Request {
                id: id.clone(),
                method: "ping".into(),
                params: json!({}),
            };
        }
        return Kind::Invalid("a request needs a string `method`".into());
    };
    if !(id.is_string() || id.is_number() || (id.is_null() && server.fault("null-id-accepted"))) {
        return Kind::Invalid("`id` must be a string or a number (MCP forbids null)".into());
    }
    Kind::Request {
        id: id.clone(),
        method: method.to_string(),
        params: object.get("params").cloned().unwrap_or_else(|| json!({})),
    }
}

/// The legacy method surface: the handshake, ping and logging, then the shared feature methods.
async fn dispatch(call: Call) -> Result<Value, Value> {
    let server = call.server.clone();
    match call.method.as_str() {
        "initialize" => Ok(initialize(&server, &call.params)),
        "ping" if server.fault("ping-result-not-empty") => Ok(json!({ "pong": true })),
        "ping" => Ok(json!({})),
        "logging/setLevel" => tools::set_level(&server, &call.params),
        _ => tools::dispatch(call).await,
    }
}

fn initialize(server: &Server, params: &Value) -> Value {
    let requested = params.get("protocolVersion").and_then(Value::as_str).unwrap_or("");
    let supported = LEGACY_VERSIONS.contains(&requested);
    let version = if server.fault("version-no-echo") {
        ASSUMED_VERSION
    } else if supported || server.fault("version-echo-unknown") {
        requested
    } else {
        LATEST_VERSION
    };
    let mut result = Map::new();
    result.insert("protocolVersion".into(), json!(version));
    result.insert("capabilities".into(), tools::capabilities(server));
    if !server.fault("initialize-no-server-info") {
        result.insert(
            "serverInfo".into(),
            json!({ "name": SERVER_NAME, "version": SERVER_VERSION }),
        );
    }
    result.insert(
        "instructions".into(),
        json!("Reference server for agentcore-mcp-suite: stateless, both protocol eras."),
    );
    Value::Object(result)
}

/// A stateful server's refusal of session ids it never minted: what AgentCore's platform ids
/// would run into. The clean server accepts them.
fn refuse_sessions(server: &Server, headers: &HeaderMap, id: Option<&Value>) -> Option<Response> {
    let carries = headers.contains_key(SESSION_ID) || headers.contains_key(RUNTIME_SESSION_ID);
    if !(server.fault("reject-platform-session") && carries) {
        return None;
    }
    let id = id.cloned().unwrap_or(Value::Null);
    let error = rpc_error(server, code::INVALID_REQUEST, "Session not found");
    Some(error_response(server, StatusCode::NOT_FOUND, &id, error))
}

fn mint_session(server: &Server, response: &mut Response) {
    let minted = if server.fault("mint-bad-session-id") {
        "bad id"
    } else if server.fault("session-unknown-served") || server.fault("session-missing-404") {
        "reference-session-1"
    } else {
        return;
    };
    response
        .headers_mut()
        .insert(SESSION_ID, HeaderValue::from_static(minted));
}

/// A 2025-03-26 batch: every request answered, in order, in one JSON array.
async fn handle_batch(server: Arc<Server>, headers: HeaderMap, batch: Vec<Value>) -> Response {
    if batch.is_empty() {
        let error = rpc_error(&server, code::INVALID_REQUEST, "empty batch");
        return error_response(&server, StatusCode::BAD_REQUEST, &Value::Null, error);
    }
    let mut responses = Vec::new();
    for message in batch {
        match classify(&server, &message) {
            Kind::Invalid(why) => {
                let error = rpc_error(&server, code::INVALID_REQUEST, why);
                responses.push(response_message(&server, &Value::Null, Err(error)));
            }
            Kind::NotificationOrResponse => {}
            Kind::Request { id, method, params } => {
                let call = Call::new(server.clone(), Era::Legacy, method, params, crate::sse::Emitter::none());
                responses.push(response_message(&server, &id, dispatch(call).await));
            }
        }
    }
    if responses.is_empty() {
        return accepted(&server);
    }
    if let Err(refusal) = negotiate_json(&server, &headers) {
        return refusal;
    }
    json_response(&server, StatusCode::OK, &Value::Array(responses))
}

fn negotiate_json(server: &Server, headers: &HeaderMap) -> Result<(), Response> {
    if crate::http::accepts(server, headers, "application/json") {
        Ok(())
    } else {
        Err(crate::http::not_acceptable(server, &Value::Null, "application/json"))
    }
}
