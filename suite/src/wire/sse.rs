//! A strict, incremental parser for `text/event-stream` (WHATWG HTML §9.2.5–9.2.6) that reports
//! what a lenient client would silently repair or drop: mixed line endings, an unterminated last
//! event, bytes that are not UTF-8, non-numeric `retry`, and (on JSON-RPC streams) data that is not
//! JSON, empty data and duplicate event ids. Feed it chunks split anywhere; the result is the same.

use std::collections::BTreeSet;

/// One dispatched event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SseEvent {
    /// The `event` field, if the event had one.
    pub event: Option<String>,
    /// The data lines joined with LF.
    pub data: String,
    /// The `id` field of this event, if it had one (ids containing NUL are ignored, per spec).
    pub id: Option<String>,
    /// Byte offset of the event's first line in the stream.
    pub offset: usize,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Finding {
    /// More than one kind of line terminator in one stream.
    MixedLineEndings { lf: usize, crlf: usize, cr: usize },
    /// The stream ended inside an event: it is discarded, as conforming clients discard it.
    UnterminatedEvent { offset: usize, bytes: usize },
    /// A line that is not valid UTF-8 (decoded with replacement characters).
    InvalidUtf8 { offset: usize },
    /// A `retry` value that is not all ASCII digits (ignored by clients).
    InvalidRetry { value: String },
    /// A leading U+FEFF byte order mark (allowed once, stripped).
    ByteOrderMark,
    /// A line other than `data` longer than [`MAX_FIELD_LINE`]: its content was dropped as it
    /// arrived (an id, event name, retry or comment that long carries nothing a client uses).
    LongLineDropped { offset: usize },
}

/// The longest non-`data` line the parser keeps. `data` lines are kept whole (up to the body
/// cap): a one-line event may carry a large result.
pub const MAX_FIELD_LINE: usize = 64 * 1024;

/// Which line terminators a stream used.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LineEndings {
    pub lf: usize,
    pub crlf: usize,
    pub cr: usize,
}

impl LineEndings {
    pub fn describe(&self) -> String {
        let kinds: Vec<String> = [("LF", self.lf), ("CRLF", self.crlf), ("CR", self.cr)]
            .iter()
            .filter(|(_, n)| *n > 0)
            .map(|(k, n)| format!("{k}×{n}"))
            .collect();
        if kinds.is_empty() {
            "none".into()
        } else {
            kinds.join(", ")
        }
    }
}

/// The most events one stream keeps; past it they are counted, not kept. A hostile server then
/// cannot grow the suite's memory with millions of tiny events inside the body cap.
pub const MAX_EVENTS: usize = 10_000;

/// Everything one stream contained. Memory is bounded whatever the stream's shape: comments and
/// lines are counted, each kind of finding is kept once, and at most [`MAX_EVENTS`] events.
#[derive(Clone, Debug, Default)]
pub struct SseStream {
    pub events: Vec<SseEvent>,
    /// Events past [`MAX_EVENTS`], counted but not kept.
    pub events_dropped: usize,
    /// How many comment lines (`: …`) the stream held (keep-alives, priming).
    pub comments: usize,
    pub retry: Option<u64>,
    pub line_endings: LineEndings,
    pub findings: Vec<Finding>,
}

#[derive(Default)]
pub struct SseParser {
    pending: Vec<u8>,
    /// How much of `pending` is known to hold no line terminator: a long line fed in many chunks
    /// is scanned once, not again with every chunk.
    scanned: usize,
    /// Inside a line whose content is being dropped (see [`MAX_FIELD_LINE`]): whether it is a
    /// comment.
    dropping: Option<bool>,
    /// Bytes examined for terminators in all, for the test that the scan is linear.
    #[cfg(test)]
    examined: usize,
    /// Offset of `pending[0]` in the stream.
    offset: usize,
    started: bool,
    event: Option<String>,
    data: Option<String>,
    id: Option<String>,
    event_offset: Option<usize>,
    out: SseStream,
}

impl SseParser {
    pub fn new() -> Self {
        SseParser::default()
    }

    /// Events dispatched so far.
    pub fn events(&self) -> &[SseEvent] {
        &self.out.events
    }

