//! `bench`: load for performance tracking. Pooled kept-alive connections (as clients and proxies
//! use them), a closed loop (`--concurrency N`) or an open loop (`--rate R/s`, latency measured
//! from each request's scheduled start, so a stalled server cannot hide its queue: coordinated
//! omission corrected), always bounded by `--duration` and/or `--requests`. Latencies go into HDR
//! histograms; `results.rs` is what a run measured (saved, loaded, compared with a baseline),
//! `render.rs` prints it, `crate::chart` draws it, `coldstarts.rs` keeps a container's cold starts.

pub mod coldstarts;
pub mod histograms;
pub mod hold;
pub mod render;
pub mod results;
pub mod sessions;
pub mod streams;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use serde_json::{Value, json};

use crate::baseline::write;
use crate::chart;
use crate::checks;
use crate::error::Error;
use crate::probe::{CallPolicy, ColdStarts, Cx, Era, Probe, ProbeSettings, SESSION_ID};
use crate::targets::{Target, WaitProgress};
use crate::wire::agentcore::contract::RUNTIME_SESSION_ID;
use crate::wire::http::MAX_BODY_BYTES;
use crate::wire::jsonrpc;
use crate::wire::platform::{Answer, Credential};
use crate::wire::reqwest_transport::{TlsTrust, client_builder, proxied};
use crate::wire::stream_timing::{self, ResponseKind, StreamClock, StreamTiming};
use crate::wire::transport::{Heard, HttpRequest, HttpResponse, Transport, WireError};
use histograms::histogram;
pub use results::BenchReport;
use results::THROTTLED;
use sessions::{SessionPlan, SessionTally};
use streams::StreamTally;

/// The platform's refusals for load over a quota.
const THROTTLING: [&str; 2] = ["ThrottlingException", "ServiceQuotaExceededException"];

/// How load is offered.
#[derive(Clone, Copy, Debug)]
pub enum Load {
    /// `concurrency` workers, each sending its next request when the last one is answered.
    Closed { concurrency: usize },
    /// `rate` requests a second on a fixed schedule, at most `concurrency` in flight.
    Open { rate: f64, concurrency: usize },
}

/// A validated `bench` invocation.
#[derive(Clone, Debug)]
pub struct BenchSpec {
    pub target: Target,
    pub tls: TlsTrust,
    pub load: Load,
    /// Stop after this long (`--duration`) ...
    pub duration: Option<Duration>,
    /// ... and/or after this many requests (`--requests`); at least one is set.
    pub requests: Option<u64>,
    pub headers: Vec<(String, String)>,
    pub timeout: Duration,
    pub call_policy: CallPolicy,
    pub calls: Vec<(String, Value)>,
    /// Which requests make up the mix (`--mix`); both by default.
    pub mix: Mix,
    /// Wait this long for a target that starts in the background (`--wait`).
    pub wait: Option<Duration>,
    /// `--shard I/N`: this runner sends its share (the rate and request count divided).
    pub shard: Option<results::Shard>,
    /// `--streams N --hold D`: long-lived streams held open while the mix runs.
    pub hold: Option<hold::HoldSpec>,
    /// `--sessions N` (through a platform): the requests spread over N runtime sessions.
    pub sessions: Option<usize>,
}

impl BenchSpec {
    /// What this runner sends: the whole plan, or its shard's share of the rate and requests.
    fn this_share(&self) -> BenchSpec {
        let Some(shard) = self.shard else {
            return self.clone();
        };
        let load = match self.load {
            Load::Open { rate, concurrency } => Load::Open {
                rate: rate / f64::from(shard.count),
                concurrency,
            },
            closed => closed,
        };
        BenchSpec {
            load,
            requests: self.requests.map(|total| shard.share(total)),
            sessions: self.sessions.map(|n| (shard.share(n as u64) as usize).max(1)),
            hold: self.hold.clone().map(|hold| hold::HoldSpec {
                streams: shard.share(hold.streams as u64) as usize,
                ..hold
            }),
            ..self.clone()
        }
    }
}

/// Now, in Unix milliseconds.
fn unix_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// The parts of the request mix, sent in turn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mix {
    pub list: bool,
    pub call: bool,
}

impl Default for Mix {
    fn default() -> Mix {
        Mix { list: true, call: true }
    }
}

