//! Writing responses: one SSE stream per request (default) or one JSON body (`--json-response`).
//! A request's handler runs in its own task; it may emit notifications on the stream before the
//! response, keep-alive comments are sent while it runs, and the stream closes after the response.

use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use tokio::sync::mpsc;

use crate::Fault;
use crate::Server;
use crate::reply::json_response;
use crate::session::EventIds;

/// Sends notifications for the request being served; a no-op in JSON mode (no stream to carry them).
#[derive(Clone)]
pub(crate) struct Emitter {
    stream: Option<(mpsc::UnboundedSender<Bytes>, Arc<Server>)>,
    event_ids: EventIds,
}

impl Emitter {
    pub fn none() -> Self {
        Emitter {
            stream: None,
            event_ids: None,
        }
    }

    pub fn notify(&self, method: &str, params: Value) {
        self.send(&json!({ "jsonrpc": "2.0", "method": method, "params": params }));
    }

    fn send(&self, message: &Value) {
        if let Some((tx, server)) = &self.stream {
            let _ = tx.send(event(server, message, &self.event_ids));
        }
    }
}

/// One SSE event carrying `message`, framed as the active faults dictate; a stateful session's
/// events carry the session's next event id.
fn event(server: &Server, message: &Value, event_ids: &EventIds) -> Bytes {
    let name = if server.fault(Fault::SseEventNameOther) {
        "update"
    } else {
        "message"
    };
    let id = match event_ids {
        _ if server.fault(Fault::SseDuplicateEventIds) => "id: 1\n".to_string(),
        Some(ids) => format!("id: {}\n", ids.fetch_add(1, std::sync::atomic::Ordering::Relaxed)),
        None => String::new(),
    };
    let data_end = if server.fault(Fault::SseCrlfMixed) {
        "\r\n"
    } else {
        "\n"
    };
    Bytes::from(format!("{id}event: {name}\ndata: {message}{data_end}\n"))
}

/// A JSON-RPC response (or error response) object.
pub(crate) fn response_message(server: &Server, id: &Value, outcome: Result<Value, Value>) -> Value {
    let id = if server.fault(Fault::WrongResponseId) {
        match id.as_i64() {
            Some(n) => json!(n + 1),
            None => json!(format!("{}-wrong", id.as_str().unwrap_or(""))),
        }
    } else {
        id.clone()
    };
    match outcome {
        Ok(result) => json!({ "jsonrpc": "2.0", "id": id, "result": result }),
        Err(error) => json!({ "jsonrpc": "2.0", "id": id, "error": error }),
    }
}

