//! modern — the 2026-07-28 envelope: `server/discover`, the validation ladder and its HTTP
//! statuses (-32602/-32020/-32022 → 400, -32601 → 404), result shapes and statelessness.

use serde_json::{Value, json};

use super::util::short;
use super::{Check, Level, Outcome, Runs, Scope, check_fn};
use crate::probe::{Cx, Reply, Req};
use crate::wire::jsonrpc::{self, META_SERVER_INFO, MODERN_VERSION};
use crate::wire::transport::{Capability, WireError};

const HTTP: &str = "MCP 2026-07-28 basic/transports/streamable-http.mdx";
const BASIC: &str = "MCP 2026-07-28 basic/index.mdx";

pub const CHECKS: &[Check] = &[
    Check {
        id: "modern.discover",
        level: Level::Must,
        scope: Scope::Modern,
        needs: &[],
        runs: Runs::ANYWHERE,
        source: "MCP 2026-07-28 server/discover.mdx; server/utilities/caching.mdx",
        rule: "server/discover answers supportedVersions, capabilities, resultType, ttlMs ≥ 0 and cacheScope",
        run: check_fn!(discover),
    },
    Check {
        id: "modern.meta-missing",
        level: Level::Must,
        scope: Scope::Modern,
        needs: &[],
        runs: Runs::ANYWHERE,
        source: BASIC,
        rule: "a request without the required `_meta` fields gets 400 with error -32602",
        run: check_fn!(meta_missing),
    },
    Check {
        id: "modern.version-unsupported",
        level: Level::Must,
        scope: Scope::Modern,
        needs: &[],
        runs: Runs::ANYWHERE,
        source: HTTP,
        rule: "an unsupported version gets 400 with -32022 and data {supported, requested}",
        run: check_fn!(version_unsupported),
    },
    Check {
        id: "modern.header-mismatch",
        level: Level::Must,
        scope: Scope::Modern,
        needs: &[],
        runs: Runs::ANYWHERE,
        source: HTTP,
        rule: "MCP-Protocol-Version, Mcp-Method or Mcp-Name disagreeing with the body gets 400 with -32020",
        run: check_fn!(header_mismatch),
    },
    Check {
        id: "modern.unknown-method",
        level: Level::Must,
        scope: Scope::Modern,
        needs: &[],
        runs: Runs::ANYWHERE,
        source: HTTP,
        rule: "an unknown method gets 404 with -32601",
        run: check_fn!(unknown_method),
    },
    Check {
        id: "modern.removed-methods",
        level: Level::Must,
        scope: Scope::Modern,
        needs: &[],
        runs: Runs::ANYWHERE,
        source: "MCP 2026-07-28 changelog.mdx (removed RPCs)",
        rule: "initialize, ping and logging/setLevel with a modern envelope get 404 with -32601 (a warn when the server also speaks the legacy era)",
        run: check_fn!(removed_methods),
    },
    Check {
        id: "modern.notification-202",
        level: Level::Must,
        scope: Scope::Modern,
        needs: &[],
        runs: Runs::ANYWHERE,
        source: HTTP,
        rule: "an accepted notification gets 202 with no body (or a 4xx if refused)",
        run: check_fn!(notification_202),
    },
    Check {
        id: "modern.result-type",
        level: Level::Must,
        scope: Scope::Modern,
        needs: &[],
        runs: Runs::ANYWHERE,
        source: BASIC,
        rule: "every result carries `resultType`",
        run: check_fn!(result_type),
    },
    Check {
        id: "modern.cache-hints",
        level: Level::Must,
        scope: Scope::Modern,
        needs: &[],
        runs: Runs::ANYWHERE,
        source: "MCP 2026-07-28 server/utilities/caching.mdx",
        rule: "complete list and read results carry ttlMs ≥ 0 and cacheScope",
        run: check_fn!(cache_hints),
    },
    Check {
        id: "modern.get-delete-405",
        level: Level::Should,
        scope: Scope::Modern,
        needs: &[Capability::AnyMethodAndPath],
        runs: Runs::ANYWHERE.watching_a_stream(),
        source: HTTP,
        rule: "GET and DELETE with the modern version get 405",
        run: check_fn!(get_delete_405),
    },
    Check {
        id: "modern.session-ignored",
        level: Level::Should,
        scope: Scope::Modern,
        needs: &[],
        runs: Runs::ANYWHERE,
        source: HTTP,
        rule: "Mcp-Session-Id is ignored: served, never echoed or minted",
        run: check_fn!(session_ignored),
    },
    Check {
        id: "modern.error-id-echo",
        level: Level::Must,
        scope: Scope::Modern,
        needs: &[],
        runs: Runs::ANYWHERE,
        source: BASIC,
        rule: "error responses carry the request's id whenever it could be read",
        run: check_fn!(error_id_echo),
    },
    Check {
        id: "modern.no-log-without-level",
        level: Level::Must,
        scope: Scope::Modern,
        needs: &[],
        runs: Runs::ANYWHERE,
        source: "MCP 2026-07-28 changelog.mdx (logLevel)",
        rule: "no notifications/message for a request without `_meta` logLevel",
        run: check_fn!(no_log_without_level),
    },
];