/// One request of the mix, ready to send again and again (cheap to clone: shared bytes).
#[derive(Clone, Debug)]
pub struct Template {
    pub name: String,
    method: reqwest::Method,
    headers: hyper::HeaderMap,
    /// The body before and after its JSON-RPC id, which each request gets anew: a session's
    /// requests MUST NOT reuse an id (MCP basic/index "Requests"), and a stateful server that
    /// routes responses by id loses one of two in flight with the same id.
    body: (hyper::body::Bytes, Option<hyper::body::Bytes>),
}

impl Template {
    /// The headers as name/value pairs (for transports that take them so).
    fn header_pairs(&self) -> Vec<(String, String)> {
        self.headers
            .iter()
            .filter_map(|(name, value)| Some((name.to_string(), value.to_str().ok()?.to_string())))
            .collect()
    }

    /// The body with JSON-RPC id `id` (the body as it is when it has none).
    fn body(&self, id: u64) -> hyper::body::Bytes {
        match &self.body {
            (whole, None) => whole.clone(),
            (before, Some(after)) => {
                let id = id.to_string();
                let mut body = Vec::with_capacity(before.len() + id.len() + after.len());
                body.extend_from_slice(before);
                body.extend_from_slice(id.as_bytes());
                body.extend_from_slice(after);
                body.into()
            }
        }
    }
}

/// The mix's JSON-RPC ids count from here, past the ids the probe used in the same session.
const MIX_IDS: u64 = 1 << 32;

/// `body` split around its JSON-RPC `id` (serialized with its keys in order, so the top-level
/// `"id"` comes before `"params"`, whatever they hold).
fn split_at_id(body: Vec<u8>, id: Option<&Value>) -> (hyper::body::Bytes, Option<hyper::body::Bytes>) {
    let found = id.and_then(|id| {
        let needle = format!("\"id\":{id}").into_bytes();
        let at = body.windows(needle.len()).position(|w| w == needle.as_slice())?;
        Some((at + 5, at + needle.len()))
    });
    match found {
        Some((start, end)) => (body[..start].to_vec().into(), Some(body[end..].to_vec().into())),
        None => (body.into(), None),
    }
}

/// Progress while the load runs, about once a second.
pub struct Tick {
    pub elapsed: Duration,
    pub done: u64,
    pub errors: u64,
}

/// Shared counters of a run.
struct Shared {
    started: Instant,
    sent: AtomicU64,
    done: AtomicU64,
    errors: AtomicU64,
}

/// What one worker measured.
struct Tally {
    latency: Histogram<u64>,
    errors: BTreeMap<String, u64>,
    streams: StreamTally,
    sessions: SessionTally,
}

/// Writes the JSON and, beside it, the latency chart (.svg), the streamed responses' timeline
/// (.streams.svg) when they streamed, and for a container target the cold-start chart
/// (.cold-starts.svg).
pub fn save(report: &BenchReport, path: &std::path::Path) -> Result<(), Error> {
    let text = serde_json::to_string_pretty(report).expect("a bench report serializes");
    write(path, &(text + "\n"))?;
    let results = &report.results;
    let curve = chart::latency_curve_svg(&report.target, &results.curve, results.requests, results.throughput_rps);
    write(&path.with_extension("svg"), &curve)?;
    if let Some(streams) = &results.streams {
        let title = format!("streamed responses of {}", report.target);
        write(
            &path.with_extension("streams.svg"),
            &chart::timings_svg(&title, &streams.chart_rows()),
        )?;
    }
    match &report.results.cold_starts {
        Some(cold) => write(
            &path.with_extension("cold-starts.svg"),
            &chart::cold_starts_svg(&report.target, cold),
        ),
        None => Ok(()),
    }
}

