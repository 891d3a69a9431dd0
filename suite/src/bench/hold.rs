//! `bench --streams N --hold D`: N long-lived streams held open while the ordinary mix runs —
//! GET /mcp streams (each in a session of its own on a stateful server, since SDK servers allow
//! one such stream a session), or calls of a slow read-only tool (`--hold-call`) that asked for
//! progress. The report says how many the server opened, refused or dropped, whether GET /ping
//! stayed healthy meanwhile, and the mix's latency under that load is the run's own.
//!
//! Each held stream reads and drops what arrives; only its first [`PARSED_BYTES`] are parsed for
//! events, so the suite's memory stays bounded whatever the server sends.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::Template;
use super::histograms::{Percentiles, add_histogram, decode_histogram, encode_histogram, histogram};
use crate::error::Error;
use crate::probe::{CallPolicy, Cx, Era, SESSION_ID};
use crate::wire::stream_timing::{ResponseKind, StreamClock};

/// A held stream's events are counted over this many bytes; past them, bytes are only dropped.
pub const PARSED_BYTES: usize = 64 * 1024;

/// Held calls' JSON-RPC ids count from here, apart from the mix's (which count from 0).
const HELD_IDS: u64 = 1 << 48;

/// How often GET /ping is asked while streams are held.
const PING_EVERY: Duration = Duration::from_millis(500);

/// What `--streams`, `--hold`, `--hold-call` asked for.
#[derive(Clone, Debug)]
pub struct HoldSpec {
    pub streams: usize,
    pub hold: Duration,
    /// `--hold-call TOOL` with its `--hold-args`: hold calls of this tool instead of GET streams.
    pub call: Option<(String, Value)>,
}

/// What one held stream is.
#[derive(Clone)]
enum Held {
    /// GET /mcp; on a stateful server in a session of its own, opened through `cx` first.
    Get { get: Template, own_session: bool },
    /// A tools/call that asked for progress, called again whenever it answers within the hold.
    Call(Template),
}

/// What the held streams did, as saved.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct HeldStreams {
    pub requested: u64,
    /// `GET /mcp` or `tools/call TOOL`.
    pub kind: String,
    pub hold_s: f64,
    #[serde(flatten)]
    pub counts: StreamCounts,
    /// How long opening all of them took (the mix starts then).
    pub opening_s: f64,
    /// GET /ping while the streams were held.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ping: Option<PingHealth>,
}

/// What held streams did: one stream's fate, or all of a run's added up.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct StreamCounts {
    /// Streams still open when the hold ended.
    pub held_to_end: u64,
    /// Streams the server opened (a 2xx event stream came back), calls made again included.
    pub opened: u64,
    /// Streams the server would not open: an error status, a refused connection, no event stream.
    pub refused: u64,
    /// Open streams the server ended or broke before the hold was over.
    pub dropped: u64,
    /// Held calls that answered before the hold was over (each then called again).
    pub completed: u64,
    /// Events received on the held streams (over each one's first 64 KiB).
    pub events: u64,
    /// Why streams were refused or dropped, counted.
    pub failures: BTreeMap<String, u64>,
}

impl StreamCounts {
    fn add(&mut self, more: &StreamCounts) {
        self.held_to_end += more.held_to_end;
        self.opened += more.opened;
        self.refused += more.refused;
        self.dropped += more.dropped;
        self.completed += more.completed;
        self.events += more.events;
        add_counts(&mut self.failures, &more.failures);
    }

    fn failed(&mut self, why: String) {
        *self.failures.entry(why).or_default() += 1;
    }
}

/// GET /ping's answers while streams were held: AgentCore's health contract under load.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct PingHealth {
    pub checks: u64,
    /// `{"status": "Healthy"}`.
    pub healthy: u64,
    /// `{"status": "HealthyBusy"}`.
    pub busy: u64,
    /// Anything else: another status or body, an error, no answer in time.
    pub unhealthy: u64,
    pub failures: BTreeMap<String, u64>,
    pub latency_ms: Percentiles,
    /// The latency histogram (as `results.histogram`), so that shard files merge exactly.
    pub histogram: String,
}

