//! When the parts of a streamed (SSE) response arrived: the head, the first event, the event that
//! carries the JSON-RPC response, the gaps between events, the end. Fed chunk by chunk as they
//! arrive (`bench`), or replayed from a response's recorded chunks (`check`'s latency evidence);
//! events are timed and dropped, so a long stream costs no memory beyond its gap samples.

use std::time::Duration;

use serde::Deserialize;
use serde::de::IgnoredAny;

use super::http::HttpResponse;
use super::sse::{MAX_EVENTS, SseParser};

/// One streamed response's timeline, measured from the moment the request was sent.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StreamTiming {
    /// Until the status line and headers arrived.
    pub head: Duration,
    pub first_event: Option<Duration>,
    /// Until the event carrying the response (a result or an error) arrived.
    pub response_event: Option<Duration>,
    /// What the response event carried.
    pub response: Option<ResponseKind>,
    pub events: u64,
    /// The gaps between consecutive events (at most [`MAX_EVENTS`] kept; later ones are dropped).
    pub gaps: Vec<Duration>,
    /// Until the body ended (or reading stopped).
    pub end: Duration,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResponseKind {
    Result,
    Error,
}

/// Times a stream's events as its chunks arrive.
pub struct StreamClock {
    parser: SseParser,
    last_event: Option<Duration>,
    timing: StreamTiming,
}

/// The members that tell a JSON-RPC response from a request or notification; the values are
/// skipped, not built.
#[derive(Deserialize)]
struct Shape {
    method: Option<IgnoredAny>,
    result: Option<IgnoredAny>,
    error: Option<IgnoredAny>,
}

/// Whether an event's data is a JSON-RPC response, and which kind. Events are told apart by
/// which quoted member names they hold (a JSON string cannot contain an unescaped quote, so
/// `"method"` never comes from inside one); only data holding more than one of them is parsed.
fn response_kind(data: &str) -> Option<ResponseKind> {
    let holds = |name: &str| data.contains(name);
    match (holds("\"method\""), holds("\"result\""), holds("\"error\"")) {
        (_, false, false) => return None,
        (false, true, false) => return Some(ResponseKind::Result),
        (false, false, true) => return Some(ResponseKind::Error),
        _ => {}
    }
    let shape: Shape = serde_json::from_str(data).ok()?;
    match shape {
        Shape { method: Some(_), .. } => None,
        Shape { result: Some(_), .. } => Some(ResponseKind::Result),
        Shape { error: Some(_), .. } => Some(ResponseKind::Error),
        _ => None,
    }
}

impl StreamClock {
    /// A stream whose head arrived `head` after the request was sent.
    pub fn new(head: Duration) -> StreamClock {
        StreamClock {
            parser: SseParser::new(),
            last_event: None,
            timing: StreamTiming {
                head,
                end: head,
                ..StreamTiming::default()
            },
        }
    }

    /// The next chunk, which arrived `at` after the request was sent: the events it completes are
    /// stamped with that time.
    pub fn feed(&mut self, chunk: &[u8], at: Duration) {
        if self.parser.feed(chunk) == 0 {
            return;
        }
        for event in self.parser.take_events() {
            let timing = &mut self.timing;
            timing.events += 1;
            timing.first_event.get_or_insert(at);
            if let Some(last) = self.last_event
                && timing.gaps.len() < MAX_EVENTS
            {
                timing.gaps.push(at.saturating_sub(last));
            }
            self.last_event = Some(at);
            if timing.response.is_none()
                && let Some(kind) = response_kind(&event.data)
            {
                timing.response = Some(kind);
                timing.response_event = Some(at);
            }
        }
    }

    /// The response event, once it has arrived.
    pub fn response(&self) -> Option<ResponseKind> {
        self.timing.response
    }

    /// The stream ended (or reading stopped) `at` after the request was sent.
    pub fn finish(mut self, at: Duration) -> StreamTiming {
        self.timing.end = at;
        self.timing
    }
}

/// Whether a response's content type is `text/event-stream`.
pub fn is_event_stream(response: &HttpResponse) -> bool {
    response
        .header("content-type")
        .is_some_and(|value| value.to_ascii_lowercase().starts_with("text/event-stream"))
}

