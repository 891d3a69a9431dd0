//! The probe: what checks see of the server. It builds requests in an era's standard shape (or
//! bent on purpose), sends them through the target's transport, and hands back a [`Reply`] with
//! the raw response, the parsed SSE stream and the JSON-RPC messages. Every message received is
//! kept for the schema check, every exchange's evidence is redacted, and the facts checks may
//! judge besides the answers ([`TargetFacts`]) are plain data. Its internals are private: checks
//! reach the server only through [`Cx`].

mod discover;
mod exchange;
mod facts;
mod settings;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde_json::{Value, json};

pub use discover::Discovery;
pub use exchange::{Reply, Req};
pub use facts::{ColdStarts, ContainerFacts, ImageFacts, StartTimings, TargetFacts};
pub use settings::{CallPolicy, Era, ProbeSettings, Profile};

use crate::wire::jsonrpc::{self, MODERN_VERSION};
use crate::wire::platform::{AuthKind, Credential, Refusal};
use crate::wire::sse::SseParser;
use crate::wire::transport::{
    Capability, Heard, HttpRequest, HttpResponse, Limits, MAX_BODY_BYTES, Transport, WireError,
};

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
    transport: Arc<dyn Transport>,
    /// What the target told about itself: the MCP path, a label, container facts.
    facts: TargetFacts,
    settings: ProbeSettings,
    discovery: Discovery,
    next_id: AtomicU64,
    seen: Mutex<Vec<Seen>>,
    /// SSE responses per era, fetched once for the sse.* checks.
    sse_samples: [tokio::sync::Mutex<Option<Vec<Reply>>>; 2],
    /// tools/list's first page per era, fetched once.
    tools: [tokio::sync::Mutex<Option<Vec<Value>>>; 2],
}

/// What a platform call came back with: the server's reply, or the platform's own refusal.
pub enum Invoked {
    Served(Box<Reply>),
    Refused(Refusal),
}

impl Invoked {
    /// "HTTP 200 text/event-stream" or "refused: 403 AccessDeniedException".
    pub fn summary(&self) -> String {
        match self {
            Invoked::Served(reply) => format!(
                "HTTP {} {}",
                reply.status(),
                reply.http.header("content-type").unwrap_or("(no content-type)")
            ),
            Invoked::Refused(refusal) => format!("refused: {} {}", refusal.status, refusal.code),
        }
    }

    /// The served reply's response to its request, if it holds one.
    pub fn response(&self) -> Option<&Value> {
        match self {
            Invoked::Served(reply) => reply.response(),
            Invoked::Refused(_) => None,
        }
    }

    /// The served reply's successful result, if any.
    pub fn result(&self) -> Option<&Value> {
        self.response().and_then(|r| r.get("result"))
    }
}

impl Probe {
    pub fn new(transport: Arc<dyn Transport>, facts: TargetFacts, settings: ProbeSettings) -> Probe {
        Probe {
            transport,
            facts,
            settings,
            discovery: Discovery::default(),
            next_id: AtomicU64::new(1),
            seen: Mutex::new(Vec::new()),
            sse_samples: Default::default(),
            tools: Default::default(),
        }
    }

    /// Finds which eras the server speaks (see [`discover`]); an unreachable server is a setup
    /// error.
    pub async fn discover(&mut self) -> Result<(), crate::error::Error> {
        self.discovery = discover::discover(self).await?;
        Ok(())
    }

    /// Records that the server never answered, so neither era is spoken, and why.
    pub fn never_answered(&mut self, why: &str) {
        self.discovery = Discovery {
            legacy_absent: why.to_string(),
            modern_absent: why.to_string(),
            ..Discovery::default()
        };
    }

    pub fn discovery(&self) -> &Discovery {
        &self.discovery
    }

    pub fn facts(&self) -> &TargetFacts {
        &self.facts
    }

    pub fn settings(&self) -> &ProbeSettings {
        &self.settings
    }

