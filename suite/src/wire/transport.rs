//! The transport seam: how a request reaches the server. The probe holds one `Transport` and
//! never asks which kind it is; each transport says what it can observe, and a check that needs
//! more is skipped with the reason (h2spec's `spec.Dial`: test cases only see a connection).
//!
//! Transports here: [`plain`](super::plain) (raw HTTP/1.1, exact bytes),
//! [`reqwest_transport`](super::reqwest_transport) (HTTPS, proxies) and, with the `remote` feature,
//! `agentcore` (InvokeAgentRuntime, which also offers the [`Platform`] calls). Every transport reads the body through
//! [`read_response`], so timings, the size cap, the deadline and the close grace mean the same on all.

use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, Instant};

use http_body_util::BodyExt;

pub use super::http::{Cut, Enough, Heard, HttpRequest, HttpResponse, Limits, MAX_BODY_BYTES, Timings, WireError};
use super::platform::Platform;

/// Something a check may need that not every transport can do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Capability {
    /// Methods other than POST and paths other than the MCP endpoint (GET or DELETE /mcp).
    AnyMethodAndPath,
    /// Any request header set, changed or left out exactly as asked (no Accept, Host, Origin).
    AnyHeader,
    /// GET /ping on the server itself.
    Ping,
    /// The body's bytes as the server wrote them, chunk by chunk, with their arrival times.
    RawBytes,
    /// Several requests in turn on one kept-alive connection.
    KeepAlive,
    /// Every response header as the server sent it.
    ResponseHeaders,
    /// Calls through the AgentCore platform (InvokeAgentRuntime) with chosen credentials and
    /// runtime sessions, its refusals typed.
    Platform,
}

impl Capability {
    pub fn describe(self) -> &'static str {
        match self {
            Capability::AnyMethodAndPath => "send methods other than POST or paths other than the MCP endpoint",
            Capability::AnyHeader => "set, change or leave out any request header (no Accept, another Host, an Origin)",
            Capability::Ping => "reach GET /ping on the server",
            Capability::RawBytes => "see the body's bytes and their timing as the server wrote them",
            Capability::KeepAlive => "hold one connection open across requests",
            Capability::ResponseHeaders => "see every response header the server sent",
            Capability::Platform => {
                "call through AgentCore's InvokeAgentRuntime with chosen credentials (use --arn; --endpoint-url for the local emulator)"
            }
        }
    }
}

/// What a transport can observe.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Observes {
    pub any_method_and_path: bool,
    pub any_header: bool,
    pub ping: bool,
    pub raw_bytes: bool,
    pub keep_alive: bool,
    pub response_headers: bool,
    pub platform: bool,
}

impl Observes {
    /// What a direct HTTP connection observes: everything but platform calls.
    pub const DIRECT: Observes = Observes {
        any_method_and_path: true,
        any_header: true,
        ping: true,
        raw_bytes: true,
        keep_alive: true,
        response_headers: true,
        platform: false,
    };

    pub fn can(self, capability: Capability) -> bool {
        match capability {
            Capability::AnyMethodAndPath => self.any_method_and_path,
            Capability::AnyHeader => self.any_header,
            Capability::Ping => self.ping,
            Capability::RawBytes => self.raw_bytes,
            Capability::KeepAlive => self.keep_alive,
            Capability::ResponseHeaders => self.response_headers,
            Capability::Platform => self.platform,
        }
    }

    /// The capability `request` needs that this transport lacks, if any. `mcp_path` is the
    /// endpoint every transport can POST to. A check's request is judged before the user's
    /// `--header`s are added: those are the user's to choose.
    pub fn lacks_for(self, request: &HttpRequest, mcp_path: &str) -> Option<Capability> {
        let needs_header = request.header("accept").is_none()
            || request.header("host").is_some()
            || request.header("origin").is_some();
        let needs = if request.method == "GET" && request.path == "/ping" {
            Capability::Ping
        } else if request.method != "POST" || request.path != mcp_path {
            Capability::AnyMethodAndPath
        } else if needs_header {
            Capability::AnyHeader
        } else {
            return None;
        };
        (!self.can(needs)).then_some(needs)
    }
}

pub type Exchange<'a> = Pin<Box<dyn Future<Output = Result<HttpResponse, WireError>> + Send + 'a>>;

