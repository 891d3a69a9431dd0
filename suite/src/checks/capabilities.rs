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
    // logging/setLevel only exists in the legacy era (2026-07-28 removed it).
    let setlevel = (cx.era() == Era::Legacy).then_some(("logging", "logging/setLevel", json!({ "level": "info" })));
    let completion = json!({
        "ref": { "type": "ref/prompt", "name": "agentcore-mcp-suite-probe" },
        "argument": { "name": "a", "value": "" },
    });
    let probes = [
        ("tools", "tools/list", json!({})),
        ("resources", "resources/list", json!({})),
        ("prompts", "prompts/list", json!({})),
        ("completions", "completion/complete", completion),
    ];
    let mut refused = Vec::new();
    for (capability, method, params) in probes.into_iter().chain(setlevel) {
        if cx.declares(capability) {
            continue;
        }
        let reply = cx.call(method, params).await?;
        if reply.result().is_some() {
            return Ok(Outcome::warn(format!(
                "{method} is served although `{capability}` is not declared; clients that trust the declaration never see it"
            ))
            .with(reply.evidence()));
        }
        let code = reply
            .error_code()
            .map_or("no JSON-RPC error".to_string(), |c| c.to_string());
        refused.push(format!("{method} ({code})"));
    }
    Ok(if refused.is_empty() {
        Outcome::skip(
            "every capability the suite can probe is declared (tools, resources, prompts, completions, logging)",
        )
    } else {
        let era = if cx.era() == Era::Modern {
            "404 / -32601"
        } else {
            "-32601"
        };
        Outcome::pass(format!(
            "undeclared and refused: {} ({era} expected)",
            refused.join(", ")
        ))
    })
}