/// A server/discover request whose body `_meta` is replaced by `meta`.
fn discover_with_meta(cx: &Cx, meta: Value) -> Req {
    let mut req = cx.standard("server/discover", json!({}));
    let mut body: Value = serde_json::from_slice(&req.body).unwrap_or(json!({}));
    body["params"]["_meta"] = meta;
    req = req.json(&body);
    req
}

/// Is this the ladder's refusal: `status` and error `code`?
fn refused(reply: &Reply, status: u16, code: i64) -> bool {
    reply.status() == status && reply.error_code() == Some(code)
}

fn refusal_message(what: &str, reply: &Reply, status: u16, code: i64) -> Outcome {
    Outcome::fail(format!(
        "{what} got {} {}; expected {status} with {code}",
        reply.status_line(),
        reply.error().map(short).unwrap_or_else(|| "(no JSON-RPC error)".into())
    ))
    .with(reply.evidence())
}

async fn discover(cx: &Cx) -> Result<Outcome, WireError> {
    let reply = cx.call("server/discover", json!({})).await?;
    let Some(result) = reply.result() else {
        return Ok(
            Outcome::fail(format!("server/discover got no result ({})", reply.status_line())).with(reply.evidence()),
        );
    };
    let mut problems = Vec::new();
    let versions = result.get("supportedVersions").and_then(Value::as_array);
    if !versions.is_some_and(|v| v.iter().any(|x| x == MODERN_VERSION)) {
        problems.push(format!("supportedVersions does not list {MODERN_VERSION}"));
    }
    if !result.get("capabilities").is_some_and(Value::is_object) {
        problems.push("capabilities is not an object".into());
    }
    if !result.get("resultType").is_some_and(Value::is_string) {
        problems.push("resultType is missing".into());
    }
    if result.get("ttlMs").and_then(Value::as_i64).is_none_or(|t| t < 0) {
        problems.push("ttlMs is not an integer ≥ 0".into());
    }
    if !matches!(
        result.get("cacheScope").and_then(Value::as_str),
        Some("public" | "private")
    ) {
        problems.push("cacheScope is not `public` or `private`".into());
    }
    if !problems.is_empty() {
        return Ok(Outcome::fail(problems.join("; ")).with(reply.evidence()));
    }
    Ok(
        if result
            .pointer(&format!("/_meta/{}", META_SERVER_INFO.replace('/', "~1")))
            .is_some()
        {
            Outcome::pass(format!("supportedVersions {}", short(&result["supportedVersions"])))
        } else {
            Outcome::warn(format!("result _meta lacks {META_SERVER_INFO} (SHOULD)")).with(reply.evidence())
        },
    )
}

