//! `gateway`: a local emulator of the AgentCore data plane, so the InvokeAgentRuntime path is
//! tested here, and users can point their own clients (boto3, the AWS CLI, the SDKs) at it.
//!
//! `POST /runtimes/{arn}/invocations?qualifier=…` is checked as the service checks it (SigV4 by
//! signing again, or an OAuth bearer token; the runtime session id's 33..256 rule; the 100 MB
//! payload limit), answered with AWS-shaped errors (`x-amzn-ErrorType` and a JSON body, so SDKs
//! raise their typed errors), and forwarded to the upstream MCP endpoint with the headers the
//! platform forwards. The response streams back chunk by chunk: SSE timing survives.
//! `POST /runtimes/{arn}/stopruntimesession` ends a session. With `--image`, every runtime session
//! gets a fresh container of its own (a microVM); idle ones stop after the idle timeout.

pub mod sigv4;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Request, StatusCode};
use axum::response::Response;
use http_body_util::{BodyExt, Limited};
use serde_json::json;

use crate::Error;
use crate::target::container::{Container, ContainerSpec};
use crate::wire::agentcore::{
    MEMBER_HEADERS, RUNTIME_SESSION_ID, RuntimeArn, check_runtime_session_id, new_runtime_session_id,
};

/// The service's payload limit, request and response.
pub const MAX_PAYLOAD: usize = 100_000_000;

/// Where invocations go.
#[derive(Clone, Debug)]
pub enum Upstream {
    /// One running server's MCP endpoint, shared by all sessions.
    Url(url::Url),
    /// A fresh container of this image per runtime session.
    Image(ContainerSpec),
}

/// How callers must authenticate.
#[derive(Clone)]
pub enum GatewayAuth {
    /// Anyone is served (said loudly at start).
    Open,
    /// SigV4 with this access key id and secret.
    SigV4 { access_key: String, secret: String },
    /// An OAuth runtime: this bearer token.
    Bearer(String),
}

#[derive(Clone)]
pub struct GatewayConfig {
    pub listen: SocketAddr,
    pub upstream: Upstream,
    pub auth: GatewayAuth,
    pub idle_timeout: Duration,
}

/// One runtime session: its upstream (started once, on first use) and when it was last used.
struct Session {
    instance: tokio::sync::OnceCell<Result<Arc<Instance>, String>>,
    last_used: Mutex<Instant>,
}

/// What serves one session: the MCP endpoint, and the container behind it, if any.
struct Instance {
    mcp_url: url::Url,
    container: Option<Container>,
}

impl Instance {
    async fn stop(&self) {
        if let Some(container) = &self.container {
            container.remove().await;
        }
    }
}

/// Pooled keep-alive connections to the upstreams, as the platform keeps them to its microVMs.
/// hyper's client, not reqwest: reqwest adds `Accept: */*` to a request without one, and the
/// emulator must forward exactly what the caller sent.
type Upstreams = hyper_util::client::legacy::Client<
    hyper_util::client::legacy::connect::HttpConnector,
    http_body_util::Full<axum::body::Bytes>,
>;

struct Gate {
    config: GatewayConfig,
    http: Upstreams,
    sessions: Mutex<HashMap<String, Arc<Session>>>,
    stopping: tokio::sync::Notify,
}

/// A running emulator; `shutdown` stops it and removes every container it started.
pub struct Gateway {
    addr: SocketAddr,
    gate: Arc<Gate>,
    server: tokio::task::JoinHandle<()>,
    reaper: tokio::task::JoinHandle<()>,
}

