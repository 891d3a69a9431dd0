//! session — session ids. AgentCore's platform puts its own `Mcp-Session-Id` and runtime session
//! id on requests the server never minted, so under the `agentcore` profile those must be served;
//! the plain-MCP "unknown session → 404" rule only applies under `--profile mcp`.

use serde_json::json;

use super::util::{has_result, is_success, status_line};
use super::{Check, Level, Outcome, Phase, Scope, check_fn};
use crate::probe::{Cx, Profile, Reply};
use crate::wire::jsonrpc;
use crate::wire::transport::Capability;
use crate::wire::transport::WireError;

const AGENTCORE: &str = "AGENTCORE runtime-mcp-protocol-contract.html (session management)";
const SESSIONS: &str = "MCP 2025-11-25 basic/transports.mdx#session-management";
const SESSION_ID: &str = "mcp-session-id";
const RUNTIME_SESSION_ID: &str = "x-amzn-bedrock-agentcore-runtime-session-id";

pub const CHECKS: &[Check] = &[
    Check {
        id: "session.platform-headers-accepted",
        level: Level::Must,
        scope: Scope::EachEra,
        phase: Phase::Together,
        needs: &[],
        source: AGENTCORE,
        rule: "requests carrying a Mcp-Session-Id and runtime session id the server never minted (33, 64, 256 chars) are served",
        run: check_fn!(platform_headers_accepted),
    },
    Check {
        id: "session.no-initialize-needed",
        level: Level::Must,
        scope: Scope::Legacy,
        phase: Phase::Together,
        needs: &[],
        source: AGENTCORE,
        rule: "a stateless server serves tools/list with a fresh session id and no prior initialize",
        run: check_fn!(no_initialize_needed),
    },
    Check {
        id: "session.id-visible-ascii",
        level: Level::Must,
        scope: Scope::Legacy,
        phase: Phase::Together,
        needs: &[],
        source: SESSIONS,
        rule: "a minted Mcp-Session-Id contains only visible ASCII (0x21–0x7E)",
        run: check_fn!(id_visible_ascii),
    },
    Check {
        id: "session.unknown-404",
        level: Level::Must,
        scope: Scope::Legacy,
        phase: Phase::Together,
        needs: &[],
        source: SESSIONS,
        rule: "(--profile mcp, servers that mint session ids) a request with a session id the server does not know gets 404",
        run: check_fn!(unknown_404),
    },
    Check {
        id: "session.missing-400",
        level: Level::Should,
        scope: Scope::Legacy,
        phase: Phase::Together,
        needs: &[],
        source: SESSIONS,
        rule: "(--profile mcp) a server that requires a session id answers a request without one with 400",
        run: check_fn!(missing_400),
    },
    Check {
        id: "session.delete",
        level: Level::Should,
        scope: Scope::Legacy,
        phase: Phase::Together,
        needs: &[Capability::AnyMethodAndPath],
        source: SESSIONS,
        rule: "DELETE on the MCP endpoint answers 2xx or 405",
        run: check_fn!(delete),
    },
];

/// A session id of `len` visible-ASCII characters that no server minted.
fn foreign_session_id(len: usize) -> String {
    let seed = "agentcore-mcp-suite-platform-session-";
    seed.chars().chain(('a'..='z').cycle()).take(len).collect()
}

/// Platform session ids the server never minted are served normally.
async fn platform_headers_accepted(cx: &Cx) -> Result<Outcome, WireError> {
    if cx.options().profile != Profile::Agentcore {
        return Ok(Outcome::skip("an AgentCore rule (profile agentcore)"));
    }
    for len in [33, 64, 256] {
        let id = foreign_session_id(len);
        let req = cx.cheap().header(SESSION_ID, &id).header(RUNTIME_SESSION_ID, &id);
        let reply = cx.send(req).await?;
        if !(is_success(&reply) && reply.result().is_some()) {
            return Ok(Outcome::fail(format!(
                "a {len}-character platform session id was refused ({}); AgentCore sends ids the server never minted",
                status_line(&reply)
            ))
            .with(reply.evidence()));
        }
    }
    Ok(Outcome::pass(
        "served with 33-, 64- and 256-character platform session ids",
    ))
}