/// Runs the plan and returns what it measured; `tick` is called about once a second.
pub async fn run(
    whole: &BenchSpec,
    tick: &(dyn Fn(Tick) + Send + Sync),
    waiting: &WaitProgress<'_>,
) -> Result<BenchReport, Error> {
    let plan = &whole.this_share();
    let running = match plan.wait {
        None => plan.target.start(plan.timeout, &plan.tls).await?,
        Some(wait) => {
            plan.target
                .start_when_up(wait, plan.timeout, &plan.tls, waiting)
                .await?
        }
    };
    let (mix, cx) = request_mix(plan, &running).await?;
    let route = match running.facts.endpoint.clone() {
        Some(endpoint) if endpoint.scheme() == "http" && !proxied(&endpoint) => Route::Plain(endpoint),
        Some(endpoint) => Route::Pooled(client(plan, &endpoint, concurrency_of(plan.load))?, endpoint),
        None => Route::Transport(running.transport.clone(), running.facts.mcp_path.clone()),
    };
    let session_plan = match plan.sessions {
        None => None,
        Some(_) if !matches!(route, Route::Transport(..)) || running.transport.platform().is_none() => {
            return Err(Error::Usage(
                "--sessions spreads requests over runtime sessions: it needs a target reached through AgentCore (--arn)".into(),
            ));
        }
        Some(n) => Some(Arc::new(SessionPlan::new(n))),
    };
    // A stateful server behind --sessions: each runtime session opens an MCP session of its own.
    let handshake = match session_plan {
        Some(_) if cx.stateful() => Some(Arc::new(Handshake {
            initialize: template(
                &cx,
                "initialize",
                "initialize",
                jsonrpc::initialize_params(&cx.version()),
            )?,
            initialized: template_of(
                &cx,
                "notifications/initialized",
                cx.notification("notifications/initialized", json!({})),
            )?,
        })),
        _ => None,
    };
    let holding = match (&plan.hold, &running.facts.endpoint) {
        (None, _) => None,
        (Some(spec), Some(endpoint)) => {
            raise_open_files_limit(spec.streams + concurrency_of(plan.load) + 64);
            let client = client(plan, endpoint, spec.streams)?;
            Some(hold::start(spec, &cx, client, endpoint.clone(), plan.timeout).await?)
        }
        (Some(_), None) => {
            return Err(Error::Usage(format!(
                "--streams holds connections to the server itself; {} is reached through a platform (--arn), where each would be an invocation held against the quota",
                running.facts.label
            )));
        }
    };
    let started_at_ms = unix_ms();
    let shared = Arc::new(Shared {
        started: Instant::now(),
        sent: AtomicU64::new(0),
        done: AtomicU64::new(0),
        errors: AtomicU64::new(0),
    });
    let concurrency = concurrency_of(plan.load).max(1);
    let mut workers = Vec::with_capacity(concurrency);
    for _ in 0..concurrency {
        let worker = Worker {
            sessions: session_plan.clone(),
            handshake: handshake.clone(),
            route: route.clone(),
            mix: mix.clone(),
            plan: plan.clone(),
            shared: shared.clone(),
        };
        workers.push(tokio::spawn(worker.run()));
    }
    let collect = async {
        let mut latency = histogram();
        let mut errors: BTreeMap<String, u64> = BTreeMap::new();
        let mut streams = StreamTally::default();
        let mut sessions = SessionTally::default();
        for worker in workers {
            let tally = worker
                .await
                .map_err(|e| Error::Setup(format!("a bench worker stopped: {e}")))?;
            latency
                .add(&tally.latency)
                .map_err(|e| Error::Setup(format!("cannot merge histograms: {e}")))?;
            for (kind, count) in tally.errors {
                *errors.entry(kind).or_default() += count;
            }
            streams.add_tally(&tally.streams);
            sessions.add_tally(&tally.sessions);
        }
        Ok::<_, Error>((latency, errors, streams, sessions))
    };
    let measured = async {
        tokio::pin!(collect);
        let second = Duration::from_secs(1);
        let mut ticks = tokio::time::interval_at((shared.started + second).into(), second);
        let tallies = loop {
            tokio::select! {
                result = &mut collect => break result?,
                _ = ticks.tick() => tick(Tick {
                    elapsed: shared.started.elapsed(),
                    done: shared.done.load(Ordering::Relaxed),
                    errors: shared.errors.load(Ordering::Relaxed),
                }),
            }
        };
        // The window on the wall clock (shards on other machines are merged over their union),
        // its length from the monotonic clock.
        let elapsed_ms = shared.started.elapsed().as_millis() as u64;
        let window = results::Window {
            started_at_ms,
            ended_at_ms: started_at_ms + elapsed_ms.max(1),
        };
        let held = match holding {
            Some(holding) => Some(holding.finish().await),
            None => None,
        };
        Ok::<_, Error>((tallies, window, held))
    };
    // A container target's memory, sampled while the load and the held streams last.
    let server_memory = AtomicU64::new(0);
    let sample_memory = async {
        loop {
            if let Some(bytes) = running.server_memory_bytes().await {
                server_memory.fetch_max(bytes, Ordering::Relaxed);
            }
            tokio::time::sleep(MEMORY_EVERY).await;
        }
    };
    let ((latency, errors, streams, sessions), window, held) = tokio::select! {
        measured = measured => measured?,
        _ = sample_memory, if running.facts.container.is_some() => unreachable!("the sampler never ends"),
    };
    let label = running.facts.label.clone();
    let cold_starts = running.facts.container.as_ref().map(ColdStarts::of);
    running.stop().await;
    let mut report = BenchReport::new(whole, &label, &mix, &latency, errors, window);
    report.results.cold_starts = cold_starts;
    report.results.streams = streams.results();
    report.results.held = held;
    report.results.runtime_sessions = plan.sessions.map(|n| sessions.results(n));
    report.results.suite_peak_rss_mb = peak_rss_mb();
    report.results.server_peak_memory_mb = match server_memory.into_inner() {
        0 => None,
        bytes => Some((bytes as f64 / (1024.0 * 1024.0) * 10.0).round() / 10.0),
    };
    Ok(report)
}