impl Gateway {
    pub async fn start(config: GatewayConfig) -> Result<Gateway, Error> {
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .map_err(|e| Error::Setup(format!("gateway: cannot listen on {}: {e}", config.listen)))?;
        let addr = listener
            .local_addr()
            .map_err(|e| Error::Setup(format!("gateway: {e}")))?;
        if let Upstream::Image(_) = &config.upstream {
            // Fail now, not on the first invocation, when no engine answers.
            crate::target::container::connect().await?;
        }
        let mut connector = hyper_util::client::legacy::connect::HttpConnector::new();
        connector.set_nodelay(true);
        let http = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new()).build(connector);
        let gate = Arc::new(Gate {
            config,
            http,
            sessions: Mutex::new(HashMap::new()),
            stopping: tokio::sync::Notify::new(),
        });
        let app = axum::Router::new().fallback(handle).with_state(gate.clone());
        // Nagle off: a streamed response's small writes must not wait for the client's ACK.
        let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
            let _ = tcp.set_nodelay(true);
        });
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).into_future().await;
        });
        let reaper = tokio::spawn(reap_idle(gate.clone()));
        Ok(Gateway {
            addr,
            gate,
            server,
            reaper,
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The URL to give clients as their endpoint (`--endpoint-url`).
    pub fn endpoint_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// How many runtime sessions have an upstream now.
    pub fn live_sessions(&self) -> usize {
        self.gate.sessions.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    pub async fn shutdown(self) {
        self.server.abort();
        // Let the reaper finish a removal it has begun; then stop what is left.
        self.gate.stopping.notify_one();
        let _ = self.reaper.await;
        let sessions: Vec<_> = self
            .gate
            .sessions
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .drain()
            .map(|(_, s)| s)
            .collect();
        for session in sessions {
            if let Some(Ok(instance)) = session.instance.get() {
                instance.stop().await;
            }
        }
    }
}

/// Stops sessions idle longer than the timeout, every second or so.
async fn reap_idle(gate: Arc<Gate>) {
    let tick = (gate.config.idle_timeout / 4).clamp(Duration::from_millis(50), Duration::from_secs(1));
    loop {
        tokio::select! {
            _ = tokio::time::sleep(tick) => {}
            _ = gate.stopping.notified() => return,
        }
        let idle: Vec<Arc<Session>> = {
            let mut sessions = gate.sessions.lock().unwrap_or_else(|e| e.into_inner());
            let stale: Vec<String> = sessions
                .iter()
                .filter(|(_, s)| {
                    s.last_used.lock().unwrap_or_else(|e| e.into_inner()).elapsed() > gate.config.idle_timeout
                })
                .map(|(id, _)| id.clone())
                .collect();
            stale.iter().filter_map(|id| sessions.remove(id)).collect()
        };
        for session in idle {
            if let Some(Ok(instance)) = session.instance.get() {
                instance.stop().await;
            }
        }
    }
}

/// An error as the service sends it: status, `x-amzn-ErrorType`, a JSON body with `message`.
fn aws_error(status: StatusCode, code: &str, message: &str, extra: serde_json::Value) -> Response {
    let mut body = json!({ "message": message });
    if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
        body.extend(extra.clone());
    }
    Response::builder()
        .status(status)
        .header("x-amzn-errortype", code)
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .unwrap_or_default()
}

fn validation(message: &str, field: &str) -> Response {
    aws_error(
        StatusCode::BAD_REQUEST,
        "ValidationException",
        message,
        json!({ "reason": "FieldValidationFailed", "fieldList": [{ "name": field, "message": message }] }),
    )
}

/// `/runtimes/{encoded arn}/{operation}` → (the ARN, the operation).
fn route(path: &str) -> Option<(String, &str)> {
    let rest = path.strip_prefix("/runtimes/")?;
    let (encoded, operation) = rest.rsplit_once('/')?;
    let arn = percent_decode(encoded)?;
    Some((arn, operation))
}

fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

async fn handle(State(gate): State<Arc<Gate>>, request: Request<Body>) -> Response {
    let (parts, body) = request.into_parts();
    let Some((arn, operation)) = route(parts.uri.path()) else {
        return aws_error(
            StatusCode::NOT_FOUND,
            "UnknownOperationException",
            "Unknown operation",
            json!({}),
        );
    };
    if parts.method != axum::http::Method::POST || !matches!(operation, "invocations" | "stopruntimesession") {
        return aws_error(
            StatusCode::NOT_FOUND,
            "UnknownOperationException",
            "Unknown operation",
            json!({}),
        );
    }
    // The signature covers the body, so it is read first, bounded by the service's limit.
    let too_large = || {
        validation(
            &format!("The payload exceeds the maximum size of {MAX_PAYLOAD} bytes"),
            "payload",
        )
    };
    let body = match Limited::new(body, MAX_PAYLOAD).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => return too_large(),
        Err(e) => return validation(&format!("The request body could not be read: {e}"), "payload"),
    };
    let qualifier = parts
        .uri
        .query()
        .and_then(|q| q.split('&').find_map(|pair| pair.strip_prefix("qualifier=")))
        .unwrap_or("DEFAULT")
        .to_string();
    if let Some(refusal) = authenticate(&gate.config.auth, &parts, &body, &arn, &qualifier) {
        return refusal;
    }
    if RuntimeArn::parse(&arn).is_err() {
        return validation(
            &format!("1 validation error detected: agentRuntimeArn `{arn}` is not valid"),
            "agentRuntimeArn",
        );
    }
    let session_id = match parts.headers.get(RUNTIME_SESSION_ID).map(|v| v.to_str()) {
        None => new_runtime_session_id(),
        Some(Ok(id)) => match check_runtime_session_id(id) {
            Ok(()) => id.to_string(),
            Err(_) => {
                return validation(
                    &format!(
                        "1 validation error detected: Value at 'runtimeSessionId' failed to satisfy constraint: Member must have length between 33 and 256 (it has {})",
                        id.len()
                    ),
                    "runtimeSessionId",
                );
            }
        },
        Some(Err(_)) => return validation("runtimeSessionId must be visible ASCII", "runtimeSessionId"),
    };
    if operation == "stopruntimesession" {
        return stop_session(&gate, &session_id).await;
    }
    invoke(&gate, &parts.headers, body, session_id).await
}