    /// The transport's name, for skip reasons.
    pub fn transport_name(&self) -> &str {
        self.transport.name()
    }

    pub fn can(&self, capability: Capability) -> bool {
        self.transport.observes().can(capability)
    }

    /// The transport itself, for clients of its own (`bench` sends through it).
    pub fn transport(&self) -> &Arc<dyn Transport> {
        &self.transport
    }

    fn next_id(&self) -> Value {
        json!(self.next_id.fetch_add(1, Ordering::Relaxed))
    }

    fn limits(&self, req: &Req, timeout: Duration) -> Limits {
        Limits {
            timeout,
            max_body_bytes: MAX_BODY_BYTES,
            close_grace: req.close_grace,
            body_watch: req.body_watch,
            max_total: req.progress_ceiling,
        }
    }

    /// Sends `req` (plus the user's `--header`s, which win) and parses what comes back.
    async fn send(&self, req: Req) -> Result<Reply, WireError> {
        self.send_for(req, self.settings.timeout).await
    }

    /// `send` with its own deadline: for streams that may stay open by design (GET).
    /// A request the transport cannot send as asked is `WireError::Unobservable`.
    async fn send_for(&self, req: Req, timeout: Duration) -> Result<Reply, WireError> {
        let asked = req.to_http();
        if let Some(lacking) = self.transport.observes().lacks_for(&asked, &self.facts.mcp_path) {
            return Err(WireError::Unobservable(format!(
                "the {} transport cannot {}",
                self.transport.name(),
                lacking.describe()
            )));
        }
        let req = self.with_user_headers(req);
        let request = req.to_http();
        let mut reading = Reading::new(&req);
        let http = self
            .transport
            .exchange(&request, self.limits(&req, timeout), &mut |chunk| reading.enough(chunk))
            .await?;
        Ok(self.finish(req, http, reading.parser))
    }

    /// Sends `req` as one platform call with `credential` (the transport must offer platform calls).
    async fn invoke(&self, req: Req, credential: Credential) -> Result<Invoked, WireError> {
        let platform = self.transport.platform().ok_or_else(|| {
            WireError::Unobservable(format!(
                "the {} transport cannot {}",
                self.transport.name(),
                Capability::Platform.describe()
            ))
        })?;
        let req = self.with_user_headers(req);
        let request = req.to_http();
        let mut reading = Reading::new(&req);
        let limits = self.limits(&req, self.settings.timeout);
        let answer = platform
            .invoke(&request, credential, limits, &mut |chunk| reading.enough(chunk))
            .await?;
        Ok(match answer {
            crate::wire::platform::Answer::Served(http) => {
                Invoked::Served(Box::new(self.finish(req, http, reading.parser)))
            }
            crate::wire::platform::Answer::Refused(refusal) => Invoked::Refused(refusal),
        })
    }

    fn with_user_headers(&self, mut req: Req) -> Req {
        for (name, value) in &self.settings.headers {
            req = req.header(name, value);
        }
        req
    }

    /// The reply to `req`: its messages parsed from the SSE events or the JSON body, remembered
    /// for the schema check.
    fn finish(&self, req: Req, http: HttpResponse, parser: SseParser) -> Reply {
        let mut reply = Reply {
            request: req,
            sse: None,
            messages: Vec::new(),
            http,
        };
        if reply.is_sse() {
            let stream = parser.finish();
            reply.messages = jsonrpc::messages_in_events(&stream.events);
            reply.sse = Some(stream);
        } else {
            reply.messages = jsonrpc::messages_in_json(&reply.http.body);
        }
        self.remember(&reply);
        reply
    }

