//! JSON-RPC framing for both MCP eras: request bodies, the 2026-07-28 `_meta` envelope and the
//! routing headers that must repeat it.

use serde_json::{Value, json};

use super::sse::SseEvent;

/// Revisions with the initialize handshake, newest first (the order a client offers them).
pub const LEGACY_VERSIONS: &[&str] = &["2025-11-25", "2025-06-18", "2025-03-26"];
pub const MODERN_VERSION: &str = "2026-07-28";

pub const META_VERSION: &str = "io.modelcontextprotocol/protocolVersion";
pub const META_CAPABILITIES: &str = "io.modelcontextprotocol/clientCapabilities";
pub const META_CLIENT_INFO: &str = "io.modelcontextprotocol/clientInfo";
pub const META_SERVER_INFO: &str = "io.modelcontextprotocol/serverInfo";

pub fn client_info() -> Value {
    json!({ "name": "agentcore-mcp-suite", "version": env!("CARGO_PKG_VERSION") })
}

pub fn request(id: &Value, method: &str, params: Value) -> Value {
    json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params })
}

pub fn notification(method: &str, params: Value) -> Value {
    json!({ "jsonrpc": "2.0", "method": method, "params": params })
}

pub fn initialize_params(version: &str) -> Value {
    json!({ "protocolVersion": version, "capabilities": {}, "clientInfo": client_info() })
}

/// Adds the modern per-request envelope to `params._meta`, keeping keys already there.
pub fn with_envelope(mut params: Value, version: &str) -> Value {
    if !params.is_object() {
        params = json!({});
    }
    let meta = params
        .as_object_mut()
        .expect("params is an object")
        .entry("_meta")
        .or_insert_with(|| json!({}));
    if let Some(meta) = meta.as_object_mut() {
        meta.insert(META_VERSION.into(), json!(version));
        meta.insert(META_CAPABILITIES.into(), json!({}));
        meta.insert(META_CLIENT_INFO.into(), client_info());
    }
    params
}

/// The `Mcp-Name` value a modern request carries: the tool or prompt name, or the resource URI.
pub fn routing_name(method: &str, params: &Value) -> Option<String> {
    let field = match method {
        "tools/call" | "prompts/get" => "name",
        "resources/read" => "uri",
        _ => return None,
    };
    params.get(field).and_then(Value::as_str).map(str::to_string)
}

/// Whether `message` is the response (result or error) to request `id`.
pub fn answers(message: &Value, id: &Value) -> bool {
    message.get("id") == Some(id) && (message.get("result").is_some() || message.get("error").is_some())
}

/// The response (result or error) to request `id` among `messages`.
pub fn response_to<'a>(messages: &'a [Value], id: &Value) -> Option<&'a Value> {
    messages.iter().find(|m| answers(m, id))
}

/// The JSON-RPC messages SSE events carry: each event's data that parses as a JSON object.
pub fn messages_in_events(events: &[SseEvent]) -> Vec<Value> {
    events
        .iter()
        .filter_map(|e| serde_json::from_str::<Value>(&e.data).ok())
        .filter(Value::is_object)
        .collect()
}

/// The JSON-RPC messages of a JSON body: one message, or the items of a batch array.
pub fn messages_in_json(body: &[u8]) -> Vec<Value> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Array(items)) => items,
        Ok(other) => vec![other],
        Err(_) => Vec::new(),
    }
}

/// Whether `events` hold the response to request `id`.
pub fn events_answer(events: &[SseEvent], id: &Value) -> bool {
    events
        .iter()
        .any(|event| serde_json::from_str::<Value>(&event.data).is_ok_and(|m| answers(&m, id)))
}

/// The error code of an error response, if it is an integer.
pub fn error_code(message: &Value) -> Option<i64> {
    message.pointer("/error/code").and_then(Value::as_i64)
}