/// `None` when the caller may go on; else the refusal the service would send.
fn authenticate(
    auth: &GatewayAuth,
    parts: &axum::http::request::Parts,
    body: &[u8],
    arn: &str,
    qualifier: &str,
) -> Option<Response> {
    match auth {
        GatewayAuth::Open => None,
        GatewayAuth::SigV4 { access_key, secret } => {
            let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
            sigv4::verify(
                parts.method.as_str(),
                path,
                &parts.headers,
                body,
                (access_key, secret),
                SystemTime::now(),
            )
            .err()
            .map(|message| aws_error(StatusCode::FORBIDDEN, "AccessDeniedException", &message, json!({})))
        }
        GatewayAuth::Bearer(token) => {
            let given = parts
                .headers
                .get("authorization")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.strip_prefix("Bearer "))
                .map(str::trim);
            if given.is_some_and(|given| tokens_equal(given, token)) {
                return None;
            }
            // As the service answers an OAuth runtime: 401 with where to find the authorization server.
            let host = parts
                .headers
                .get("host")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("localhost");
            let metadata = format!(
                "Bearer resource_metadata=\"http://{host}/runtimes/{}/invocations/.well-known/oauth-protected-resource?qualifier={qualifier}\"",
                crate::wire::agentcore::encode_all(arn)
            );
            Some(
                Response::builder()
                    .status(StatusCode::UNAUTHORIZED)
                    .header("www-authenticate", metadata)
                    .header("content-type", "application/json")
                    .body(Body::from(json!({ "message": "Unauthorized" }).to_string()))
                    .unwrap_or_default(),
            )
        }
    }
}

