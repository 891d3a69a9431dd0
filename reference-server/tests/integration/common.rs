//! What every module of the reference server's tests shares: the router under test, requests in
//! each era's shape, replies read back, and schema validation.

pub use std::time::{Duration, Instant};

pub use agentcore_mcp_reference::{Config, Faults, router};
pub use axum::Router;
pub use axum::body::{Body, to_bytes};
pub use axum::http::{Request, StatusCode};
pub use serde_json::{Value, json};
pub use tower::ServiceExt;

pub const LEGACY: &str = "2025-11-25";
pub const MODERN: &str = "2026-07-28";
pub const ACCEPT_BOTH: &str = "application/json, text/event-stream";

pub struct Reply {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: String,
}

impl Reply {
    pub fn content_type(&self) -> &str {
        self.headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    /// The JSON-RPC messages: the JSON body, or each SSE event's data.
    pub fn messages(&self) -> Vec<Value> {
        if self.content_type() == "text/event-stream" {
            self.body
                .split("\n\n")
                .filter_map(|event| event.lines().find_map(|l| l.strip_prefix("data: ")))
                .map(|data| serde_json::from_str(data).expect("data is JSON"))
                .collect()
        } else if self.body.is_empty() {
            Vec::new()
        } else {
            vec![serde_json::from_str(&self.body).expect("body is JSON")]
        }
    }

    /// The last message: the response.
    pub fn response(&self) -> Value {
        self.messages().pop().expect("a response")
    }
}

pub async fn send(app: &Router, request: Request<Body>) -> Reply {
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = to_bytes(response.into_body(), usize::MAX).await.unwrap();
    Reply {
        status,
        headers,
        body: String::from_utf8(bytes.to_vec()).unwrap(),
    }
}

pub fn post() -> axum::http::request::Builder {
    Request::post("/mcp")
        .header("content-type", "application/json")
        .header("accept", ACCEPT_BOTH)
}

pub async fn legacy(app: &Router, method: &str, params: Value) -> Reply {
    let body = json!({ "jsonrpc": "2.0", "id": 1, "method": method, "params": params });
    let request = post()
        .header("mcp-protocol-version", LEGACY)
        .body(Body::from(body.to_string()))
        .unwrap();
    send(app, request).await
}

pub fn envelope(mut params: Value) -> Value {
    params["_meta"] = json!({
        "io.modelcontextprotocol/protocolVersion": MODERN,
        "io.modelcontextprotocol/clientCapabilities": {},
    });
    params
}

pub async fn modern(app: &Router, method: &str, params: Value, name: Option<&str>) -> Reply {
    let body = json!({ "jsonrpc": "2.0", "id": "m-1", "method": method, "params": envelope(params) });
    let mut request = post()
        .header("mcp-protocol-version", MODERN)
        .header("mcp-method", method);
    if let Some(name) = name {
        request = request.header("mcp-name", name);
    }
    send(app, request.body(Body::from(body.to_string())).unwrap()).await
}

pub fn app() -> Router {
    router(Config::default())
}

pub fn json_app() -> Router {
    router(Config {
        json_response: true,
        ..Config::default()
    })
}

/// Validates `instance` against definition `name` of the official schema of `revision`.
pub fn assert_schema(revision: &str, name: &str, instance: &Value) {
    let path = format!(
        "{}/../fixtures/schemas/{revision}/schema.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let mut schema: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let defs = if schema.get("$defs").is_some() {
        "$defs"
    } else {
        "definitions"
    };
    schema["$ref"] = json!(format!("#/{defs}/{name}"));
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator.iter_errors(instance).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{revision} {name}: {errors:?}\n{instance}");
}

/// A legacy request in session `session` (none: no header).
pub async fn in_session(app: &Router, session: Option<&str>, method: &str) -> Reply {
    let body = json!({ "jsonrpc": "2.0", "id": 2, "method": method, "params": {} });
    let mut request = post().header("mcp-protocol-version", LEGACY);
    if let Some(session) = session {
        request = request.header("mcp-session-id", session);
    }
    send(app, request.body(Body::from(body.to_string())).unwrap()).await
}

pub fn event_ids(reply: &Reply) -> Vec<u64> {
    reply
        .body
        .lines()
        .filter_map(|l| l.strip_prefix("id: "))
        .map(|id| id.parse().unwrap())
        .collect()
}
