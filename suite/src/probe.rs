//! What checks call: build a request in an era's standard shape (or bend it on purpose), send it,
//! and get back a `Reply` with the raw response, the parsed SSE stream and the JSON-RPC messages.
//! Every message received is kept for the schema check.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde::Serialize;
use serde_json::{Value, json};

use crate::secrets::{redact, redact_query};
use crate::target::TargetFacts;
use crate::wire::jsonrpc::{self, MODERN_VERSION};
use crate::wire::sse::{SseParser, SseStream, excerpt};
use crate::wire::transport::{Cut, HttpRequest, HttpResponse, Limits, Transport, WireError};

/// The two ways of speaking MCP over streamable HTTP (its number indexes per-era caches).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Era {
    /// 2025-03-26 … 2025-11-25: the initialize handshake.
    Legacy = 0,
    /// 2026-07-28: per-request `_meta` envelope, `server/discover`.
    Modern = 1,
}

impl Era {
    pub fn name(self) -> &'static str {
        match self {
            Era::Legacy => "legacy",
            Era::Modern => "modern",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Profile {
    /// The AgentCore MCP contract: stateless servers, platform session ids accepted.
    Agentcore,
    /// The MCP specification alone (stateful servers allowed).
    Mcp,
}

impl Profile {
    pub fn name(self) -> &'static str {
        match self {
            Profile::Agentcore => "agentcore",
            Profile::Mcp => "mcp",
        }
    }
}

/// Knobs the checks read.
#[derive(Clone, Debug)]
pub struct Options {
    pub profile: Profile,
    pub timeout: Duration,
    pub headers: Vec<(String, String)>,
    /// ping.* checks fail instead of warn.
    pub require_ping: bool,
    /// Samples per latency check.
    pub samples: usize,
    /// p99 budget of each latency check.
    pub latency_budget: Duration,
    /// Run checks that take long on purpose (sse.keepalive).
    pub slow_checks: bool,
    /// Longest silence allowed during a long request (sse.keepalive).
    pub keepalive_max_gap: Duration,
    /// image.size warns above this many bytes.
    pub image_size_budget: u64,
    /// latency.cold-start warns when the first MCP answer takes longer.
    pub cold_start_budget: Duration,
    /// Which tools the run may call (`--call-policy`).
    pub call_policy: CallPolicy,
    /// Tools named with `--call NAME --args JSON`: when given, the only ones called.
    pub calls: Vec<(String, Value)>,
}

/// Which tools a run may call: a conformance run must never change the world it checks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum CallPolicy {
    /// Only tools annotated `readOnlyHint: true` (absent means false).
    #[default]
    ReadOnly,
    /// Any tool, with simple made-up arguments (throwaway sandboxes only).
    All,
    /// No tool at all.
    None,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            profile: Profile::Agentcore,
            timeout: Duration::from_secs(10),
            headers: Vec::new(),
            require_ping: false,
            samples: 20,
            latency_budget: Duration::from_millis(500),
            slow_checks: false,
            keepalive_max_gap: Duration::from_secs(15),
            image_size_budget: 1000 * 1000 * 1000,
            cold_start_budget: Duration::from_secs(5),
            call_policy: CallPolicy::ReadOnly,
            calls: Vec::new(),
        }
    }
}

/// What the server said about itself when the run began.
#[derive(Clone, Debug, Default)]
pub struct Discovery {
    /// The negotiated legacy version and the initialize result.
    pub legacy: Option<(String, Value)>,
    /// The `Mcp-Session-Id` the legacy initialize minted: the server is stateful, and every later
    /// request of the run's session carries it.
    pub legacy_session: Option<String>,
    /// Whether each era answered requests as SSE (else JSON), [legacy, modern].
    pub answers_sse: [Option<bool>; 2],
    /// The server/discover result.
    pub modern: Option<Value>,
    /// Why an era is not spoken, for the skip messages.
    pub legacy_absent: String,
    pub modern_absent: String,
}

/// One message the server sent, with the revision it was sent under and the method it answered.
pub struct Seen {
    pub version: String,
    pub method: Option<String>,
    pub message: Value,
}

