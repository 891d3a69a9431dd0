//! sse — framing of SSE responses, read with the suite's strict parser. The samples are the era's
//! cheap request, tools/list and a tool call that reports progress, when the server answers them
//! with `text/event-stream`; a server that answers JSON has nothing here to check.

use std::time::Duration;

use serde_json::{Value, json};

use super::util::STREAM_WATCH;
use super::{Check, Level, Outcome, Phase, Runs, Scope, check_fn};
use crate::probe::{Cx, Era, Reply, Req, SESSION_ID};
use crate::wire::jsonrpc::answers;
use crate::wire::sse::{Finding, SseStream, jsonrpc_findings};
use crate::wire::transport::Capability;
use crate::wire::transport::{Cut, WireError};

const WHATWG: &str = "WHATWG-SSE HTML §9.2.6 (event stream interpretation)";
const TRANSPORT: &str = "MCP 2025-11-25 basic/transports.mdx#sending-messages-to-the-server";

pub const CHECKS: &[Check] = &[
    Check {
        id: "sse.utf8",
        level: Level::Must,
        scope: Scope::EachEra,
        needs: &[],
        runs: Runs::ANYWHERE,
        source: "MCP 2025-11-25 basic/transports.mdx (JSON-RPC messages MUST be UTF-8); WHATWG-SSE §9.2.5",
        rule: "every SSE body is valid UTF-8",
        run: check_fn!(utf8),
    },
    Check {
        id: "sse.events-terminated",
        level: Level::Must,
        scope: Scope::EachEra,
        needs: &[],
        runs: Runs::ANYWHERE,
        source: WHATWG,
        rule: "the last event ends with a blank line (clients discard an unterminated event, losing the response)",
        run: check_fn!(events_terminated),
    },
    Check {
        id: "sse.data-is-jsonrpc",
        level: Level::Must,
        scope: Scope::EachEra,
        needs: &[],
        runs: Runs::ANYWHERE,
        source: TRANSPORT,
        rule: "every non-empty `data` is one JSON-RPC message; empty data only in a priming event with an id",
        run: check_fn!(data_is_jsonrpc),
    },
    Check {
        id: "sse.response-once",
        level: Level::Must,
        scope: Scope::EachEra,
        needs: &[],
        runs: Runs::ANYWHERE,
        source: "JSONRPC 2.0 §5 (one response per request); MCP 2025-11-25 basic/transports.mdx (SHOULD include it, else resumable)",
        rule: "the response to the request's id appears exactly once (missing on a resumable stream with event ids: a warn)",
        run: check_fn!(response_once),
    },
    Check {
        id: "sse.closes-after-response",
        level: Level::Should,
        scope: Scope::EachEra,
        needs: &[Capability::RawBytes],
        runs: Runs::ANYWHERE,
        source: TRANSPORT,
        rule: "the stream ends soon (within 1 s) after the response",
        run: check_fn!(closes_after_response),
    },
    Check {
        id: "sse.related-only",
        level: Level::Must,
        scope: Scope::EachEra,
        needs: &[],
        runs: Runs::ANYWHERE,
        source: "MCP 2026-07-28 basic/transports/streamable-http.mdx (MUST NOT send independent requests); 2025-11-25 transports (SHOULD relate)",
        rule: "only notifications related to the request precede the response; no server-to-client requests in 2026-07-28",
        run: check_fn!(related_only),
    },
    Check {
        id: "sse.event-ids-unique",
        level: Level::Must,
        scope: Scope::EachEra,
        needs: &[],
        runs: Runs::ANYWHERE.watching_a_stream(),
        source: "MCP 2025-11-25 basic/transports.mdx#resumability-and-redelivery",
        rule: "event ids, if used, are unique",
        run: check_fn!(event_ids_unique),
    },
    Check {
        id: "sse.retry-numeric",
        level: Level::Should,
        scope: Scope::EachEra,
        needs: &[],
        runs: Runs::ANYWHERE,
        source: WHATWG,
        rule: "`retry` values are ASCII digits (others are ignored by clients)",
        run: check_fn!(retry_numeric),
    },
    Check {
        id: "sse.event-name",
        level: Level::Should,
        scope: Scope::EachEra,
        needs: &[],
        runs: Runs::ANYWHERE,
        source: WHATWG,
        rule: "`event` is absent or `message` (EventSource-style clients drop other names)",
        run: check_fn!(event_name),
    },
    Check {
        id: "sse.line-endings",
        level: Level::Should,
        scope: Scope::EachEra,
        needs: &[],
        runs: Runs::ANYWHERE,
        source: WHATWG,
        rule: "one kind of line ending per stream (mixed endings trip hand-written parsers)",
        run: check_fn!(line_endings),
    },
    Check {
        id: "sse.headers",
        level: Level::Should,
        scope: Scope::EachEra,
        needs: &[Capability::ResponseHeaders],
        runs: Runs::ANYWHERE,
        source: "MCP 2026-07-28 basic/transports/streamable-http.mdx (X-Accel-Buffering SHOULD); proxy buffering hazard",
        rule: "SSE responses carry `Cache-Control: no-cache` and `X-Accel-Buffering: no`",
        run: check_fn!(headers),
    },
    Check {
        id: "sse.keepalive",
        level: Level::Should,
        scope: Scope::EachEra,
        needs: &[Capability::RawBytes],
        runs: Runs::ANYWHERE.in_phase(Phase::Alone),
        source: "MCP 2026-07-28 basic/transports/streamable-http.mdx (keep-alive comments, every 15 s in the SDKs)",
        rule: "during a long request the stream is never silent longer than --keepalive-max-gap (needs --slow-checks)",
        run: check_fn!(keepalive),
    },
];

