//! jsonrpc — JSON-RPC 2.0 framing as MCP uses it: error codes for broken input, ids echoed
//! exactly, no null ids, well-formed error objects.

use serde_json::{Value, json};

use super::util::{has_result, short};
use super::{Check, Level, Outcome, Runs, Scope, check_fn};
use crate::probe::{Cx, Era};
use crate::wire::jsonrpc;
use crate::wire::transport::WireError;

const JSONRPC: &str = "JSONRPC 2.0 §5 (Response object), §5.1 (Error object)";

pub const CHECKS: &[Check] = &[
    Check {
        id: "jsonrpc.parse-error",
        level: Level::Must,
        scope: Scope::EachEra,
        needs: &[],
        runs: Runs::ANYWHERE,
        source: JSONRPC,
        rule: "invalid JSON gets no result; a JSON-RPC error body, if any, has code -32700 and id null",
        run: check_fn!(parse_error),
    },
    Check {
        id: "jsonrpc.invalid-request",
        level: Level::Must,
        scope: Scope::EachEra,
        needs: &[],
        runs: Runs::ANYWHERE,
        source: JSONRPC,
        rule: "a request object without `method` gets no result; an error body, if any, has code -32600",
        run: check_fn!(invalid_request),
    },
    Check {
        id: "jsonrpc.method-not-found",
        level: Level::Must,
        scope: Scope::Legacy,
        needs: &[],
        runs: Runs::ANYWHERE,
        source: JSONRPC,
        rule: "an unknown method gets error -32601, never a result",
        run: check_fn!(method_not_found),
    },
    Check {
        id: "jsonrpc.id-echo",
        level: Level::Must,
        scope: Scope::EachEra,
        needs: &[],
        runs: Runs::ANYWHERE,
        source: JSONRPC,
        rule: "the response id equals the request id, for number and string ids",
        run: check_fn!(id_echo),
    },
    Check {
        id: "jsonrpc.null-id-rejected",
        level: Level::Must,
        scope: Scope::EachEra,
        needs: &[],
        runs: Runs::ANYWHERE,
        source: "MCP 2025-11-25 basic/index.mdx#requests (ids MUST NOT be null)",
        rule: "a request with `id: null` is not served",
        run: check_fn!(null_id_rejected),
    },
    Check {
        id: "jsonrpc.error-shape",
        level: Level::Must,
        scope: Scope::EachEra,
        needs: &[],
        runs: Runs::ANYWHERE,
        source: JSONRPC,
        rule: "every error object has an integer `code` and a string `message`",
        run: check_fn!(error_shape),
    },
];

