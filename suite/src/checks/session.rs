//! session — session ids. A stateless server (AgentCore's recommended default) gets the platform's
//! own `Mcp-Session-Id` and runtime session id on requests it never minted, and must serve them.
//! A stateful server (the SDKs' default; AgentCore routes its sessions by `Mcp-Session-Id` since
//! 2026-03) mints an id at initialize; the suite resends it, and the stateful rules apply to it
//! under both profiles. Checks that leave out or bend the id do so in a session of their own, and
//! say so in their evidence.

use serde_json::json;

use super::util::is_success;
use super::{Check, Level, Outcome, Phase, Runs, Scope, check_fn};
use crate::probe::{Cx, Invoked, Profile, Reply, SESSION_ID};
use crate::wire::agentcore::contract::{RUNTIME_SESSION_ID, new_runtime_session_id};
use crate::wire::platform::Credential;
use crate::wire::transport::{Capability, WireError};

const AGENTCORE: &str = "AGENTCORE runtime-mcp-protocol-contract.html (session management)";
const SESSIONS: &str = "MCP 2025-11-25 basic/transports.mdx#session-management";

pub const CHECKS: &[Check] = &[
    Check {
        id: "session.platform-headers-accepted",
        level: Level::Must,
        scope: Scope::EachEra,
        needs: &[],
        runs: Runs::ANYWHERE,
        source: AGENTCORE,
        rule: "what the platform adds is served: a stateless server, session ids it never minted (33, 64, 256 chars); \
               a stateful one, its own id with the runtime session id, WorkloadAccessToken and traceparent",
        run: check_fn!(platform_headers_accepted),
    },
    Check {
        id: "session.no-initialize-needed",
        level: Level::Must,
        scope: Scope::Legacy,
        needs: &[],
        runs: Runs::ANYWHERE,
        source: AGENTCORE,
        rule: "a stateless server serves tools/list with a fresh session id and no prior initialize",
        run: check_fn!(no_initialize_needed),
    },
    Check {
        id: "session.id-visible-ascii",
        level: Level::Must,
        scope: Scope::Legacy,
        needs: &[],
        runs: Runs::ANYWHERE,
        source: SESSIONS,
        rule: "a minted Mcp-Session-Id contains only visible ASCII (0x21–0x7E)",
        run: check_fn!(id_visible_ascii),
    },
    Check {
        id: "session.unknown-404",
        level: Level::Should,
        scope: Scope::Legacy,
        needs: &[],
        runs: Runs::ANYWHERE,
        source: SESSIONS,
        rule: "a stateful server answers a session id it never minted with 404 (the MUST covers terminated sessions)",
        run: check_fn!(unknown_404),
    },
    Check {
        id: "session.missing-400",
        level: Level::Should,
        scope: Scope::Legacy,
        needs: &[],
        runs: Runs::ANYWHERE,
        source: SESSIONS,
        rule: "a server that requires a session id answers a request without one with 400",
        run: check_fn!(missing_400),
    },
    Check {
        id: "session.terminated-404",
        level: Level::Must,
        scope: Scope::Legacy,
        needs: &[Capability::AnyMethodAndPath],
        runs: Runs::ANYWHERE,
        source: SESSIONS,
        rule: "after a 2xx DELETE ends a session, requests with its id get 404",
        run: check_fn!(terminated_404),
    },
    Check {
        id: "session.reinitialize",
        level: Level::Must,
        scope: Scope::Legacy,
        needs: &[],
        runs: Runs::ANYWHERE,
        source: SESSIONS,
        rule: "after a 404 for its session, a client's initialize without an id starts a session that works",
        run: check_fn!(reinitialize),
    },
    Check {
        id: "session.id-entropy",
        level: Level::Should,
        scope: Scope::Legacy,
        needs: &[],
        runs: Runs::ANYWHERE.in_phase(Phase::Alone),
        source: "MCP 2025-11-25 basic/transports.mdx#session-management (SHOULD be cryptographically secure); \
                 AGENTCORE stateful MCP (an id routes to a user's microVM)",
        rule: "minted session ids never repeat, follow no counter or clock, and carry at least 64 bits of entropy (estimated)",
        run: check_fn!(id_entropy),
    },
    Check {
        id: "session.delete",
        level: Level::Should,
        scope: Scope::Legacy,
        needs: &[Capability::AnyMethodAndPath],
        runs: Runs::ANYWHERE,
        source: SESSIONS,
        rule: "DELETE on the MCP endpoint answers 2xx or 405",
        run: check_fn!(delete),
    },
    Check {
        id: "session.runtime-id-length",
        level: Level::Must,
        scope: Scope::Server,
        needs: &[Capability::Platform],
        runs: Runs::ANYWHERE,
        source: "InvokeAgentRuntime API (runtimeSessionId: length 33 to 256)",
        rule: "through the platform, runtime session ids of 32 and 257 characters get 400 ValidationException; 33 and 256 are accepted (the suite itself refuses to send ids outside 33..256)",
        run: check_fn!(runtime_id_length),
    },
];