/// The era's SSE responses (fetched once per era and shared by the checks here).
async fn samples(cx: &Cx) -> Result<Vec<Reply>, WireError> {
    let mut cache = cx.sse_samples_slot().await;
    if let Some(replies) = cache.as_ref() {
        return Ok(replies.clone());
    }
    let mut requests = vec![cx.cheap()];
    if cx.declares("tools") {
        requests.push(cx.standard("tools/list", json!({})));
        let callable = super::util::callable(cx).await?;
        let progress = json!({ "progressToken": "suite-progress" });
        // A tool that reports progress puts notifications on the stream; `slow` is the quickest.
        if callable.allows("slow") {
            let params = json!({ "name": "slow", "arguments": { "seconds": 0.02 }, "_meta": progress });
            requests.push(cx.standard("tools/call", params));
        } else if callable.allows("test_tool_with_progress") {
            let params = json!({ "name": "test_tool_with_progress", "arguments": {}, "_meta": progress });
            requests.push(cx.standard("tools/call", params));
        }
    }
    let mut replies = Vec::new();
    for req in requests {
        let reply = cx.send(req).await?;
        if reply.is_sse() {
            replies.push(reply);
        }
    }
    *cache = Some(replies.clone());
    Ok(replies)
}

/// Runs `judge` over every SSE sample; the first non-pass wins. Skips when there is no SSE.
async fn over_samples(
    cx: &Cx,
    judge: impl Fn(&Reply, &SseStream) -> Option<Outcome>,
    passed: &str,
) -> Result<Outcome, WireError> {
    let replies = samples(cx).await?;
    if replies.is_empty() {
        return Ok(Outcome::skip(
            "the server answered with JSON, not SSE: no stream to check",
        ));
    }
    for reply in &replies {
        let stream = reply.sse.as_ref().expect("samples are SSE");
        if let Some(outcome) = judge(reply, stream) {
            return Ok(outcome.with(reply.evidence()));
        }
    }
    Ok(Outcome::pass(format!("{passed} ({} streams)", replies.len())))
}