impl HeldStreams {
    /// Adds up the held streams of shard files.
    pub fn merge<'a>(files: impl Iterator<Item = &'a HeldStreams>) -> Result<Option<HeldStreams>, String> {
        let mut sum: Option<HeldStreams> = None;
        let mut ping: Option<(PingHealth, Option<Histogram<u64>>)> = None;
        for held in files {
            let total = sum.get_or_insert_with(|| HeldStreams {
                kind: held.kind.clone(),
                hold_s: held.hold_s,
                ..HeldStreams::default()
            });
            total.requested += held.requested;
            total.counts.add(&held.counts);
            total.opening_s = total.opening_s.max(held.opening_s);
            if let Some(p) = &held.ping {
                let (sum, latency) = ping.get_or_insert_with(Default::default);
                sum.checks += p.checks;
                sum.healthy += p.healthy;
                sum.busy += p.busy;
                sum.unhealthy += p.unhealthy;
                add_counts(&mut sum.failures, &p.failures);
                add_histogram(latency, decode_histogram(&p.histogram)?)?;
            }
        }
        if let (Some(total), Some((mut health, Some(latency)))) = (&mut sum, ping) {
            health.latency_ms = Percentiles::of_micros(&latency);
            health.histogram = encode_histogram(&latency);
            total.ping = Some(health);
        }
        Ok(sum)
    }

    /// One line for summaries.
    pub fn summary(&self) -> String {
        let c = &self.counts;
        let mut line = format!(
            "held {} of {} streams ({}) to the end of {} s: {} opened, {} refused, {} dropped",
            c.held_to_end, self.requested, self.kind, self.hold_s, c.opened, c.refused, c.dropped
        );
        if c.completed > 0 {
            line.push_str(&format!(", {} answered within the hold and called again", c.completed));
        }
        for (why, n) in &c.failures {
            line.push_str(&format!("; {why}: {n}"));
        }
        if let Some(ping) = &self.ping {
            line.push_str(&format!(
                "\n  GET /ping meanwhile: {} checks, {} Healthy, {} HealthyBusy, {} not healthy; p99 {} ms, max {} ms",
                ping.checks, ping.healthy, ping.busy, ping.unhealthy, ping.latency_ms.p99, ping.latency_ms.max
            ));
            for (why, n) in &ping.failures {
                line.push_str(&format!("; {why}: {n}"));
            }
        }
        line
    }
}

fn add_counts(sum: &mut BTreeMap<String, u64>, more: &BTreeMap<String, u64>) {
    for (kind, n) in more {
        *sum.entry(kind.clone()).or_default() += n;
    }
}

/// The held request for `spec`, in `cx`'s era: the named tool (refused when the call policy does
/// not allow it), or else GET /mcp if the server offers such a stream.
async fn held_request(spec: &HoldSpec, cx: &Cx) -> Result<Held, Error> {
    if let Some((name, arguments)) = &spec.call {
        let wire = |e| Error::Setup(format!("--hold-call: cannot list tools: {e}"));
        let tools = cx.tools().await.map_err(wire)?;
        let Some(tool) = tools.iter().find(|t| t["name"] == name.as_str()) else {
            return Err(Error::Usage(format!(
                "--hold-call {name}: the server lists no such tool"
            )));
        };
        let read_only = tool.pointer("/annotations/readOnlyHint") == Some(&Value::Bool(true));
        match cx.settings().call_policy {
            CallPolicy::All => {}
            CallPolicy::ReadOnly if read_only => {}
            policy => {
                return Err(Error::Usage(format!(
                    "--hold-call {name}: the tool is not annotated readOnlyHint: true, and --call-policy {} does not allow calling it \
                     (it would be called over and over; pass --call-policy all only for a throwaway server)",
                    if policy == CallPolicy::None {
                        "none"
                    } else {
                        "read-only"
                    }
                )));
            }
        }
        let req = cx.tool_call(&Value::String(name.clone()), arguments);
        return Ok(Held::Call(super::template_of(cx, &format!("tools/call {name}"), req)?));
    }
    if cx.era() != Era::Legacy {
        return Err(Error::Usage(
            "--streams: the server speaks only the 2026-07-28 era, which has no GET stream; hold a slow read-only tool with --hold-call TOOL --hold-args JSON".into(),
        ));
    }
    let get = cx
        .to_endpoint("GET")
        .without(SESSION_ID)
        .header("accept", "text/event-stream")
        .header("mcp-protocol-version", &cx.version());
    Ok(Held::Get {
        get: super::template_of(cx, "GET /mcp", get)?,
        own_session: cx.stateful(),
    })
}

