//! `--fault NAME` switches. Each one breaks exactly one rule, so the suite's own tests can prove
//! that the check named beside it reports a non-pass verdict against a server that breaks it.
//! Faults are an enum, so a misspelt fault in the server's code is a compile error.

use std::collections::BTreeSet;

/// Declares the `Fault` enum: each variant with its command-line name, the check ids it is meant to
/// trip (space-separated), and what it changes.
macro_rules! faults {
    ($($(#[$group:meta])* $variant:ident = $name:literal, trips $trips:literal: $breaks:literal;)*) => {
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Fault {
            $($variant,)*
        }

        /// Every fault, grouped like the suite's checks.
        pub const FAULTS: &[Fault] = &[$(Fault::$variant,)*];

        impl Fault {
            /// The name `--fault` takes.
            pub fn name(self) -> &'static str {
                match self {
                    $(Fault::$variant => $name,)*
                }
            }

            /// What the fault changes.
            pub fn breaks(self) -> &'static str {
                match self {
                    $(Fault::$variant => $breaks,)*
                }
            }

            fn trip_list(self) -> &'static str {
                match self {
                    $(Fault::$variant => $trips,)*
                }
            }
        }
    };
}

#[rustfmt::skip]
faults! {
    // health
    NoPing = "no-ping", trips "ping.reachable": "GET /ping answers 404";
    PingText = "ping-text", trips "ping.json": "GET /ping answers text/plain `OK`";
    PingLowercaseStatus = "ping-lowercase-status", trips "ping.status": "status is `healthy` (the lowercase spelling of an AWS guide example)";
    PingFutureTimestamp = "ping-future-timestamp", trips "ping.time-of-last-update": "time_of_last_update is an hour ahead";
    PingNeverBusy = "ping-never-busy", trips "ping.busy": "/ping stays `Healthy` while the slow tool runs";
    SlowPing = "slow-ping", trips "latency.ping": "GET /ping waits 300 ms before answering";
    // accept
    RejectStandardAccept = "reject-standard-accept", trips "accept.both": "406 even for `application/json, text/event-stream`";
    AcceptIgnored = "accept-ignored", trips "accept.json-only": "SSE sent to a client that accepts only JSON";
    JsonToSseOnlyAccept = "json-to-sse-only-accept", trips "accept.sse-only": "JSON sent to a client that accepts only SSE";
    RequireAccept = "require-accept", trips "accept.missing remote.accept": "406 when the Accept header is missing";
    RejectWildcardAccept = "reject-wildcard-accept", trips "accept.wildcard": "406 for `Accept: */*`";
    NotAcceptableMadeUpId = "406-made-up-id", trips "accept.406-shape": "a 406 body carries an id the request never had";
    // session
    RejectPlatformSession = "reject-platform-session", trips "session.platform-headers-accepted remote.session-roundtrip": "404 for a session id it never minted";
    RequireInitialize = "require-initialize", trips "session.no-initialize-needed": "requests before initialize are refused";
    // session, stateful (each implies --stateful)
    MintBadSessionId = "mint-bad-session-id", trips "session.id-visible-ascii": "initialize mints `Mcp-Session-Id: bad id N`";
    SessionUnknownServed = "session-unknown-served", trips "session.unknown-404": "session ids it never minted are served";
    SessionMissing404 = "session-missing-404", trips "session.missing-400": "requests without a session id get 404, not 400";
    SessionMissingPingOnly = "session-missing-ping-only", trips "session.missing-400": "without a session id, ping is served and any other request gets 200 with a JSON-RPC error";
    InitializeEventIdsApart = "initialize-event-ids-apart", trips "sse.event-ids-unique": "the initialize response's event ids restart at 1, repeating the session's next stream's";
    SessionEndedServed = "session-ended-served", trips "session.terminated-404": "a session ended by DELETE is still served";
    SessionIdReused = "session-id-reused", trips "session.reinitialize": "initialize hands out an ended session id again (still ended)";
    SessionIdsSequential = "session-ids-sequential", trips "session.id-entropy": "minted ids are `session-1`, `session-2`, …";
    SessionEventIdsRestart = "session-event-ids-restart", trips "sse.event-ids-unique": "event ids restart at 1 on every stream of a session";
    DeleteCrashes = "delete-crashes", trips "session.delete": "DELETE /mcp answers 500";
    // sse
    SseInvalidUtf8 = "sse-invalid-utf8", trips "sse.utf8": "an SSE comment carries bytes that are not UTF-8";
    SseUnterminatedEvent = "sse-unterminated-event", trips "sse.events-terminated": "the last event lacks its blank line";
    SseNonJsonData = "sse-non-json-data", trips "sse.data-is-jsonrpc": "an event carries `data: hello`";
    SseDuplicateResponse = "sse-duplicate-response", trips "sse.response-once": "the response event is sent twice";
    SseLinger = "sse-linger", trips "sse.closes-after-response": "the stream stays open 2 s after the response";
    SseServerRequest = "sse-server-request", trips "sse.related-only": "a server-to-client `ping` request precedes the response";
    SseDuplicateEventIds = "sse-duplicate-event-ids", trips "sse.event-ids-unique": "every event carries `id: 1`";
    SseBadRetry = "sse-bad-retry", trips "sse.retry-numeric": "the stream carries `retry: soon`";
    SseEventNameOther = "sse-event-name-other", trips "sse.event-name": "events are named `update`, not `message`";
    SseCrlfMixed = "sse-crlf-mixed", trips "sse.line-endings": "data lines end in CRLF, blank lines in LF";
    SseNoCacheHeaders = "sse-no-cache-headers", trips "sse.headers": "SSE responses lack Cache-Control and X-Accel-Buffering";
    NoKeepalive = "no-keepalive", trips "sse.keepalive": "no keep-alive comments during long requests";
    // latency
    NagleStall = "nagle-stall", trips "latency.keep-alive": "Nagle's algorithm stays on and SSE responses stream in pieces: ~40 ms per request on a kept-alive connection";
    SlowMcp = "slow-mcp", trips "latency.initialize latency.discover latency.tools-list latency.tools-call latency.new-session": "every MCP request waits 150 ms before answering";
    // http
    McpPathMoved = "mcp-path-moved", trips "http.endpoint-mcp": "MCP is served on /rpc; /mcp answers 404";
    LoopbackHostOnly = "loopback-host-only", trips "http.any-host": "403 unless Host is localhost or 127.0.0.1";
    Notification200 = "notification-200", trips "http.notification-202 modern.notification-202": "notifications get 200 instead of 202";
    WrongContentType = "wrong-content-type", trips "http.response-content-type": "responses are labelled text/plain";
    Get200Json = "get-200-json", trips "http.get": "GET /mcp answers 200 application/json";
    ProtocolVersionUnchecked = "protocol-version-unchecked", trips "http.protocol-version-invalid": "any MCP-Protocol-Version is served";
    RejectGuideVersion = "reject-guide-version", trips "remote.guide-protocol-version": "400 for MCP-Protocol-Version 2024-11-05, the version AgentCore's guides tell clients to send";
    RequireProtocolVersion = "require-protocol-version", trips "http.protocol-version-missing": "400 when MCP-Protocol-Version is missing";
    OriginUnchecked = "origin-unchecked", trips "http.origin-invalid": "any Origin is served";
    MalformedJsonServed = "malformed-json-served", trips "http.malformed-json": "invalid JSON is answered like a ping, 200 `{}`";
    ContentTypeUnchecked = "content-type-unchecked", trips "http.bad-content-type": "a text/plain body is parsed as JSON";
    BatchRefused = "batch-refused", trips "http.batch": "batches are refused even under 2025-03-26";
    NoBodyLimit = "no-body-limit", trips "http.oversize": "bodies of any size are read and served";
    // jsonrpc and lifecycle
    InitializeNoServerInfo = "initialize-no-server-info", trips "lifecycle.initialize": "initialize result lacks serverInfo";
    VersionNoEcho = "version-no-echo", trips "lifecycle.version-supported": "initialize always answers 2025-03-26";
    VersionEchoUnknown = "version-echo-unknown", trips "lifecycle.version-unknown": "initialize echoes an unknown version";
    PingResultNotEmpty = "ping-result-not-empty", trips "lifecycle.ping": "ping answers `{\"pong\":true}`";
    ParseErrorIdNotNull = "parse-error-id-not-null", trips "jsonrpc.parse-error": "parse errors carry id 0 instead of null";
    InvalidRequestAccepted = "invalid-request-accepted", trips "jsonrpc.invalid-request": "a request without a method gets a result";
    UnknownMethodEmptyResult = "unknown-method-empty-result", trips "jsonrpc.method-not-found": "unknown methods answer `{}`";
    WrongResponseId = "wrong-response-id", trips "jsonrpc.id-echo remote.sse-response": "responses carry id + 1";
    NullIdAccepted = "null-id-accepted", trips "jsonrpc.null-id-rejected": "a request with `id: null` is served";
    ErrorCodeString = "error-code-string", trips "jsonrpc.error-shape": "error codes are strings";
    ToolsMissingInputSchema = "tools-missing-input-schema", trips "schema.valid tools.input-schema": "tools/list omits `inputSchema`";
    // features
    DuplicateToolNames = "duplicate-tool-names", trips "tools.names-valid": "tools/list lists `add_numbers` twice";
    ToolNameMissing = "tool-name-missing", trips "tools.list": "test_simple_text is listed without a name";
    ToolNameInvalid = "tool-name-invalid", trips "tools.names-valid": "a tool is named `json schema tool!` (a space and a `!`)";
    AnnotationsMissing = "annotations-missing", trips "tools.annotations-explicit": "test_simple_text has no annotations; list_notes says readOnlyHint and destructiveHint true";
    ToolsListUnstable = "tools-list-unstable", trips "tools.list-stable": "each tools/list answer rotates the order by one, with no list_changed";
    ToolTextHidden = "tool-text-hidden", trips "tools.text-hygiene": "add_numbers' description hides a zero-width space, a right-to-left override and Unicode tag characters";
    InputSchemaInvalid = "input-schema-invalid", trips "tools.input-schema": "greet_user's `name` property has `type: text` (not a JSON Schema type)";
    StructuredContentMismatch = "structured-content-mismatch", trips "tools.call": "add_numbers' structuredContent breaks its outputSchema";
    UnknownToolSuccess = "unknown-tool-success", trips "tools.unknown": "calling an unknown tool succeeds";
    PaginationLoop = "pagination-loop", trips "tools.pagination": "tools/list always returns the same nextCursor";
    ResourcesMissingUri = "resources-missing-uri", trips "resources.list": "resources/list items lack `uri`";
    ResourceReadBroken = "resource-read-broken", trips "resources.read": "resources/read returns no contents";
    PromptsMissingName = "prompts-missing-name", trips "prompts.list": "prompts/list items lack `name`";
    PromptGetBroken = "prompt-get-broken", trips "prompts.get": "prompts/get returns messages without role";
    SetLevelBroken = "set-level-broken", trips "logging.set-level": "logging/setLevel answers an internal error";
    CompletionBroken = "completion-broken", trips "completion.complete": "completion/complete lacks `completion.values`";
    UndeclaredPromptsServed = "undeclared-prompts-served", trips "capabilities.undeclared": "prompts are served but not declared";
    UndeclaredCompletionsServed = "undeclared-completions-served", trips "capabilities.undeclared": "tools, resources and prompts declared; completions served but not declared";
    // image (the container artifact)
    IgnoreSigterm = "ignore-sigterm", trips "image.sigterm": "SIGTERM is ignored; only SIGINT or SIGKILL stop the server";
    SlowStart = "slow-start", trips "latency.cold-start": "the binary waits 1 s before it listens (a cold-start regression; container targets only)";
    // modern (2026-07-28)
    DiscoverNoCacheHints = "discover-no-cache-hints", trips "modern.discover": "server/discover lacks ttlMs and cacheScope";
    MetaUnchecked = "meta-unchecked", trips "modern.meta-missing": "modern requests without `_meta` are served";
    UnsupportedVersionWrongCode = "unsupported-version-wrong-code", trips "modern.version-unsupported": "unsupported versions get -32602";
    HeadersUnchecked = "headers-unchecked", trips "modern.header-mismatch": "Mcp-Method and Mcp-Name are not validated";
    ModernUnknownMethod200 = "modern-unknown-method-200", trips "modern.unknown-method": "-32601 is sent with HTTP 200";
    ModernServesInitialize = "modern-serves-initialize", trips "modern.removed-methods": "initialize is served on the modern path";
    NoResultType = "no-result-type", trips "modern.result-type": "modern results lack resultType";
    NoCacheHints = "no-cache-hints", trips "modern.cache-hints": "tools/list and other cacheable results lack ttlMs";
    ModernGetSse = "modern-get-sse", trips "modern.get-delete-405": "GET /mcp opens an SSE stream that sends nothing";
    EchoSessionId = "echo-session-id", trips "modern.session-ignored": "the request's Mcp-Session-Id is echoed back";
    ErrorIdNull = "error-id-null", trips "modern.error-id-echo": "modern error responses carry id null";
    LogWithoutLevel = "log-without-level", trips "modern.no-log-without-level": "log notifications without `_meta` logLevel";
    // surface drift: no check trips these; `surface --baseline` classifies them (see DRIFT)
    ToolRemoved = "tool-removed", trips "": "greet_user is gone";
    ToolRenamed = "tool-renamed", trips "": "greet_user is called greet_person (same description and schema)";
    ArgNowRequired = "arg-now-required", trips "": "slow's `seconds` is required";
    AnnotationFlipped = "annotation-flipped", trips "": "list_notes says readOnlyHint false";
    DescriptionChanged = "description-changed", trips "": "add_numbers' description asks the model to send it the conversation";
    ToolAddedWritable = "tool-added-writable", trips "": "a new tool archive_notes, not read-only";
    PromptArgumentAdded = "prompt-argument-added", trips "": "test_simple_prompt takes a new required argument";
    ToolsReordered = "tools-reordered", trips "": "tools/list in reverse order";
    // held streams: no check trips these; `bench --streams` counts what they do
    StreamsCapped = "streams-capped", trips "": "more than 20 responses streaming at once: the rest are answered 503";
    StreamsCut = "streams-cut", trips "": "a response still streaming after 0.5 s ends without its result";
}