/// Runs `work` for the request `id` and streams its response (SSE, numbered by `event_ids` in a
/// stateful session) or returns it as JSON.
pub(crate) async fn respond<F, Fut>(
    server: Arc<Server>,
    id: Value,
    as_sse: bool,
    event_ids: EventIds,
    work: F,
) -> Response
where
    F: FnOnce(Emitter) -> Fut + Send + 'static,
    Fut: Future<Output = Result<Value, Value>> + Send + 'static,
{
    if server.fault(Fault::SlowMcp) {
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    if !as_sse {
        let outcome = work(Emitter::none()).await;
        return json_response(&server, StatusCode::OK, &response_message(&server, &id, outcome));
    }
    let (tx, mut rx) = mpsc::unbounded_channel::<Bytes>();
    let emitter = Emitter {
        stream: Some((tx.clone(), server.clone())),
        event_ids,
    };
    if server.fault(Fault::SseInvalidUtf8) {
        let _ = tx.send(Bytes::from_static(b": \xff\xfe not utf-8\n\n"));
    }
    if server.fault(Fault::SseBadRetry) {
        let _ = tx.send(Bytes::from_static(b"retry: soon\n\n"));
    }
    if server.fault(Fault::SseNonJsonData) {
        let _ = tx.send(Bytes::from_static(b"event: message\ndata: hello\n\n"));
    }
    if server.fault(Fault::SseServerRequest) {
        emitter.send(&json!({ "jsonrpc": "2.0", "id": "server-1", "method": "ping" }));
    }
    if server.fault(Fault::SseDuplicateEventIds) {
        emitter.notify("notifications/message", json!({ "level": "debug", "data": "started" }));
    }
    let mut work = Box::pin(work(emitter.clone()));
    // Work that is done at once (most requests) is answered as one SSE body: the same events,
    // without a task, a timer and chunked framing per response. Work that waits streams (and,
    // under nagle-stall, everything: the stall shows on a response written in several pieces).
    if !server.fault(Fault::SseLinger)
        && !server.fault(Fault::NagleStall)
        && let Some(outcome) = futures_util::FutureExt::now_or_never(&mut work)
    {
        finish(&server, &id, outcome, &tx, &emitter.event_ids);
        drop((tx, emitter));
        let mut body = Vec::new();
        while let Ok(event) = rx.try_recv() {
            body.extend_from_slice(&event);
        }
        return sse_response(&server, Body::from(body));
    }
    let streaming = Streaming::start(&server);
    if server.fault(Fault::StreamsCapped) && streaming.count > STREAMS_CAP {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    let task_server = server.clone();
    tokio::spawn(async move {
        let _streaming = streaming;
        let server = task_server;
        let period = server.config.keepalive;
        // Starting one period from now: awaiting an interval's immediate first tick costs a timer turn (~1 ms).
        let mut keepalive = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
        let cut = tokio::time::sleep(STREAM_CUT_AFTER);
        tokio::pin!(cut);
        let outcome = loop {
            tokio::select! {
                outcome = &mut work => break outcome,
                _ = keepalive.tick() => {
                    if !server.fault(Fault::NoKeepalive) {
                        let _ = tx.send(Bytes::from_static(b": keep-alive\n\n"));
                    }
                }
                // The client closed the stream: the request is cancelled, its work dropped.
                _ = tx.closed() => return,
                _ = &mut cut, if server.fault(Fault::StreamsCut) => return,
            }
        };
        finish(&server, &id, outcome, &tx, &emitter.event_ids);
        if server.fault(Fault::SseLinger) {
            tokio::time::sleep(Duration::from_secs(2)).await;
        }
    });
    let stream = futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx).map(|b| b.map(Ok::<_, Infallible>)));
    sse_response(&server, Body::from_stream(stream))
}

/// Under streams-capped, the most responses streaming at once.
const STREAMS_CAP: usize = 20;
/// Under streams-cut, how long a response may stream before it ends without its result.
const STREAM_CUT_AFTER: Duration = Duration::from_millis(500);

/// Counts a streaming response while it lives.
struct Streaming {
    server: Arc<Server>,
    /// How many were streaming with this one.
    count: usize,
}

impl Streaming {
    fn start(server: &Arc<Server>) -> Streaming {
        let count = server.streaming.fetch_add(1, std::sync::atomic::Ordering::AcqRel) + 1;
        Streaming {
            server: server.clone(),
            count,
        }
    }
}

impl Drop for Streaming {
    fn drop(&mut self) {
        self.server.streaming.fetch_sub(1, std::sync::atomic::Ordering::AcqRel);
    }
}

/// Queues the response event (framed as the faults dictate) after whatever the work emitted.
fn finish(
    server: &Server,
    id: &Value,
    outcome: Result<Value, Value>,
    tx: &mpsc::UnboundedSender<Bytes>,
    event_ids: &EventIds,
) {
    let response = response_message(server, id, outcome);
    let mut framed = event(server, &response, event_ids);
    if server.fault(Fault::SseUnterminatedEvent) {
        framed.truncate(framed.len() - 1);
    }
    let _ = tx.send(framed.clone());
    if server.fault(Fault::SseDuplicateResponse) {
        let _ = tx.send(framed);
    }
}

/// An SSE response carrying `body`, with its headers.
fn sse_response(server: &Server, body: Body) -> Response {
    let mut response = Response::new(body);
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/event-stream"));
    if server.fault(Fault::WrongContentType) {
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"));
    }
    if !server.fault(Fault::SseNoCacheHeaders) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        headers.insert("x-accel-buffering", HeaderValue::from_static("no"));
    }
    response
}