async fn parse_error(cx: &Cx) -> Result<Outcome, WireError> {
    let reply = cx
        .send(cx.cheap().body(r#"{"jsonrpc":"2.0","id":1,"method":"ping","params":{"#))
        .await?;
    if has_result(&reply) {
        return Ok(Outcome::fail("invalid JSON got a result").with(reply.evidence()));
    }
    let Some(message) = reply.messages.iter().find(|m| m.get("error").is_some()) else {
        return Ok(Outcome::pass(format!(
            "{} without a JSON-RPC body (the transport allows that)",
            reply.status_line()
        )));
    };
    Ok(match (jsonrpc::error_code(message), message.get("id")) {
        (_, Some(id)) if !id.is_null() => Outcome::fail(format!("the parse error carries id {id}; it MUST be null")),
        (Some(-32700), _) => Outcome::pass(format!("{}: -32700, id null", reply.status_line())),
        (code, _) => Outcome::warn(format!(
            "invalid JSON got error code {code:?}, not -32700 (Parse error)"
        )),
    }
    .with(reply.evidence()))
}

async fn invalid_request(cx: &Cx) -> Result<Outcome, WireError> {
    let reply = cx.send(cx.cheap().body(r#"{"jsonrpc":"2.0","id":77}"#)).await?;
    if has_result(&reply) {
        return Ok(Outcome::fail("a request without `method` got a result").with(reply.evidence()));
    }
    let Some(code) = reply.error_code() else {
        return Ok(Outcome::pass(format!(
            "{} without a JSON-RPC body",
            reply.status_line()
        )));
    };
    Ok(if code == -32600 {
        Outcome::pass(format!("{}: -32600", reply.status_line()))
    } else {
        Outcome::warn(format!(
            "a request without `method` got code {code}, not -32600 (Invalid Request)"
        ))
        .with(reply.evidence())
    })
}

async fn method_not_found(cx: &Cx) -> Result<Outcome, WireError> {
    let reply = cx.call("suite/no-such-method", json!({})).await?;
    Ok(match reply.response() {
        Some(r) if r.get("result").is_some() => Outcome::fail(format!("an unknown method got a result {}", short(r))),
        Some(r) if jsonrpc::error_code(r) == Some(-32601) => Outcome::pass(format!("{}: -32601", reply.status_line())),
        Some(r) => Outcome::warn(format!("an unknown method got {}, not -32601", short(&r["error"]))),
        None if (400..500).contains(&reply.status()) => Outcome::warn(format!(
            "{} without a JSON-RPC error; clients probe methods by -32601",
            reply.status_line()
        )),
        None => Outcome::fail(format!("no JSON-RPC response ({})", reply.status_line())),
    }
    .with(reply.evidence()))
}

async fn id_echo(cx: &Cx) -> Result<Outcome, WireError> {
    for id in [json!(4242), json!("suite-string-id-\u{e9}")] {
        let mut req = cx.cheap();
        let mut body: Value = serde_json::from_slice(&req.body).unwrap_or(json!({}));
        body["id"] = id.clone();
        req = req.json(&body);
        req.expect = req.expect.map(|(_, method)| (id.clone(), method));
        let reply = cx.send(req).await?;
        let ids: Vec<&Value> = reply
            .messages
            .iter()
            .filter(|m| m.get("method").is_none())
            .filter_map(|m| m.get("id"))
            .collect();
        if reply.response().is_none() {
            return Ok(
                Outcome::fail(format!("no response carries the request id {id}; ids seen: {ids:?}"))
                    .with(reply.evidence()),
            );
        }
    }
    Ok(Outcome::pass("number and string ids echoed exactly"))
}

async fn null_id_rejected(cx: &Cx) -> Result<Outcome, WireError> {
    let mut req = cx.cheap();
    let mut body: Value = serde_json::from_slice(&req.body).unwrap_or(json!({}));
    body["id"] = Value::Null;
    req = req.json(&body);
    let reply = cx.send(req).await?;
    Ok(if has_result(&reply) {
        Outcome::fail("a request with `id: null` was served; MCP request ids MUST NOT be null").with(reply.evidence())
    } else {
        Outcome::pass(format!("refused: {}", reply.status_line()))
    })
}

async fn error_shape(cx: &Cx) -> Result<Outcome, WireError> {
    let mut requests = vec![cx.standard("suite/no-such-method", json!({}))];
    if cx.era() == Era::Legacy || cx.declares("tools") {
        requests.push(cx.standard("tools/call", json!({ "name": "suite-no-such-tool", "arguments": {} })));
    }
    requests.push(cx.cheap().body("{"));
    let mut errors = 0;
    for req in requests {
        let reply = cx.send(req).await?;
        for error in reply.messages.iter().filter_map(|m| m.get("error")) {
            errors += 1;
            let code_ok = error.get("code").is_some_and(|c| c.is_i64());
            let message_ok = error.get("message").is_some_and(Value::is_string);
            if !(code_ok && message_ok) {
                return Ok(Outcome::fail(format!("malformed error object {}", short(error))).with(reply.evidence()));
            }
        }
    }
    Ok(if errors == 0 {
        Outcome::skip("no JSON-RPC error bodies came back to inspect")
    } else {
        Outcome::pass(format!(
            "{errors} error objects, all with integer code and string message"
        ))
    })
}