    /// Takes the events dispatched so far, so that a long stream read event by event holds none.
    pub fn take_events(&mut self) -> Vec<SseEvent> {
        std::mem::take(&mut self.out.events)
    }

    /// Feeds the next chunk; returns how many events it completed. A large chunk (a whole body)
    /// goes in 64 KiB pieces, so the parser never holds a second copy of it: only the line in
    /// progress is buffered.
    pub fn feed(&mut self, chunk: &[u8]) -> usize {
        let before = self.out.events.len();
        for piece in chunk.chunks(64 * 1024) {
            self.feed_piece(piece);
        }
        self.out.events.len() - before
    }

    fn feed_piece(&mut self, chunk: &[u8]) {
        self.pending.extend_from_slice(chunk);
        if !self.started {
            if self.pending.len() < 3 && b"\xEF\xBB\xBF".starts_with(&self.pending) {
                return; // maybe a BOM split across chunks
            }
            self.started = true;
            if self.pending.starts_with(b"\xEF\xBB\xBF") {
                self.pending.drain(..3);
                self.offset = 3;
                self.out.findings.push(Finding::ByteOrderMark);
            }
        }
        self.drain_lines(false);
    }

    /// The stream ended: drops an unterminated event and reports what the stream held.
    pub fn finish(mut self) -> SseStream {
        self.drain_lines(true);
        let leftover = self.pending.len();
        if leftover > 0 || self.event_offset.is_some() {
            let offset = self.event_offset.unwrap_or(self.offset);
            let bytes = self.offset + leftover - offset;
            self.out.findings.push(Finding::UnterminatedEvent { offset, bytes });
        }
        let LineEndings { lf, crlf, cr } = self.out.line_endings;
        if [lf, crlf, cr].iter().filter(|n| **n > 0).count() > 1 {
            self.out.findings.push(Finding::MixedLineEndings { lf, crlf, cr });
        }
        self.out
    }

    fn drain_lines(&mut self, at_end: bool) {
        let mut start = 0;
        // Where the next scan begins: bytes before it are known to hold no terminator.
        let mut resume = self.scanned;
        let mut split_crlf = false;
        while let Some(i) = self.pending[resume..].iter().position(|b| *b == b'\n' || *b == b'\r') {
            #[cfg(test)]
            {
                self.examined += i + 1;
            }
            let end = resume + i;
            let terminator = if self.pending[end] == b'\n' {
                self.out.line_endings.lf += 1;
                1
            } else if end + 1 < self.pending.len() {
                if self.pending[end + 1] == b'\n' {
                    self.out.line_endings.crlf += 1;
                    2
                } else {
                    self.out.line_endings.cr += 1;
                    1
                }
            } else if at_end {
                self.out.line_endings.cr += 1;
                1
            } else {
                // A CR at the end of a chunk may be the first half of CRLF: look at it again.
                resume = end;
                split_crlf = true;
                break;
            };
            match self.dropping.take() {
                // The end of a line whose content was dropped: it counts, nothing more.
                Some(true) => self.out.comments += 1,
                Some(false) => {}
                None => {
                    let pending = std::mem::take(&mut self.pending);
                    self.line(&pending[start..end], self.offset + start);
                    self.pending = pending;
                }
            }
            start = end + terminator;
            resume = start;
        }
        if !split_crlf {
            #[cfg(test)]
            {
                self.examined += self.pending.len() - resume;
            }
            resume = self.pending.len();
            let line = &self.pending[start..];
            if self.dropping.is_none() && line.len() > MAX_FIELD_LINE && !line.starts_with(b"data") {
                let offset = self.offset + start;
                self.dropping = Some(line[0] == b':');
                if line[0] != b':' {
                    self.event_offset.get_or_insert(offset);
                }
                self.find(Finding::LongLineDropped { offset });
            }
            if self.dropping.is_some() {
                // Nothing of the line in progress is kept.
                start = self.pending.len();
                resume = start;
            }
        }
        self.scanned = resume - start;
        self.pending.drain(..start);
        self.offset += start;
    }

    /// Keeps the first finding of each kind only: a million bad lines say no more than one.
    fn find(&mut self, finding: Finding) {
        let kind = std::mem::discriminant(&finding);
        if !self.out.findings.iter().any(|f| std::mem::discriminant(f) == kind) {
            self.out.findings.push(finding);
        }
    }