/// The drift each surface fault makes, as `surface --baseline` classifies it against the clean
/// server: the class and the change it names.
pub const DRIFT: &[(Fault, &str, &str)] = &[
    (Fault::ToolRemoved, "breaking", "tool `greet_user` removed"),
    (
        Fault::ToolRenamed,
        "breaking",
        "tool `greet_user` renamed to `greet_person`",
    ),
    (Fault::ArgNowRequired, "breaking", "property `seconds` now required"),
    (Fault::AnnotationFlipped, "risky", "readOnlyHint true → false"),
    (Fault::DescriptionChanged, "risky", "description changed"),
    (
        Fault::ToolAddedWritable,
        "risky",
        "new tool `archive_notes` is not read-only",
    ),
    (
        Fault::PromptArgumentAdded,
        "breaking",
        "new required argument `audience`",
    ),
    (Fault::ToolsReordered, "compatible", "tools reordered"),
];

/// Faults of the stateful rules: each one turns `--stateful` on.
const STATEFUL: &[Fault] = &[
    Fault::MintBadSessionId,
    Fault::SessionUnknownServed,
    Fault::SessionMissing404,
    Fault::SessionMissingPingOnly,
    Fault::InitializeEventIdsApart,
    Fault::SessionEndedServed,
    Fault::SessionIdReused,
    Fault::SessionIdsSequential,
    Fault::SessionEventIdsRestart,
];