impl Held {
    fn kind(&self) -> String {
        match self {
            Held::Get { .. } => "GET /mcp".into(),
            Held::Call(template) => template.name.clone(),
        }
    }
}

/// Everything a held stream needs.
struct Holder {
    held: Held,
    cx: Cx,
    client: reqwest::Client,
    endpoint: url::Url,
    timeout: Duration,
    /// Streams that opened or were refused (the first time): the mix starts when all have.
    settled: AtomicUsize,
    /// Streams opened so far: each held call's id.
    opened: std::sync::atomic::AtomicU64,
    all_settled: tokio::sync::Notify,
    streams: usize,
}

impl Holder {
    fn settle(&self) {
        if self.settled.fetch_add(1, Ordering::AcqRel) + 1 == self.streams {
            self.all_settled.notify_one();
        }
    }

    /// Opens one stream: `Err` says why it was refused.
    async fn open(&self) -> Result<reqwest::Response, String> {
        let (template, session) = match &self.held {
            Held::Call(template) => (template, None),
            Held::Get { get, own_session } => {
                let session = match own_session {
                    true => match self.cx.new_session().await {
                        Ok((Some(session), _)) => Some(session),
                        Ok((None, _)) => return Err("initialize minted no session".into()),
                        Err(e) => return Err(format!("initialize: {e}")),
                    },
                    false => None,
                };
                (get, session)
            }
        };
        let mut request = self
            .client
            .request(template.method.clone(), self.endpoint.clone())
            .headers(template.headers.clone())
            .body(template.body(HELD_IDS + self.opened.fetch_add(1, Ordering::Relaxed)));
        if let Some(session) = session {
            request = request.header(SESSION_ID, session);
        }
        let response = tokio::time::timeout(self.timeout, request.send())
            .await
            .map_err(|_| "no response head in time".to_string())?
            .map_err(|e| if e.is_connect() { "connect" } else { "request" }.to_string())?;
        let streaming = response
            .headers()
            .get("content-type")
            .is_some_and(|v| v.as_bytes().to_ascii_lowercase().starts_with(b"text/event-stream"));
        match response.status().as_u16() {
            status if !(200..300).contains(&status) => Err(format!("HTTP {status}")),
            _ if !streaming => Err("not an event stream".into()),
            _ => Ok(response),
        }
    }