/// How often a container target's memory is sampled.
const MEMORY_EVERY: Duration = Duration::from_millis(500);

fn concurrency_of(load: Load) -> usize {
    match load {
        Load::Closed { concurrency } | Load::Open { concurrency, .. } => concurrency,
    }
}

/// The suite's own peak memory (resident set high-water mark) so far, where the OS says it.
fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kb: f64 = status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some((kb / 1024.0 * 10.0).round() / 10.0)
}

/// Raises the soft limit on open files toward `wanted` (up to the hard limit): holding a
/// thousand streams takes a thousand sockets, past the common default of 1,024.
fn raise_open_files_limit(wanted: usize) {
    #[cfg(unix)]
    {
        let mut limit = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: getrlimit and setrlimit only read and write the struct passed to them.
        unsafe {
            if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) == 0 && (limit.rlim_cur as usize) < wanted {
                limit.rlim_cur = (wanted as libc::rlim_t).min(limit.rlim_max);
                libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
            }
        }
    }
    #[cfg(not(unix))]
    let _ = wanted;
}

/// The requests to send (`--mix` picks the parts): tools/list and a tools/call of the fastest tool
/// the call policy allows that needs no arguments (or the `--call`ed ones), in the server's first
/// spoken era; a server without tools gets ping (or server/discover). A stateful server's session
/// is opened once and used by every request.
async fn request_mix(plan: &BenchSpec, running: &crate::targets::Running) -> Result<(Vec<Template>, Cx), Error> {
    let options = ProbeSettings {
        timeout: plan.timeout,
        headers: plan.headers.clone(),
        call_policy: plan.call_policy,
        calls: plan.calls.clone(),
        ..ProbeSettings::default()
    };
    let mut probe = Probe::new(running.transport.clone(), running.facts.clone(), options);
    probe.discover().await?;
    let discovery = probe.discovery();
    let era = match (&discovery.legacy, &discovery.modern) {
        (Some(_), _) => Era::Legacy,
        (None, Some(_)) => Era::Modern,
        (None, None) => {
            return Err(Error::Setup(format!(
                "{} speaks no MCP era the suite knows: {}",
                running.facts.label, discovery.legacy_absent
            )));
        }
    };
    let cx = Cx::new(Arc::new(probe), Some(era));
    let mut mix = Vec::new();
    if !cx.declares("tools") {
        if plan.mix != Mix::default() {
            return Err(Error::Setup(format!(
                "{} declares no tools, so --mix has no tools/list or tools/call to send",
                running.facts.label
            )));
        }
        let method = if era == Era::Legacy { "ping" } else { "server/discover" };
        mix.push(template(&cx, method, method, json!({}))?);
        return Ok((mix, cx));
    }
    if plan.mix.list {
        mix.push(template(&cx, "tools/list", "tools/list", json!({}))?);
    }
    if plan.mix.call {
        let calls = tool_calls(plan, &cx).await?;
        if calls.is_empty() && !plan.mix.list {
            return Err(Error::Setup(format!(
                "--mix tools/call: no tool of {} can be called (none is argument-free and allowed by --call-policy; name one with --call)",
                running.facts.label
            )));
        }
        mix.extend(calls);
    }
    Ok((mix, cx))
}

