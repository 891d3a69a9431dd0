//! prompts — prompts/list and prompts/get, gated on the `prompts` capability.

use serde_json::{Value, json};

use super::util::{list_of, short, skip_undeclared};
use super::{Check, Level, Outcome, Runs, Scope, check_fn};
use crate::probe::Cx;
use crate::wire::transport::WireError;

const PROMPTS: &str = "MCP 2025-11-25 server/prompts.mdx";

pub const CHECKS: &[Check] = &[
    Check {
        id: "prompts.list",
        level: Level::Must,
        scope: Scope::EachEra,
        needs: &[],
        runs: Runs::ANYWHERE,
        source: PROMPTS,
        rule: "prompts/list items have a string `name`",
        run: check_fn!(prompts_list),
    },
    Check {
        id: "prompts.get",
        level: Level::Must,
        scope: Scope::EachEra,
        needs: &[],
        runs: Runs::ANYWHERE,
        source: PROMPTS,
        rule: "getting a listed prompt gives messages with a role and typed content",
        run: check_fn!(prompts_get),
    },
];

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