/// The timeline of a streamed response read by a transport, from its recorded chunks; `None` for
/// a response that is not an event stream.
pub fn of_response(response: &HttpResponse) -> Option<StreamTiming> {
    if !is_event_stream(response) {
        return None;
    }
    // The chunks are timed from the request being sent; so is everything here.
    let since_sent = |d: Duration| d.saturating_sub(response.timings.sent);
    let mut clock = StreamClock::new(since_sent(response.timings.first_byte));
    let mut offset = 0;
    for (at, len) in &response.chunks {
        let end = (offset + len).min(response.body.len());
        clock.feed(&response.body[offset..end], *at);
        offset = end;
    }
    Some(clock.finish(since_sent(response.timings.total)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn events_are_stamped_with_the_chunk_that_completes_them() {
        let mut clock = StreamClock::new(ms(2));
        clock.feed(
            b"data: {\"method\":\"notifications/progress\",\"params\":{}}\n\n",
            ms(5),
        );
        clock.feed(
            b"data: {\"method\":\"notifications/message\",\"params\":{\"level\":\"error\"}}",
            ms(9),
        );
        clock.feed(b"\n\n", ms(20));
        assert_eq!(
            clock.response(),
            None,
            "notifications are not the response, whatever they say"
        );
        clock.feed(b"data: {\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}\n\n", ms(50));
        let timing = clock.finish(ms(51));
        assert_eq!(timing.head, ms(2));
        assert_eq!(timing.first_event, Some(ms(5)));
        assert_eq!(timing.response_event, Some(ms(50)));
        assert_eq!(timing.response, Some(ResponseKind::Result));
        assert_eq!(timing.events, 3);
        assert_eq!(timing.gaps, vec![ms(15), ms(30)]);
        assert_eq!(timing.end, ms(51));
    }

    #[test]
    fn an_error_response_and_a_stream_without_one() {
        let mut clock = StreamClock::new(ms(1));
        clock.feed(
            b": keep-alive\n\ndata: {\"id\":1,\"error\":{\"code\":-32601}}\n\n",
            ms(3),
        );
        assert_eq!(clock.response(), Some(ResponseKind::Error));
        let silent = StreamClock::new(ms(1)).finish(ms(1000));
        assert_eq!(
            (silent.events, silent.first_event, silent.response_event),
            (0, None, None)
        );
    }

    #[test]
    fn a_recorded_response_is_replayed_from_when_it_was_sent() {
        let body = b"data: {\"method\":\"notifications/progress\"}\n\ndata: {\"id\":1,\"result\":{}}\n\n".to_vec();
        let first = body.windows(2).position(|w| w == b"\n\n").unwrap() + 2;
        let mut response = HttpResponse {
            status: 200,
            headers: vec![("Content-Type".into(), b"text/event-stream; charset=utf-8".to_vec())],
            chunks: vec![(ms(4), first), (ms(9), body.len() - first)],
            body,
            timings: crate::wire::http::Timings {
                first_byte: ms(13),
                total: ms(20),
                sent: ms(10),
            },
            cut: None,
        };
        let timing = of_response(&response).unwrap();
        assert_eq!((timing.head, timing.end), (ms(3), ms(10)));
        assert_eq!((timing.first_event, timing.response_event), (Some(ms(4)), Some(ms(9))));
        assert_eq!((timing.events, timing.gaps.clone()), (2, vec![ms(5)]));
        response.headers[0].1 = b"application/json".to_vec();
        assert_eq!(of_response(&response), None);
    }

    #[test]
    fn member_names_decide_and_ambiguous_data_is_parsed() {
        assert_eq!(
            response_kind(r#"{"id":1,"result":{"text":"an \"error\" word"}}"#),
            Some(ResponseKind::Result)
        );
        assert_eq!(
            response_kind(r#"{"id":1,"result":{"status":"error"}}"#),
            Some(ResponseKind::Result)
        );
        assert_eq!(
            response_kind(r#"{"id":1,"result":{"method":"GET"}}"#),
            Some(ResponseKind::Result)
        );
        assert_eq!(
            response_kind(r#"{"id":1,"error":{"code":-32601}}"#),
            Some(ResponseKind::Error)
        );
        assert_eq!(
            response_kind(r#"{"method":"notifications/message","params":{"level":"error"}}"#),
            None
        );
        assert_eq!(
            response_kind(r#"{"method":"notifications/progress","params":{"progress":1}}"#),
            None
        );
        assert_eq!(response_kind("not json, no result"), None);
    }

    #[test]
    fn gap_samples_are_bounded() {
        let mut clock = StreamClock::new(ms(1));
        for i in 0..(MAX_EVENTS as u64 + 10) {
            clock.feed(b"data: x\n\n", ms(i));
        }
        let timing = clock.finish(ms(1));
        assert_eq!(timing.events, MAX_EVENTS as u64 + 10);
        assert_eq!(timing.gaps.len(), MAX_EVENTS);
    }
}