async fn utf8(cx: &Cx) -> Result<Outcome, WireError> {
    over_samples(
        cx,
        |_, stream| {
            stream.findings.iter().find_map(|f| match f {
                Finding::InvalidUtf8 { offset } => {
                    Some(Outcome::fail(format!("bytes that are not UTF-8 at offset {offset}")))
                }
                _ => None,
            })
        },
        "valid UTF-8",
    )
    .await
}

async fn events_terminated(cx: &Cx) -> Result<Outcome, WireError> {
    over_samples(
        cx,
        |reply, stream| {
            if reply.http.cut.is_some() {
                return None; // the suite stopped reading: the end is not the server's
            }
            stream.findings.iter().find_map(|f| match f {
                Finding::UnterminatedEvent { offset, bytes } => Some(Outcome::fail(format!(
                    "the stream ended inside an event ({bytes} bytes at offset {offset}); conforming clients discard it"
                ))),
                _ => None,
            })
        },
        "every event ends with a blank line",
    )
    .await
}

async fn data_is_jsonrpc(cx: &Cx) -> Result<Outcome, WireError> {
    over_samples(
        cx,
        |_, stream| {
            let findings = jsonrpc_findings(stream);
            if let Some((index, data)) = findings.non_json.first() {
                return Some(Outcome::fail(format!(
                    "event {index} carries data that is not a JSON-RPC message: `{data}`"
                )));
            }
            findings
                .empty_data
                .iter()
                .find(|(_, has_id)| !has_id)
                .map(|(index, _)| {
                    Outcome::warn(format!(
                        "event {index} has empty data and no id (not a priming event); JSON parsers choke on it"
                    ))
                })
        },
        "every data field is one JSON-RPC message",
    )
    .await
}

async fn response_once(cx: &Cx) -> Result<Outcome, WireError> {
    over_samples(
        cx,
        |reply, stream| {
            let (id, _) = reply.request.expect.as_ref()?;
            match reply.messages.iter().filter(|m| answers(m, id)).count() {
                1 => None,
                // With event ids a client may resume the stream and get the response there.
                0 if stream.events.iter().any(|e| e.id.is_some()) => Some(Outcome::warn(format!(
                    "no response to id {id} on the stream; it SHOULD come on it (a client must resume to get it)"
                ))),
                0 => Some(Outcome::fail(format!(
                    "no response to id {id} on a stream without event ids: the request is never answered"
                ))),
                n => Some(Outcome::fail(format!("the response to id {id} appears {n} times"))),
            }
        },
        "exactly one response per stream",
    )
    .await
}

async fn closes_after_response(cx: &Cx) -> Result<Outcome, WireError> {
    over_samples(
        cx,
        |reply, _| match reply.http.cut {
            Some(Cut::Lingered) => Some(Outcome::warn("the stream stayed open more than 1 s after the response")),
            Some(Cut::Deadline) => Some(Outcome::warn("the stream was still open at the deadline")),
            _ => None,
        },
        "closed right after the response",
    )
    .await
}

async fn related_only(cx: &Cx) -> Result<Outcome, WireError> {
    let modern = cx.era() == Era::Modern;
    over_samples(
        cx,
        |reply, _| {
            let (id, _) = reply.request.expect.as_ref()?;
            let token = reply
                .request
                .body
                .get(..)
                .and_then(|b| serde_json::from_slice::<Value>(b).ok())
                .and_then(|b| b.pointer("/params/_meta/progressToken").cloned());
            for message in reply.messages.iter().filter(|m| !answers(m, id)) {
                let method = message.get("method").and_then(Value::as_str).unwrap_or("");
                if message.get("id").is_some() {
                    let text = format!("a server-to-client request `{method}` appeared on the response stream");
                    return Some(if modern {
                        Outcome::fail(format!("{text}; 2026-07-28 forbids them (use MRTR)"))
                    } else {
                        Outcome::warn(format!("{text}; a stateless server cannot receive the answer"))
                    });
                }
                let related = match method {
                    "notifications/progress" => {
                        token.is_some() && message.pointer("/params/progressToken") == token.as_ref()
                    }
                    "notifications/message" | "notifications/cancelled" => true,
                    _ => false,
                };
                if !related {
                    return Some(Outcome::warn(format!(
                        "`{method}` on the stream is not related to the request"
                    )));
                }
            }
            None
        },
        "only related notifications besides the response",
    )
    .await
}