async fn meta_missing(cx: &Cx) -> Result<Outcome, WireError> {
    let cases = [
        ("no _meta", None),
        (
            "_meta without clientCapabilities",
            Some(json!({ jsonrpc::META_VERSION: MODERN_VERSION })),
        ),
    ];
    for (what, meta) in cases {
        let req = match meta {
            Some(meta) => discover_with_meta(cx, meta),
            None => {
                let mut req = cx.standard("server/discover", json!({}));
                let mut body: Value = serde_json::from_slice(&req.body).unwrap_or(json!({}));
                body["params"] = json!({});
                req = req.json(&body);
                req
            }
        };
        let reply = cx.send(req).await?;
        if !refused(&reply, 400, -32602) {
            return Ok(refusal_message(what, &reply, 400, -32602));
        }
    }
    Ok(Outcome::pass(
        "400 / -32602 without _meta and without clientCapabilities",
    ))
}

async fn version_unsupported(cx: &Cx) -> Result<Outcome, WireError> {
    let requested = "2099-01-01";
    let meta = json!({ jsonrpc::META_VERSION: requested, jsonrpc::META_CAPABILITIES: {} });
    let req = discover_with_meta(cx, meta).header("mcp-protocol-version", requested);
    let reply = cx.send(req).await?;
    if !refused(&reply, 400, -32022) {
        return Ok(refusal_message("version 2099-01-01", &reply, 400, -32022));
    }
    let data = reply.error().and_then(|e| e.get("data")).cloned().unwrap_or_default();
    let supported = data
        .get("supported")
        .and_then(Value::as_array)
        .filter(|s| !s.is_empty());
    Ok(match supported {
        None => Outcome::fail("error.data.supported is missing or empty").with(reply.evidence()),
        Some(_) if data.get("requested") != Some(&json!(requested)) => {
            Outcome::fail("error.data.requested does not name the requested version").with(reply.evidence())
        }
        Some(list) => {
            let advertised = cx
                .discovery()
                .modern
                .as_ref()
                .and_then(|d| d.get("supportedVersions"))
                .cloned();
            let consistent = advertised
                .as_ref()
                .and_then(Value::as_array)
                .is_none_or(|adv| list.iter().all(|v| adv.contains(v)));
            if consistent {
                Outcome::pass(format!("400 / -32022, supported {}", short(&json!(list))))
            } else {
                Outcome::warn(format!(
                    "error.data.supported {} lists versions server/discover does not",
                    short(&json!(list))
                ))
            }
        }
    })
}

async fn header_mismatch(cx: &Cx) -> Result<Outcome, WireError> {
    let mut cases = vec![
        (
            "Mcp-Method: tools/list on server/discover",
            cx.standard("server/discover", json!({}))
                .header("mcp-method", "tools/list"),
        ),
        (
            "Mcp-Method missing",
            cx.standard("server/discover", json!({})).without("mcp-method"),
        ),
    ];
    if cx.declares("tools") {
        // A server that ignores Mcp-Name would run the call: only a tool the policy allows.
        let callable = super::util::callable(cx).await?;
        if let Some(tool) = callable.calls.first().and_then(|(t, _)| t["name"].as_str()) {
            let call = cx.standard("tools/call", json!({ "name": tool, "arguments": {} }));
            cases.push((
                "Mcp-Name naming another tool",
                call.clone().header("mcp-name", "suite-other-tool"),
            ));
            cases.push(("Mcp-Name missing on tools/call", call.without("mcp-name")));
        }
    }
    let count = cases.len();
    for (what, req) in cases {
        let reply = cx.send(req).await?;
        if !refused(&reply, 400, -32020) {
            return Ok(refusal_message(what, &reply, 400, -32020));
        }
    }
    // Without the version header a server that also serves pre-2025-06-18 clients MAY take the
    // request as 2025-03-26 (streamable-http.mdx); it must just not serve it as 2026-07-28.
    let bare = cx
        .standard("server/discover", json!({}))
        .without("mcp-protocol-version");
    let reply = cx.send(bare).await?;
    let served_as_modern = reply.result().is_some_and(|r| r.get("resultType").is_some());
    if !refused(&reply, 400, -32020) && served_as_modern {
        return Ok(Outcome::fail(
            "an enveloped request without MCP-Protocol-Version was served as 2026-07-28; it MUST be refused (400 / -32020) or handled as legacy",
        )
        .with(reply.evidence()));
    }
    let missing = if refused(&reply, 400, -32020) {
        "400 / -32020"
    } else {
        "handled as legacy"
    };
    Ok(Outcome::pass(format!(
        "400 / -32020 in all {count} mismatch cases; without the version header: {missing}"
    )))
}