/// Token comparison in constant time.
fn tokens_equal(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The request headers the platform forwards to the container: the API's members (research:
/// session headers, the MCP headers, Accept, Content-Type, tracing) and allow-listed custom
/// headers. Authorization and the signing headers stay behind.
fn forwarded(name: &str) -> bool {
    MEMBER_HEADERS.contains(&name) || name.starts_with("x-amzn-bedrock-agentcore-runtime-custom-")
}

async fn invoke(gate: &Gate, headers: &HeaderMap, body: axum::body::Bytes, session_id: String) -> Response {
    let instance = match session_instance(gate, &session_id).await {
        Ok(instance) => instance,
        Err(why) => {
            return aws_error(
                StatusCode::FAILED_DEPENDENCY,
                "RuntimeClientError",
                &format!("Runtime initialization time exceeded or the runtime failed: {why}"),
                json!({}),
            );
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
        Ok(Err(e)) => {
            return aws_error(
                StatusCode::FAILED_DEPENDENCY,
                "RuntimeClientError",
                &format!("The runtime did not answer: {}", crate::wire::tls::chain(&e)),
                json!({}),
            );
        }
        Err(_) => {
            return aws_error(
                StatusCode::FAILED_DEPENDENCY,
                "RuntimeClientError",
                "The runtime did not answer within 60 s",
                json!({}),
            );
        }
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

fn new_mcp_session_id() -> String {
    new_runtime_session_id().replace("agentcore-mcp-suite-", "")
}

/// The session's upstream, started on first use (once, however many requests race for it).
async fn session_instance(gate: &Gate, session_id: &str) -> Result<Arc<Instance>, String> {
    let session = {
        let mut sessions = gate.sessions.lock().unwrap_or_else(|e| e.into_inner());
        sessions
            .entry(session_id.to_string())
            .or_insert_with(|| {
                Arc::new(Session {
                    instance: tokio::sync::OnceCell::new(),
                    last_used: Mutex::new(Instant::now()),
                })
            })
            .clone()
    };
    *session.last_used.lock().unwrap_or_else(|e| e.into_inner()) = Instant::now();
    session
        .instance
        .get_or_init(|| async {
            match &gate.config.upstream {
                Upstream::Url(url) => Ok(Arc::new(Instance {
                    mcp_url: url.clone(),
                    container: None,
                })),
                Upstream::Image(spec) => start_container(spec).await.map(Arc::new),
            }
        })
        .await
        .clone()
}

async fn start_container(spec: &ContainerSpec) -> Result<Instance, String> {
    let container = spec.start(Duration::from_secs(10)).await.map_err(|e| e.to_string())?;
    if let Err(why) = &container.facts.ready {
        let why = why.clone();
        container.remove().await;
        return Err(why);
    }
    let mcp_url =
        url::Url::parse(&format!("http://127.0.0.1:{}/mcp", container.facts.port)).map_err(|e| e.to_string())?;
    Ok(Instance {
        mcp_url,
        container: Some(container),
    })
}

async fn stop_session(gate: &Gate, session_id: &str) -> Response {
    let session = gate
        .sessions
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .remove(session_id);
    let Some(session) = session else {
        return aws_error(
            StatusCode::NOT_FOUND,
            "ResourceNotFoundException",
            &format!("No runtime session {session_id}"),
            json!({}),
        );
    };
    if let Some(Ok(instance)) = session.instance.get() {
        instance.stop().await;
    }
    Response::builder()
        .status(StatusCode::OK)
        .header("content-type", "application/json")
        .header(RUNTIME_SESSION_ID, session_id)
        .body(Body::from(
            json!({ "runtimeSessionId": session_id, "statusCode": 200 }).to_string(),
        ))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_invocations() {
        let (arn, operation) =
            route("/runtimes/arn%3Aaws%3Abedrock-agentcore%3Aus-west-2%3A123456789012%3Aruntime%2Fx-1/invocations")
                .unwrap();
        assert_eq!(arn, "arn:aws:bedrock-agentcore:us-west-2:123456789012:runtime/x-1");
        assert_eq!(operation, "invocations");
        assert!(route("/mcp").is_none());
        assert!(route("/runtimes/%zz/invocations").is_none());
    }
}
