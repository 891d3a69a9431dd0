//! The modern era (2026-07-28): every request carries its own `params._meta` envelope and routing
//! headers; there is no handshake and no session. Requests pass a ladder of checks in order —
//! shape, envelope (-32602), headers (-32020), version (-32022), method (-32601, 404) — and the
//! first failure answers with its HTTP status (basic/index.mdx, transports/streamable-http.mdx).

use std::sync::Arc;

use axum::http::{HeaderMap, HeaderValue, StatusCode};
use serde_json::{Value, json};

use crate::Fault;
use crate::reply::{Answer, PROTOCOL_VERSION, Refusal, SESSION_ID, accepted, code, header, negotiate};
use crate::sse::respond;
use crate::tools::{self, Call, Era};
use crate::{MODERN_VERSIONS, SERVER_NAME, SERVER_VERSION, Server};

const META_VERSION: &str = "io.modelcontextprotocol/protocolVersion";
const META_CAPABILITIES: &str = "io.modelcontextprotocol/clientCapabilities";
const META_LOG_LEVEL: &str = "io.modelcontextprotocol/logLevel";
const META_SERVER_INFO: &str = "io.modelcontextprotocol/serverInfo";

/// Methods the 2026-07-28 surface serves.
const METHODS: &[&str] = &[
    "server/discover",
    "tools/list",
    "tools/call",
    "resources/list",
    "resources/read",
    "resources/templates/list",
    "prompts/list",
    "prompts/get",
    "completion/complete",
];
/// Results that carry caching hints (server/utilities/caching.mdx).
const CACHEABLE: &[&str] = &[
    "server/discover",
    "tools/list",
    "prompts/list",
    "resources/list",
    "resources/templates/list",
    "resources/read",
];

pub(crate) async fn handle(server: Arc<Server>, headers: HeaderMap, message: Value) -> Answer {
    let header_version = header(&headers, PROTOCOL_VERSION).map(str::to_string);
    let Some(object) = message.as_object().filter(|o| o.get("jsonrpc") == Some(&json!("2.0"))) else {
        return Err(Refusal::bad_request(
            "body must be one JSON-RPC request or notification",
        ));
    };
    let method = object.get("method").and_then(Value::as_str).unwrap_or("").to_string();
    let Some(id) = object.get("id").cloned() else {
        // A notification: accepted unless it names a version this server does not speak.
        if let Some(v) = header_version.as_deref().filter(|v| !MODERN_VERSIONS.contains(v)) {
            return Err(unsupported_version(v));
        }
        return Ok(accepted(&server));
    };
    if !(id.is_string() || id.is_number()) || method.is_empty() {
        return Err(Refusal::bad_request(
            "a request needs a string or number id and a method",
        ));
    }
    let params = object.get("params").cloned().unwrap_or_else(|| json!({}));
    let echoed_id = if server.fault(Fault::ErrorIdNull) {
        Value::Null
    } else {
        id.clone()
    };
    ladder(&server, &headers, &method, &params).map_err(|refusal| refusal.id(&echoed_id))?;
    let as_sse = negotiate(&server, &headers, &id)?;
    let session = header(&headers, SESSION_ID).and_then(|s| HeaderValue::from_str(s).ok());
    let task_server = server.clone();
    let mut response = respond(server.clone(), id, as_sse, None, move |emit| async move {
        let mut call = Call::new(task_server.clone(), Era::Modern, method.clone(), params, emit);
        call.log_level = call
            .params
            .pointer(&format!("/_meta/{}", META_LOG_LEVEL.replace('/', "~1")))
            .and_then(Value::as_str)
            .map(str::to_string);
        let result = if method == "server/discover" {
            Ok(discover(&task_server))
        } else if method == "initialize" {
            Ok(json!({ "protocolVersion": "2025-11-25", "capabilities": tools::capabilities(&task_server) }))
        } else {
            tools::dispatch(call).await
        };
        result.map(|r| shape(&task_server, &method, r))
    })
    .await;
    if let Some(session) = session.filter(|_| server.fault(Fault::EchoSessionId)) {
        response.headers_mut().insert(SESSION_ID, session);
    }
    Ok(response)
}