impl Fault {
    /// Whether the fault breaks a stateful rule, and so implies `--stateful`.
    pub fn implies_stateful(self) -> bool {
        STATEFUL.contains(&self)
    }

    /// The check ids this fault trips.
    pub fn trips(self) -> impl Iterator<Item = &'static str> {
        self.trip_list().split_whitespace()
    }

    /// The fault `--fault NAME` names; renamed faults keep their old name for a release.
    pub fn from_name(name: &str) -> Option<Fault> {
        let name = RENAMED
            .iter()
            .find(|(old, _)| *old == name)
            .map_or(name, |(_, new)| *new);
        FAULTS.iter().copied().find(|f| f.name() == name)
    }
}

/// Old fault names and the names that replaced them.
const RENAMED: &[(&str, &str)] = &[("reject-seed-version", "reject-guide-version")];

/// The set of faults a server runs with.
#[derive(Clone, Debug, Default)]
pub struct Faults(BTreeSet<Fault>);

impl Faults {
    /// Parses fault names, rejecting unknown ones so a typo never yields a silently clean server.
    pub fn parse<'a>(names: impl IntoIterator<Item = &'a str>) -> Result<Self, String> {
        let mut set = BTreeSet::new();
        for name in names {
            let fault = Fault::from_name(name).ok_or_else(|| format!("unknown fault `{name}` (see --list-faults)"))?;
            set.insert(fault);
        }
        Ok(Faults(set))
    }

    pub fn has(&self, fault: Fault) -> bool {
        self.0.contains(&fault)
    }

    /// Whether any fault needs a stateful server.
    pub fn imply_stateful(&self) -> bool {
        self.0.iter().any(|f| f.implies_stateful())
    }

    pub fn names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.0.iter().map(|f| f.name())
    }
}