    /// Sends `reqs` in turn on one kept-alive connection (each read to its end) and gives the raw
    /// responses: for comparing reused and fresh connections.
    async fn send_kept_alive(&self, reqs: Vec<Req>) -> Result<Vec<HttpResponse>, WireError> {
        let requests: Vec<HttpRequest> = reqs
            .into_iter()
            .map(|req| self.with_user_headers(req).to_http())
            .collect();
        let limits = Limits {
            timeout: self.settings.timeout,
            max_body_bytes: MAX_BODY_BYTES,
            close_grace: Duration::ZERO,
            body_watch: None,
            max_total: None,
        };
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
        let mut seen = self.seen_messages();
        for message in &reply.messages {
            let answers = expected.filter(|(id, _)| message.get("id") == Some(id) && message.get("method").is_none());
            seen.push(Seen {
                version: version.clone(),
                method: answers.map(|(_, method)| method.clone()),
                message: message.clone(),
            });
        }
    }

    /// Every message the run received so far, with the revision it was judged by.
    pub fn seen_messages(&self) -> MutexGuard<'_, Vec<Seen>> {
        self.seen.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// An event-stream body parsed as it arrives, to stop reading once the expected response is in.
struct Reading {
    parser: SseParser,
    expected: Option<Value>,
    done: bool,
}

impl Reading {
    fn new(req: &Req) -> Reading {
        Reading {
            parser: SseParser::new(),
            expected: req.expect.as_ref().map(|(id, _)| id.clone()),
            done: false,
        }
    }

    /// Feeds a chunk: `Answer` once the response to the expected id has arrived, `Progress` when
    /// the chunk completed a progress notification.
    fn enough(&mut self, chunk: &[u8]) -> Heard {
        // Only an SSE body can stay open after the response; a JSON body ends by itself.
        let new = self.parser.feed(chunk);
        let Some(id) = self.expected.as_ref().filter(|_| new > 0) else {
            return if self.done { Heard::Answer } else { Heard::More };
        };
        let events = self.parser.events();
        let fresh = &events[events.len().saturating_sub(new)..];
        self.done = self.done || jsonrpc::events_answer(fresh, id);
        let progress = fresh.iter().any(|e| e.data.contains("\"notifications/progress\""));
        match (self.done, progress) {
            (true, _) => Heard::Answer,
            (false, true) => Heard::Progress,
            (false, false) => Heard::More,
        }
    }
}

/// A probe seen from one era: what every check receives.
#[derive(Clone)]
pub struct Cx {
    probe: Arc<Probe>,
    era: Option<Era>,
}

impl Cx {
    /// The probe seen from `era` (`None`: a server-wide check).
    pub fn new(probe: Arc<Probe>, era: Option<Era>) -> Cx {
        Cx { probe, era }
    }

    /// The same probe seen from `era`.
    pub fn in_era(&self, era: Era) -> Cx {
        Cx::new(self.probe.clone(), Some(era))
    }

    pub fn settings(&self) -> &ProbeSettings {
        &self.probe.settings
    }

    pub fn discovery(&self) -> &Discovery {
        &self.probe.discovery
    }

    pub fn facts(&self) -> &TargetFacts {
        &self.probe.facts
    }

    /// A fresh JSON-RPC request id.
    pub fn next_id(&self) -> Value {
        self.probe.next_id()
    }

    /// Every message the run received so far (schema.valid reads them last).
    pub fn seen_messages(&self) -> MutexGuard<'_, Vec<Seen>> {
        self.probe.seen_messages()
    }