/// The validation ladder; the first failure wins.
fn ladder(server: &Server, headers: &HeaderMap, method: &str, params: &Value) -> Result<(), Refusal> {
    let meta = params.get("_meta").and_then(Value::as_object);
    let version = meta.and_then(|m| m.get(META_VERSION)).and_then(Value::as_str);
    let capabilities = meta.and_then(|m| m.get(META_CAPABILITIES)).filter(|c| c.is_object());
    if (version.is_none() || capabilities.is_none()) && !server.fault(Fault::MetaUnchecked) {
        return Err(Refusal::new(
            StatusCode::BAD_REQUEST,
            code::INVALID_PARAMS,
            format!("params._meta must carry `{META_VERSION}` (string) and `{META_CAPABILITIES}` (object)"),
        ));
    }
    let version = version.unwrap_or(MODERN_VERSIONS[0]);
    if !server.fault(Fault::HeadersUnchecked) {
        check_headers(headers, version, method, params)?;
    }
    if !MODERN_VERSIONS.contains(&version) {
        let mut refusal = unsupported_version(version);
        if server.fault(Fault::UnsupportedVersionWrongCode) {
            refusal.code = code::INVALID_PARAMS;
            refusal.data = None;
        }
        return Err(refusal);
    }
    let served = METHODS.contains(&method) || (method == "initialize" && server.fault(Fault::ModernServesInitialize));
    if !served {
        let status = if server.fault(Fault::ModernUnknownMethod200) {
            StatusCode::OK
        } else {
            StatusCode::NOT_FOUND
        };
        let refusal = Refusal::new(status, code::METHOD_NOT_FOUND, format!("Method not found: {method}"));
        return Err(refusal.data(json!(method)));
    }
    Ok(())
}

/// MCP-Protocol-Version, Mcp-Method and Mcp-Name must repeat what the body says.
fn check_headers(headers: &HeaderMap, version: &str, method: &str, params: &Value) -> Result<(), Refusal> {
    let mismatch = |what: String| {
        Refusal::new(
            StatusCode::BAD_REQUEST,
            code::HEADER_MISMATCH,
            format!("Header mismatch: {what}"),
        )
    };
    match header(headers, PROTOCOL_VERSION) {
        Some(v) if v == version => {}
        Some(v) => {
            return Err(mismatch(format!(
                "MCP-Protocol-Version `{v}` but _meta says `{version}`"
            )));
        }
        None => return Err(mismatch("MCP-Protocol-Version header is missing".into())),
    }
    match header(headers, "mcp-method") {
        Some(m) if m == method => {}
        Some(m) => {
            return Err(mismatch(format!(
                "Mcp-Method `{m}` but the body's method is `{method}`"
            )));
        }
        None => return Err(mismatch("Mcp-Method header is missing".into())),
    }
    let name_field = match method {
        "tools/call" | "prompts/get" => "name",
        "resources/read" => "uri",
        _ => return Ok(()),
    };
    let Some(expected) = params.get(name_field).and_then(Value::as_str) else {
        return Ok(()); // the handler answers the missing parameter with -32602
    };
    match header(headers, "mcp-name").map(decode_header_value) {
        Some(Some(name)) if name == expected => Ok(()),
        Some(_) => Err(mismatch(format!(
            "Mcp-Name does not match params.{name_field} `{expected}`"
        ))),
        None => Err(mismatch("Mcp-Name header is missing".into())),
    }
}

/// Header values outside visible ASCII travel as `=?base64?…?=`; anything else is literal.
fn decode_header_value(value: &str) -> Option<String> {
    match value.strip_prefix("=?base64?").and_then(|v| v.strip_suffix("?=")) {
        Some(encoded) => tools::base64_decode(encoded).and_then(|bytes| String::from_utf8(bytes).ok()),
        None => Some(value.to_string()),
    }
}

fn unsupported_version(requested: &str) -> Refusal {
    Refusal::new(
        StatusCode::BAD_REQUEST,
        code::UNSUPPORTED_PROTOCOL_VERSION,
        format!("Unsupported protocol version `{requested}`"),
    )
    .data(json!({ "supported": MODERN_VERSIONS, "requested": requested }))
}

fn discover(server: &Server) -> Value {
    json!({
        "supportedVersions": MODERN_VERSIONS,
        "capabilities": tools::capabilities(server),
        "instructions": "Reference server for agentcore-mcp-suite: stateless, both protocol eras.",
    })
}

/// Every modern result says it is complete and who answered; cacheable ones carry hints.
fn shape(server: &Server, method: &str, mut result: Value) -> Value {
    let Some(object) = result.as_object_mut() else {
        return result;
    };
    if !server.fault(Fault::NoResultType) {
        object.insert("resultType".into(), json!("complete"));
    }
    let hints_dropped = if method == "server/discover" {
        server.fault(Fault::DiscoverNoCacheHints)
    } else {
        server.fault(Fault::NoCacheHints)
    };
    if CACHEABLE.contains(&method) && !hints_dropped {
        object.insert("ttlMs".into(), json!(60_000));
        object.insert("cacheScope".into(), json!("public"));
    }
    let meta = object.entry("_meta").or_insert_with(|| json!({}));
    if let Some(meta) = meta.as_object_mut() {
        meta.insert(
            META_SERVER_INFO.into(),
            json!({ "name": SERVER_NAME, "version": SERVER_VERSION }),
        );
    }
    result
}