/// The `--call`ed tools, or else the fastest argument-free tool the call policy allows (with
/// `--shard`, the first by name).
async fn tool_calls(plan: &BenchSpec, cx: &Cx) -> Result<Vec<Template>, Error> {
    let wire = |e: WireError| Error::Setup(format!("cannot list tools: {e}"));
    if let Some(first) = checks::util::unlisted_calls(cx).await.map_err(wire)?.into_iter().next() {
        return Err(Error::Usage(first));
    }
    let callable = checks::util::callable(cx).await.map_err(wire)?;
    let explicit = !plan.calls.is_empty();
    let mut calls = Vec::new();
    let mut fastest: Option<(Duration, String, Value)> = None;
    for (tool, arguments) in callable
        .calls
        .iter()
        .filter(|(t, _)| explicit || checks::util::is_argument_free(t))
    {
        let name = tool["name"].as_str().unwrap_or_default().to_string();
        let params = json!({ "name": name, "arguments": arguments });
        if explicit {
            calls.push(template(cx, &format!("tools/call {name}"), "tools/call", params)?);
            continue;
        }
        let reply = cx.call("tools/call", params).await.map_err(wire)?;
        let took = reply.http.timings.total;
        // Shards of one run must send the same requests: they take the first answering tool by
        // name, not the fastest (which timing noise would pick differently on each runner).
        let better = |(best, best_name, _): &(Duration, String, Value)| match plan.shard {
            Some(_) => name < *best_name,
            None => took < *best,
        };
        if reply.result().is_some() && fastest.as_ref().is_none_or(better) {
            fastest = Some((took, name, arguments.clone()));
        }
    }
    if let Some((_, name, arguments)) = fastest {
        let params = json!({ "name": name, "arguments": arguments });
        calls.push(template(cx, &format!("tools/call {name}"), "tools/call", params)?);
    }
    Ok(calls)
}

fn template(cx: &Cx, name: &str, method: &str, params: Value) -> Result<Template, Error> {
    template_of(cx, name, cx.standard(method, params))
}

/// `req` with the user's `--header`s, ready to send again and again.
fn template_of(cx: &Cx, name: &str, mut req: crate::probe::Req) -> Result<Template, Error> {
    for (header, value) in &cx.settings().headers {
        req = req.header(header, value);
    }
    let mut headers = hyper::HeaderMap::new();
    for (header, value) in &req.headers {
        let header = hyper::header::HeaderName::from_bytes(header.as_bytes());
        let value = hyper::header::HeaderValue::from_str(value);
        let (Ok(header), Ok(value)) = (header, value) else {
            return Err(Error::Usage(format!("{name}: a header that cannot be sent")));
        };
        headers.append(header, value);
    }
    let method = reqwest::Method::from_bytes(req.method.as_bytes())
        .map_err(|_| Error::Usage(format!("{name}: a method that cannot be sent")))?;
    let id = req.expect.as_ref().map(|(id, _)| id);
    Ok(Template {
        name: name.to_string(),
        method,
        headers,
        body: split_at_id(req.body, id),
    })
}

/// A pooled client: `connections` kept alive (one per worker or held stream), Nagle off, no
/// redirects.
fn client(plan: &BenchSpec, endpoint: &url::Url, connections: usize) -> Result<reqwest::Client, Error> {
    client_builder(&plan.tls, proxied(endpoint))
        .map_err(Error::Usage)?
        .pool_max_idle_per_host(connections)
        .build()
        .map_err(|e| Error::Setup(format!("cannot set up the HTTP client: {e}")))
}

/// How a worker reaches the server.
#[derive(Clone)]
enum Route {
    /// Plain HTTP: the worker's own hyper connection.
    Plain(url::Url),
    /// HTTPS or through a proxy: the pooled reqwest client.
    Pooled(reqwest::Client, url::Url),
    /// No HTTP endpoint of its own (an AgentCore runtime): the target's transport, which keeps
    /// its connections alive itself (the AWS SDK's pool), POSTing to this MCP path.
    Transport(Arc<dyn Transport>, String),
}

struct Worker {
    /// `--sessions`: which runtime session each request goes to.
    sessions: Option<Arc<SessionPlan>>,
    /// `--sessions` on a stateful server: how each runtime session opens its MCP session.
    handshake: Option<Arc<Handshake>>,
    route: Route,
    mix: Vec<Template>,
    plan: BenchSpec,
    shared: Arc<Shared>,
}

/// The requests that open an MCP session on a stateful server.
struct Handshake {
    initialize: Template,
    initialized: Template,
}

/// A worker's own kept-alive HTTP/1.1 connection for plain-HTTP targets, on hyper's connection
/// API: what wrk does, so the load generator costs little next to the server it measures.
/// HTTPS and proxied targets go through the pooled reqwest client instead.
struct Connection {
    sender: hyper::client::conn::http1::SendRequest<http_body_util::Full<hyper::body::Bytes>>,
    driver: tokio::task::JoinHandle<()>,
}

impl Drop for Connection {
    fn drop(&mut self) {
        self.driver.abort();
    }
}