async fn event_ids_unique(cx: &Cx) -> Result<Outcome, WireError> {
    if cx.stateful() {
        return event_ids_unique_in_session(cx).await;
    }
    over_samples(
        cx,
        |_, stream| {
            let duplicates = jsonrpc_findings(stream).duplicate_ids;
            (!duplicates.is_empty())
                .then(|| Outcome::fail(format!("event ids repeat within one stream: {duplicates:?}")))
        },
        "no repeated event ids",
    )
    .await
}

/// A stateful session's event ids are unique across all of its streams: the initialize
/// response (priming events count), each POST response, and the GET stream when the server
/// offers one. Judged in a session of the check's own, so every stream of it is seen.
async fn event_ids_unique_in_session(cx: &Cx) -> Result<Outcome, WireError> {
    let (Some(session), initialize) = cx.new_session().await? else {
        return Ok(Outcome::skip("initialize minted no session id this time"));
    };
    let mut streams = vec![("the initialize response".to_string(), initialize)];
    let mut posts = vec![cx.cheap()];
    if cx.declares("tools") {
        posts.push(cx.standard("tools/list", json!({})));
    }
    for (i, req) in posts.into_iter().enumerate() {
        let reply = cx.send(req.header(SESSION_ID, &session)).await?;
        streams.push((format!("POST response {}", i + 1), reply));
    }
    let get = Req::new("GET", &cx.facts().mcp_path)
        .header("accept", "text/event-stream")
        .header("mcp-protocol-version", &cx.version())
        .header(SESSION_ID, &session);
    match cx
        .send_for(
            Req {
                body_watch: Some(STREAM_WATCH),
                ..get
            },
            cx.settings().timeout,
        )
        .await
    {
        Ok(reply) if reply.is_sse() => streams.push(("the GET stream".to_string(), reply)),
        Ok(_) | Err(WireError::Unobservable(_)) => {}
        Err(e) => return Err(e),
    }
    let sse_streams = streams.iter().filter(|(_, r)| r.sse.is_some()).count();
    if sse_streams == 0 {
        return Ok(Outcome::skip(
            "the server answered with JSON, not SSE: no stream to check",
        ));
    }
    let mut seen = std::collections::BTreeMap::new();
    for (name, reply) in &streams {
        let events = reply.sse.as_ref().map(|s| s.events.as_slice()).unwrap_or_default();
        for id in events.iter().filter_map(|e| e.id.as_ref()) {
            if let Some(first) = seen.insert(id.clone(), name.clone()) {
                let place = if &first == name {
                    format!("within {name}")
                } else {
                    format!("in {first} and {name}")
                };
                return Ok(Outcome::fail(format!(
                    "event id `{id}` repeats {place} of one session; ids MUST be unique across all streams of a session"
                ))
                .with(reply.evidence()));
            }
        }
    }
    let names: Vec<&str> = streams
        .iter()
        .filter(|(_, r)| r.sse.is_some())
        .map(|(n, _)| n.as_str())
        .collect();
    Ok(if seen.is_empty() {
        Outcome::pass(format!("no event ids on the session's streams ({})", names.join(", ")))
    } else {
        Outcome::pass(format!(
            "{} event ids, unique across the session's streams ({})",
            seen.len(),
            names.join(", ")
        ))
    })
}

async fn retry_numeric(cx: &Cx) -> Result<Outcome, WireError> {
    over_samples(
        cx,
        |_, stream| {
            stream.findings.iter().find_map(|f| match f {
                Finding::InvalidRetry { value } => Some(Outcome::warn(format!(
                    "`retry: {value}` is not a number of milliseconds; clients ignore it"
                ))),
                _ => None,
            })
        },
        "retry fields, if any, are numeric",
    )
    .await
}