/// A session id of `len` visible-ASCII characters that no server minted.
fn foreign_session_id(len: usize) -> String {
    let prefix = "agentcore-mcp-suite-platform-session-";
    prefix.chars().chain(('a'..='z').cycle()).take(len).collect()
}

/// What AgentCore adds to a stateful server's requests: the runtime session id, the workload
/// access token and trace context (research: agentcore_contract.md, headers forwarded).
const PLATFORM_HEADERS: &[(&str, &str)] = &[
    ("workloadaccesstoken", "suite-workload-access-token"),
    ("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"),
];

/// Platform session headers are served: foreign ids by a stateless server, the platform's extra
/// headers beside its own id by a stateful one.
async fn platform_headers_accepted(cx: &Cx) -> Result<Outcome, WireError> {
    if cx.settings().profile != Profile::Agentcore {
        return Ok(Outcome::skip("an AgentCore rule (profile agentcore)"));
    }
    for len in [33, 64, 256] {
        let id = foreign_session_id(len);
        let mut req = cx.cheap().header(RUNTIME_SESSION_ID, &id);
        if cx.stateful() {
            for (name, value) in PLATFORM_HEADERS {
                req = req.header(name, value);
            }
        } else {
            req = req.header(SESSION_ID, &id);
        }
        let reply = cx.send(req).await?;
        if !(is_success(&reply) && reply.result().is_some()) {
            let what = if cx.stateful() {
                "its own session id with the platform's headers"
            } else {
                "a platform session id it never minted"
            };
            return Ok(Outcome::fail(format!(
                "{what} ({len}-character runtime session id) was refused ({}); AgentCore adds these to every request",
                reply.status_line()
            ))
            .with(reply.evidence()));
        }
    }
    Ok(Outcome::pass(if cx.stateful() {
        "its session id with the platform's runtime session id (33, 64, 256 chars), WorkloadAccessToken and traceparent is served"
    } else {
        "served with 33-, 64- and 256-character platform session ids"
    }))
}

/// No initialize is needed: every AgentCore request may land on a fresh microVM.
async fn no_initialize_needed(cx: &Cx) -> Result<Outcome, WireError> {
    if cx.settings().profile != Profile::Agentcore {
        return Ok(Outcome::skip(
            "an AgentCore rule (profile agentcore); MCP servers may require initialize",
        ));
    }
    if cx.stateful() {
        return Ok(Outcome::skip(
            "a stateful server needs initialize by design: it mints the session there, and AgentCore routes the session's requests by that id",
        ));
    }
    let method = if cx.declares("tools") { "tools/list" } else { "ping" };
    let req = cx
        .standard(method, json!({}))
        .header(SESSION_ID, &foreign_session_id(40))
        .on_purpose("a session id the server never minted, no initialize");
    let reply = cx.send(req).await?;
    Ok(if reply.result().is_some() {
        Outcome::pass(format!("{method} served without a prior initialize"))
    } else {
        Outcome::fail(format!(
            "{method} without a prior initialize was not served ({}); behind AgentCore any request may be the first",
            reply.status_line()
        ))
    }
    .with(reply.evidence()))
}