async fn connect(endpoint: &url::Url) -> Result<Connection, String> {
    let host = endpoint
        .host_str()
        .unwrap_or_default()
        .trim_start_matches('[')
        .trim_end_matches(']');
    let port = endpoint.port_or_known_default().unwrap_or(80);
    let stream = tokio::net::TcpStream::connect((host, port))
        .await
        .map_err(|_| "connect".to_string())?;
    let _ = stream.set_nodelay(true);
    let (sender, connection) = hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
        .await
        .map_err(|_| "connect".to_string())?;
    let driver = tokio::spawn(async move {
        let _ = connection.await;
    });
    Ok(Connection { sender, driver })
}

/// What one request came back with: `Err(kind)` names what went wrong; a streamed response's
/// timeline, when it was one.
struct Sent {
    outcome: Result<(), String>,
    stream: Option<StreamTiming>,
}

impl From<Result<(), String>> for Sent {
    fn from(outcome: Result<(), String>) -> Sent {
        Sent { outcome, stream: None }
    }
}

/// A response body read as it arrives: an event stream is timed event by event and not kept;
/// any other body is kept for `judge`. Either way at most the body cap is read, so a hostile
/// server cannot grow the suite's memory.
struct BodyReader {
    sent: Instant,
    status: u16,
    read: usize,
    clock: Option<StreamClock>,
    body: Vec<u8>,
}

impl BodyReader {
    fn new(sent: Instant, status: u16, content_type: Option<&[u8]>) -> BodyReader {
        let streaming = content_type.is_some_and(|v| v.to_ascii_lowercase().starts_with(b"text/event-stream"));
        BodyReader {
            sent,
            status,
            read: 0,
            clock: streaming.then(|| StreamClock::new(sent.elapsed())),
            body: Vec::new(),
        }
    }

    fn chunk(&mut self, bytes: &[u8]) -> Result<(), String> {
        self.read += bytes.len();
        if self.read > MAX_BODY_BYTES {
            return Err("body over the 16 MiB cap".into());
        }
        match &mut self.clock {
            Some(clock) => clock.feed(bytes, self.sent.elapsed()),
            None => self.body.extend_from_slice(bytes),
        }
        Ok(())
    }

    fn finish(self) -> Sent {
        let Some(clock) = self.clock else {
            return judge(self.status, &self.body).into();
        };
        let outcome = match clock.response() {
            _ if !(200..300).contains(&self.status) => Err(format!("HTTP {}", self.status)),
            Some(ResponseKind::Result) => Ok(()),
            Some(ResponseKind::Error) => Err("JSON-RPC error".into()),
            None => Err("no result".into()),
        };
        Sent {
            outcome,
            stream: Some(clock.finish(self.sent.elapsed())),
        }
    }
}

/// What a response body says: a result, a JSON-RPC error, or neither.
fn judge(status: u16, body: &[u8]) -> Result<(), String> {
    if !(200..300).contains(&status) {
        return Err(format!("HTTP {status}"));
    }
    let has = |needle: &[u8]| body.windows(needle.len()).any(|w| w == needle);
    if has(b"\"result\"") {
        Ok(())
    } else if has(b"\"error\"") {
        Err("JSON-RPC error".into())
    } else {
        Err("no result".into())
    }
}

impl Worker {
    async fn run(self) -> Tally {
        let mut tally = Tally {
            latency: histogram(),
            errors: BTreeMap::new(),
            streams: StreamTally::default(),
            sessions: SessionTally::default(),
        };
        let end = self.plan.duration.map(|d| self.shared.started + d);
        let mut connection: Option<Connection> = None;
        loop {
            let slot = self.shared.sent.fetch_add(1, Ordering::Relaxed);
            if self.plan.requests.is_some_and(|limit| slot >= limit) {
                break;
            }
            // Open loop: wait for the slot's scheduled start and measure from it.
            let start = match self.plan.load {
                Load::Closed { .. } => Instant::now(),
                Load::Open { rate, .. } => {
                    let scheduled = self.shared.started + Duration::from_secs_f64(slot as f64 / rate);
                    tokio::time::sleep_until(scheduled.into()).await;
                    scheduled
                }
            };
            if end.is_some_and(|end| start >= end) {
                break;
            }
            let template = &self.mix[slot as usize % self.mix.len()];
            let sent = match &self.route {
                Route::Plain(endpoint) => {
                    self.send_plain(endpoint, &mut connection, template, MIX_IDS + slot)
                        .await
                }
                Route::Pooled(client, endpoint) => self.send(client, endpoint, template, MIX_IDS + slot).await,
                Route::Transport(transport, path) => {
                    self.send_through(transport.as_ref(), path, template, MIX_IDS + slot)
                        .await
                }
            };
            let micros = start.elapsed().as_micros().clamp(1, 600_000_000) as u64;
            let _ = tally.latency.record(micros);
            if let Some(sessions) = &self.sessions {
                tally.sessions.record(sessions.for_slot(slot).1, micros);
            }
            self.shared.done.fetch_add(1, Ordering::Relaxed);
            if let Some(stream) = &sent.stream {
                tally.streams.add(stream);
            }
            if let Err(kind) = sent.outcome {
                self.shared.errors.fetch_add(1, Ordering::Relaxed);
                *tally.errors.entry(format!("{}: {kind}", template.name)).or_default() += 1;
            }
        }
        tally
    }