    fn line(&mut self, raw: &[u8], offset: usize) {
        if raw.len() > MAX_FIELD_LINE && !raw.starts_with(b"data") {
            // The same as when such a line arrives in pieces: counted, reported, not kept.
            if raw[0] == b':' {
                self.out.comments += 1;
            } else {
                self.event_offset.get_or_insert(offset);
            }
            self.find(Finding::LongLineDropped { offset });
            return;
        }
        if raw.first() == Some(&b':') {
            self.out.comments += 1;
            if std::str::from_utf8(raw).is_err() {
                self.find(Finding::InvalidUtf8 { offset });
            }
            return;
        }
        let line = match std::str::from_utf8(raw) {
            Ok(text) => std::borrow::Cow::Borrowed(text),
            Err(_) => {
                self.find(Finding::InvalidUtf8 { offset });
                String::from_utf8_lossy(raw)
            }
        };
        if line.is_empty() {
            self.dispatch();
            return;
        }
        self.event_offset.get_or_insert(offset);
        let (name, value) = match line.split_once(':') {
            Some((name, value)) => (name, value.strip_prefix(' ').unwrap_or(value)),
            None => (line.as_ref(), ""),
        };
        match name {
            "event" => self.event = Some(value.to_string()),
            "data" => {
                let data = self.data.get_or_insert_with(String::new);
                data.push_str(value);
                data.push('\n');
            }
            "id" if !value.contains('\0') => self.id = Some(value.to_string()),
            "retry" => match value.parse::<u64>() {
                Ok(ms) if value.bytes().all(|b| b.is_ascii_digit()) => self.out.retry = Some(ms),
                _ => self.find(Finding::InvalidRetry {
                    value: excerpt(value, 80),
                }),
            },
            _ => {} // unknown fields are ignored, as the spec says
        }
    }

    /// A blank line: dispatch the buffered event if it has data; reset the buffers either way.
    fn dispatch(&mut self) {
        let offset = self.event_offset.take();
        let event = self.event.take();
        let id = self.id.take();
        let Some(mut data) = self.data.take() else {
            return;
        };
        data.pop(); // the LF after the last data line
        if self.out.events.len() >= MAX_EVENTS {
            self.out.events_dropped += 1;
            return;
        }
        self.out.events.push(SseEvent {
            event,
            data,
            id,
            offset: offset.unwrap_or(self.offset),
        });
    }
}

/// Parses a complete stream in one go.
pub fn parse(bytes: &[u8]) -> SseStream {
    let mut parser = SseParser::new();
    parser.feed(bytes);
    parser.finish()
}

/// Findings about a JSON-RPC event stream's content.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct JsonRpcFindings {
    /// (event index, data excerpt) of data that is not one JSON object.
    pub non_json: Vec<(usize, String)>,
    /// Indexes of events with empty data, and whether each carried an id (a priming event does).
    pub empty_data: Vec<(usize, bool)>,
    pub duplicate_ids: Vec<String>,
}

/// Checks every event's data against the MCP rule: one JSON-RPC message per event.
pub fn jsonrpc_findings(stream: &SseStream) -> JsonRpcFindings {
    let mut findings = JsonRpcFindings::default();
    let mut ids = BTreeSet::new();
    for (index, event) in stream.events.iter().enumerate() {
        if let Some(id) = &event.id
            && !id.is_empty()
            && !ids.insert(id.clone())
        {
            findings.duplicate_ids.push(id.clone());
        }
        if event.data.is_empty() {
            findings.empty_data.push((index, event.id.is_some()));
            continue;
        }
        let is_object = serde_json::from_str::<serde_json::Value>(&event.data).is_ok_and(|v| v.is_object());
        if !is_object {
            findings.non_json.push((index, excerpt(&event.data, 60)));
        }
    }
    findings
}

pub fn excerpt(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let cut: String = text.chars().take(max).collect();
    format!("{cut}…")
}