pub type Exchanges<'a> = Pin<Box<dyn Future<Output = Result<Vec<HttpResponse>, WireError>> + Send + 'a>>;

/// A way to reach the server under test.
pub trait Transport: Send + Sync {
    /// A short name for skip reasons and reports: `plain HTTP`, `HTTPS (reqwest)`.
    fn name(&self) -> &str;

    fn observes(&self) -> Observes;

    /// Whether something between the suite and the server adds an `Mcp-Session-Id` to requests
    /// that have none (AgentCore does): the server then never sees a request without one, and a
    /// session id in a response does not prove the server minted it.
    fn adds_session_ids(&self) -> bool {
        false
    }

    /// The platform calls this transport offers (`Observes::platform`), if any.
    fn platform(&self) -> Option<&dyn Platform> {
        None
    }

    /// Sends `request` and reads the response within `limits`. Reading waits at most
    /// `limits.close_grace` for the body to end once `enough` has returned true.
    fn exchange<'a>(&'a self, request: &'a HttpRequest, limits: Limits, enough: Enough<'a>) -> Exchange<'a>;

    /// Sends `requests` one after another on one kept-alive connection, as proxies and SDK
    /// clients do, reading each response to its end. Transports that say they cannot
    /// (`Observes::keep_alive`) keep this default.
    fn exchange_kept_alive<'a>(&'a self, requests: &'a [HttpRequest], limits: Limits) -> Exchanges<'a> {
        let _ = (requests, limits);
        let name = self.name().to_string();
        Box::pin(async move {
            Err(WireError::Unobservable(format!(
                "the {name} transport cannot hold one connection open across requests"
            )))
        })
    }
}

/// What arrived before the body: status, headers, and when (from `started`).
pub struct Head {
    pub status: u16,
    pub headers: Vec<(String, Vec<u8>)>,
    pub first_byte: Duration,
}

/// At most this many chunk records per response: a server sending a million tiny chunks must not
/// grow the suite's memory with them.
const MAX_CHUNK_RECORDS: usize = 100_000;

/// Records a body chunk's arrival; chunks within a millisecond of the last record, or past
/// `MAX_CHUNK_RECORDS`, are added to it. Silences between chunks (what the records are for) keep
/// their length to the millisecond.
fn record_chunk(chunks: &mut Vec<(std::time::Duration, usize)>, at: std::time::Duration, len: usize) {
    let full = chunks.len() >= MAX_CHUNK_RECORDS;
    match chunks.last_mut() {
        Some(last) if full || at.saturating_sub(last.0) < std::time::Duration::from_millis(1) => last.1 += len,
        _ => chunks.push((at, len)),
    }
}