/// No initialize is needed: every AgentCore request may land on a fresh microVM.
async fn no_initialize_needed(cx: &Cx) -> Result<Outcome, WireError> {
    if cx.options().profile != Profile::Agentcore {
        return Ok(Outcome::skip(
            "an AgentCore rule (profile agentcore); MCP servers may require initialize",
        ));
    }
    let method = if cx.declares("tools") { "tools/list" } else { "ping" };
    let req = cx
        .standard(method, json!({}))
        .header(SESSION_ID, &foreign_session_id(40));
    let reply = cx.send(req).await?;
    Ok(if reply.result().is_some() {
        Outcome::pass(format!("{method} served without a prior initialize"))
    } else {
        Outcome::fail(format!(
            "{method} without a prior initialize was not served ({}); behind AgentCore any request may be the first",
            status_line(&reply)
        ))
    }
    .with(reply.evidence()))
}

/// The session id initialize minted, if any.
async fn minted_session(cx: &Cx) -> Result<(Option<String>, Reply), WireError> {
    let params = jsonrpc::initialize_params(&cx.version());
    let reply = cx.call("initialize", params).await?;
    let id = reply
        .http
        .headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(SESSION_ID));
    Ok((id.map(|(_, v)| String::from_utf8_lossy(v).into_owned()), reply))
}

/// A minted session id is visible ASCII only.
async fn id_visible_ascii(cx: &Cx) -> Result<Outcome, WireError> {
    let (_, reply) = minted_session(cx).await?;
    let Some((_, raw)) = reply
        .http
        .headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(SESSION_ID))
    else {
        return Ok(Outcome::skip("initialize mints no session id (a stateless server)"));
    };
    Ok(if !raw.is_empty() && raw.iter().all(|b| (0x21..=0x7e).contains(b)) {
        Outcome::pass(format!("minted `{}`", String::from_utf8_lossy(raw)))
    } else {
        Outcome::fail(format!(
            "minted session id {:?} has bytes outside 0x21–0x7E",
            String::from_utf8_lossy(raw)
        ))
        .with(reply.evidence())
    })
}

/// The skip for the stateful-session rules: not under the agentcore profile (`agentcore` says why),
/// and not for a server whose initialize mints no session id.
async fn unless_stateful(cx: &Cx, agentcore: &str) -> Result<Option<Outcome>, WireError> {
    if cx.options().profile == Profile::Agentcore {
        return Ok(Some(Outcome::skip(agentcore)));
    }
    let (minted, _) = minted_session(cx).await?;
    Ok(minted
        .is_none()
        .then(|| Outcome::skip("initialize mints no session id (a stateless server)")))
}

/// Under the MCP profile, an unknown session id gets 404 from a server that mints ids.
async fn unknown_404(cx: &Cx) -> Result<Outcome, WireError> {
    let agentcore = "inverted under AgentCore: platform session ids must be served (session.platform-headers-accepted)";
    if let Some(skip) = unless_stateful(cx, agentcore).await? {
        return Ok(skip);
    }
    let req = cx.cheap().header(SESSION_ID, &foreign_session_id(48));
    let reply = cx.send(req).await?;
    Ok(if reply.status() == 404 {
        Outcome::pass("404 for an unknown session id")
    } else {
        Outcome::fail(format!("an unknown session id got {}, not 404", status_line(&reply))).with(reply.evidence())
    })
}

/// Under the MCP profile, a server that requires session ids answers a missing one with 400.
async fn missing_400(cx: &Cx) -> Result<Outcome, WireError> {
    if let Some(skip) = unless_stateful(cx, "stateless servers need no session id (profile agentcore)").await? {
        return Ok(skip);
    }
    let reply = cx.send(cx.cheap()).await?;
    Ok(match reply.status() {
        200..=299 if has_result(&reply) => {
            Outcome::pass("served without a session id (the server does not require one)")
        }
        400 => Outcome::pass("400 without a session id"),
        _ => Outcome::warn(format!(
            "a request without a session id got {}, not 400",
            status_line(&reply)
        ))
        .with(reply.evidence()),
    })
}

/// DELETE ends a session (2xx) or is not offered (405).
async fn delete(cx: &Cx) -> Result<Outcome, WireError> {
    let (minted, _) = minted_session(cx).await?;
    let mut req =
        crate::probe::Req::new("DELETE", &cx.probe.facts.mcp_path).header("mcp-protocol-version", &cx.version());
    if let Some(id) = &minted {
        req = req.header(SESSION_ID, id);
    }
    let reply = cx.send(req).await?;
    Ok(match reply.status() {
        200..=299 => Outcome::pass(format!("DELETE answered {}", reply.status())),
        405 => Outcome::pass("405: no session to end"),
        status => Outcome::warn(format!("DELETE answered {status}; expected 2xx or 405")).with(reply.evidence()),
    })
}
