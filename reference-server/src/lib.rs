//! The reference MCP server: ground truth for the AgentCore MCP contract.
//!
//! `router(config)` serves GET /ping (the AgentCore health contract) and POST /mcp (streamable
//! HTTP, stateless unless `stateful`, both protocol eras). Read it in this order: `http` (transport rules shared by
//! both eras), `legacy` (initialize-handshake era), `modern` (2026-07-28 envelope), `reply` (error
//! codes, refusals, Accept negotiation), `session` (`--stateful`), `tools` (what the server offers), `sse`, `ping`, `faults`.

pub mod faults;
mod http;
mod legacy;
mod modern;
mod ping;
mod reply;
mod session;
mod sse;
mod tools;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::routing::{any, get};

pub use faults::{DRIFT, FAULTS, Fault, Faults};

/// Protocol revisions served with the initialize handshake, oldest first.
pub const LEGACY_VERSIONS: &[&str] = &["2025-03-26", "2025-06-18", "2025-11-25"];
/// Protocol revisions served with the per-request `_meta` envelope.
pub const MODERN_VERSIONS: &[&str] = &["2026-07-28"];
pub const SERVER_NAME: &str = "agentcore-mcp-reference";
pub const SERVER_VERSION: &str = env!("CARGO_PKG_VERSION");

/// How the server behaves. `Config::default()` is the AgentCore contract with no faults.
#[derive(Clone, Debug)]
pub struct Config {
    /// Answer requests with `application/json` instead of an SSE stream.
    pub json_response: bool,
    pub faults: Faults,
    /// Request bodies above this many bytes get 413.
    pub max_body_bytes: usize,
    /// Extra allowed `Origin` values beyond http(s)://localhost and 127.0.0.1 on any port.
    pub allowed_origins: Vec<String>,
    /// Interval of SSE keep-alive comments while a request is running.
    pub keepalive: Duration,
    /// Mint and require session ids (legacy era), as the MCP SDKs do by default.
    pub stateful: bool,
    /// With `stateful`: a session unused this long is gone (404).
    pub session_idle_timeout: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            json_response: false,
            faults: Faults::default(),
            max_body_bytes: 4 * 1024 * 1024,
            allowed_origins: Vec::new(),
            keepalive: Duration::from_secs(15),
            stateful: false,
            session_idle_timeout: Duration::from_secs(30 * 60),
        }
    }
}

/// Shared state of one running server.
pub(crate) struct Server {
    pub config: Config,
    pub health: ping::Health,
    /// Live sessions; `None` for a stateless server.
    pub sessions: Option<session::Sessions>,
    /// What `list_notes` shows and the destructive `delete_notes` removes.
    pub notes: std::sync::Mutex<Vec<String>>,
    /// tools/list answers so far (the tools-list-unstable fault rotates by it).
    pub tools_listed: std::sync::atomic::AtomicUsize,
    /// Responses streaming now (the streams-capped fault refuses past a limit).
    pub streaming: std::sync::atomic::AtomicUsize,
}

impl Server {
    pub fn fault(&self, fault: Fault) -> bool {
        self.config.faults.has(fault)
    }
}

/// The whole server as an axum router: GET /ping and POST /mcp.
pub fn router(config: Config) -> Router {
    let mcp_path = if config.faults.has(Fault::McpPathMoved) {
        "/rpc"
    } else {
        "/mcp"
    };
    // A fault of a stateful rule needs a stateful server to break it on.
    let stateful = config.stateful || config.faults.imply_stateful();
    let server = Arc::new(Server {
        config,
        health: ping::Health::new(),
        sessions: stateful.then(session::Sessions::default),
        notes: std::sync::Mutex::new(vec!["a note that only delete_notes removes".to_string()]),
        tools_listed: std::sync::atomic::AtomicUsize::new(0),
        streaming: std::sync::atomic::AtomicUsize::new(0),
    });
    Router::new()
        .route("/ping", get(ping::ping))
        .route(mcp_path, any(http::mcp_endpoint))
        .with_state(server)
}

/// Serves `router(config)` on `listener` until the task is dropped or the process ends.
pub async fn serve(listener: tokio::net::TcpListener, config: Config) -> std::io::Result<()> {
    let listener = without_nagle(listener, &config);
    axum::serve(listener, router(config)).await
}

/// Turns Nagle's algorithm off on every accepted connection. With it on, the last small write of
/// each response waits for the client's delayed ACK: ~40 ms per request on a kept-alive
/// connection (what proxies and SDK clients use). The `nagle-stall` fault leaves it on.
pub fn without_nagle(
    listener: tokio::net::TcpListener,
    config: &Config,
) -> impl axum::serve::Listener<Io = tokio::net::TcpStream, Addr = std::net::SocketAddr> {
    use axum::serve::ListenerExt;
    let nodelay = !config.faults.has(Fault::NagleStall);
    listener.tap_io(move |tcp| {
        if nodelay {
            let _ = tcp.set_nodelay(true);
        }
    })
}

/// The import graph reader the suite's layer test uses, shared rather than written twice.
#[cfg(test)]
#[path = "../../suite/src/layers.rs"]
mod layers;

#[cfg(test)]
mod layer_order {
    /// Leaves first: a module may use only modules of a lower layer (and the crate root, which
    /// holds `Server` and `Config`).
    const LAYERS: &[(&str, u8)] = &[
        ("layers", 0),
        ("faults", 0),
        ("reply", 1),
        ("ping", 1),
        ("session", 2),
        ("sse", 3),
        ("tools", 4),
        ("legacy", 5),
        ("modern", 5),
        ("http", 6),
    ];

    #[test]
    fn imports_follow_the_layers_and_make_no_cycle() {
        super::layers::assert_layers(env!("CARGO_MANIFEST_DIR"), LAYERS);
    }
}
