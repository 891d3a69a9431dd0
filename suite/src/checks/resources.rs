//! resources — resources/list and resources/read, gated on the `resources` capability.

use serde_json::{Value, json};

use super::util::{list_of, short, skip_undeclared};
use super::{Check, Level, Outcome, Runs, Scope, check_fn};
use crate::probe::Cx;
use crate::wire::transport::WireError;

const RESOURCES: &str = "MCP 2025-11-25 server/resources.mdx";

pub const CHECKS: &[Check] = &[
    Check {
        id: "resources.list",
        level: Level::Must,
        scope: Scope::EachEra,
        needs: &[],
        runs: Runs::ANYWHERE,
        source: RESOURCES,
        rule: "resources/list items have a string `uri` and `name`",
        run: check_fn!(resources_list),
    },
    Check {
        id: "resources.read",
        level: Level::Must,
        scope: Scope::EachEra,
        needs: &[],
        runs: Runs::ANYWHERE,
        source: RESOURCES,
        rule: "reading a listed resource gives contents with `uri` and `text` or `blob`",
        run: check_fn!(resources_read),
    },
];

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
