//! features — tools, resources, prompts, logging and completion, each gated on the capability
//! the server declares: a tools-only server is never judged on prompts.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use super::util::{short, status_line};
use super::{Check, Level, Outcome, Phase, Scope, check_fn};
use crate::probe::{Cx, Era};
use crate::wire::http::WireError;

const TOOLS: &str = "MCP 2025-11-25 server/tools.mdx";
const RESOURCES: &str = "MCP 2025-11-25 server/resources.mdx";
const PROMPTS: &str = "MCP 2025-11-25 server/prompts.mdx";

pub const CHECKS: &[Check] = &[
    Check {
        id: "tools.list",
        level: Level::Must,
        scope: Scope::EachEra,
        phase: Phase::Together,
        source: TOOLS,
        rule: "tools/list gives unique names and an object inputSchema that is a valid JSON Schema; odd names warn",
        run: check_fn!(tools_list),
    },
    Check {
        id: "tools.call",
        level: Level::Must,
        scope: Scope::EachEra,
        phase: Phase::Together,
        source: TOOLS,
        rule: "tools callable with simple arguments answer `content`; structuredContent matches outputSchema",
        run: check_fn!(tools_call),
    },
    Check {
        id: "tools.unknown",
        level: Level::Must,
        scope: Scope::EachEra,
        phase: Phase::Together,
        source: TOOLS,
        rule: "calling an unknown tool gives an error (JSON-RPC error or isError), never a success",
        run: check_fn!(tools_unknown),
    },
    Check {
        id: "tools.pagination",
        level: Level::Must,
        scope: Scope::EachEra,
        phase: Phase::Together,
        source: "MCP 2025-11-25 server/utilities/pagination.mdx",
        rule: "following nextCursor ends without repeating a cursor; an invalid cursor gets an error",
        run: check_fn!(tools_pagination),
    },
    Check {
        id: "resources.list",
        level: Level::Must,
        scope: Scope::EachEra,
        phase: Phase::Together,
        source: RESOURCES,
        rule: "resources/list items have a string `uri` and `name`",
        run: check_fn!(resources_list),
    },
    Check {
        id: "resources.read",
        level: Level::Must,
        scope: Scope::EachEra,
        phase: Phase::Together,
        source: RESOURCES,
        rule: "reading a listed resource gives contents with `uri` and `text` or `blob`",
        run: check_fn!(resources_read),
    },
    Check {
        id: "prompts.list",
        level: Level::Must,
        scope: Scope::EachEra,
        phase: Phase::Together,
        source: PROMPTS,
        rule: "prompts/list items have a string `name`",
        run: check_fn!(prompts_list),
    },
    Check {
        id: "prompts.get",
        level: Level::Must,
        scope: Scope::EachEra,
        phase: Phase::Together,
        source: PROMPTS,
        rule: "getting a listed prompt gives messages with a role and typed content",
        run: check_fn!(prompts_get),
    },
    Check {
        id: "logging.set-level",
        level: Level::Must,
        scope: Scope::Legacy,
        phase: Phase::Together,
        source: "MCP 2025-11-25 server/utilities/logging.mdx",
        rule: "with the logging capability, logging/setLevel answers an empty result",
        run: check_fn!(logging_set_level),
    },
    Check {
        id: "completion.complete",
        level: Level::Must,
        scope: Scope::EachEra,
        phase: Phase::Together,
        source: "MCP 2025-11-25 server/utilities/completion.mdx",
        rule: "with the completions capability, completion/complete answers `completion.values`",
        run: check_fn!(completion_complete),
    },
    Check {
        id: "capabilities.undeclared",
        level: Level::Should,
        scope: Scope::EachEra,
        phase: Phase::Together,
        source: "MCP 2025-11-25 basic/lifecycle.mdx#capability-negotiation",
        rule: "methods of an undeclared capability answer -32601, not results",
        run: check_fn!(capabilities_undeclared),
    },
];

/// tools/list's first page for this era, fetched once. Empty without the tools capability.
pub async fn list_tools(cx: &Cx) -> Result<Vec<Value>, WireError> {
    if !cx.declares("tools") {
        return Ok(Vec::new());
    }
    let mut cache = cx.probe.tools[cx.era() as usize].lock().await;
    if let Some(tools) = cache.as_ref() {
        return Ok(tools.clone());
    }
    let reply = cx.call("tools/list", json!({})).await?;
    let tools = reply
        .result()
        .and_then(|r| r.get("tools"))
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    *cache = Some(tools.clone());
    Ok(tools)
}

pub async fn tool_names(cx: &Cx) -> Result<Vec<String>, WireError> {
    Ok(list_tools(cx)
        .await?
        .iter()
        .filter_map(|t| t.get("name").and_then(Value::as_str).map(str::to_string))
        .collect())
}

pub fn is_argument_free(tool: &Value) -> bool {
    tool.pointer("/inputSchema/required")
        .and_then(Value::as_array)
        .is_none_or(|r| r.is_empty())
}