/// A minted session id is visible ASCII only.
async fn id_visible_ascii(cx: &Cx) -> Result<Outcome, WireError> {
    let (_, reply) = cx.new_session().await?;
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

const STATELESS: &str = "initialize mints no session id (a stateless server)";

/// A stateful server answers an id it never minted with 404.
async fn unknown_404(cx: &Cx) -> Result<Outcome, WireError> {
    if !cx.stateful() {
        return Ok(Outcome::skip(if cx.settings().profile == Profile::Agentcore {
            "a stateless server must serve ids it never minted under AgentCore (session.platform-headers-accepted)"
        } else {
            STATELESS
        }));
    }
    let req = cx
        .cheap()
        .header(SESSION_ID, &foreign_session_id(48))
        .on_purpose("a session id the server never minted");
    let reply = cx.send(req).await?;
    Ok(if reply.status() == 404 {
        Outcome::pass("404 for an unknown session id")
    } else {
        Outcome::warn(format!(
            "an unknown session id got {}, not 404; clients then never learn to start a new session",
            reply.status_line()
        ))
        .with(reply.evidence())
    })
}

/// A server that requires session ids answers a request without one with 400.
async fn missing_400(cx: &Cx) -> Result<Outcome, WireError> {
    if !cx.stateful() {
        return Ok(Outcome::skip(STATELESS));
    }
    if cx.transport_adds_session_ids() {
        return Ok(Outcome::skip(
            "the platform adds an Mcp-Session-Id to every request without one: the server never sees a request without",
        ));
    }
    // Not ping: a server may answer ping before initialization, so serving it without a session
    // proves nothing. A list the server declared is a request that belongs to a session.
    let Some(method) = [
        ("tools", "tools/list"),
        ("resources", "resources/list"),
        ("prompts", "prompts/list"),
    ]
    .into_iter()
    .find(|(capability, _)| cx.declares(capability))
    .map(|(_, method)| method) else {
        return Ok(Outcome::skip(
            "the server declares no tools, resources or prompts: no request to send that needs a session (ping may be answered before initialization)",
        ));
    };
    let req = cx
        .standard(method, json!({}))
        .without(SESSION_ID)
        .on_purpose("no Mcp-Session-Id");
    let reply = cx.send(req).await?;
    Ok(match reply.status() {
        200..=299 if reply.result().is_some() => Outcome::pass(format!(
            "{method} served without a session id (the server does not require one)"
        )),
        400 => Outcome::pass(format!("{method} without a session id: 400")),
        _ => Outcome::warn(format!(
            "{method} without a session id got {}, not 400",
            reply.status_line()
        ))
        .with(reply.evidence()),
    })
}

/// DELETE for `session`, or None when the transport cannot send it.
async fn end_session(cx: &Cx, session: &str) -> Result<Option<Reply>, WireError> {
    let req = cx
        .to_endpoint("DELETE")
        .header(SESSION_ID, session)
        .header("mcp-protocol-version", &cx.version());
    match cx.send(req).await {
        Ok(reply) => Ok(Some(reply)),
        Err(WireError::Unobservable(_)) => Ok(None),
        Err(e) => Err(e),
    }
}

/// A request in `session` (not the run's own): the cheap request with that id.
async fn in_session(cx: &Cx, session: &str, why: &str) -> Result<Reply, WireError> {
    cx.send(cx.cheap().header(SESSION_ID, session).on_purpose(why)).await
}

/// After a 2xx DELETE, the ended session's id gets 404.
async fn terminated_404(cx: &Cx) -> Result<Outcome, WireError> {
    if !cx.stateful() {
        return Ok(Outcome::skip(STATELESS));
    }
    let (Some(session), _) = cx.new_session().await? else {
        return Ok(Outcome::error("a second initialize minted no session id"));
    };
    let Some(deleted) = end_session(cx, &session).await? else {
        return Ok(Outcome::skip("the transport cannot send DELETE"));
    };
    match deleted.status() {
        200..=299 => {}
        405 => {
            return Ok(Outcome::skip(
                "DELETE answered 405: the server does not let clients end sessions, which the spec allows",
            ));
        }
        _ => {
            return Ok(Outcome::skip(format!(
                "DELETE answered {}; see session.delete",
                deleted.status()
            )));
        }
    }
    let reply = in_session(cx, &session, "the id of a session DELETE ended").await?;
    Ok(if reply.status() == 404 {
        Outcome::pass(format!(
            "DELETE answered {}, then 404 for the ended session",
            deleted.status()
        ))
    } else {
        Outcome::fail(format!(
            "after DELETE answered {}, the ended session's id got {}; it MUST be 404",
            deleted.status(),
            reply.status_line()
        ))
        .with(deleted.evidence())
        .with(reply.evidence())
    })
}

/// After a 404 for its session, initialize without an id starts a session that works.
async fn reinitialize(cx: &Cx) -> Result<Outcome, WireError> {
    if !cx.stateful() {
        return Ok(Outcome::skip(STATELESS));
    }
    let (Some(first), _) = cx.new_session().await? else {
        return Ok(Outcome::error("a second initialize minted no session id"));
    };
    // The 404 to recover from: the session ended by DELETE, or else an id never minted.
    let ended = end_session(cx, &first)
        .await?
        .is_some_and(|r| (200..300).contains(&r.status()));
    let lost = if ended { first.clone() } else { foreign_session_id(48) };
    let gone = in_session(cx, &lost, "a session id that is gone").await?;
    if gone.status() != 404 {
        return Ok(Outcome::skip(format!(
            "no 404 to recover from: a gone session id got {}",
            gone.status_line()
        )));
    }
    let (second, init) = cx.new_session().await?;
    let Some(second) = second else {
        return Ok(Outcome::fail("initialize after the 404 minted no session id").with(init.evidence()));
    };
    let reply = in_session(cx, &second, "the session started after the 404").await?;
    Ok(if is_success(&reply) && reply.result().is_some() {
        Outcome::pass("after a 404, initialize started a new session that serves requests")
    } else {
        Outcome::fail(format!(
            "the session initialize started after a 404 does not work: {}",
            reply.status_line()
        ))
        .with(init.evidence())
        .with(reply.evidence())
    })
}

/// Minted ids are unguessable: no repeats, no counter or clock, enough entropy.
async fn id_entropy(cx: &Cx) -> Result<Outcome, WireError> {
    const SAMPLES: usize = 8;
    if !cx.stateful() {
        return Ok(Outcome::skip(STATELESS));
    }
    let mut ids: Vec<String> = cx.session().map(str::to_string).into_iter().collect();
    for _ in 0..SAMPLES {
        if let (Some(id), _) = cx.new_session().await? {
            ids.push(id);
        }
    }
    Ok(judge_entropy(&ids).with(format!("minted: {}", ids.join(", "))))
}

/// Judges session ids for repeats, counters, clocks and estimated entropy.
fn judge_entropy(ids: &[String]) -> Outcome {
    let distinct: std::collections::BTreeSet<&String> = ids.iter().collect();
    if distinct.len() < ids.len() {
        return Outcome::warn(format!(
            "{} of {} minted ids repeat: a repeated id joins another client's session",
            ids.len() - distinct.len(),
            ids.len()
        ));
    }
    if let Some(pattern) = counter_or_clock(ids) {
        return Outcome::warn(format!("ids follow a {pattern}: the next one can be guessed"));
    }
    let bits = estimated_bits(ids);
    if bits < 64.0 {
        Outcome::warn(format!(
            "about {bits:.0} bits of entropy (estimated from {} ids): under 64 bits is guessable",
            ids.len()
        ))
    } else {
        Outcome::pass(format!(
            "{} distinct ids, about {bits:.0} bits of entropy each (estimated)",
            ids.len()
        ))
    }
}

/// The digits that differ between ids, as numbers: a counter if they step by small amounts, a
/// clock if they read as Unix time in seconds, milliseconds or nanoseconds.
fn counter_or_clock(ids: &[String]) -> Option<&'static str> {
    let numbers: Vec<u128> = ids
        .iter()
        .map(|id| {
            let digits: String = id.chars().filter(char::is_ascii_digit).collect();
            digits
                .get(digits.len().saturating_sub(30)..)
                .unwrap_or("")
                .parse::<u128>()
                .ok()
        })
        .collect::<Option<_>>()?;
    let mut sorted = numbers.clone();
    sorted.sort();
    let steps_small = sorted.windows(2).all(|w| w[1] - w[0] <= 1_000);
    let only_digits_vary = ids.iter().all(|id| {
        let letters: String = id.chars().filter(|c| !c.is_ascii_digit()).collect();
        letters == ids[0].chars().filter(|c| !c.is_ascii_digit()).collect::<String>()
    });
    if only_digits_vary && steps_small {
        return Some("counter");
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as u128)
        .unwrap_or(0);
    let near = |n: u128, scale: u128| n / scale > now.saturating_sub(86_400 * 365) && n / scale < now + 86_400;
    let clock = numbers
        .iter()
        .all(|&n| near(n, 1) || near(n, 1_000) || near(n, 1_000_000_000));
    (only_digits_vary && clock).then_some("clock")
}

