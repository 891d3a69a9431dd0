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
        rule: "tools/list gives a `tools` array whose every tool has a string name",
        run: check_fn!(tools_list),
    },
    Check {
        id: "tools.input-schema",
        level: Level::Must,
        scope: Scope::EachEra,
        needs: &[],
        runs: Runs::ANYWHERE,
        source: "MCP 2025-11-25 server/tools.mdx (inputSchema) and basic/index.mdx#json-schema-usage",
        rule: "every inputSchema (and outputSchema) is an object schema, valid in its declared dialect (default 2020-12); `required` naming undeclared properties warns",
        run: check_fn!(input_schema),
    },
    Check {
        id: "tools.names-valid",
        level: Level::Should,
        scope: Scope::EachEra,
        needs: &[],
        runs: Runs::ANYWHERE,
        source: "MCP 2025-11-25 server/tools.mdx#tool-names",
        rule: "tool names are 1–128 characters of A-Z a-z 0-9 _ - . and unique within the server",
        run: check_fn!(names_valid),
    },
    Check {
        id: "tools.annotations-explicit",
        level: Level::Should,
        scope: Scope::EachEra,
        needs: &[],
        runs: Runs::ANYWHERE,
        source: "MCP 2025-11-25 schema ToolAnnotations (defaults: readOnlyHint false, destructiveHint true, openWorldHint true)",
        rule: "every tool states readOnlyHint and openWorldHint, and destructiveHint unless read-only (absent, a client must assume the worst; app stores refuse such tools); hints do not contradict",
        run: check_fn!(annotations_explicit),
    },
    Check {
        id: "tools.list-stable",
        level: Level::Should,
        scope: Scope::EachEra,
        needs: &[],
        runs: Runs::ANYWHERE,
        source: "MCP 2025-11-25 server/tools.mdx#list-changed-notification",
        rule: "two tools/list answers in one run are the same, order included, unless notifications/tools/list_changed came (clients cache and hash the list)",
        run: check_fn!(list_stable),
    },
    Check {
        id: "tools.text-hygiene",
        level: Level::Should,
        scope: Scope::EachEra,
        needs: &[],
        runs: Runs::ANYWHERE,
        source: "MCP 2025-11-25 server/tools.mdx#security-considerations; Unicode UAX #9 (bidi controls), CVE-2021-42574",
        rule: "no invisible or direction-changing characters (zero-width, bidi controls, tag characters) in tool, prompt and resource names, titles, descriptions or schemas: they hide text from the human who reviews it",
        run: check_fn!(text_hygiene),
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
    if let Some(tool) = tools.iter().find(|t| !t.get("name").is_some_and(Value::is_string)) {
        return Ok(Outcome::fail(format!("a tool without a string name: {}", short(tool))).with(reply.evidence()));
    }
    Ok(Outcome::pass(format!("{} tools, each named", tools.len())))
}

/// Every tool of this era (all pages), or the skip when tools are not declared.
async fn all_tools(cx: &Cx) -> Result<Result<Vec<Value>, Outcome>, WireError> {
    if !cx.declares("tools") {
        return Ok(Err(skip_undeclared("tools")));
    }
    Ok(Ok(cx.list_all("tools/list", "tools").await?))
}

fn name_of(tool: &Value) -> &str {
    tool.get("name").and_then(Value::as_str).unwrap_or("?")
}

