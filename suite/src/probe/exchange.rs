//! One exchange as checks see it: the request they built (`Req`) and what came back (`Reply`),
//! with the evidence line every report shows (secrets redacted).

use std::time::Duration;

use serde_json::Value;

use crate::secrets::{redact, redact_query};
use crate::wire::jsonrpc;
use crate::wire::sse::{SseStream, excerpt};
use crate::wire::transport::{Cut, HttpRequest, HttpResponse};

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
    /// Each progress notification restarts the wait, up to this long in all (tools/call).
    pub progress_ceiling: Option<Duration>,
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
            progress_ceiling: None,
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

    /// The request as the wire sends it.
    pub fn to_http(&self) -> HttpRequest {
        HttpRequest {
            method: self.method.clone(),
            path: self.path.clone(),
            headers: self.headers.clone(),
            body: self.body.clone(),
        }
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

    /// "HTTP 200 text/event-stream" style summary.
    pub fn status_line(&self) -> String {
        format!(
            "HTTP {} {}",
            self.status(),
            self.http.media_type().unwrap_or_else(|| "(no content-type)".into())
        )
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
