//! capabilities — what the server declares is what it serves: an undeclared capability's
//! methods are refused, so a tools-only server is never judged on prompts.

use serde_json::json;

use super::{Check, Level, Outcome, Runs, Scope, check_fn};
use crate::probe::{Cx, Era};
use crate::wire::transport::WireError;

pub const CHECKS: &[Check] = &[Check {
    id: "capabilities.undeclared",
    level: Level::Should,
    scope: Scope::EachEra,
    needs: &[],
    runs: Runs::ANYWHERE,
    source: "MCP 2025-11-25 basic/lifecycle.mdx#capability-negotiation",
    rule: "methods of an undeclared capability answer -32601, not results",
    run: check_fn!(capabilities_undeclared),
}];

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