/// The session header (case-insensitive; spelled `MCP-Session-Id` since 2025-11-25).
pub const SESSION_ID: &str = "mcp-session-id";

pub struct Probe {
    /// How requests reach the server; the probe never asks which kind it is.
    pub transport: std::sync::Arc<dyn Transport>,
    /// What the target told about itself: the MCP path, a label, container facts.
    pub facts: TargetFacts,
    pub options: Options,
    pub discovery: Discovery,
    next_id: AtomicU64,
    pub seen: Mutex<Vec<Seen>>,
    /// SSE responses per era, fetched once for the sse.* checks.
    pub sse_samples: [tokio::sync::Mutex<Option<Vec<Reply>>>; 2],
    /// tools/list's first page per era, fetched once.
    pub tools: [tokio::sync::Mutex<Option<Vec<Value>>>; 2],
}

/// A request under construction. `Req::post` gives a bare POST; `Cx::standard` an era's usual one.
#[derive(Clone, Debug)]
pub struct Req {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// The JSON-RPC id whose response ends the exchange, and the method it answers.
    pub expect: Option<(Value, String)>,
    pub close_grace: Duration,
    /// Watch the body at most this long after the head: for streams that may stay open by design.
    pub body_watch: Option<Duration>,
    /// What the request leaves out or bends on purpose (a session id), for its evidence.
    pub on_purpose: Option<String>,
}

impl Req {
    pub fn new(method: &str, path: &str) -> Req {
        Req {
            method: method.to_string(),
            path: path.to_string(),
            headers: Vec::new(),
            body: Vec::new(),
            expect: None,
            close_grace: Duration::from_secs(1),
            body_watch: None,
            on_purpose: None,
        }
    }

    /// Says in the evidence what this request omits or alters on purpose.
    pub fn on_purpose(mut self, what: &str) -> Req {
        self.on_purpose = Some(what.to_string());
        self
    }