    /// One request on the worker's connection (opened, or reopened after an error, as needed).
    async fn send_plain(
        &self,
        endpoint: &url::Url,
        connection: &mut Option<Connection>,
        template: &Template,
        id: u64,
    ) -> Sent {
        let exchange = async {
            if connection.as_ref().is_none_or(|c| c.sender.is_closed()) {
                *connection = Some(connect(endpoint).await?);
            }
            let Some(open) = connection.as_mut() else {
                return Err("connect".to_string());
            };
            let path_and_query = &endpoint[url::Position::BeforePath..];
            let host = match endpoint.port() {
                Some(port) => format!("{}:{port}", endpoint.host_str().unwrap_or_default()),
                None => endpoint.host_str().unwrap_or_default().to_string(),
            };
            let mut request = hyper::Request::post(path_and_query)
                .header("host", host)
                .body(http_body_util::Full::new(template.body(id)))
                .map_err(|_| "request".to_string())?;
            request.headers_mut().extend(template.headers.clone());
            open.sender.ready().await.map_err(|_| "connection closed".to_string())?;
            let sent = Instant::now();
            let response = open
                .sender
                .send_request(request)
                .await
                .map_err(|_| "request".to_string())?;
            let content_type = response.headers().get("content-type").map(|v| v.as_bytes());
            let mut reader = BodyReader::new(sent, response.status().as_u16(), content_type);
            let mut body = response.into_body();
            while let Some(frame) = http_body_util::BodyExt::frame(&mut body).await {
                if let Ok(data) = frame.map_err(|_| "body".to_string())?.into_data() {
                    reader.chunk(&data)?;
                }
            }
            Ok(reader.finish())
        };
        let sent = tokio::time::timeout(self.plan.timeout, exchange)
            .await
            .unwrap_or_else(|_| Err("timeout".into()))
            .unwrap_or_else(|kind| Err(kind).into());
        if sent.outcome.is_err() {
            *connection = None; // a fresh connection for the next request
        }
        sent
    }

    /// One request read to its end through the pooled client.
    async fn send(&self, client: &reqwest::Client, endpoint: &url::Url, template: &Template, id: u64) -> Sent {
        let request = client
            .post(endpoint.clone())
            .headers(template.headers.clone())
            .body(template.body(id));
        let exchange = async {
            let sent = Instant::now();
            let mut response = request
                .send()
                .await
                .map_err(|e| if e.is_connect() { "connect" } else { "request" }.to_string())?;
            let content_type = response.headers().get("content-type").map(|v| v.as_bytes());
            let mut reader = BodyReader::new(sent, response.status().as_u16(), content_type);
            while let Some(chunk) = response.chunk().await.map_err(|_| "body".to_string())? {
                reader.chunk(&chunk)?;
            }
            Ok(reader.finish())
        };
        tokio::time::timeout(self.plan.timeout, exchange)
            .await
            .unwrap_or_else(|_| Err("timeout".into()))
            .unwrap_or_else(|kind| Err(kind).into())
    }

    /// One request through the target's own transport (InvokeAgentRuntime for a runtime).
    async fn send_through(&self, transport: &dyn Transport, path: &str, template: &Template, id: u64) -> Sent {
        let mut headers = template.header_pairs();
        if let Some(sessions) = &self.sessions {
            let slot = id - MIX_IDS;
            let (session, _) = sessions.for_slot(slot);
            headers.push((RUNTIME_SESSION_ID.to_string(), session.to_string()));
            // A stateful server: each runtime session is a server of its own, with an MCP
            // session of its own, opened by the session's first request (and awaited by others).
            if let Some(handshake) = &self.handshake {
                let opened = sessions
                    .mcp_session(slot)
                    .get_or_init(|| self.open_mcp_session(transport, path, session, handshake))
                    .await;
                match opened {
                    Ok(mcp_session) => {
                        headers.retain(|(name, _)| !name.eq_ignore_ascii_case(SESSION_ID));
                        headers.push((SESSION_ID.to_string(), mcp_session.clone()));
                    }
                    Err(kind) => return Err(kind.clone()).into(),
                }
            }
        }
        let request = HttpRequest {
            method: "POST".into(),
            path: path.to_string(),
            headers,
            body: template.body(id).to_vec(),
        };
        match self.invoke(transport, &request).await {
            Ok(response) => Sent {
                outcome: judge(response.status, &response.body),
                stream: stream_timing::of_response(&response),
            },
            Err(kind) => Err(kind).into(),
        }
    }

