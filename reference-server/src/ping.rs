//! GET /ping: the AgentCore health contract. `Healthy` when idle, `HealthyBusy` while a slow
//! tool call runs; `time_of_last_update` moves only when the status changes, so the platform's
//! idle timeout can still fire.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::Fault;
use crate::Server;

pub(crate) struct Health {
    /// (slow calls in flight, unix seconds of the last status change)
    inner: Mutex<(usize, u64)>,
}

/// Keeps the server `HealthyBusy` until dropped.
pub(crate) struct BusyGuard(Arc<Server>);

impl Drop for BusyGuard {
    fn drop(&mut self) {
        self.0.health.change(-1);
    }
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

impl Health {
    pub fn new() -> Self {
        Health {
            inner: Mutex::new((0, unix_now())),
        }
    }

    pub fn busy(server: &Arc<Server>) -> BusyGuard {
        server.health.change(1);
        BusyGuard(server.clone())
    }

    fn change(&self, delta: isize) {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let was_busy = inner.0 > 0;
        inner.0 = inner.0.saturating_add_signed(delta);
        if was_busy != (inner.0 > 0) {
            inner.1 = unix_now();
        }
    }

    fn snapshot(&self) -> (bool, u64) {
        let inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        (inner.0 > 0, inner.1)
    }
}

pub(crate) async fn ping(State(server): State<Arc<Server>>) -> Response {
    if server.fault(Fault::NoPing) {
        return StatusCode::NOT_FOUND.into_response();
    }
    if server.fault(Fault::SlowPing) {
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    if server.fault(Fault::PingText) {
        return ([(header::CONTENT_TYPE, "text/plain")], "OK").into_response();
    }
    let (busy, mut changed_at) = server.health.snapshot();
    let mut status = if busy && !server.fault(Fault::PingNeverBusy) {
        "HealthyBusy"
    } else {
        "Healthy"
    };
    if server.fault(Fault::PingLowercaseStatus) {
        status = "healthy";
    }
    if server.fault(Fault::PingFutureTimestamp) {
        changed_at += 3600;
    }
    let body = json!({ "status": status, "time_of_last_update": changed_at }).to_string();
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}
