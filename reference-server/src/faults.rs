//! `--fault NAME` switches. Each one breaks exactly one rule, so the suite's own tests can prove
//! that the check named beside it reports a non-pass verdict against a server that breaks it.

use std::collections::BTreeSet;

/// One fault: its name, the check ids it is meant to trip (space-separated), and what it changes.
pub struct Fault {
    pub name: &'static str,
    pub trips: &'static str,
    pub breaks: &'static str,
}

impl Fault {
    /// The check ids this fault trips.
    pub fn trips(&self) -> impl Iterator<Item = &'static str> {
        self.trips.split_whitespace()
    }
}

const fn fault(name: &'static str, trips: &'static str, breaks: &'static str) -> Fault {
    Fault { name, trips, breaks }
}

/// The catalog of faults, grouped like the suite's checks.
#[rustfmt::skip]
pub const FAULTS: &[Fault] = &[
    // health
    fault("no-ping", "ping.reachable", "GET /ping answers 404"),
    fault("ping-text", "ping.json", "GET /ping answers text/plain `OK`"),
    fault("ping-lowercase-status", "ping.status", "status is `healthy` (the seed's spelling)"),
    fault("ping-future-timestamp", "ping.time-of-last-update", "time_of_last_update is an hour ahead"),
    fault("ping-never-busy", "ping.busy", "/ping stays `Healthy` while the slow tool runs"),
    fault("slow-ping", "latency.ping ping.latency", "GET /ping waits 300 ms before answering"),
    // accept
    fault("reject-standard-accept", "accept.both", "406 even for `application/json, text/event-stream`"),
    fault("accept-ignored", "accept.json-only", "SSE sent to a client that accepts only JSON"),
    fault("json-to-sse-only-accept", "accept.sse-only", "JSON sent to a client that accepts only SSE"),
    fault("require-accept", "accept.missing", "406 when the Accept header is missing"),
    fault("reject-wildcard-accept", "accept.wildcard", "406 for `Accept: */*`"),
    fault("406-made-up-id", "accept.406-shape", "a 406 body carries an id the request never had"),
    // session
    fault("reject-platform-session", "session.platform-headers-accepted", "404 for a session id it never minted"),
    fault("require-initialize", "session.no-initialize-needed", "requests before initialize are refused"),
    fault("mint-bad-session-id", "session.id-visible-ascii", "initialize mints `Mcp-Session-Id: bad id`"),
    fault("session-unknown-served", "session.unknown-404", "mints session ids, yet serves unknown ones"),
    fault("session-missing-404", "session.missing-400", "mints session ids and answers requests without one 404"),
    fault("delete-crashes", "session.delete", "DELETE /mcp answers 500"),
    // sse
    fault("sse-invalid-utf8", "sse.utf8", "an SSE comment carries bytes that are not UTF-8"),
    fault("sse-unterminated-event", "sse.events-terminated", "the last event lacks its blank line"),
    fault("sse-non-json-data", "sse.data-is-jsonrpc", "an event carries `data: hello`"),
    fault("sse-duplicate-response", "sse.response-once", "the response event is sent twice"),
    fault("sse-linger", "sse.closes-after-response", "the stream stays open 2 s after the response"),
    fault("sse-server-request", "sse.related-only", "a server-to-client `ping` request precedes the response"),
    fault("sse-duplicate-event-ids", "sse.event-ids-unique", "every event carries `id: 1`"),
    fault("sse-bad-retry", "sse.retry-numeric", "the stream carries `retry: soon`"),
    fault("sse-event-name-other", "sse.event-name", "events are named `update`, not `message`"),
    fault("sse-crlf-mixed", "sse.line-endings", "data lines end in CRLF, blank lines in LF"),
    fault("sse-no-cache-headers", "sse.headers", "SSE responses lack Cache-Control and X-Accel-Buffering"),
    fault("no-keepalive", "sse.keepalive", "no keep-alive comments during long requests"),
    // latency
    fault("slow-mcp", "latency.initialize latency.discover latency.tools-list latency.tools-call", "every MCP request waits 150 ms before answering"),
    // http
    fault("mcp-path-moved", "http.endpoint-mcp", "MCP is served on /rpc; /mcp answers 404"),
    fault("loopback-host-only", "http.any-host", "403 unless Host is localhost or 127.0.0.1"),
    fault("notification-200", "http.notification-202 modern.notification-202", "notifications get 200 instead of 202"),
    fault("wrong-content-type", "http.response-content-type", "responses are labelled text/plain"),
    fault("get-200-json", "http.get", "GET /mcp answers 200 application/json"),
    fault("protocol-version-unchecked", "http.protocol-version-invalid", "any MCP-Protocol-Version is served"),
    fault("require-protocol-version", "http.protocol-version-missing", "400 when MCP-Protocol-Version is missing"),
    fault("origin-unchecked", "http.origin-invalid", "any Origin is served"),
    fault("malformed-json-served", "http.malformed-json", "invalid JSON is answered like a ping, 200 `{}`"),
    fault("content-type-unchecked", "http.bad-content-type", "a text/plain body is parsed as JSON"),
    fault("batch-refused", "http.batch", "batches are refused even under 2025-03-26"),
    fault("no-body-limit", "http.oversize", "bodies of any size are read and served"),
    // jsonrpc and lifecycle
    fault("initialize-no-server-info", "lifecycle.initialize", "initialize result lacks serverInfo"),
    fault("version-no-echo", "lifecycle.version-supported", "initialize always answers 2025-03-26"),
    fault("version-echo-unknown", "lifecycle.version-unknown", "initialize echoes an unknown version"),
    fault("ping-result-not-empty", "lifecycle.ping", "ping answers `{\"pong\":true}`"),
    fault("parse-error-id-not-null", "jsonrpc.parse-error", "parse errors carry id 0 instead of null"),
    fault("invalid-request-accepted", "jsonrpc.invalid-request", "a request without a method gets a result"),
    fault("unknown-method-empty-result", "jsonrpc.method-not-found", "unknown methods answer `{}`"),
    fault("wrong-response-id", "jsonrpc.id-echo", "responses carry id + 1"),
    fault("null-id-accepted", "jsonrpc.null-id-rejected", "a request with `id: null` is served"),
    fault("error-code-string", "jsonrpc.error-shape", "error codes are strings"),
    fault("tools-missing-input-schema", "schema.valid", "tools/list omits `inputSchema`"),
    // features
    fault("duplicate-tool-names", "tools.list", "tools/list lists `add_numbers` twice"),
    fault("structured-content-mismatch", "tools.call", "add_numbers' structuredContent breaks its outputSchema"),
    fault("unknown-tool-success", "tools.unknown", "calling an unknown tool succeeds"),
    fault("pagination-loop", "tools.pagination", "tools/list always returns the same nextCursor"),
    fault("resources-missing-uri", "resources.list", "resources/list items lack `uri`"),
    fault("resource-read-broken", "resources.read", "resources/read returns no contents"),
    fault("prompts-missing-name", "prompts.list", "prompts/list items lack `name`"),
    fault("prompt-get-broken", "prompts.get", "prompts/get returns messages without role"),
    fault("set-level-broken", "logging.set-level", "logging/setLevel answers an internal error"),
    fault("completion-broken", "completion.complete", "completion/complete lacks `completion.values`"),
    fault("undeclared-prompts-served", "capabilities.undeclared", "prompts are served but not declared"),
    // image (the container artifact)
    fault("ignore-sigterm", "image.sigterm", "SIGTERM is ignored; only SIGINT or SIGKILL stop the server"),
    // modern (2026-07-28)
    fault("discover-no-cache-hints", "modern.discover", "server/discover lacks ttlMs and cacheScope"),
    fault("meta-unchecked", "modern.meta-missing", "modern requests without `_meta` are served"),
    fault("unsupported-version-wrong-code", "modern.version-unsupported", "unsupported versions get -32602"),
    fault("headers-unchecked", "modern.header-mismatch", "Mcp-Method and Mcp-Name are not validated"),
    fault("modern-unknown-method-200", "modern.unknown-method", "-32601 is sent with HTTP 200"),
    fault("modern-serves-initialize", "modern.removed-methods", "initialize is served on the modern path"),
    fault("no-result-type", "modern.result-type", "modern results lack resultType"),
    fault("no-cache-hints", "modern.cache-hints", "tools/list and other cacheable results lack ttlMs"),
    fault("modern-get-sse", "modern.get-delete-405", "GET /mcp opens an SSE stream that sends nothing"),
    fault("echo-session-id", "modern.session-ignored", "the request's Mcp-Session-Id is echoed back"),
    fault("error-id-null", "modern.error-id-echo", "modern error responses carry id null"),
    fault("log-without-level", "modern.no-log-without-level", "log notifications without `_meta` logLevel"),
];

/// The set of faults a server runs with.
#[derive(Clone, Debug, Default)]
pub struct Faults(BTreeSet<&'static str>);

impl Faults {
    /// Parses fault names, rejecting unknown ones so a typo never yields a silently clean server.
    pub fn parse<'a>(names: impl IntoIterator<Item = &'a str>) -> Result<Self, String> {
        let mut set = BTreeSet::new();
        for name in names {
            let known = FAULTS
                .iter()
                .find(|f| f.name == name)
                .ok_or_else(|| format!("unknown fault `{name}` (see --list-faults)"))?;
            set.insert(known.name);
        }
        Ok(Faults(set))
    }

    /// Whether fault `name` is active. `name` must be in [`FAULTS`].
    pub fn has(&self, name: &str) -> bool {
        debug_assert!(FAULTS.iter().any(|f| f.name == name), "fault `{name}` is not in FAULTS");
        self.0.contains(name)
    }

    pub fn names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.0.iter().copied()
    }
}