/// Arguments for a tool whose required inputs are all simple scalars; `None` otherwise.
fn sample_arguments(tool: &Value) -> Option<Value> {
    let schema = tool.get("inputSchema")?;
    let mut arguments = serde_json::Map::new();
    for name in schema.get("required").and_then(Value::as_array).into_iter().flatten() {
        let name = name.as_str()?;
        let value = match schema
            .pointer(&format!("/properties/{name}/type"))
            .and_then(Value::as_str)?
        {
            "number" | "integer" => json!(2),
            "string" => json!("suite"),
            "boolean" => json!(true),
            _ => return None,
        };
        arguments.insert(name.to_string(), value);
    }
    Some(Value::Object(arguments))
}

fn skip_undeclared(capability: &str) -> Outcome {
    Outcome::skip(format!("the server does not declare the `{capability}` capability"))
}

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

async fn tools_call(cx: &Cx) -> Result<Outcome, WireError> {
    if !cx.declares("tools") {
        return Ok(skip_undeclared("tools"));
    }
    let tools = list_tools(cx).await?;
    let callable: Vec<(&Value, Value)> = tools
        .iter()
        .filter(|t| super::latency::is_quick(t))
        .filter_map(|t| sample_arguments(t).map(|a| (t, a)))
        .take(12)
        .collect();
    if callable.is_empty() {
        return Ok(Outcome::skip(
            "no tool takes only simple arguments the suite can fill in",
        ));
    }
    for (tool, arguments) in &callable {
        let reply = cx
            .call("tools/call", json!({ "name": tool["name"], "arguments": arguments }))
            .await?;
        let problem = match (reply.result(), reply.error()) {
            (Some(result), _) => judge_tool_result(tool, result),
            (None, Some(_)) => None, // a protocol error for arguments it dislikes is allowed
            (None, None) => Some(format!(
                "`{}` got no JSON-RPC response ({})",
                tool["name"],
                status_line(&reply)
            )),
        };
        if let Some(problem) = problem {
            return Ok(Outcome::fail(problem).with(reply.evidence()));
        }
    }
    Ok(Outcome::pass(format!(
        "{} tools called; results well-formed",
        callable.len()
    )))
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
        (None, None) => Outcome::fail(format!("no JSON-RPC response ({})", status_line(&reply))),
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
                Outcome::fail(format!("page {pages} of tools/list failed ({})", status_line(&reply)))
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

async fn list_of(cx: &Cx, method: &str, field: &str) -> Result<(Option<Vec<Value>>, crate::probe::Reply), WireError> {
    let reply = cx.call(method, json!({})).await?;
    let items = reply
        .result()
        .and_then(|r| r.get(field))
        .and_then(Value::as_array)
        .cloned();
    Ok((items, reply))
}

async fn resources_list(cx: &Cx) -> Result<Outcome, WireError> {
    if !cx.declares("resources") {
        return Ok(skip_undeclared("resources"));
    }
    let (items, reply) = list_of(cx, "resources/list", "resources").await?;
    let Some(items) = items else {
        return Ok(Outcome::fail("resources/list gave no `resources` array").with(reply.evidence()));
    };
    if let Some(bad) = items.iter().find(|r| !(r["uri"].is_string() && r["name"].is_string())) {
        return Ok(
            Outcome::fail(format!("a resource without string uri and name: {}", short(bad))).with(reply.evidence()),
        );
    }
    Ok(Outcome::pass(format!("{} resources", items.len())))
}

async fn resources_read(cx: &Cx) -> Result<Outcome, WireError> {
    if !cx.declares("resources") {
        return Ok(skip_undeclared("resources"));
    }
    let (items, _) = list_of(cx, "resources/list", "resources").await?;
    let Some(uri) = items
        .unwrap_or_default()
        .iter()
        .find_map(|r| r["uri"].as_str().map(str::to_string))
    else {
        return Ok(Outcome::skip("no resource listed to read"));
    };
    let reply = cx.call("resources/read", json!({ "uri": uri })).await?;
    let contents = reply.result().and_then(|r| r.get("contents")).and_then(Value::as_array);
    Ok(match contents {
        None => Outcome::fail(format!("reading `{uri}` gave no `contents` array")),
        Some(c) if c.is_empty() => Outcome::fail(format!("reading `{uri}` gave empty contents")),
        Some(c) => match c
            .iter()
            .find(|x| !(x["uri"].is_string() && (x["text"].is_string() || x["blob"].is_string())))
        {
            Some(bad) => Outcome::fail(format!("a content item without uri and text/blob: {}", short(bad))),
            None => Outcome::pass(format!("read `{uri}`: {} item(s)", c.len())),
        },
    }
    .with(reply.evidence()))
}

async fn prompts_list(cx: &Cx) -> Result<Outcome, WireError> {
    if !cx.declares("prompts") {
        return Ok(skip_undeclared("prompts"));
    }
    let (items, reply) = list_of(cx, "prompts/list", "prompts").await?;
    let Some(items) = items else {
        return Ok(Outcome::fail("prompts/list gave no `prompts` array").with(reply.evidence()));
    };
    if let Some(bad) = items.iter().find(|p| !p["name"].is_string()) {
        return Ok(Outcome::fail(format!("a prompt without a string name: {}", short(bad))).with(reply.evidence()));
    }
    Ok(Outcome::pass(format!("{} prompts", items.len())))
}

async fn prompts_get(cx: &Cx) -> Result<Outcome, WireError> {
    if !cx.declares("prompts") {
        return Ok(skip_undeclared("prompts"));
    }
    let (items, _) = list_of(cx, "prompts/list", "prompts").await?;
    let Some(prompt) = items.unwrap_or_default().into_iter().find(|p| p["name"].is_string()) else {
        return Ok(Outcome::skip("no prompt listed to get"));
    };
    let arguments: serde_json::Map<String, Value> = prompt["arguments"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|a| a["required"] == json!(true))
        .filter_map(|a| a["name"].as_str().map(|n| (n.to_string(), json!("suite"))))
        .collect();
    let name = prompt["name"].as_str().unwrap_or_default();
    let reply = cx
        .call("prompts/get", json!({ "name": name, "arguments": arguments }))
        .await?;
    let messages = reply.result().and_then(|r| r.get("messages")).and_then(Value::as_array);
    Ok(match messages {
        None => Outcome::fail(format!("prompts/get `{name}` gave no `messages` array")),
        Some(m) => match m.iter().find(|x| {
            !matches!(x["role"].as_str(), Some("user" | "assistant"))
                || !x.pointer("/content/type").is_some_and(Value::is_string)
        }) {
            Some(bad) => Outcome::fail(format!(
                "a message without role user/assistant and typed content: {}",
                short(bad)
            )),
            None => Outcome::pass(format!("`{name}`: {} message(s)", m.len())),
        },
    }
    .with(reply.evidence()))
}

async fn logging_set_level(cx: &Cx) -> Result<Outcome, WireError> {
    if !cx.declares("logging") {
        return Ok(skip_undeclared("logging"));
    }
    let reply = cx.call("logging/setLevel", json!({ "level": "info" })).await?;
    Ok(match reply.result() {
        Some(r) if r.as_object().is_some_and(|o| o.keys().all(|k| k == "_meta")) => {
            Outcome::pass("logging/setLevel → {}")
        }
        Some(r) => Outcome::fail(format!(
            "logging/setLevel answered {}; expected an empty result",
            short(r)
        )),
        None => Outcome::fail(format!("logging/setLevel failed ({})", status_line(&reply))),
    }
    .with(reply.evidence()))
}

async fn completion_complete(cx: &Cx) -> Result<Outcome, WireError> {
    if !cx.declares("completions") {
        return Ok(skip_undeclared("completions"));
    }
    let items = if cx.declares("prompts") {
        list_of(cx, "prompts/list", "prompts").await?.0
    } else {
        None
    };
    let target = items.unwrap_or_default().into_iter().find_map(|p| {
        let argument = p["arguments"].as_array()?.first()?["name"].as_str()?.to_string();
        Some((p["name"].as_str()?.to_string(), argument))
    });
    let Some((prompt, argument)) = target else {
        return Ok(Outcome::skip("no prompt argument to complete"));
    };
    let params =
        json!({ "ref": { "type": "ref/prompt", "name": prompt }, "argument": { "name": argument, "value": "" } });
    let reply = cx.call("completion/complete", params).await?;
    Ok(match reply.result().and_then(|r| r.pointer("/completion/values")) {
        Some(values) if values.is_array() => Outcome::pass(format!("`{prompt}`.{argument}: {}", short(values))),
        _ => Outcome::fail("completion/complete gave no `completion.values` array"),
    }
    .with(reply.evidence()))
}

async fn capabilities_undeclared(cx: &Cx) -> Result<Outcome, WireError> {
    let mut probed = Vec::new();
    for (capability, method) in [
        ("tools", "tools/list"),
        ("resources", "resources/list"),
        ("prompts", "prompts/list"),
    ] {
        if cx.declares(capability) {
            continue;
        }
        probed.push(method);
        let reply = cx.call(method, json!({})).await?;
        if reply.result().is_some() {
            return Ok(Outcome::warn(format!(
                "{method} is served although `{capability}` is not declared; clients that trust the declaration never see it"
            ))
            .with(reply.evidence()));
        }
    }
    Ok(if probed.is_empty() {
        Outcome::skip("tools, resources and prompts are all declared")
    } else {
        let era = if cx.era() == Era::Modern {
            "404 / -32601"
        } else {
            "-32601"
        };
        Outcome::pass(format!("{} refused ({era} expected)", probed.join(", ")))
    })
}