    /// Sets header `name`, replacing any earlier value.
    pub fn header(mut self, name: &str, value: &str) -> Req {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    pub fn without(mut self, name: &str) -> Req {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        self
    }

    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Req {
        self.body = body.into();
        self
    }

    pub fn json(self, message: &Value) -> Req {
        self.body(message.to_string())
    }

    /// The header as it will be sent.
    pub fn get_header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// What came back.
#[derive(Clone, Debug)]
pub struct Reply {
    pub request: Req,
    pub http: HttpResponse,
    /// Present when the response was `text/event-stream`.
    pub sse: Option<SseStream>,
    /// JSON-RPC messages in the body (one JSON body, a JSON array, or SSE events).
    pub messages: Vec<Value>,
}

impl Reply {
    pub fn status(&self) -> u16 {
        self.http.status
    }

    pub fn is_sse(&self) -> bool {
        self.http.media_type().as_deref() == Some("text/event-stream")
    }

    /// The response to the request's id.
    pub fn response(&self) -> Option<&Value> {
        let (id, _) = self.request.expect.as_ref()?;
        jsonrpc::response_to(&self.messages, id)
    }

    pub fn result(&self) -> Option<&Value> {
        self.response().and_then(|r| r.get("result"))
    }

    /// The first JSON-RPC error object in the body, whatever its id.
    pub fn error(&self) -> Option<&Value> {
        self.messages.iter().find_map(|m| m.get("error"))
    }

    pub fn error_code(&self) -> Option<i64> {
        self.error().and_then(|e| e.get("code")).and_then(Value::as_i64)
    }

    /// One line of evidence: the request and what came back, secrets redacted.
    pub fn evidence(&self) -> String {
        let request = &self.request;
        let headers: Vec<String> = request
            .headers
            .iter()
            .filter(|(n, _)| !n.eq_ignore_ascii_case("content-length"))
            .map(|(n, v)| format!("{n}: {}", redact(n, v)))
            .collect();
        // Only a prefix is shown: decoding a body of many megabytes for an excerpt wastes memory.
        let prefix = |bytes: &[u8]| String::from_utf8_lossy(&bytes[..bytes.len().min(4096)]).into_owned();
        let sent = prefix(&request.body);
        let body = prefix(&self.http.body);
        let cut = match self.http.cut {
            Some(Cut::Deadline) => " (still open at the deadline)",
            Some(Cut::Lingered) => " (still open after the response)",
            Some(Cut::TooLarge) => " (over the size cap)",
            None => "",
        };
        let on_purpose = match &request.on_purpose {
            Some(what) => format!(" ({what}, on purpose)"),
            None => String::new(),
        };
        format!(
            "{} {} [{}]{on_purpose} {} → {} {} {}{cut}",
            request.method,
            redact_query(&request.path),
            headers.join("; "),
            excerpt(&sent, 160),
            self.http.status,
            self.http.header("content-type").unwrap_or("(no content-type)"),
            excerpt(body.trim(), 240),
        )
    }
}

impl Probe {
    pub fn new(transport: std::sync::Arc<dyn Transport>, facts: TargetFacts, options: Options) -> Probe {
        Probe {
            transport,
            facts,
            options,
            discovery: Discovery::default(),
            next_id: AtomicU64::new(1),
            seen: Mutex::new(Vec::new()),
            sse_samples: Default::default(),
            tools: Default::default(),
        }
    }

    pub fn next_id(&self) -> Value {
        json!(self.next_id.fetch_add(1, Ordering::Relaxed))
    }

    fn limits(&self, close_grace: Duration, timeout: Duration) -> Limits {
        Limits {
            timeout,
            max_body_bytes: 16 * 1024 * 1024,
            close_grace,
            body_watch: None,
        }
    }

    /// Sends `req` (plus the user's `--header`s, which win) and parses what comes back.
    pub async fn send(&self, req: Req) -> Result<Reply, WireError> {
        self.send_for(req, self.options.timeout).await
    }

    /// `send` with its own deadline: for streams that may stay open by design (GET).
    /// A request the transport cannot send as asked is `WireError::Unobservable`.
    pub async fn send_for(&self, mut req: Req, timeout: Duration) -> Result<Reply, WireError> {
        let asked = HttpRequest {
            method: req.method.clone(),
            path: req.path.clone(),
            headers: req.headers.clone(),
            body: Vec::new(),
        };
        if let Some(lacking) = self.transport.observes().lacks_for(&asked, &self.facts.mcp_path) {
            return Err(WireError::Unobservable(format!(
                "the {} transport cannot {}",
                self.transport.name(),
                lacking.describe()
            )));
        }
        for (name, value) in &self.options.headers {
            req = req.header(name, value);
        }
        let http_request = HttpRequest {
            method: req.method.clone(),
            path: req.path.clone(),
            headers: req.headers.clone(),
            body: req.body.clone(),
        };
        let expected_id = req.expect.as_ref().map(|(id, _)| id.clone());
        let mut parser = SseParser::new();
        let mut done = false;
        let mut enough = |chunk: &[u8]| {
            // Only an SSE body can stay open after the response; a JSON body ends by itself.
            if parser.feed(chunk) > 0 {
                let seen = parser_has_response(&parser, expected_id.as_ref());
                done = done || seen;
            }
            done
        };
        let http = self
            .transport
            .exchange(
                &http_request,
                Limits {
                    body_watch: req.body_watch,
                    ..self.limits(req.close_grace, timeout)
                },
                &mut enough,
            )
            .await?;
        let mut reply = Reply {
            request: req,
            sse: None,
            messages: Vec::new(),
            http,
        };
        if reply.is_sse() {
            let stream = parser.finish();
            reply.messages = stream
                .events
                .iter()
                .filter_map(|e| serde_json::from_str::<Value>(&e.data).ok())
                .filter(Value::is_object)
                .collect();
            reply.sse = Some(stream);
        } else if let Ok(value) = serde_json::from_slice::<Value>(&reply.http.body) {
            reply.messages = match value {
                Value::Array(items) => items,
                other => vec![other],
            };
        }
        self.remember(&reply);
        Ok(reply)
    }

    /// Sends `reqs` in turn on one kept-alive connection (each read to its end) and gives the raw
    /// responses: for comparing reused and fresh connections.
    pub async fn send_kept_alive(&self, reqs: Vec<Req>) -> Result<Vec<HttpResponse>, WireError> {
        let mut requests = Vec::with_capacity(reqs.len());
        for mut req in reqs {
            for (name, value) in &self.options.headers {
                req = req.header(name, value);
            }
            requests.push(HttpRequest {
                method: req.method,
                path: req.path,
                headers: req.headers,
                body: req.body,
            });
        }
        let limits = self.limits(Duration::ZERO, self.options.timeout);
        self.transport.exchange_kept_alive(&requests, limits).await
    }

    fn remember(&self, reply: &Reply) {
        if reply.request.method != "POST" || reply.request.path != self.facts.mcp_path {
            return; // only MCP traffic is judged against the MCP schema
        }
        // A message is judged by the revision it was answered in: the request's header, or for
        // an initialize, the version the result names.
        let negotiated = reply
            .result()
            .filter(|_| reply.request.expect.as_ref().is_some_and(|(_, m)| m == "initialize"))
            .and_then(|r| r.get("protocolVersion"))
            .and_then(Value::as_str)
            .filter(|v| jsonrpc::LEGACY_VERSIONS.contains(v));
        let version = negotiated
            .or(reply.request.get_header("mcp-protocol-version"))
            .unwrap_or(jsonrpc::LEGACY_VERSIONS[2])
            .to_string();
        let expected = reply.request.expect.as_ref();
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        for message in &reply.messages {
            let answers = expected.filter(|(id, _)| message.get("id") == Some(id) && message.get("method").is_none());
            seen.push(Seen {
                version: version.clone(),
                method: answers.map(|(_, method)| method.clone()),
                message: message.clone(),
            });
        }
    }
}

/// Whether the events parsed so far hold the response to request `id`.
pub(crate) fn parser_has_response(parser: &SseParser, id: Option<&Value>) -> bool {
    let Some(id) = id else { return false };
    parser.events().iter().any(|event| {
        serde_json::from_str::<Value>(&event.data)
            .is_ok_and(|m| m.get("id") == Some(id) && (m.get("result").is_some() || m.get("error").is_some()))
    })
}

/// A probe seen from one era: what every check receives.
#[derive(Clone)]
pub struct Cx {
    pub probe: std::sync::Arc<Probe>,
    pub era: Option<Era>,
}

impl Cx {
    pub fn options(&self) -> &Options {
        &self.probe.options
    }

    /// This probe in an era the server speaks (legacy first), for era-agnostic checks.
    pub fn spoken(&self) -> Option<Cx> {
        let discovery = &self.probe.discovery;
        let era = match self.era {
            Some(era) => era,
            None if discovery.legacy.is_some() => Era::Legacy,
            None if discovery.modern.is_some() => Era::Modern,
            None => return None,
        };
        Some(Cx {
            probe: self.probe.clone(),
            era: Some(era),
        })
    }

    /// A cheap request every server of this era must answer: `ping`, or `server/discover`.
    pub fn cheap(&self) -> Req {
        match self.era() {
            Era::Legacy => self.standard("ping", json!({})),
            Era::Modern => self.standard("server/discover", json!({})),
        }
    }

    pub fn era(&self) -> Era {
        self.era.unwrap_or(Era::Legacy)
    }

    /// The protocol version requests of this era carry.
    pub fn version(&self) -> String {
        match (self.era(), &self.probe.discovery.legacy) {
            (Era::Modern, _) => MODERN_VERSION.to_string(),
            (Era::Legacy, Some((version, _))) => version.clone(),
            (Era::Legacy, None) => jsonrpc::LEGACY_VERSIONS[0].to_string(),
        }
    }

    /// What the server declared: initialize's capabilities or server/discover's.
    pub fn capabilities(&self) -> Value {
        let discovery = &self.probe.discovery;
        let source = match self.era() {
            Era::Legacy => discovery.legacy.as_ref().map(|(_, r)| r),
            Era::Modern => discovery.modern.as_ref(),
        };
        source.and_then(|r| r.get("capabilities")).cloned().unwrap_or(json!({}))
    }

    pub fn declares(&self, capability: &str) -> bool {
        self.capabilities().get(capability).is_some_and(|c| !c.is_null())
    }

    /// The run's session id in this era, when the server is stateful.
    pub fn session(&self) -> Option<&str> {
        match self.era() {
            Era::Legacy => self.probe.discovery.legacy_session.as_deref(),
            Era::Modern => None,
        }
    }

    /// Whether the server minted a session id at initialize.
    pub fn stateful(&self) -> bool {
        self.session().is_some()
    }

    /// A request to the MCP endpoint, in the run's session when the server is stateful.
    pub fn to_endpoint(&self, method: &str) -> Req {
        let req = Req::new(method, &self.probe.facts.mcp_path);
        match self.session() {
            Some(session) => req.header(SESSION_ID, session),
            None => req,
        }
    }

    /// A POST to the MCP endpoint with the headers every client sends, body not yet set.
    pub fn post(&self) -> Req {
        self.to_endpoint("POST")
            .header("content-type", "application/json")
            .header("accept", "application/json, text/event-stream")
    }

    /// Starts a session of its own, as a client does: initialize without a session id and, if
    /// one is minted, `notifications/initialized` in it. Returns the minted id (none from a
    /// stateless server) and initialize's reply.
    pub async fn new_session(&self) -> Result<(Option<String>, Reply), WireError> {
        let reply = self
            .call("initialize", jsonrpc::initialize_params(&self.version()))
            .await?;
        let minted = reply.http.header(SESSION_ID).map(str::to_string);
        if let Some(id) = &minted {
            self.send(
                self.notification("notifications/initialized", json!({}))
                    .header(SESSION_ID, id),
            )
            .await?;
        }
        Ok((minted, reply))
    }

    /// The era's standard request for `method`: legacy with MCP-Protocol-Version; modern with
    /// the `_meta` envelope and the Mcp-Method / Mcp-Name headers.
    pub fn standard(&self, method: &str, params: Value) -> Req {
        let id = self.probe.next_id();
        let version = self.version();
        let mut req = self.post().header("mcp-protocol-version", &version);
        let params = if self.era() == Era::Modern {
            req = req.header("mcp-method", method);
            if let Some(name) = jsonrpc::routing_name(method, &params) {
                req = req.header("mcp-name", &name);
            }
            jsonrpc::with_envelope(params, &version)
        } else {
            params
        };
        if method == "initialize" && self.era() == Era::Legacy {
            // initialize starts a session and negotiates the version: it names neither, as
            // clients send it (the protocol-version header belongs to later requests).
            req = req.without(SESSION_ID).without("mcp-protocol-version");
        }
        req.expect = Some((id.clone(), method.to_string()));
        req.json(&jsonrpc::request(&id, method, params))
    }

    /// A standard notification of this era.
    pub fn notification(&self, method: &str, params: Value) -> Req {
        let version = self.version();
        let mut req = self.post().header("mcp-protocol-version", &version);
        let params = if self.era() == Era::Modern {
            req = req.header("mcp-method", method);
            jsonrpc::with_envelope(params, &version)
        } else {
            params
        };
        req.json(&jsonrpc::notification(method, params))
    }

    pub async fn send(&self, req: Req) -> Result<Reply, WireError> {
        self.probe.send(req).await
    }

    /// Sends the standard request for `method`.
    pub async fn call(&self, method: &str, params: Value) -> Result<Reply, WireError> {
        self.send(self.standard(method, params)).await
    }

    pub async fn get(&self, path: &str) -> Result<Reply, WireError> {
        self.send(Req::new("GET", path).header("accept", "application/json"))
            .await
    }

    /// tools/list's first page for this era, fetched once. Empty without the tools capability.
    pub async fn tools(&self) -> Result<Vec<Value>, WireError> {
        if !self.declares("tools") {
            return Ok(Vec::new());
        }
        let mut cache = self.probe.tools[self.era() as usize].lock().await;
        if let Some(tools) = cache.as_ref() {
            return Ok(tools.clone());
        }
        let reply = self.call("tools/list", json!({})).await?;
        let tools = reply
            .result()
            .and_then(|r| r.get("tools"))
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        *cache = Some(tools.clone());
        Ok(tools)
    }

    pub async fn tool_names(&self) -> Result<Vec<String>, WireError> {
        Ok(self
            .tools()
            .await?
            .iter()
            .filter_map(|t| t.get("name").and_then(Value::as_str).map(str::to_string))
            .collect())
    }
}
