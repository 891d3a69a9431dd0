//! Runtime sessions: each one's upstream (the shared URL, or with `--image` a fresh container of
//! its own, as a microVM per session), started once on first use, and ended as AgentCore ends
//! them: idle longer than `idleRuntimeSessionTimeout`, older than `maxLifetime`, on
//! StopRuntimeSession, or at shutdown. A request naming an ended session gets a fresh upstream,
//! so a stateful server's old `Mcp-Session-Id` is unknown there.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::json;

use super::errors::aws_error;
use super::{Gate, Upstream};
use crate::targets::container::{Container, ContainerSpec};
use crate::wire::agentcore::contract::RUNTIME_SESSION_ID;

/// One runtime session: its upstream (started once, on first use), when it began and when it
/// was last used.
pub(super) struct Session {
    pub(super) instance: tokio::sync::OnceCell<Result<Arc<Instance>, String>>,
    started: Instant,
    last_used: Mutex<Instant>,
}

impl Session {
    fn ended(&self, gate: &Gate) -> bool {
        let idle = self.last_used.lock().unwrap_or_else(|e| e.into_inner()).elapsed();
        idle > gate.config.idle_timeout || self.started.elapsed() > gate.config.max_lifetime
    }
}

/// What serves one session: the MCP endpoint, and the container behind it, if any.
pub(super) struct Instance {
    pub(super) mcp_url: url::Url,
    container: Option<Container>,
}

impl Instance {
    pub(super) async fn stop(&self) {
        if let Some(container) = &self.container {
            container.remove().await;
        }
    }
}

impl Drop for Instance {
    /// An instance dropped without `stop` (an emulator dropped without `shutdown`, say by a
    /// panic) still removes its container, on a thread and runtime of its own: the container
    /// handle's own drop blocks on the runtime it was made in, which hangs when that runtime is
    /// the one shutting down.
    fn drop(&mut self) {
        let Some(container) = self.container.take() else { return };
        let _ = std::thread::Builder::new()
            .name("emulate-cleanup".into())
            .spawn(move || {
                if let Ok(runtime) = tokio::runtime::Builder::new_current_thread().enable_all().build() {
                    runtime.block_on(container.remove());
                }
            });
    }
}

/// Ends sessions idle too long or past their lifetime, every second or so.
pub(super) async fn reap_ended(gate: Arc<Gate>) {
    let shortest = gate.config.idle_timeout.min(gate.config.max_lifetime);
    let tick = (shortest / 4).clamp(Duration::from_millis(50), Duration::from_secs(1));
    loop {
        tokio::select! {
            _ = tokio::time::sleep(tick) => {}
            _ = gate.stopping.notified() => return,
        }
        let ended: Vec<Arc<Session>> = {
            let mut sessions = gate.sessions.lock().unwrap_or_else(|e| e.into_inner());
            let stale: Vec<String> = sessions
                .iter()
                .filter(|(_, s)| s.ended(&gate))
                .map(|(id, _)| id.clone())
                .collect();
            stale.iter().filter_map(|id| sessions.remove(id)).collect()
        };
        for session in ended {
            stop(&session).await;
        }
    }
}

async fn stop(session: &Session) {
    if let Some(Ok(instance)) = session.instance.get() {
        instance.stop().await;
    }
}

/// The session's upstream, started on first use (once, however many requests race for it).
pub(super) async fn session_instance(gate: &Gate, session_id: &str) -> Result<Arc<Instance>, String> {
    let (session, ended) = {
        let mut sessions = gate.sessions.lock().unwrap_or_else(|e| e.into_inner());
        // A session that ended since the reaper last looked is gone all the same.
        let ended = match sessions.get(session_id) {
            Some(existing) if existing.ended(gate) => sessions.remove(session_id),
            _ => None,
        };
        let session = sessions
            .entry(session_id.to_string())
            .or_insert_with(|| {
                Arc::new(Session {
                    instance: tokio::sync::OnceCell::new(),
                    started: Instant::now(),
                    last_used: Mutex::new(Instant::now()),
                })
            })
            .clone();
        (session, ended)
    };
    if let Some(ended) = ended {
        stop(&ended).await;
    }
    *session.last_used.lock().unwrap_or_else(|e| e.into_inner()) = Instant::now();
    session
        .instance
        .get_or_init(|| async {
            match &gate.config.upstream {
                Upstream::Url(url) => Ok(Arc::new(Instance {
                    mcp_url: url.clone(),
                    container: None,
                })),
                Upstream::Image(spec) => start_container(spec).await.map(Arc::new),
            }
        })
        .await
        .clone()
}

async fn start_container(spec: &ContainerSpec) -> Result<Instance, String> {
    let container = spec.start(Duration::from_secs(10)).await.map_err(|e| e.to_string())?;
    if let Err(why) = &container.facts.ready {
        let why = why.clone();
        container.remove().await;
        return Err(why);
    }
    let mcp_url =
        url::Url::parse(&format!("http://127.0.0.1:{}/mcp", container.facts.port)).map_err(|e| e.to_string())?;
    Ok(Instance {
        mcp_url,
        container: Some(container),
    })
}

pub(super) async fn stop_session(gate: &Gate, session_id: &str) -> Response {
    let session = gate
        .sessions
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .remove(session_id);
    let Some(session) = session else {
        return aws_error(
            StatusCode::NOT_FOUND,
            "ResourceNotFoundException",
            &format!("No runtime session {session_id}"),
            json!({}),
        );
    };
    if let Some(Ok(instance)) = session.instance.get() {
        instance.stop().await;
    }
    Response::builder()
        .status(StatusCode::OK)
        .header("content-type", "application/json")
        .header(RUNTIME_SESSION_ID, session_id)
        .body(Body::from(
            json!({ "runtimeSessionId": session_id, "statusCode": 200 }).to_string(),
        ))
        .unwrap_or_default()
}