async fn unknown_method(cx: &Cx) -> Result<Outcome, WireError> {
    let reply = cx.call("suite/no-such-method", json!({})).await?;
    Ok(if refused(&reply, 404, -32601) {
        Outcome::pass("404 / -32601")
    } else {
        refusal_message("an unknown method", &reply, 404, -32601)
    })
}

async fn removed_methods(cx: &Cx) -> Result<Outcome, WireError> {
    let methods = [
        ("initialize", jsonrpc::initialize_params(MODERN_VERSION)),
        ("ping", json!({})),
        ("logging/setLevel", json!({ "level": "info" })),
    ];
    // A server that also speaks the legacy era serves these methods there (2026-07-28
    // streamable-http.mdx: interoperating servers implement the older revision too) and may
    // route them by name: an interop hazard, not a broken MUST. A 2026-07-28-only server must
    // refuse them.
    let dual_era = cx.discovery().legacy.is_some();
    for (method, params) in methods {
        let reply = cx.call(method, params).await?;
        if !refused(&reply, 404, -32601) {
            let outcome = refusal_message(&format!("removed method `{method}`"), &reply, 404, -32601);
            if dual_era && super::util::is_success(&reply) {
                return Ok(Outcome::warn(format!(
                    "{} (the server also speaks the legacy era and serves `{method}` there; a modern client never sends it)",
                    outcome.message
                ))
                .with(reply.evidence()));
            }
            return Ok(outcome);
        }
    }
    Ok(Outcome::pass("initialize, ping and logging/setLevel: 404 / -32601"))
}

async fn notification_202(cx: &Cx) -> Result<Outcome, WireError> {
    let reply = cx
        .send(cx.notification("notifications/cancelled", json!({ "requestId": 999_999 })))
        .await?;
    let empty = reply.http.body.iter().all(u8::is_ascii_whitespace);
    Ok(match reply.status() {
        202 if empty => Outcome::pass("202 with no body"),
        202 => Outcome::fail("202 with a body; an accepted notification gets none"),
        400..=499 => Outcome::pass(format!(
            "{} (refused notifications get an error status)",
            reply.status()
        )),
        _ => Outcome::fail(format!(
            "{} for a notification; MUST be 202 if accepted",
            reply.status_line()
        )),
    }
    .with(reply.evidence()))
}

/// The modern results the suite can always ask for.
async fn results(cx: &Cx) -> Result<Vec<(String, Reply)>, WireError> {
    let mut methods = vec!["server/discover"];
    for (capability, method) in [
        ("tools", "tools/list"),
        ("prompts", "prompts/list"),
        ("resources", "resources/list"),
    ] {
        if cx.declares(capability) {
            methods.push(method);
        }
    }
    let mut replies = Vec::new();
    for method in methods {
        replies.push((method.to_string(), cx.call(method, json!({})).await?));
    }
    Ok(replies)
}

async fn result_type(cx: &Cx) -> Result<Outcome, WireError> {
    let replies = results(cx).await?;
    for (method, reply) in &replies {
        let Some(result) = reply.result() else {
            continue;
        };
        if !matches!(
            result.get("resultType").and_then(Value::as_str),
            Some("complete" | "input_required")
        ) {
            return Ok(Outcome::fail(format!("the {method} result lacks resultType")).with(reply.evidence()));
        }
    }
    Ok(Outcome::pass(format!("resultType on {} results", replies.len())))
}

async fn cache_hints(cx: &Cx) -> Result<Outcome, WireError> {
    let replies = results(cx).await?;
    for (method, reply) in &replies {
        let Some(result) = reply.result() else {
            continue;
        };
        if result.get("resultType") != Some(&json!("complete")) {
            continue;
        }
        let ttl_ok = result.get("ttlMs").and_then(Value::as_i64).is_some_and(|t| t >= 0);
        let scope_ok = matches!(
            result.get("cacheScope").and_then(Value::as_str),
            Some("public" | "private")
        );
        if !(ttl_ok && scope_ok) {
            return Ok(
                Outcome::fail(format!("the {method} result lacks ttlMs ≥ 0 or cacheScope")).with(reply.evidence()),
            );
        }
    }
    Ok(Outcome::pass(format!(
        "ttlMs and cacheScope on {} results",
        replies.len()
    )))
}