/// What is wrong with one schema of `tool` (`inputSchema` or `outputSchema`), if anything: not an
/// object schema, or not valid in its dialect; and the `required` names it never declares.
fn judge_schema(tool: &Value, field: &str) -> (Option<String>, Vec<String>) {
    let name = name_of(tool);
    let Some(schema) = tool.get(field) else {
        return match field {
            "inputSchema" => (Some(format!("`{name}` has no inputSchema")), Vec::new()),
            _ => (None, Vec::new()),
        };
    };
    if schema.get("type") != Some(&json!("object")) {
        return (
            Some(format!("`{name}` {field} is not an object schema (`type: \"object\"`)")),
            Vec::new(),
        );
    }
    // The declared dialect's meta-schema, 2020-12 when none is declared.
    if let Err(e) = jsonschema::meta::validate(schema) {
        return (
            Some(format!("`{name}` {field} is not a valid JSON Schema: {e}")),
            Vec::new(),
        );
    }
    let declared = schema.get("properties").and_then(Value::as_object);
    let undeclared = schema
        .get("required")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .filter(|r| !declared.is_some_and(|p| p.contains_key(*r)))
        .map(|r| format!("`{name}` {field} requires `{r}`, which it does not declare"))
        .collect();
    (None, undeclared)
}

async fn input_schema(cx: &Cx) -> Result<Outcome, WireError> {
    let tools = match all_tools(cx).await? {
        Ok(tools) => tools,
        Err(skip) => return Ok(skip),
    };
    let mut invalid = Vec::new();
    let mut odd = Vec::new();
    for tool in &tools {
        for field in ["inputSchema", "outputSchema"] {
            let (wrong, undeclared) = judge_schema(tool, field);
            invalid.extend(wrong);
            odd.extend(undeclared);
        }
    }
    Ok(if !invalid.is_empty() {
        Outcome::fail(invalid.join("; "))
    } else if !odd.is_empty() {
        Outcome::warn(format!("{} (a client can never satisfy it)", odd.join("; ")))
    } else {
        Outcome::pass(format!(
            "{} tools, every schema an object schema valid in its dialect",
            tools.len()
        ))
    })
}

/// The 2025-11-25 tool-name rule: 1–128 characters of ASCII letters, digits, `_`, `-` and `.`.
fn valid_tool_name(name: &str) -> bool {
    (1..=128).contains(&name.len()) && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"_-.".contains(&b))
}

async fn names_valid(cx: &Cx) -> Result<Outcome, WireError> {
    let tools = match all_tools(cx).await? {
        Ok(tools) => tools,
        Err(skip) => return Ok(skip),
    };
    let mut seen = BTreeSet::new();
    let mut problems = Vec::new();
    for name in tools.iter().map(name_of) {
        if !seen.insert(name) {
            problems.push(format!("`{name}` is listed twice"));
        }
        if !valid_tool_name(name) {
            problems.push(format!(
                "`{}` is not 1–128 characters of A-Z a-z 0-9 _ - .",
                name.escape_debug()
            ));
        }
    }
    Ok(if problems.is_empty() {
        Outcome::pass(format!("{} tool names, valid and unique", tools.len()))
    } else {
        Outcome::warn(problems.join("; "))
    })
}

/// Missing or contradictory hints of one tool, if any.
fn judge_hints(tool: &Value) -> Option<String> {
    let hint = |name: &str| {
        tool.get("annotations")
            .and_then(|a| a.get(name))
            .and_then(Value::as_bool)
    };
    let read_only = hint("readOnlyHint");
    let mut missing: Vec<&str> = ["readOnlyHint", "openWorldHint"]
        .into_iter()
        .filter(|h| hint(h).is_none())
        .collect();
    // destructiveHint means something only when the tool is not read-only.
    if read_only != Some(true) && hint("destructiveHint").is_none() {
        missing.push("destructiveHint");
    }
    let name = name_of(tool);
    if read_only == Some(true) && hint("destructiveHint") == Some(true) {
        return Some(format!("`{name}` says readOnlyHint true and destructiveHint true"));
    }
    (!missing.is_empty()).then(|| format!("`{name}` lacks {}", missing.join(", ")))
}

async fn annotations_explicit(cx: &Cx) -> Result<Outcome, WireError> {
    let tools = match all_tools(cx).await? {
        Ok(tools) => tools,
        Err(skip) => return Ok(skip),
    };
    let problems: Vec<String> = tools.iter().filter_map(judge_hints).collect();
    Ok(if problems.is_empty() {
        Outcome::pass(format!("{} tools, each with explicit, consistent hints", tools.len()))
    } else {
        Outcome::warn(format!(
            "{}: a client must take an absent hint at its riskiest default (readOnlyHint false, destructiveHint true, openWorldHint true), and app stores refuse such tools",
            problems.join("; ")
        ))
    })
}