/// Entropy estimate: the positions that vary across ids times the bits per character of the
/// alphabet seen there (hex 4, decimal 3.3, alphanumeric 5.95, base64 6).
fn estimated_bits(ids: &[String]) -> f64 {
    let chars: Vec<Vec<char>> = ids.iter().map(|id| id.chars().collect()).collect();
    let length = chars.iter().map(Vec::len).min().unwrap_or(0);
    let varying: Vec<usize> = (0..length)
        .filter(|&i| chars.iter().any(|c| c[i] != chars[0][i]))
        .collect();
    let seen: Vec<char> = varying.iter().flat_map(|&i| chars.iter().map(move |c| c[i])).collect();
    let per_char = if seen.iter().all(char::is_ascii_digit) {
        10f64.log2()
    } else if seen.iter().all(char::is_ascii_hexdigit) {
        4.0
    } else if seen.iter().all(char::is_ascii_alphanumeric) {
        62f64.log2()
    } else {
        6.0
    };
    varying.len() as f64 * per_char
}

/// DELETE ends a session (2xx) or is not offered (405). A stateful server's DELETE ends a
/// session of the check's own, never the run's.
async fn delete(cx: &Cx) -> Result<Outcome, WireError> {
    let reply = match cx.new_session().await?.0 {
        Some(session) => end_session(cx, &session).await?,
        None => Some(
            cx.send(cx.to_endpoint("DELETE").header("mcp-protocol-version", &cx.version()))
                .await?,
        ),
    };
    let Some(reply) = reply else {
        return Ok(Outcome::skip("the transport cannot send DELETE"));
    };
    Ok(match reply.status() {
        200..=299 => Outcome::pass(format!("DELETE answered {}", reply.status())),
        405 => Outcome::pass("405: no session to end"),
        status => Outcome::warn(format!("DELETE answered {status}; expected 2xx or 405")).with(reply.evidence()),
    })
}

