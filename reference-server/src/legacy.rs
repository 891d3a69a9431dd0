//! The legacy era (2025-03-26, 2025-06-18, 2025-11-25): the initialize handshake, served
//! statelessly by default — no request needs a prior initialize, session ids are never minted or
//! required, and the platform's session headers are accepted as they come. With `--stateful`,
//! initialize mints a session that every later request must carry (`session.rs`).

use std::sync::Arc;

use axum::http::{HeaderMap, HeaderValue, StatusCode};
use serde_json::{Map, Value, json};

use crate::Fault;
use crate::reply::json_response;
use crate::reply::{
    Answer, PROTOCOL_VERSION, RUNTIME_SESSION_ID, Refusal, SESSION_ID, accepted, accepts, code, header, negotiate,
    not_acceptable, rpc_error,
};
use crate::sse::{respond, response_message};
use crate::tools::{self, Call, Era};
use crate::{LEGACY_VERSIONS, SERVER_NAME, SERVER_VERSION, Server};

/// What a server assumes when the MCP-Protocol-Version header is absent (2025-06-18 transports).
const ASSUMED_VERSION: &str = "2025-03-26";
/// The version AgentCore's deployment guides tell clients to send.
const SEED_VERSION: &str = "2024-11-05";
/// Answered to an initialize asking for a version this server does not speak.
const LATEST_VERSION: &str = "2025-11-25";

pub(crate) async fn handle(server: Arc<Server>, headers: HeaderMap, message: Value) -> Answer {
    let version = match header(&headers, PROTOCOL_VERSION) {
        // initialize negotiates the version, so it never carries the header.
        None if server.fault(Fault::RequireProtocolVersion) && message.get("method") != Some(&json!("initialize")) => {
            return Err(Refusal::bad_request("MCP-Protocol-Version header is required"));
        }
        None => ASSUMED_VERSION,
        Some(v) if LEGACY_VERSIONS.contains(&v) => v,
        // AgentCore's guides tell clients to send 2024-11-05 (which predates the header): it
        // gets the oldest rules this server speaks, as if the header were absent.
        Some(SEED_VERSION) if !server.fault(Fault::RejectGuideVersion) => ASSUMED_VERSION,
        Some(_) if server.fault(Fault::ProtocolVersionUnchecked) => LATEST_VERSION,
        Some(v) => {
            return Err(Refusal::bad_request(format!(
                "Unsupported MCP-Protocol-Version `{v}`; supported: {}",
                LEGACY_VERSIONS.join(", ")
            )));
        }
    };
    if let Value::Array(batch) = message {
        // JSON-RPC batches exist only in 2025-03-26; later revisions removed them.
        if version != ASSUMED_VERSION || server.fault(Fault::BatchRefused) {
            return Err(Refusal::bad_request(format!("batches are not supported in {version}")));
        }
        return handle_batch(server, headers, batch).await;
    }
    let id = message.get("id").cloned();
    refuse_sessions(&server, &headers, id.as_ref())?;
    match classify(&server, &message) {
        Kind::Invalid(why) => {
            let id = id.filter(|id| id.is_string() || id.is_number()).unwrap_or(Value::Null);
            Err(Refusal::bad_request(why).id(&id))
        }
        Kind::NotificationOrResponse => {
            if let Some(sessions) = &server.sessions {
                sessions.resume(&server, &headers, &Value::Null)?;
            }
            Ok(accepted(&server))
        }
        Kind::Request { id, method, params } => {
            if server.fault(Fault::RequireInitialize) && method != "initialize" {
                return Err(Refusal::bad_request("Bad Request: Server not initialized").id(&id));
            }
            // A stateful server mints a session at initialize and requires it everywhere else.
            let (minted, event_ids) = match &server.sessions {
                None => (None, None),
                Some(sessions) if method == "initialize" => {
                    let (minted, event_ids) = sessions.mint(&server);
                    (Some(minted), event_ids)
                }
                Some(_) if server.fault(Fault::SessionMissingPingOnly) && header(&headers, SESSION_ID).is_none() => {
                    if method != "ping" {
                        let refusal = Refusal::new(StatusCode::OK, code::INVALID_REQUEST, "Mcp-Session-Id is required");
                        return Err(refusal.id(&id));
                    }
                    (None, None)
                }
                Some(sessions) => (None, sessions.resume(&server, &headers, &id)?),
            };
            let as_sse = negotiate(&server, &headers, &id)?;
            let task_server = server.clone();
            let mut response = respond(server.clone(), id, as_sse, event_ids, move |emit| {
                dispatch(Call::new(task_server, Era::Legacy, method, params, emit))
            })
            .await;
            if let Some(value) = minted.and_then(|m| HeaderValue::from_str(&m).ok()) {
                response.headers_mut().insert(SESSION_ID, value);
            }
            Ok(response)
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
        if server.fault(Fault::InvalidRequestAccepted) {
            return Kind::Request {
                id: id.clone(),
                method: "ping".into(),
                params: json!({}),
            };
        }
        return Kind::Invalid("a request needs a string `method`".into());
    };
    if !(id.is_string() || id.is_number() || (id.is_null() && server.fault(Fault::NullIdAccepted))) {
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
        "ping" if server.fault(Fault::PingResultNotEmpty) => Ok(json!({ "pong": true })),
        "ping" => Ok(json!({})),
        "logging/setLevel" => tools::set_level(&server, &call.params),
        _ => tools::dispatch(call).await,
    }
}

fn initialize(server: &Server, params: &Value) -> Value {
    let requested = params.get("protocolVersion").and_then(Value::as_str).unwrap_or("");
    let supported = LEGACY_VERSIONS.contains(&requested);
    let version = if server.fault(Fault::VersionNoEcho) {
        ASSUMED_VERSION
    } else if supported || server.fault(Fault::VersionEchoUnknown) {
        requested
    } else {
        LATEST_VERSION
    };
    let mut result = Map::new();
    result.insert("protocolVersion".into(), json!(version));
    result.insert("capabilities".into(), tools::capabilities(server));
    if !server.fault(Fault::InitializeNoServerInfo) {
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
fn refuse_sessions(server: &Server, headers: &HeaderMap, id: Option<&Value>) -> Result<(), Refusal> {
    let carries = headers.contains_key(SESSION_ID) || headers.contains_key(RUNTIME_SESSION_ID);
    if server.fault(Fault::RejectPlatformSession) && carries {
        let id = id.cloned().unwrap_or(Value::Null);
        return Err(Refusal::new(StatusCode::NOT_FOUND, code::INVALID_REQUEST, "Session not found").id(&id));
    }
    Ok(())
}

/// A 2025-03-26 batch: every request answered, in order, in one JSON array.
async fn handle_batch(server: Arc<Server>, headers: HeaderMap, batch: Vec<Value>) -> Answer {
    if batch.is_empty() {
        return Err(Refusal::bad_request("empty batch"));
    }
    if let Some(sessions) = &server.sessions {
        sessions.resume(&server, &headers, &Value::Null)?;
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
        return Ok(accepted(&server));
    }
    if !accepts(&server, &headers, "application/json") {
        return Err(not_acceptable(&server, &Value::Null, "application/json"));
    }
    Ok(json_response(&server, StatusCode::OK, &Value::Array(responses)))
}