async fn list_stable(cx: &Cx) -> Result<Outcome, WireError> {
    let first = match all_tools(cx).await? {
        Ok(tools) => tools,
        Err(skip) => return Ok(skip),
    };
    let second = cx.list_all("tools/list", "tools").await?;
    if first == second {
        return Ok(Outcome::pass(format!(
            "two answers, the same {} tools in the same order",
            first.len()
        )));
    }
    let announced = cx
        .seen_messages()
        .iter()
        .any(|seen| seen.message.get("method") == Some(&json!("notifications/tools/list_changed")));
    let names = |tools: &[Value]| tools.iter().map(name_of).collect::<Vec<_>>().join(", ");
    let same_set = {
        let sorted = |tools: &[Value]| {
            let mut v: Vec<String> = tools.iter().map(Value::to_string).collect();
            v.sort();
            v
        };
        sorted(&first) == sorted(&second)
    };
    let how = if same_set {
        "the same tools in another order"
    } else {
        "different tools"
    };
    let said = format!(
        "two tools/list answers differ ({how}): [{}] then [{}]",
        names(&first),
        names(&second)
    );
    Ok(if announced && !same_set {
        Outcome::pass(format!("{said}, after notifications/tools/list_changed"))
    } else {
        Outcome::warn(format!(
            "{said}; clients that cache or hash the list see a change that did not happen"
        ))
    })
}

/// Characters that hide or reorder text: zero-width and invisible formatting characters, bidi
/// embeddings, overrides, isolates and marks, and Unicode tag characters.
fn hidden_character(c: char) -> Option<&'static str> {
    match c {
        '\u{200B}'..='\u{200D}' | '\u{2060}' | '\u{FEFF}' | '\u{180E}' => Some("zero-width"),
        '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}' => {
            Some("bidi control")
        }
        '\u{E0000}'..='\u{E007F}' => Some("tag character"),
        _ => None,
    }
}

/// Every string in `value` (object keys included) with its JSON path under `path`.
fn strings_in(value: &Value, path: String, out: &mut Vec<(String, String)>) {
    match value {
        Value::String(s) => out.push((path, s.clone())),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                strings_in(item, format!("{path}[{i}]"), out);
            }
        }
        Value::Object(map) => {
            for (key, item) in map {
                out.push((format!("{path} (key)"), key.clone()));
                strings_in(item, format!("{path}.{key}"), out);
            }
        }
        _ => {}
    }
}

/// Where `items` hide characters: `tools[add_numbers].description: U+202E (bidi control) at 14`.
fn hidden_text(kind: &str, key: &str, items: &[Value]) -> Vec<String> {
    let mut found = Vec::new();
    for item in items {
        let label = item.get(key).and_then(Value::as_str).unwrap_or("?");
        let mut strings = Vec::new();
        strings_in(item, format!("{kind}[{}]", label.escape_debug()), &mut strings);
        for (path, text) in strings {
            let hits: Vec<String> = text
                .chars()
                .enumerate()
                .filter_map(|(at, c)| Some(format!("U+{:04X} ({}) at {at}", c as u32, hidden_character(c)?)))
                .collect();
            if !hits.is_empty() {
                found.push(format!("{path}: {}", hits.join(", ")));
            }
        }
    }
    found
}