/// Reads the body after `head` under `limits` into the response: every chunk timed from `sent`,
/// the size cap, the deadline, and the close grace once `enough` is satisfied.
pub async fn read_response<B>(
    head: Head,
    body: B,
    started: Instant,
    sent: Instant,
    limits: Limits,
    enough: Enough<'_>,
) -> Result<HttpResponse, WireError>
where
    B: hyper::body::Body<Data = hyper::body::Bytes> + Unpin,
    B::Error: std::fmt::Display,
{
    let deadline = started + limits.timeout;
    let mut deadline = match limits.body_watch {
        Some(watch) => deadline.min(Instant::now() + watch),
        None => deadline,
    };
    let streaming = head.headers.iter().any(|(name, value)| {
        name.eq_ignore_ascii_case("content-type") && value.to_ascii_lowercase().starts_with(b"text/event-stream")
    });
    let mut body = body;
    let mut bytes = Vec::new();
    let mut chunks = Vec::new();
    let mut stop_at = deadline;
    let cut = loop {
        let frame = match tokio::time::timeout_at(stop_at.into(), body.frame()).await {
            Err(_) => {
                break Some(if stop_at < deadline {
                    Cut::Lingered
                } else {
                    Cut::Deadline
                });
            }
            Ok(None) => break None,
            Ok(Some(Err(e))) => return Err(WireError::Protocol(format!("reading the body: {e}"))),
            Ok(Some(Ok(frame))) => frame,
        };
        let Ok(data) = frame.into_data() else {
            continue;
        };
        record_chunk(&mut chunks, sent.elapsed(), data.len());
        // Keep at most the cap: a body that would pass it stops here (and never doubles a buffer
        // past the cap).
        let room = limits.max_body_bytes - bytes.len();
        if data.len() > room {
            bytes.extend_from_slice(&data[..room]);
            break Some(Cut::TooLarge);
        }
        if bytes.capacity() - bytes.len() < data.len() {
            // Grow by doubling, but never past the cap: a body at the cap holds the cap, not
            // twice it.
            let wanted = (bytes.capacity() * 2)
                .max(bytes.len() + data.len())
                .min(limits.max_body_bytes);
            bytes.reserve_exact(wanted - bytes.len());
        }
        bytes.extend_from_slice(&data);
        // Only an event stream can stay open after the answer, so only its chunks go to `enough`
        // (which may be parsing them); only its first answer counts.
        if !streaming || stop_at != deadline {
            continue;
        }
        match enough(&data) {
            Heard::More => {}
            Heard::Progress => {
                if let Some(max_total) = limits.max_total {
                    deadline = (Instant::now() + limits.timeout).min(started + max_total).max(deadline);
                    stop_at = deadline;
                }
            }
            Heard::Answer => stop_at = (Instant::now() + limits.close_grace).min(deadline),
        }
    };
    Ok(HttpResponse {
        status: head.status,
        headers: head.headers,
        body: bytes,
        chunks,
        timings: Timings {
            first_byte: head.first_byte,
            total: started.elapsed(),
            sent: sent.saturating_duration_since(started),
        },
        cut,
    })
}

/// The response head as the report keeps it.
pub fn head_of(headers: &hyper::HeaderMap) -> Vec<(String, Vec<u8>)> {
    headers
        .iter()
        .map(|(n, v)| (n.as_str().to_string(), v.as_bytes().to_vec()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(method: &str, path: &str, headers: &[(&str, &str)]) -> HttpRequest {
        HttpRequest {
            method: method.into(),
            path: path.into(),
            headers: headers.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect(),
            body: Vec::new(),
        }
    }

    #[test]
    fn names_the_capability_a_request_needs() {
        let post_only = Observes {
            any_method_and_path: false,
            any_header: false,
            ping: false,
            raw_bytes: true,
            keep_alive: false,
            response_headers: true,
            platform: false,
        };
        let accept = ("accept", "application/json, text/event-stream");
        assert_eq!(post_only.lacks_for(&request("POST", "/mcp", &[accept]), "/mcp"), None);
        assert_eq!(
            post_only.lacks_for(&request("GET", "/ping", &[accept]), "/mcp"),
            Some(Capability::Ping)
        );
        assert_eq!(
            post_only.lacks_for(&request("DELETE", "/mcp", &[accept]), "/mcp"),
            Some(Capability::AnyMethodAndPath)
        );
        assert_eq!(
            post_only.lacks_for(&request("POST", "/mcp", &[]), "/mcp"),
            Some(Capability::AnyHeader)
        );
        assert_eq!(
            post_only.lacks_for(&request("POST", "/mcp", &[accept, ("Origin", "http://x")]), "/mcp"),
            Some(Capability::AnyHeader)
        );
        assert_eq!(Observes::DIRECT.lacks_for(&request("GET", "/x", &[]), "/mcp"), None);
    }
}

#[cfg(test)]
mod chunk_tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn chunk_records_keep_silences_and_stay_bounded() {
        let mut chunks = Vec::new();
        let ms = Duration::from_millis;
        // A burst within a millisecond is one record; a silence starts a new one.
        for at in [ms(10), ms(10), ms(10) + Duration::from_micros(500), ms(500), ms(501)] {
            record_chunk(&mut chunks, at, 2);
        }
        assert_eq!(chunks, [(ms(10), 6), (ms(500), 2), (ms(501), 2)]);
        // A million tiny chunks, each a millisecond apart: no more than the cap.
        let mut flood = Vec::new();
        for i in 0..1_000_000u64 {
            record_chunk(&mut flood, ms(i), 1);
        }
        assert_eq!(flood.len(), MAX_CHUNK_RECORDS);
        assert_eq!(flood.iter().map(|c| c.1).sum::<usize>(), 1_000_000);
    }
}
