//! tools — tools/list, tools/call, unknown tools and pagination, gated on the `tools` capability.

use std::collections::BTreeSet;

use futures_util::StreamExt;
use serde_json::{Value, json};

use super::util::{callable, short, skip_undeclared};
use super::{Check, Level, Outcome, Runs, Scope, check_fn};
use crate::probe::{Cx, Reply};
use crate::wire::transport::{Cut, WireError};

const TOOLS: &str = "MCP 2025-11-25 server/tools.mdx";

pub const CHECKS: &[Check] = &[
    Check {
        id: "tools.list",
        level: Level::Must,
        scope: Scope::EachEra,
        needs: &[],
        runs: Runs::ANYWHERE,
        source: TOOLS,
        rule: "tools/list gives unique names and an object inputSchema that is a valid JSON Schema; odd names warn",
        run: check_fn!(tools_list),
    },
    Check {
        id: "tools.call",
        level: Level::Must,
        scope: Scope::EachEra,
        needs: &[],
        runs: Runs::ANYWHERE,
        source: TOOLS,
        rule: "the tools the call policy allows (read-only ones by default) answer `content`; structuredContent matches outputSchema",
        run: check_fn!(tools_call),
    },
    Check {
        id: "tools.unknown",
        level: Level::Must,
        scope: Scope::EachEra,
        needs: &[],
        runs: Runs::ANYWHERE,
        source: TOOLS,
        rule: "calling an unknown tool gives an error (JSON-RPC error or isError), never a success",
        run: check_fn!(tools_unknown),
    },
    Check {
        id: "tools.pagination",
        level: Level::Must,
        scope: Scope::EachEra,
        needs: &[],
        runs: Runs::ANYWHERE,
        source: "MCP 2025-11-25 server/utilities/pagination.mdx",
        rule: "following nextCursor ends without repeating a cursor (MUST); an invalid cursor gets -32602 (SHOULD: a warn)",
        run: check_fn!(tools_pagination),
    },
];

async fn tools_list(cx: &Cx) -> Result<Outcome, WireError> {
    if !cx.declares("tools") {
        return Ok(skip_undeclared("tools"));
    }
    let reply = cx.call("tools/list", json!({})).await?;
    let Some(tools) = reply.result().and_then(|r| r.get("tools")).and_then(Value::as_array) else {
        return Ok(Outcome::fail("tools/list gave no `tools` array").with(reply.evidence()));
    };
    let mut names = BTreeSet::new();
    let mut odd_names = Vec::new();
    for tool in tools {
        let Some(name) = tool.get("name").and_then(Value::as_str) else {
            return Ok(Outcome::fail(format!("a tool without a string name: {}", short(tool))).with(reply.evidence()));
        };
        if !names.insert(name) {
            return Ok(Outcome::fail(format!("tool name `{name}` is listed twice")).with(reply.evidence()));
        }
        let schema = tool.get("inputSchema");
        if schema.and_then(|s| s.get("type")) != Some(&json!("object")) {
            return Ok(
                Outcome::fail(format!("tool `{name}`: inputSchema is not an object schema")).with(reply.evidence()),
            );
        }
        if let Err(e) = jsonschema::meta::validate(schema.expect("checked above")) {
            return Ok(Outcome::fail(format!(
                "tool `{name}`: inputSchema is not a valid JSON Schema: {e}"
            )));
        }
        let well_formed =
            (1..=64).contains(&name.len()) && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"_-./".contains(&b));
        if !well_formed {
            odd_names.push(name.to_string());
        }
    }
    Ok(if odd_names.is_empty() {
        Outcome::pass(format!("{} tools, names unique, schemas valid", tools.len()))
    } else {
        Outcome::warn(format!(
            "tool names outside 1–64 chars of [A-Za-z0-9_./-] (SEP-986): {odd_names:?}"
        ))
    })
}

/// Checks one tools/call result's shape and, with an outputSchema, its structuredContent.
fn judge_tool_result(tool: &Value, result: &Value) -> Option<String> {
    let name = tool["name"].as_str().unwrap_or("?");
    let Some(content) = result.get("content").and_then(Value::as_array) else {
        return Some(format!("`{name}` result has no `content` array"));
    };
    if let Some(item) = content.iter().find(|c| !c.get("type").is_some_and(Value::is_string)) {
        return Some(format!("`{name}` content item without a type: {}", short(item)));
    }
    let output_schema = tool.get("outputSchema")?;
    if result.get("isError") == Some(&json!(true)) {
        return None;
    }
    let Some(structured) = result.get("structuredContent") else {
        return Some(format!(
            "`{name}` declares an outputSchema but returned no structuredContent"
        ));
    };
    match jsonschema::validator_for(output_schema) {
        Err(e) => Some(format!("`{name}` outputSchema is not a valid schema: {e}")),
        Ok(validator) => validator
            .iter_errors(structured)
            .next()
            .map(|e| format!("`{name}` structuredContent does not match its outputSchema: {e}")),
    }
}