async fn text_hygiene(cx: &Cx) -> Result<Outcome, WireError> {
    let lists = [
        ("tools", "tools/list", "tools", "name"),
        ("prompts", "prompts/list", "prompts", "name"),
        ("resources", "resources/list", "resources", "uri"),
        (
            "resources",
            "resources/templates/list",
            "resourceTemplates",
            "uriTemplate",
        ),
    ];
    let mut found = Vec::new();
    let mut looked = Vec::new();
    for (capability, method, field, key) in lists {
        if cx.declares(capability) {
            let items = cx.list_all(method, field).await?;
            looked.push(format!("{} {field}", items.len()));
            found.extend(hidden_text(field, key, &items));
        }
    }
    if looked.is_empty() {
        return Ok(Outcome::skip("the server declares no tools, prompts or resources"));
    }
    Ok(if found.is_empty() {
        Outcome::pass(format!("no hidden characters in {}", looked.join(", ")))
    } else {
        Outcome::warn(format!(
            "hidden characters a reviewer cannot see: {}",
            found.into_iter().take(20).collect::<Vec<_>>().join("; ")
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tool_names_follow_the_2025_11_25_rule() {
        for good in ["getUser", "DATA_EXPORT_v2", "admin.tools.list", &"a".repeat(128)] {
            assert!(valid_tool_name(good), "{good}");
        }
        for bad in ["", "get user", "a,b", "ünïcode", "x!", &"a".repeat(129)] {
            assert!(!valid_tool_name(bad), "{bad}");
        }
    }

    #[test]
    fn hints_missing_or_contradicting() {
        let all = json!({"name": "t", "annotations": {"readOnlyHint": false, "destructiveHint": false, "openWorldHint": false}});
        assert_eq!(judge_hints(&all), None);
        // Read-only: destructiveHint means nothing, so it may be left out.
        let read_only = json!({"name": "r", "annotations": {"readOnlyHint": true, "openWorldHint": false}});
        assert_eq!(judge_hints(&read_only), None);
        let bare = json!({"name": "b"});
        assert_eq!(
            judge_hints(&bare).unwrap(),
            "`b` lacks readOnlyHint, openWorldHint, destructiveHint"
        );
        let both = json!({"name": "x", "annotations": {"readOnlyHint": true, "destructiveHint": true, "openWorldHint": false}});
        assert!(
            judge_hints(&both)
                .unwrap()
                .contains("readOnlyHint true and destructiveHint true")
        );
    }

    #[test]
    fn hidden_characters_are_found_where_they_hide() {
        let tools = [json!({
            "name": "add",
            "description": "Add\u{200B} two \u{202E}numbers",
            "inputSchema": {"type": "object", "properties": {"a\u{E0041}": {"description": "plain"}}},
        })];
        let found = hidden_text("tools", "name", &tools);
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(
            found[0].contains("tools[add].description: U+200B (zero-width) at 3, U+202E (bidi control) at 9"),
            "{found:?}"
        );
        assert!(
            found[1].contains("tools[add].inputSchema.properties (key): U+E0041 (tag character) at 1"),
            "{found:?}"
        );
        assert!(
            hidden_text(
                "tools",
                "name",
                &[json!({"name": "ok", "description": "Grüße, 你好 — fine"})]
            )
            .is_empty()
        );
    }

    #[test]
    fn schemas_must_be_object_schemas_valid_in_their_dialect() {
        let tool = |schema: Value| json!({"name": "t", "inputSchema": schema});
        assert_eq!(
            judge_schema(&tool(json!({"type": "object"})), "inputSchema"),
            (None, vec![])
        );
        let (wrong, _) = judge_schema(&tool(json!({"type": "string"})), "inputSchema");
        assert!(wrong.unwrap().contains("not an object schema"));
        let (wrong, _) = judge_schema(
            &tool(json!({"type": "object", "properties": {"n": {"type": "text"}}})),
            "inputSchema",
        );
        assert!(wrong.unwrap().contains("not a valid JSON Schema"));
        let (wrong, odd) = judge_schema(&tool(json!({"type": "object", "required": ["x"]})), "inputSchema");
        assert_eq!((wrong, odd.len()), (None, 1));
        assert_eq!(judge_schema(&json!({"name": "t"}), "outputSchema"), (None, vec![]));
    }
}