#[cfg(test)]
mod tests {
    /// Memory does not follow the stream's shape: comments are counted, findings kept once,
    /// events kept up to MAX_EVENTS.
    #[test]
    fn hostile_shapes_keep_memory_bounded() {
        let comments = ":\n".repeat(1_000_000);
        let stream = parse(comments.as_bytes());
        assert_eq!(stream.comments, 1_000_000);
        assert!(stream.events.is_empty() && stream.findings.is_empty());

        let events = "data: x\n\n".repeat(MAX_EVENTS + 5_000);
        let stream = parse(events.as_bytes());
        assert_eq!(stream.events.len(), MAX_EVENTS);
        assert_eq!(stream.events_dropped, 5_000);

        let mut bytes = Vec::new();
        for _ in 0..100_000 {
            bytes.extend_from_slice(b"data: \xff\nretry: x\n\n");
        }
        let stream = parse(&bytes);
        assert_eq!(stream.findings.len(), 2, "one of each kind: {:?}", stream.findings);
    }

    /// A non-data line past MAX_FIELD_LINE is not kept, only counted and reported once; a data
    /// line of any length is kept whole.
    #[test]
    fn long_field_lines_are_dropped_and_data_lines_kept() {
        let mut stream = b": ".to_vec();
        stream.extend(std::iter::repeat_n(b'x', 3 * MAX_FIELD_LINE));
        stream.extend_from_slice(b"\nid: ");
        stream.extend(std::iter::repeat_n(b'7', 3 * MAX_FIELD_LINE));
        stream.extend_from_slice(b"\ndata: ");
        stream.extend(std::iter::repeat_n(b'd', 3 * MAX_FIELD_LINE));
        stream.extend_from_slice(b"\n\n");
        let mut parser = SseParser::new();
        for chunk in stream.chunks(1000) {
            parser.feed(chunk);
            assert!(parser.pending.len() <= 4 * MAX_FIELD_LINE);
        }
        let out = parser.finish();
        assert_eq!(out.comments, 1);
        assert_eq!(out.findings, [Finding::LongLineDropped { offset: 0 }]);
        assert_eq!(out.events.len(), 1);
        assert_eq!(out.events[0].data.len(), 3 * MAX_FIELD_LINE);
        assert_eq!(out.events[0].id, None, "the dropped id line set no id");
    }

    /// One long line fed in small chunks is scanned once: examined bytes stay linear in the
    /// input, however the line is chunked.
    #[test]
    fn a_long_line_in_small_chunks_is_scanned_once() {
        let line = vec![b'a'; 4 << 20];
        let mut parser = SseParser::new();
        parser.feed(b"data: ");
        for chunk in line.chunks(1024) {
            parser.feed(chunk);
        }
        parser.feed(b"\r");
        parser.feed(b"\n\n");
        assert!(
            parser.examined <= 2 * (line.len() + 16),
            "examined {} bytes",
            parser.examined
        );
        let stream = parser.finish();
        assert_eq!(stream.events.len(), 1);
        assert_eq!(stream.events[0].data.len(), line.len());
        assert_eq!(stream.line_endings.crlf, 1);
    }

    use super::*;

    fn data(stream: &SseStream) -> Vec<&str> {
        stream.events.iter().map(|e| e.data.as_str()).collect()
    }

    #[test]
    fn all_line_endings_and_crlf_split_across_chunks() {
        let mut parser = SseParser::new();
        parser.feed(b"data: a\r");
        parser.feed(b"\n\r\ndata: b\rdata: c\r\r");
        parser.feed(b"data: d\n\n");
        let stream = parser.finish();
        assert_eq!(data(&stream), ["a", "b\nc", "d"]);
        assert_eq!(stream.line_endings, LineEndings { lf: 2, crlf: 2, cr: 3 });
        assert!(matches!(stream.findings[..], [Finding::MixedLineEndings { .. }]));
    }

    #[test]
    fn one_optional_space_after_the_colon() {
        let stream = parse(b"data:x\ndata:  y\ndata\n\n");
        assert_eq!(data(&stream), ["x\n y\n"]);
    }

    #[test]
    fn comments_ids_and_retry() {
        let stream =
            parse(b": keep-alive\nid: 7\nevent: message\nretry: 3000\ndata: {}\n\nid: a\0b\nretry: soon\ndata: x\n\n");
        assert_eq!(stream.comments, 1);
        assert_eq!(stream.events[0].id.as_deref(), Some("7"));
        assert_eq!(stream.events[0].event.as_deref(), Some("message"));
        assert_eq!(stream.events[1].id, None, "an id with NUL is ignored");
        assert_eq!(stream.retry, Some(3000));
        assert_eq!(stream.findings, [Finding::InvalidRetry { value: "soon".into() }]);
    }