    /// Holds one stream until `stop` fires: opened again after a held call answers; not after a
    /// refusal or a drop (which are what is counted).
    async fn hold(self: Arc<Self>, mut stop: tokio::sync::watch::Receiver<bool>) -> StreamCounts {
        let mut fate = StreamCounts::default();
        let mut first = true;
        loop {
            let opened = tokio::select! {
                opened = self.open() => opened,
                _ = stop.changed() => break,
            };
            let settle = std::mem::take(&mut first);
            let mut response = match opened {
                Ok(response) => response,
                Err(why) => {
                    fate.refused += 1;
                    fate.failed(format!("refused: {why}"));
                    if settle {
                        self.settle();
                    }
                    break;
                }
            };
            fate.opened += 1;
            if settle {
                self.settle();
            }
            let sent = Instant::now();
            let mut clock = Some(StreamClock::new(Duration::ZERO));
            let mut read = 0usize;
            let ended = loop {
                tokio::select! {
                    chunk = response.chunk() => match chunk {
                        Ok(Some(bytes)) => {
                            read += bytes.len();
                            if read > PARSED_BYTES {
                                clock = None; // past the parsed part: dropped as it comes
                            }
                            if let Some(clock) = &mut clock {
                                clock.feed(&bytes, sent.elapsed());
                            }
                        }
                        Ok(None) => break None,
                        Err(_) => break Some("the stream broke"),
                    },
                    _ = stop.changed() => {
                        fate.held_to_end += 1;
                        fate.events += clock.map_or(0, |c| c.finish(sent.elapsed()).events);
                        return fate;
                    }
                }
            };
            let answered = clock.as_ref().and_then(StreamClock::response) == Some(ResponseKind::Result);
            fate.events += clock.map_or(0, |c| c.finish(sent.elapsed()).events);
            match (&self.held, ended) {
                (Held::Call(_), None) if answered => fate.completed += 1,
                (_, why) => {
                    fate.dropped += 1;
                    let why = why.unwrap_or(match self.held {
                        Held::Get { .. } => "the server ended the stream",
                        Held::Call(_) => "the stream ended without a result",
                    });
                    fate.failed(format!("dropped: {why}"));
                    break;
                }
            }
        }
        fate
    }
}

/// Held streams, open, and GET /ping asked meanwhile.
pub(super) struct Holding {
    stop: tokio::sync::watch::Sender<bool>,
    streams: Vec<tokio::task::JoinHandle<StreamCounts>>,
    ping: tokio::task::JoinHandle<(PingHealth, Histogram<u64>)>,
    kind: String,
    requested: usize,
    hold: Duration,
    opening: Duration,
    /// When the hold ends.
    until: Instant,
}

/// Opens `spec.streams` streams at once and waits until every one has opened or been refused
/// (at most the request timeout); the hold starts then.
pub(super) async fn start(
    spec: &HoldSpec,
    cx: &Cx,
    client: reqwest::Client,
    endpoint: url::Url,
    timeout: Duration,
) -> Result<Holding, Error> {
    let held = held_request(spec, cx).await?;
    let holder = Arc::new(Holder {
        held: held.clone(),
        cx: cx.clone(),
        client: client.clone(),
        endpoint: endpoint.clone(),
        timeout,
        settled: AtomicUsize::new(0),
        opened: Default::default(),
        all_settled: tokio::sync::Notify::new(),
        streams: spec.streams,
    });
    // One stream first: a server that offers none is told apart from one that runs out.
    if let Held::Get { .. } = held
        && let Err(why) = holder.open().await
    {
        return Err(Error::Usage(format!(
            "--streams: GET /mcp opens no stream ({why}); hold a slow read-only tool instead with --hold-call TOOL --hold-args JSON"
        )));
    }
    let began = Instant::now();
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let streams = (0..spec.streams)
        .map(|_| tokio::spawn(holder.clone().hold(stopped.clone())))
        .collect();
    let settled = holder.all_settled.notified();
    let _ = tokio::time::timeout(timeout, settled).await;
    let opening = began.elapsed();
    let ping = tokio::spawn(watch_ping(client, endpoint, timeout, stopped));
    Ok(Holding {
        stop,
        streams,
        ping,
        kind: held.kind(),
        requested: spec.streams,
        hold: spec.hold,
        opening,
        until: Instant::now() + spec.hold,
    })
}

impl Holding {
    /// Waits for the hold to end, closes the streams and says what they did.
    pub(super) async fn finish(self) -> HeldStreams {
        tokio::time::sleep_until(self.until.into()).await;
        let _ = self.stop.send(true);
        let mut held = HeldStreams {
            requested: self.requested as u64,
            kind: self.kind,
            hold_s: self.hold.as_secs_f64(),
            opening_s: (self.opening.as_secs_f64() * 1000.0).round() / 1000.0,
            ..HeldStreams::default()
        };
        for stream in self.streams {
            if let Ok(fate) = stream.await {
                held.counts.add(&fate);
            }
        }
        if let Ok((mut ping, latency)) = self.ping.await
            && ping.checks > 0
        {
            ping.latency_ms = Percentiles::of_micros(&latency);
            ping.histogram = encode_histogram(&latency);
            held.ping = Some(ping);
        }
        held
    }
}

