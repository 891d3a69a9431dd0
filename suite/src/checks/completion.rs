//! completion — completion/complete, gated on the `completions` capability.

use serde_json::json;

use super::util::{list_of, short, skip_undeclared};
use super::{Check, Level, Outcome, Runs, Scope, check_fn};
use crate::probe::Cx;
use crate::wire::transport::WireError;

pub const CHECKS: &[Check] = &[Check {
    id: "completion.complete",
    level: Level::Must,
    scope: Scope::EachEra,
    needs: &[],
    runs: Runs::ANYWHERE,
    source: "MCP 2025-11-25 server/utilities/completion.mdx",
    rule: "with the completions capability, completion/complete answers `completion.values`",
    run: check_fn!(completion_complete),
}];

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