/// Calls every tool the call policy allows and judges each result's shape. A tool that runs out
/// the wait is slow, not broken: a warn naming it.
async fn tools_call(cx: &Cx) -> Result<Outcome, WireError> {
    if !cx.declares("tools") {
        return Ok(skip_undeclared("tools"));
    }
    let callable = callable(cx).await?;
    let not_called = callable.not_called.clone().unwrap_or_default();
    if callable.calls.is_empty() {
        return Ok(Outcome::skip(if not_called.is_empty() {
            "the server lists no tools".to_string()
        } else {
            not_called
        }));
    }
    // Up to eight calls at a time: tools are independent, and a slow one should not serialize the rest.
    let calls: Vec<_> = callable
        .calls
        .iter()
        .take(12)
        .map(|(tool, args)| call_tool(cx, tool, args))
        .collect();
    let replies: Vec<_> = futures_util::stream::iter(calls).buffered(8).collect().await;
    let mut slow = Vec::new();
    let name = |tool: &Value| tool["name"].as_str().unwrap_or("?").to_string();
    for (tool, reply) in replies {
        let reply = match reply {
            Err(WireError::Timeout(_)) => {
                slow.push(format!("{} (no response head)", name(tool)));
                continue;
            }
            other => other?,
        };
        if reply.response().is_none() && reply.http.cut == Some(Cut::Deadline) {
            // Still streaming at the deadline: slow, not broken. No MUST bounds how long a tool
            // may take.
            let progress = reply
                .messages
                .iter()
                .filter(|m| m["method"] == "notifications/progress")
                .count();
            slow.push(format!(
                "{} (still working after {:.1} s, {progress} progress notification(s))",
                name(tool),
                reply.http.timings.total.as_secs_f64()
            ));
            continue;
        }
        let problem = match (reply.result(), reply.error()) {
            (Some(result), _) => judge_tool_result(tool, result),
            (None, Some(_)) => None, // a protocol error for arguments it dislikes is allowed
            (None, None) => Some(format!(
                "`{}` got no JSON-RPC response ({})",
                tool["name"],
                reply.status_line()
            )),
        };
        if let Some(problem) = problem {
            return Ok(Outcome::fail(problem).with(reply.evidence()));
        }
    }
    let called = callable.calls.len().min(12) - slow.len();
    let mut outcome = if slow.is_empty() {
        Outcome::pass(format!("{called} tools called; results well-formed"))
    } else {
        let settings = cx.settings();
        Outcome::warn(format!(
            "{} did not answer in time (slow, not a violation: --timeout {} s restarts on each progress notification, up to --max-call-time {} s); {called} others well-formed",
            slow.join(", "),
            settings.timeout.as_secs_f64(),
            settings.max_call_time.as_secs_f64()
        ))
    };
    if !not_called.is_empty() {
        outcome = outcome.with(not_called);
    }
    Ok(outcome)
}

async fn call_tool<'a>(cx: &'a Cx, tool: &'a Value, arguments: &'a Value) -> (&'a Value, Result<Reply, WireError>) {
    (tool, cx.send(cx.tool_call(&tool["name"], arguments)).await)
}

async fn tools_unknown(cx: &Cx) -> Result<Outcome, WireError> {
    if !cx.declares("tools") {
        return Ok(skip_undeclared("tools"));
    }
    let reply = cx
        .call("tools/call", json!({ "name": "suite-no-such-tool", "arguments": {} }))
        .await?;
    Ok(match (reply.result(), reply.error()) {
        (_, Some(error)) => Outcome::pass(format!("a JSON-RPC error: {}", short(error))),
        (Some(result), _) if result.get("isError") == Some(&json!(true)) => {
            Outcome::pass("isError: true (the spec's example uses a JSON-RPC error; both are accepted)")
        }
        (Some(result), _) => Outcome::fail(format!("an unknown tool returned a success: {}", short(result))),
        (None, None) => Outcome::fail(format!("no JSON-RPC response ({})", reply.status_line())),
    }
    .with(reply.evidence()))
}

async fn tools_pagination(cx: &Cx) -> Result<Outcome, WireError> {
    if !cx.declares("tools") {
        return Ok(skip_undeclared("tools"));
    }
    const MAX_PAGES: usize = 50;
    let mut cursors = BTreeSet::new();
    let mut cursor: Option<Value> = None;
    let mut pages = 0;
    loop {
        let params = match &cursor {
            Some(c) => json!({ "cursor": c }),
            None => json!({}),
        };
        let reply = cx.call("tools/list", params).await?;
        pages += 1;
        let Some(result) = reply.result() else {
            return Ok(
                Outcome::fail(format!("page {pages} of tools/list failed ({})", reply.status_line()))
                    .with(reply.evidence()),
            );
        };
        match result.get("nextCursor").filter(|c| !c.is_null()) {
            None => break,
            Some(next) if !cursors.insert(next.to_string()) => {
                return Ok(
                    Outcome::fail(format!("nextCursor {next} repeats: following it never ends")).with(reply.evidence()),
                );
            }
            Some(_) if pages >= MAX_PAGES => {
                return Ok(Outcome::fail(format!("still paging after {MAX_PAGES} pages")).with(reply.evidence()));
            }
            Some(next) => cursor = Some(next.clone()),
        }
    }
    let reply = cx
        .call("tools/list", json!({ "cursor": "suite-invalid-cursor" }))
        .await?;
    Ok(if reply.error().is_some() || (400..500).contains(&reply.status()) {
        Outcome::pass(format!("{pages} page(s); an invalid cursor gets an error"))
    } else {
        Outcome::warn(format!(
            "{pages} page(s), but an invalid cursor was answered with a result (SHOULD be -32602)"
        ))
        .with(reply.evidence())
    })
}