/// Asks GET /ping every [`PING_EVERY`] until `stop`, on its own connection.
async fn watch_ping(
    client: reqwest::Client,
    endpoint: url::Url,
    timeout: Duration,
    mut stop: tokio::sync::watch::Receiver<bool>,
) -> (PingHealth, Histogram<u64>) {
    let mut health = PingHealth::default();
    let mut latency = histogram();
    let ping = endpoint.join("/ping").unwrap_or(endpoint);
    let mut every = tokio::time::interval(PING_EVERY);
    loop {
        tokio::select! {
            _ = every.tick() => {}
            _ = stop.changed() => break,
        }
        let asked = Instant::now();
        let answer = tokio::time::timeout(timeout.min(Duration::from_secs(5)), async {
            let response = client
                .get(ping.clone())
                .send()
                .await
                .map_err(|_| "no answer".to_string())?;
            let status = response.status().as_u16();
            let body = response.bytes().await.map_err(|_| "the body broke".to_string())?;
            let said = serde_json::from_slice::<Value>(&body)
                .ok()
                .and_then(|v| v["status"].as_str().map(str::to_string));
            Ok::<_, String>((status, said))
        })
        .await
        .unwrap_or_else(|_| Err("no answer in time".into()));
        let _ = latency.record(asked.elapsed().as_micros().clamp(1, 600_000_000) as u64);
        health.checks += 1;
        match answer {
            Ok((200, Some(status))) if status == "Healthy" => health.healthy += 1,
            Ok((200, Some(status))) if status == "HealthyBusy" => health.busy += 1,
            other => {
                health.unhealthy += 1;
                let why = match other {
                    Ok((200, Some(status))) => format!("status {status}"),
                    Ok((200, None)) => "no JSON status".into(),
                    Ok((status, _)) => format!("HTTP {status}"),
                    Err(why) => why,
                };
                *health.failures.entry(why).or_default() += 1;
            }
        }
    }
    (health, latency)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shard(opened: u64, refused: u64, ping_ms: &[u64]) -> HeldStreams {
        let mut latency = histogram();
        for ms in ping_ms {
            latency.record(ms * 1000).unwrap();
        }
        HeldStreams {
            requested: opened + refused,
            kind: "GET /mcp".into(),
            hold_s: 10.0,
            counts: StreamCounts {
                held_to_end: opened,
                opened,
                refused,
                failures: BTreeMap::from([("refused: HTTP 503".to_string(), refused)]),
                ..StreamCounts::default()
            },
            opening_s: 0.5 + refused as f64,
            ping: Some(PingHealth {
                checks: ping_ms.len() as u64,
                healthy: ping_ms.len() as u64,
                latency_ms: Percentiles::of_micros(&latency),
                histogram: encode_histogram(&latency),
                ..PingHealth::default()
            }),
        }
    }

    #[test]
    fn shards_of_held_streams_add_up() {
        let merged = HeldStreams::merge([shard(500, 0, &[1, 2]), shard(480, 20, &[3, 40])].iter())
            .unwrap()
            .unwrap();
        let counts = &merged.counts;
        assert_eq!((merged.requested, counts.held_to_end, counts.refused), (1000, 980, 20));
        assert_eq!(counts.failures["refused: HTTP 503"], 20);
        assert_eq!(merged.opening_s, 20.5, "the slowest runner's");
        let ping = merged.ping.as_ref().unwrap();
        assert_eq!((ping.checks, ping.healthy), (4, 4));
        assert!((ping.latency_ms.max - 40.0).abs() < 0.1, "{:?}", ping.latency_ms);
        assert!(
            merged.summary().starts_with("held 980 of 1000 streams (GET /mcp)"),
            "{}",
            merged.summary()
        );
        assert!(HeldStreams::merge(std::iter::empty()).unwrap().is_none());
    }
}
