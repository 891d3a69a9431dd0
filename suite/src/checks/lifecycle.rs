//! lifecycle — the legacy handshake: initialize's result, version negotiation and ping.

use serde_json::{Value, json};

use super::util::short;
use super::{Check, Level, Outcome, Runs, Scope, check_fn};
use crate::probe::Cx;
use crate::wire::jsonrpc::{self, LEGACY_VERSIONS};
use crate::wire::transport::WireError;

const LIFECYCLE: &str = "MCP 2025-11-25 basic/lifecycle.mdx#initialization";

pub const CHECKS: &[Check] = &[
    Check {
        id: "lifecycle.initialize",
        level: Level::Must,
        scope: Scope::Legacy,
        needs: &[],
        runs: Runs::ANYWHERE,
        source: LIFECYCLE,
        rule: "initialize answers protocolVersion, capabilities and serverInfo {name, version}",
        run: check_fn!(initialize),
    },
    Check {
        id: "lifecycle.version-supported",
        level: Level::Must,
        scope: Scope::Legacy,
        needs: &[],
        runs: Runs::ANYWHERE,
        source: "MCP 2025-11-25 basic/lifecycle.mdx#version-negotiation",
        rule: "initialize echoes every requested version the server serves (it accepts that MCP-Protocol-Version)",
        run: check_fn!(version_supported),
    },
    Check {
        id: "lifecycle.version-unknown",
        level: Level::Must,
        scope: Scope::Legacy,
        needs: &[],
        runs: Runs::ANYWHERE,
        source: "MCP 2025-11-25 basic/lifecycle.mdx#version-negotiation",
        rule: "initialize with an unknown version answers a version the server supports, never the unknown one",
        run: check_fn!(version_unknown),
    },
    Check {
        id: "lifecycle.ping",
        level: Level::Must,
        scope: Scope::Legacy,
        needs: &[],
        runs: Runs::ANYWHERE,
        source: "MCP 2025-11-25 basic/utilities/ping.mdx",
        rule: "ping answers an empty result `{}` (AgentCore's health probe is a ping)",
        run: check_fn!(ping),
    },
];

async fn initialize_with(cx: &Cx, version: &str) -> Result<(Option<String>, crate::probe::Reply), WireError> {
    let reply = cx.call("initialize", jsonrpc::initialize_params(version)).await?;
    let answered = reply
        .result()
        .and_then(|r| r.get("protocolVersion"))
        .and_then(Value::as_str)
        .map(str::to_string);
    Ok((answered, reply))
}

async fn initialize(cx: &Cx) -> Result<Outcome, WireError> {
    let (_, reply) = initialize_with(cx, &cx.version()).await?;
    let Some(result) = reply.result() else {
        return Ok(Outcome::fail(format!("initialize got no result ({})", reply.status_line())).with(reply.evidence()));
    };
    let mut missing = Vec::new();
    if !result.get("protocolVersion").is_some_and(Value::is_string) {
        missing.push("protocolVersion (string)");
    }
    if !result.get("capabilities").is_some_and(Value::is_object) {
        missing.push("capabilities (object)");
    }
    let info = result.get("serverInfo");
    if !info.and_then(|i| i.get("name")).is_some_and(Value::is_string)
        || !info.and_then(|i| i.get("version")).is_some_and(Value::is_string)
    {
        missing.push("serverInfo {name, version}");
    }
    Ok(if missing.is_empty() {
        let info = info.cloned().unwrap_or_default();
        Outcome::pass(format!(
            "{} {} speaks {}",
            info["name"], info["version"], result["protocolVersion"]
        ))
    } else {
        Outcome::fail(format!("the initialize result lacks {}", missing.join(", "))).with(reply.evidence())
    })
}

async fn version_supported(cx: &Cx) -> Result<Outcome, WireError> {
    let mut echoed = Vec::new();
    for version in LEGACY_VERSIONS {
        let (answered, reply) = initialize_with(cx, version).await?;
        if answered.as_deref() == Some(*version) {
            echoed.push(*version);
            continue;
        }
        // Not echoed: fine if the server does not serve that version at all.
        let probe = cx.send(cx.cheap().header("mcp-protocol-version", version)).await?;
        if probe.result().is_some() {
            return Ok(Outcome::fail(format!(
                "initialize asking for {version} answered {answered:?}, yet requests with MCP-Protocol-Version: {version} \
                 are served; a supported version MUST be echoed"
            ))
            .with(reply.evidence())
            .with(probe.evidence()));
        }
    }
    Ok(if echoed.is_empty() {
        Outcome::fail("initialize echoed none of 2025-03-26, 2025-06-18, 2025-11-25")
    } else {
        Outcome::pass(format!("echoed {}", echoed.join(", ")))
    })
}

async fn version_unknown(cx: &Cx) -> Result<Outcome, WireError> {
    let (answered, reply) = initialize_with(cx, "1999-01-01").await?;
    Ok(match answered.as_deref() {
        Some("1999-01-01") => Outcome::fail("initialize echoed the unknown version 1999-01-01").with(reply.evidence()),
        Some(version) => Outcome::pass(format!("answered {version} for 1999-01-01")),
        None if reply.error().is_some() => {
            Outcome::pass(format!("refused with {}", short(reply.error().unwrap_or(&json!(null)))))
        }
        None => Outcome::fail(format!("no answer for 1999-01-01 ({})", reply.status_line())).with(reply.evidence()),
    })
}

async fn ping(cx: &Cx) -> Result<Outcome, WireError> {
    let reply = cx.call("ping", json!({})).await?;
    Ok(match reply.result() {
        Some(result) if result.as_object().is_some_and(|o| o.is_empty()) => Outcome::pass("ping → {}"),
        Some(result) => Outcome::fail(format!("ping answered {}; it MUST be an empty result", short(result))),
        None => Outcome::fail(format!("ping got no result ({})", reply.status_line())),
    }
    .with(reply.evidence()))
}