async fn event_name(cx: &Cx) -> Result<Outcome, WireError> {
    over_samples(
        cx,
        |_, stream| {
            stream.events.iter().find_map(|e| match e.event.as_deref() {
                None | Some("message") => None,
                Some(other) => Some(Outcome::warn(format!(
                    "an event is named `{other}`; clients listening for `message` events never see it"
                ))),
            })
        },
        "events unnamed or named `message`",
    )
    .await
}

async fn line_endings(cx: &Cx) -> Result<Outcome, WireError> {
    let replies = samples(cx).await?;
    let kinds: Vec<String> = replies
        .iter()
        .filter_map(|r| r.sse.as_ref())
        .map(|s| s.line_endings.describe())
        .collect();
    let outcome = over_samples(
        cx,
        |_, stream| {
            stream.findings.iter().find_map(|f| match f {
                Finding::MixedLineEndings { .. } => Some(Outcome::warn(format!(
                    "mixed line endings in one stream ({})",
                    stream.line_endings.describe()
                ))),
                _ => None,
            })
        },
        "one kind of line ending per stream",
    )
    .await?;
    Ok(if outcome.verdict == super::Verdict::Pass {
        Outcome::pass(format!("{}: {}", outcome.message, kinds.join(" / ")))
    } else {
        outcome
    })
}

async fn headers(cx: &Cx) -> Result<Outcome, WireError> {
    over_samples(
        cx,
        |reply, _| {
            let cache = reply.http.header("cache-control").unwrap_or("");
            let buffering = reply.http.header("x-accel-buffering").unwrap_or("");
            let mut missing = Vec::new();
            if !cache.to_ascii_lowercase().contains("no-cache") {
                missing.push("Cache-Control: no-cache");
            }
            if !buffering.eq_ignore_ascii_case("no") {
                missing.push("X-Accel-Buffering: no");
            }
            (!missing.is_empty()).then(|| {
                Outcome::warn(format!(
                    "missing {}: proxies may buffer or cache the stream",
                    missing.join(" and ")
                ))
            })
        },
        "Cache-Control: no-cache and X-Accel-Buffering: no present",
    )
    .await
}

/// During a long request, no silence on the stream lasts longer than the allowed gap.
async fn keepalive(cx: &Cx) -> Result<Outcome, WireError> {
    if !cx.settings().slow_checks {
        return Ok(Outcome::skip(
            "takes longer than the keep-alive gap; run with --slow-checks",
        ));
    }
    if !super::util::callable(cx).await?.allows("slow") {
        return Ok(Outcome::skip(
            "no `slow` tool the call policy allows, to make a long request (the reference server has one)",
        ));
    }
    let gap = cx.settings().keepalive_max_gap;
    let seconds = (gap + Duration::from_millis(500)).as_secs_f64() * 1.5;
    let mut req = cx.standard(
        "tools/call",
        json!({ "name": "slow", "arguments": { "seconds": seconds } }),
    );
    req.close_grace = Duration::from_millis(200);
    let reply = cx.send(req).await?;
    if !reply.is_sse() {
        return Ok(Outcome::skip("the long request was answered with JSON, not SSE"));
    }
    let mut last = reply.http.timings.first_byte;
    let mut longest = Duration::ZERO;
    for (at, _) in &reply.http.chunks {
        longest = longest.max(at.saturating_sub(last));
        last = *at;
    }
    Ok(if longest <= gap {
        Outcome::pass(format!(
            "longest silence {} ms during a {seconds:.1} s request",
            longest.as_millis()
        ))
    } else {
        Outcome::warn(format!(
            "the stream was silent for {} ms (allowed {} ms); idle proxies and load balancers cut such streams",
            longest.as_millis(),
            gap.as_millis()
        ))
        .with(reply.evidence())
    })
}
