//! `emulate`: a local emulator of the AgentCore data plane, so the InvokeAgentRuntime path is
//! tested here, and users can point their own clients (boto3, the AWS CLI, the SDKs) at it.
//!
//! `POST /runtimes/{arn}/invocations?qualifier=…` is checked as the service checks it (SigV4 by
//! signing again, or an OAuth bearer token; the runtime session id's 33..256 rule; the 100 MB
//! payload limit), answered with AWS-shaped errors (`x-amzn-ErrorType` and a JSON body, so SDKs
//! raise their typed errors), and forwarded to the upstream MCP endpoint with the headers the
//! platform forwards. The response streams back chunk by chunk: SSE timing survives.
//! `POST /runtimes/{arn}/stopruntimesession` ends a session. With `--image`, every runtime session
//! gets a fresh container of its own (a microVM); idle ones stop after the idle timeout.

mod auth;
mod errors;
mod forward;
mod runtime_sessions;
pub mod sigv4;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::extract::State;
use axum::http::Request;
use axum::response::Response;
use http_body_util::{BodyExt, Limited};

use crate::error::Error;
use crate::targets::container::ContainerSpec;
use crate::wire::agentcore::contract::{
    RUNTIME_SESSION_ID, RuntimeArn, check_runtime_session_id, new_runtime_session_id,
};
use errors::{unknown_operation, validation};
use runtime_sessions::Session;

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
pub enum EmulatorAuth {
    /// Anyone is served (said loudly at start).
    Open,
    /// SigV4 with this access key id and secret.
    SigV4 { access_key: String, secret: String },
    /// An OAuth runtime: this bearer token, and the authorization server its protected-resource
    /// metadata names (`--authorization-server`).
    Bearer {
        token: String,
        authorization_server: Option<url::Url>,
    },
}

#[derive(Clone)]
pub struct EmulatorConfig {
    pub listen: SocketAddr,
    pub upstream: Upstream,
    pub auth: EmulatorAuth,
    /// AgentCore's `idleRuntimeSessionTimeout`: a session unused this long ends.
    pub idle_timeout: Duration,
    /// AgentCore's `maxLifetime`: a session this old ends, however busy.
    pub max_lifetime: Duration,
    /// InvokeAgentRuntime calls a second each runtime endpoint takes (AgentCore's default quota:
    /// 25); more get 429 ThrottlingException.
    pub invocations_per_second: f64,
}

/// AgentCore's default InvokeAgentRuntime quota per endpoint, calls a second.
pub const DEFAULT_INVOCATIONS_PER_SECOND: f64 = 25.0;

/// A token bucket per runtime endpoint: `rate` tokens a second, up to one second's worth.
struct Bucket {
    tokens: f64,
    at: std::time::Instant,
}

impl Gate {
    /// Takes a token for `endpoint`; false when its quota is used up.
    fn admit(&self, endpoint: &str) -> bool {
        let rate = self.config.invocations_per_second;
        let mut buckets = self.quota.lock().unwrap_or_else(|e| e.into_inner());
        let now = std::time::Instant::now();
        let bucket = buckets
            .entry(endpoint.to_string())
            .or_insert(Bucket { tokens: rate, at: now });
        bucket.tokens = (bucket.tokens + now.duration_since(bucket.at).as_secs_f64() * rate).min(rate);
        bucket.at = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            true
        } else {
            false
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
    config: EmulatorConfig,
    http: Upstreams,
    sessions: Mutex<HashMap<String, Arc<Session>>>,
    /// Each runtime endpoint's quota bucket (ARN and qualifier).
    quota: Mutex<HashMap<String, Bucket>>,
    stopping: tokio::sync::Notify,
}

/// A running emulator; `shutdown` stops it and removes every container it started.
pub struct Emulator {
    addr: SocketAddr,
    gate: Arc<Gate>,
    server: tokio::task::JoinHandle<()>,
    reaper: tokio::task::JoinHandle<()>,
}

impl Emulator {
    pub async fn start(config: EmulatorConfig) -> Result<Emulator, Error> {
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .map_err(|e| Error::Setup(format!("emulate: cannot listen on {}: {e}", config.listen)))?;
        let addr = listener
            .local_addr()
            .map_err(|e| Error::Setup(format!("emulate: {e}")))?;
        if let Upstream::Image(_) = &config.upstream {
            // Fail now, not on the first invocation, when no engine answers.
            crate::targets::container::connect().await?;
        }
        let mut connector = hyper_util::client::legacy::connect::HttpConnector::new();
        connector.set_nodelay(true);
        let http = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new()).build(connector);
        let gate = Arc::new(Gate {
            config,
            http,
            sessions: Mutex::new(HashMap::new()),
            quota: Mutex::new(HashMap::new()),
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
        let reaper = tokio::spawn(runtime_sessions::reap_ended(gate.clone()));
        Ok(Emulator {
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

/// `/runtimes/{encoded arn}/{operation}` → (the ARN, the operation).
fn route(path: &str) -> Option<(String, &str)> {
    let rest = path.strip_prefix("/runtimes/")?;
    if let Some(encoded) = rest.strip_suffix(auth::METADATA_SUFFIX) {
        return Some((percent_decode(encoded)?, auth::METADATA));
    }
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
        return unknown_operation();
    };
    if operation == auth::METADATA && parts.method == axum::http::Method::GET {
        return auth::protected_resource_metadata(&gate.config, &parts, &arn);
    }
    if parts.method != axum::http::Method::POST || !matches!(operation, "invocations" | "stopruntimesession") {
        return unknown_operation();
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
    if let Some(refusal) = auth::authenticate(&gate.config.auth, &parts, &body, &arn, &qualifier) {
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
        return runtime_sessions::stop_session(&gate, &session_id).await;
    }
    if !gate.admit(&format!("{arn}:{qualifier}")) {
        return errors::throttled();
    }
    forward::invoke(&gate, &parts.headers, body, session_id).await
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
        let (arn, operation) = route("/runtimes/arn%3Ax/invocations/.well-known/oauth-protected-resource").unwrap();
        assert_eq!((arn.as_str(), operation), ("arn:x", auth::METADATA));
    }
}