    /// This era's SSE samples, kept for the sse.* checks (fetched once, by the first to ask).
    pub async fn sse_samples_slot(&self) -> tokio::sync::MutexGuard<'_, Option<Vec<Reply>>> {
        self.probe.sse_samples[self.era() as usize].lock().await
    }

    /// Whether something between the suite and the server adds an `Mcp-Session-Id` to requests
    /// without one (AgentCore does).
    pub fn transport_adds_session_ids(&self) -> bool {
        self.probe.transport.adds_session_ids()
    }

    /// How the platform authenticates callers, when requests go through one.
    pub fn platform_auth(&self) -> Option<AuthKind> {
        self.probe.transport.platform().map(|p| p.auth())
    }

    /// The run's runtime session id, when requests go through the platform.
    pub fn runtime_session_id(&self) -> Option<String> {
        self.probe
            .transport
            .platform()
            .map(|p| p.runtime_session_id().to_string())
    }

    /// Sends `req` as one platform call with `credential`: the platform's refusals come back
    /// typed, and the request may leave out what a platform client may leave out (the Accept
    /// member). Recorded, redacted and schema-validated like every other exchange.
    pub async fn invoke(&self, req: Req, credential: Credential) -> Result<Invoked, WireError> {
        self.probe.invoke(req, credential).await
    }

    /// GETs a document the platform itself serves (the OAuth metadata a 401 names), without
    /// credentials.
    pub async fn fetch_platform_document(&self, url: &str) -> Result<HttpResponse, WireError> {
        let platform = self.probe.transport.platform().ok_or_else(|| {
            WireError::Unobservable(format!(
                "the {} transport reaches no platform",
                self.probe.transport.name()
            ))
        })?;
        let limits = Limits {
            timeout: self.settings().timeout,
            max_body_bytes: 1 << 20,
            close_grace: Duration::ZERO,
            body_watch: None,
            max_total: None,
        };
        platform.fetch(url, limits).await
    }

    /// Sends `reqs` in turn on one kept-alive connection and gives the raw responses.
    pub async fn send_kept_alive(&self, reqs: Vec<Req>) -> Result<Vec<HttpResponse>, WireError> {
        self.probe.send_kept_alive(reqs).await
    }

    /// `send` with its own deadline: for streams that may stay open by design (GET).
    pub async fn send_for(&self, req: Req, timeout: Duration) -> Result<Reply, WireError> {
        self.probe.send_for(req, timeout).await
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
        Some(self.in_era(era))
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
            self.send_initialized(id, &self.version()).await?;
        }
        Ok((minted, reply))
    }

    /// Ends a handshake: `notifications/initialized` in session `session`, under `version`.
    async fn send_initialized(&self, session: &str, version: &str) -> Result<Reply, WireError> {
        let initialized = self
            .notification("notifications/initialized", json!({}))
            .header("mcp-protocol-version", version)
            .header(SESSION_ID, session);
        self.send(initialized).await
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

    /// A tools/call that asks for progress: a progress token lets the server say it is still
    /// working, and each notification restarts the wait, up to `--max-call-time` (MCP lifecycle
    /// "Timeouts": a client MAY reset its timeout on progress, with a maximum).
    pub fn tool_call(&self, name: &Value, arguments: &Value) -> Req {
        let token = format!("agentcore-mcp-suite-{}", self.probe.next_id());
        let params = json!({ "name": name, "arguments": arguments, "_meta": { "progressToken": token } });
        let mut req = self.standard("tools/call", params);
        req.progress_ceiling = Some(self.settings().max_call_time);
        req
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

    /// Every item of a list method (`tools/list` → `tools`), following `nextCursor` to the end.
    /// Stops at a cursor seen before or after `MAX_LIST_PAGES` pages (tools.pagination judges
    /// those); an error answer ends the list where it is.
    pub async fn list_all(&self, method: &str, key: &str) -> Result<Vec<Value>, WireError> {
        const MAX_LIST_PAGES: usize = 1_000;
        let mut items = Vec::new();
        let mut cursors = std::collections::BTreeSet::new();
        let mut params = json!({});
        for _ in 0..MAX_LIST_PAGES {
            let reply = self.call(method, params).await?;
            let Some(result) = reply.result() else { break };
            items.extend(result.get(key).and_then(Value::as_array).into_iter().flatten().cloned());
            match result.get("nextCursor").filter(|c| !c.is_null()) {
                Some(next) if cursors.insert(next.to_string()) => params = json!({ "cursor": next }),
                _ => break,
            }
        }
        Ok(items)
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