    #[test]
    fn bom_once_even_when_split() {
        let mut parser = SseParser::new();
        parser.feed(b"\xEF\xBB");
        parser.feed(b"\xBFdata: x\n\n");
        let stream = parser.finish();
        assert_eq!(data(&stream), ["x"]);
        assert_eq!(stream.findings, [Finding::ByteOrderMark]);
    }

    #[test]
    fn unterminated_last_event_is_discarded() {
        let stream = parse(b"data: one\n\ndata: two\n");
        assert_eq!(data(&stream), ["one"]);
        assert_eq!(stream.findings, [Finding::UnterminatedEvent { offset: 11, bytes: 10 }]);
        let stream = parse(b"data: one\n\ndata: two");
        assert_eq!(stream.findings, [Finding::UnterminatedEvent { offset: 11, bytes: 9 }]);
    }

    #[test]
    fn invalid_utf8_is_reported_and_replaced() {
        let stream = parse(b": \xff\n\ndata: \xfe\n\n");
        assert_eq!(
            stream.findings,
            // The first bad line is reported; later ones say nothing more (memory stays bounded).
            [Finding::InvalidUtf8 { offset: 0 }]
        );
        assert_eq!(data(&stream), ["\u{FFFD}"]);
    }

    #[test]
    fn events_without_data_are_not_dispatched_but_empty_data_is() {
        let stream = parse(b"event: x\n\nid: 1\ndata:\n\n");
        assert_eq!(stream.events.len(), 1);
        assert_eq!(stream.events[0].data, "");
        let json = jsonrpc_findings(&stream);
        assert_eq!(json.empty_data, [(0, true)]);
    }

    #[test]
    fn jsonrpc_findings_flag_non_json_and_duplicate_ids() {
        let stream = parse(b"id: 1\ndata: {\"jsonrpc\":\"2.0\"}\n\nid: 1\ndata: hello\n\n");
        let json = jsonrpc_findings(&stream);
        assert_eq!(json.non_json, [(1, "hello".to_string())]);
        assert_eq!(json.duplicate_ids, ["1"]);
    }

    #[test]
    fn fixture_samples() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/sse");
        let read = |name: &str| std::fs::read(format!("{dir}/{name}")).unwrap();
        let valid = parse(&read("valid-lf.sse"));
        assert!(valid.findings.is_empty(), "{:?}", valid.findings);
        assert_eq!(valid.events.len(), 2);
        let crlf = parse(&read("valid-crlf-keepalive.sse"));
        assert!(crlf.findings.is_empty());
        assert_eq!((crlf.events.len(), crlf.comments), (2, 1));
        let mixed = parse(&read("invalid-mixed-endings.sse"));
        assert!(matches!(mixed.findings[..], [Finding::MixedLineEndings { .. }]));
        let unterminated = parse(&read("invalid-unterminated.sse"));
        assert!(matches!(unterminated.findings[..], [Finding::UnterminatedEvent { .. }]));
        assert_eq!(unterminated.events.len(), 1);
        let utf8 = parse(&read("invalid-utf8.sse"));
        assert!(matches!(utf8.findings[..], [Finding::InvalidUtf8 { .. }]));
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

        /// Whatever the shape (which unit repeats) and the chunking, the scan examines each byte
        /// a bounded number of times and the parser keeps at most MAX_EVENTS events.
        #[test]
        fn the_scan_is_linear_in_bytes_for_any_shape(
            unit in proptest::sample::select(vec![":\n", "\n", "data:\n\n", "a", "data: x\r\n\r\n", "\r"]),
            repeats in 1usize..20_000,
            chunk in 1usize..4096,
        ) {
            let stream = unit.repeat(repeats).into_bytes();
            let mut parser = SseParser::new();
            for piece in stream.chunks(chunk) {
                parser.feed(piece);
            }
            // Each byte once, plus a CR at a chunk's end looked at again.
            proptest::prop_assert!(parser.examined <= stream.len() + stream.len() / chunk + 1);
            proptest::prop_assert!(parser.finish().events.len() <= MAX_EVENTS);
        }
    }
}