/// A fresh runtime session id exactly `length` characters long.
fn runtime_session_id_of_length(length: usize) -> String {
    let random = new_runtime_session_id();
    random.chars().cycle().take(length).collect()
}

async fn runtime_id_length(cx: &Cx) -> Result<Outcome, WireError> {
    let mut seen = Vec::new();
    for length in [32, 33, 256, 257] {
        let id = runtime_session_id_of_length(length);
        let req = cx
            .cheap()
            .header(RUNTIME_SESSION_ID, &id)
            .on_purpose(&format!("a {length}-character runtime session id"));
        let invoked = cx.invoke(req, Credential::Configured).await?;
        let refused = matches!(&invoked, Invoked::Refused(r) if r.status == 400 && r.code == "ValidationException");
        let allowed = (33..=256).contains(&length);
        seen.push(format!("{length}: {}", invoked.summary()));
        if refused == allowed {
            let what = if allowed {
                "was refused"
            } else {
                "was not refused with 400 ValidationException"
            };
            return Ok(Outcome::fail(format!(
                "a {length}-character runtime session id {what} ({})",
                invoked.summary()
            ))
            .with(seen.join("; ")));
        }
    }
    Ok(Outcome::pass(seen.join("; ")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::Verdict;

    fn verdict(ids: &[&str]) -> Verdict {
        judge_entropy(&ids.iter().map(|s| s.to_string()).collect::<Vec<_>>()).verdict
    }

    #[test]
    fn entropy_of_session_ids() {
        let uuids = [
            "98722f93-d47e-479c-b388-eeed634924cd",
            "1c0b6a0e-55a4-4c39-9f0e-2f6f2b3c8a11",
            "e3b0c442-98fc-4c14-9afb-f4c8996fb924",
            "5d41402a-bc4b-4a76-b971-9d911017c592",
        ];
        assert_eq!(verdict(&uuids), Verdict::Pass);
        let hex = ["00112233445566778899aabbccddeeff", "f0e1d2c3b4a5968778695a4b3c2d1e0f"];
        assert_eq!(verdict(&hex), Verdict::Pass);
        assert_eq!(verdict(&["session-1", "session-2", "session-3"]), Verdict::Warn);
        assert_eq!(verdict(&["a1b2", "a1b2"]), Verdict::Warn);
        assert_eq!(verdict(&["sess-1764480000123", "sess-1764480000456"]), Verdict::Warn);
        assert_eq!(verdict(&["abcdef12", "abcdef9a"]), Verdict::Warn, "8 bits only");
    }
}
