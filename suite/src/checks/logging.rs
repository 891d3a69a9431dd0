//! logging — logging/setLevel, gated on the `logging` capability (legacy era: 2026-07-28 removed it).

use serde_json::json;

use super::util::{short, skip_undeclared};
use super::{Check, Level, Outcome, Runs, Scope, check_fn};
use crate::probe::Cx;
use crate::wire::transport::WireError;

pub const CHECKS: &[Check] = &[Check {
    id: "logging.set-level",
    level: Level::Must,
    scope: Scope::Legacy,
    needs: &[],
    runs: Runs::ANYWHERE,
    source: "MCP 2025-11-25 server/utilities/logging.mdx",
    rule: "with the logging capability, logging/setLevel answers an empty result",
    run: check_fn!(logging_set_level),
}];

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
        None => Outcome::fail(format!("logging/setLevel failed ({})", reply.status_line())),
    }
    .with(reply.evidence()))
}
