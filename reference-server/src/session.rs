//! `--stateful`: sessions as the MCP SDKs keep them by default and AgentCore routes them since
//! 2026-03. initialize mints a 128-bit random `Mcp-Session-Id`; every later legacy request must
//! carry it (400 without, 404 for an id never minted, ended by DELETE, or idle too long); SSE event
//! ids count up per session, so they are unique across all of its streams (2025-11-25 transports).

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::http::{HeaderMap, StatusCode};

use crate::reply::{Refusal, SESSION_ID, code, header};
use crate::{Fault, Server};

/// One live session.
struct Session {
    last_used: Instant,
    /// The next SSE event id of this session, shared by all its streams.
    event_ids: Arc<AtomicU64>,
}

#[derive(Default)]
pub(crate) struct Sessions {
    live: Mutex<HashMap<String, Session>>,
    /// Ids ended by DELETE or the idle timeout: served again only under a fault.
    ended: Mutex<HashSet<String>>,
    /// How many ids were minted: the `session-ids-sequential` fault hands this out.
    minted: AtomicU64,
}

/// Where a request's SSE event ids come from: its session's counter, or none (stateless).
pub(crate) type EventIds = Option<Arc<AtomicU64>>;

impl Sessions {
    /// Mints a session for an initialize; returns its id and event-id counter.
    pub fn mint(&self, server: &Server) -> (String, EventIds) {
        let count = self.minted.fetch_add(1, Ordering::Relaxed) + 1;
        let id = if server.fault(Fault::MintBadSessionId) {
            format!("bad id {count}")
        } else if server.fault(Fault::SessionIdsSequential) {
            format!("session-{count}")
        } else if let Some(reused) = self
            .lock_ended()
            .iter()
            .next()
            .filter(|_| server.fault(Fault::SessionIdReused))
        {
            // The bug: an ended id handed out again, still ended, so the new session is dead.
            return (reused.clone(), None);
        } else {
            random_id()
        };
        let event_ids = Arc::new(AtomicU64::new(1));
        let session = Session {
            last_used: Instant::now(),
            event_ids: event_ids.clone(),
        };
        let idle = server.config.session_idle_timeout;
        let mut live = self.lock_live();
        // Sessions idle past the timeout are gone; forgetting them here keeps memory bounded.
        let expired: Vec<String> = live
            .iter()
            .filter(|(_, s)| s.last_used.elapsed() > idle)
            .map(|(id, _)| id.clone())
            .collect();
        for expired_id in expired {
            live.remove(&expired_id);
            self.remember_ended(expired_id);
        }
        live.insert(id.clone(), session);
        if server.fault(Fault::InitializeEventIdsApart) {
            // The bug: the initialize response numbers its events on a counter of its own, so
            // its ids repeat those of the session's later streams.
            return (id, Some(Arc::new(AtomicU64::new(1))));
        }
        (id, Some(event_ids))
    }

    /// The session a non-initialize request belongs to, or the refusal to send: 400 without an
    /// id, 404 for an id that is unknown, ended, or idle past `idle`.
    pub fn resume(&self, server: &Server, headers: &HeaderMap, id: &serde_json::Value) -> Result<EventIds, Refusal> {
        let Some(session_id) = header(headers, SESSION_ID) else {
            let status = if server.fault(Fault::SessionMissing404) {
                StatusCode::NOT_FOUND
            } else {
                StatusCode::BAD_REQUEST
            };
            return Err(Refusal::new(
                status,
                code::INVALID_REQUEST,
                "Bad Request: Mcp-Session-Id header is required",
            )
            .id(id));
        };
        let not_found = || Refusal::new(StatusCode::NOT_FOUND, code::INVALID_REQUEST, "Session not found").id(id);
        let mut live = self.lock_live();
        let idle = server.config.session_idle_timeout;
        if let Some(session) = live.get(session_id)
            && session.last_used.elapsed() > idle
        {
            live.remove(session_id);
            self.remember_ended(session_id.to_string());
        }
        match live.get_mut(session_id) {
            Some(session) => {
                session.last_used = Instant::now();
                Ok(Some(if server.fault(Fault::SessionEventIdsRestart) {
                    Arc::new(AtomicU64::new(1))
                } else {
                    session.event_ids.clone()
                }))
            }
            None if server.fault(Fault::SessionEndedServed) && self.lock_ended().contains(session_id) => Ok(None),
            None if server.fault(Fault::SessionUnknownServed) && !self.lock_ended().contains(session_id) => Ok(None),
            None => Err(not_found()),
        }
    }

    /// DELETE: ends the session (200), or says why not (400 without an id, 404 if unknown).
    pub fn end(&self, headers: &HeaderMap) -> StatusCode {
        let Some(session_id) = header(headers, SESSION_ID) else {
            return StatusCode::BAD_REQUEST;
        };
        match self.lock_live().remove(session_id) {
            Some(_) => {
                self.remember_ended(session_id.to_string());
                StatusCode::OK
            }
            None => StatusCode::NOT_FOUND,
        }
    }

    /// At most 10,000 ended ids are remembered; older ones then answer like unknown ids (404).
    fn remember_ended(&self, id: String) {
        let mut ended = self.lock_ended();
        if ended.len() >= 10_000 {
            ended.clear();
        }
        ended.insert(id);
    }

    fn lock_live(&self) -> std::sync::MutexGuard<'_, HashMap<String, Session>> {
        self.live.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn lock_ended(&self) -> std::sync::MutexGuard<'_, HashSet<String>> {
        self.ended.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// 128 random bits from the operating system, as 32 hex digits (visible ASCII).
fn random_id() -> String {
    let mut bytes = [0u8; 16];
    // The OS random source failing leaves nothing sensible to do: a server must not mint guessable ids.
    getrandom::fill(&mut bytes).expect("the operating system's random source works");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