    /// initialize and `notifications/initialized` in runtime session `session`: the MCP session
    /// id the server there minted.
    async fn open_mcp_session(
        &self,
        transport: &dyn Transport,
        path: &str,
        session: &str,
        handshake: &Handshake,
    ) -> Result<String, String> {
        let request = |template: &Template, mcp_session: Option<&str>| {
            let mut headers = template.header_pairs();
            headers.push((RUNTIME_SESSION_ID.to_string(), session.to_string()));
            headers.extend(mcp_session.map(|id| (SESSION_ID.to_string(), id.to_string())));
            HttpRequest {
                method: "POST".into(),
                path: path.to_string(),
                headers,
                // A new server: no id of this session has been used yet.
                body: template.body(1).to_vec(),
            }
        };
        let initialized = self.invoke(transport, &request(&handshake.initialize, None)).await?;
        judge(initialized.status, &initialized.body).map_err(|kind| format!("initialize: {kind}"))?;
        let mcp_session = initialized
            .header(SESSION_ID)
            .ok_or("initialize in a new runtime session minted no Mcp-Session-Id")?
            .to_string();
        let acknowledged = self
            .invoke(transport, &request(&handshake.initialized, Some(&mcp_session)))
            .await?;
        if !(200..300).contains(&acknowledged.status) {
            return Err(format!("notifications/initialized: HTTP {}", acknowledged.status));
        }
        Ok(mcp_session)
    }

    /// One request through the target's transport (InvokeAgentRuntime for a runtime); `Err(kind)`
    /// names the platform's refusal or the failure.
    async fn invoke(&self, transport: &dyn Transport, request: &HttpRequest) -> Result<HttpResponse, String> {
        let limits = crate::wire::transport::Limits {
            timeout: self.plan.timeout,
            max_body_bytes: crate::wire::transport::MAX_BODY_BYTES,
            close_grace: Duration::ZERO,
            body_watch: None,
            max_total: None,
        };
        // Through a platform, its refusals come back typed: throttling is told apart from the
        // server's own errors, since its latency is the platform's.
        let answer = match transport.platform() {
            Some(platform) => platform
                .invoke(request, Credential::Configured, limits, &mut |_| Heard::More)
                .await
                .map(|answer| match answer {
                    Answer::Served(response) => Ok(response),
                    Answer::Refused(refusal) => Err(refusal),
                }),
            None => transport.exchange(request, limits, &mut |_| Heard::More).await.map(Ok),
        };
        match answer {
            Ok(Ok(response)) => Ok(response),
            Ok(Err(refusal)) if THROTTLING.contains(&refusal.code.as_str()) || refusal.status == 429 => {
                Err(format!("{THROTTLED}: {}", refusal.code))
            }
            Ok(Err(refusal)) => Err(format!("AgentCore {} {}", refusal.status, refusal.code)),
            Err(WireError::Timeout(_)) => Err("timeout".into()),
            Err(WireError::Connect(_)) => Err("connect".into()),
            Err(e) => Err(e.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_request_gets_its_own_id() {
        let body = br#"{"id":7,"jsonrpc":"2.0","method":"tools/call","params":{"arguments":{"id":7},"name":"x"}}"#;
        let template = Template {
            name: "tools/call x".into(),
            method: reqwest::Method::POST,
            headers: hyper::HeaderMap::new(),
            body: split_at_id(body.to_vec(), Some(&json!(7))),
        };
        let sent: Value = serde_json::from_slice(&template.body(4_294_967_301)).unwrap();
        assert_eq!(sent["id"], 4_294_967_301u64);
        assert_eq!(sent["params"]["arguments"]["id"], 7, "only the top-level id changes");
        let notification = br#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#;
        assert_eq!(split_at_id(notification.to_vec(), None).0.as_ref(), notification);
    }
}