async fn get_delete_405(cx: &Cx) -> Result<Outcome, WireError> {
    for method in ["GET", "DELETE"] {
        let mut req = Req::new(method, &cx.facts().mcp_path)
            .header("accept", "application/json, text/event-stream")
            .header("mcp-protocol-version", MODERN_VERSION);
        req.expect = Some((json!("never"), String::new()));
        req.body_watch = Some(super::util::STREAM_WATCH);
        let reply = cx.send(req).await?;
        if reply.status() != 405 {
            return Ok(Outcome::warn(format!(
                "{method} answered {}; a stateless modern server SHOULD answer 405",
                reply.status_line()
            ))
            .with(reply.evidence()));
        }
    }
    Ok(Outcome::pass("GET and DELETE: 405"))
}

/// Why a check of what a server does with session ids cannot run through AgentCore.
pub const PLATFORM_SESSION_IDS: &str =
    "the platform adds and returns an Mcp-Session-Id of its own, so the server's cannot be told apart";

async fn session_ignored(cx: &Cx) -> Result<Outcome, WireError> {
    if cx.transport_adds_session_ids() {
        return Ok(Outcome::skip(PLATFORM_SESSION_IDS));
    }
    let reply = cx
        .send(cx.cheap().header("mcp-session-id", "suite-modern-session-0001"))
        .await?;
    if reply.result().is_none() {
        return Ok(Outcome::warn(format!(
            "a request with Mcp-Session-Id was not served ({})",
            reply.status_line()
        ))
        .with(reply.evidence()));
    }
    Ok(match reply.http.header("mcp-session-id") {
        None => Outcome::pass("served; no Mcp-Session-Id in the response"),
        Some(id) => Outcome::warn(format!(
            "the response carries Mcp-Session-Id `{id}`; 2026-07-28 servers neither mint nor echo it"
        ))
        .with(reply.evidence()),
    })
}

async fn error_id_echo(cx: &Cx) -> Result<Outcome, WireError> {
    let cases = [
        cx.standard("suite/no-such-method", json!({})),
        discover_with_meta(cx, json!({})),
    ];
    for req in cases {
        let reply = cx.send(req).await?;
        let (id, _) = reply.request.expect.clone().unwrap_or_default();
        let Some(error) = reply.messages.iter().find(|m| m.get("error").is_some()) else {
            return Ok(
                Outcome::error(format!("no JSON-RPC error came back ({})", reply.status_line())).with(reply.evidence()),
            );
        };
        if error.get("id") != Some(&id) {
            return Ok(Outcome::fail(format!(
                "the error response carries id {} instead of the request's {id}",
                error.get("id").unwrap_or(&Value::Null)
            ))
            .with(reply.evidence()));
        }
    }
    Ok(Outcome::pass("error responses echo the request id"))
}

async fn no_log_without_level(cx: &Cx) -> Result<Outcome, WireError> {
    let callable = super::util::callable(cx).await?;
    let Some(tool) = ["test_tool_with_logging"].into_iter().find(|t| callable.allows(t)) else {
        return Ok(Outcome::skip(
            "no tool known to log that the call policy allows (test_tool_with_logging)",
        ));
    };
    let reply = cx.call("tools/call", json!({ "name": tool, "arguments": {} })).await?;
    let logs = reply
        .messages
        .iter()
        .filter(|m| m.get("method") == Some(&json!("notifications/message")))
        .count();
    Ok(if logs == 0 {
        Outcome::pass(format!("`{tool}` sent no log notification without logLevel"))
    } else {
        Outcome::fail(format!(
            "{logs} notifications/message for a request without `_meta` logLevel"
        ))
        .with(reply.evidence())
    })
}
