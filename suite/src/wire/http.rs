//! HTTP exchanges as plain data, shared by every transport and by platform calls: the request a
//! check built, the response as read (chunks timed, why reading stopped), the limits every read
//! obeys, and the errors a transport reports.

use std::time::Duration;

/// One request as the check built it (header names as given; the transport adds Host if absent).
#[derive(Clone, Debug)]
pub struct HttpRequest {
    pub method: String,
    /// Path and query, relative to the target's origin: `/mcp`, `/ping`.
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl HttpRequest {
    /// A request without headers or body.
    pub fn new(method: &str, path: &str) -> HttpRequest {
        HttpRequest {
            method: method.to_string(),
            path: path.to_string(),
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Clone, Debug, Default)]
pub struct Timings {
    /// Until the status line and headers arrived.
    pub first_byte: Duration,
    /// Until the body ended (or reading stopped).
    pub total: Duration,
    /// Until the request was sent (connecting, where the transport times that apart): the
    /// chunks' times start here.
    pub sent: Duration,
}

#[derive(Clone, Debug)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<(String, Vec<u8>)>,
    pub body: Vec<u8>,
    /// (time since the request was sent, length) of every body chunk.
    pub chunks: Vec<(Duration, usize)>,
    pub timings: Timings,
    /// Why reading stopped before the server closed the body, if it did.
    pub cut: Option<Cut>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cut {
    /// The body grew past the size cap.
    TooLarge,
    /// The deadline passed with the body still open.
    Deadline,
    /// The caller had what it needed and the server kept the body open past the grace period.
    Lingered,
}

impl HttpResponse {
    /// First value of header `name` (case-insensitive) as text, if it is text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .and_then(|(_, v)| std::str::from_utf8(v).ok())
    }

    /// The media type of Content-Type without parameters, lowercased.
    pub fn media_type(&self) -> Option<String> {
        self.header("content-type")
            .map(|v| v.split(';').next().unwrap_or("").trim().to_ascii_lowercase())
    }
}

/// The largest body any exchange keeps (16 MiB): past it reading stops, so a hostile server
/// cannot grow the suite's memory.
pub const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

/// Limits every exchange obeys.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// For connecting, for the response head, and for the whole body.
    pub timeout: Duration,
    pub max_body_bytes: usize,
    /// How long to wait for the body to end once the caller has what it needs.
    pub close_grace: Duration,
    /// Read the body at most this long after the head (a stream that may stay open by design).
    pub body_watch: Option<Duration>,
    /// When set, each `Heard::Progress` restarts the body's deadline, up to this long after the
    /// request was sent.
    pub max_total: Option<Duration>,
}

impl Limits {
    /// For a readiness probe (a ping, a first invocation): small answers, a short grace.
    pub fn probe(timeout: Duration) -> Limits {
        Limits {
            timeout,
            max_body_bytes: 1 << 20,
            close_grace: Duration::from_millis(100),
            body_watch: None,
            max_total: None,
        }
    }
}

#[derive(Debug)]
pub enum WireError {
    Connect(String),
    Timeout(&'static str),
    Protocol(String),
    /// The transport cannot send this request as asked (see [`Capability`]).
    Unobservable(String),
}

impl std::fmt::Display for WireError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WireError::Connect(e) => write!(f, "cannot connect: {e}"),
            WireError::Timeout(what) => write!(f, "timed out waiting for {what}"),
            WireError::Protocol(e) => write!(f, "HTTP error: {e}"),
            WireError::Unobservable(e) => f.write_str(e),
        }
    }
}

/// What the caller made of one chunk of an event-stream body.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Heard {
    /// Nothing that changes the wait.
    More,
    /// A progress notification for the request: with `Limits::max_total`, the deadline starts
    /// again (MCP lets a client reset its timeout on progress, up to a maximum).
    Progress,
    /// What the caller needs has arrived: the body may linger for the close grace only.
    Answer,
}

/// Called with every chunk of an event-stream body; says what the chunk meant to the caller.
pub type Enough<'a> = &'a mut (dyn FnMut(&[u8]) -> Heard + Send);
