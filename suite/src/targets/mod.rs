//! Targets: where the server under test runs. Starting one yields a transport (how requests reach
//! the server) and plain-data facts for the probe (the MCP path, a label, what a container start
//! showed); the target never knows which checks run, and checks never hold a target handle.

#[cfg(feature = "containers")]
pub mod container;
#[cfg(feature = "remote")]
pub mod remote;

use std::sync::Arc;
use std::time::Duration;

use crate::error::Error;
use crate::probe::TargetFacts;
use crate::secrets::redact_query;
use crate::wire::plain::PlainHttp;
use crate::wire::reqwest_transport::{ReqwestTransport, TlsTrust, proxied};
use crate::wire::transport::{Capability, Heard, HttpRequest, Limits, Transport};
#[cfg(feature = "containers")]
use container::{Container, ContainerSpec};

/// Where the server under test runs.
#[derive(Clone, Debug)]
pub enum Target {
    /// Any running server, e.g. `http://127.0.0.1:8000/mcp` or `https://…`.
    Url(String),
    /// The reference server, started in-process on an ephemeral loopback port.
    #[cfg(feature = "embedded")]
    Embedded(agentcore_mcp_reference::Config),
    /// A locally built image, run with port 8000 published.
    #[cfg(feature = "containers")]
    Container(ContainerSpec),
    /// A runtime on AgentCore (or an emulator of it), reached through InvokeAgentRuntime.
    #[cfg(feature = "remote")]
    Remote(Box<remote::RemoteTarget>),
    /// A transport of the caller's own, POSTing MCP to `mcp_path`.
    Custom(CustomTarget),
}

#[derive(Clone)]
pub struct CustomTarget {
    pub transport: Arc<dyn Transport>,
    pub mcp_path: String,
    pub label: String,
}

impl std::fmt::Debug for CustomTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.label, self.transport.name())
    }
}

/// A started target; dropping it stops what it started.
pub struct Running {
    pub transport: Arc<dyn Transport>,
    pub facts: TargetFacts,
    #[cfg(feature = "containers")]
    container: Option<Container>,
    server: Option<tokio::task::JoinHandle<()>>,
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(server) = self.server.take() {
            server.abort();
        }
    }
}

impl Running {
    fn new(transport: Arc<dyn Transport>, label: String, mcp_path: &str) -> Running {
        Running {
            transport,
            facts: TargetFacts {
                label,
                mcp_path: mcp_path.to_string(),
                endpoint: None,
                container: None,
                notes: Vec::new(),
            },
            #[cfg(feature = "containers")]
            container: None,
            server: None,
        }
    }

    /// Sends SIGTERM to a container target and says how long it took to stop (`None` for others).
    pub async fn sigterm(&self) -> Option<Result<Duration, String>> {
        #[cfg(feature = "containers")]
        if let Some(container) = &self.container {
            return Some(container.sigterm().await);
        }
        None
    }

    /// A container target's memory now, as `docker stats` shows it (`None` for other targets).
    pub async fn server_memory_bytes(&self) -> Option<u64> {
        #[cfg(feature = "containers")]
        if let Some(container) = &self.container {
            return container.memory_bytes().await;
        }
        None
    }

    /// Whether the server answers: GET /ping 200 (where the transport can ask), or any JSON-RPC
    /// answer to a POST ping. Else what came back, for the wait's last word.
    async fn answer_seen(&self, timeout: Duration) -> Result<(), String> {
        let limits = Limits::probe(timeout);
        if self.transport.observes().can(Capability::Ping)
            && let Ok(response) = self
                .transport
                .exchange(&HttpRequest::new("GET", "/ping"), limits, &mut |_| Heard::More)
                .await
            && response.status == 200
        {
            return Ok(());
        }
        let mut ping = HttpRequest::new("POST", &self.facts.mcp_path);
        ping.headers = vec![
            ("content-type".into(), "application/json".into()),
            ("accept".into(), "application/json, text/event-stream".into()),
        ];
        ping.body = br#"{"jsonrpc":"2.0","id":"agentcore-mcp-suite-wait","method":"ping"}"#.to_vec();
        let wait_id = serde_json::json!("agentcore-mcp-suite-wait");
        let answered = |body: &[u8]| {
            let events = crate::wire::sse::parse(body).events;
            crate::wire::jsonrpc::response_to(&crate::wire::jsonrpc::messages_in_json(body), &wait_id).is_some()
                || crate::wire::jsonrpc::events_answer(&events, &wait_id)
        };
        match self.transport.exchange(&ping, limits, &mut |_| Heard::More).await {
            Ok(response) if answered(&response.body) => Ok(()),
            Ok(response) => Err(format!(
                "POST {} answered HTTP {} without a JSON-RPC answer",
                self.facts.mcp_path, response.status
            )),
            Err(e) => Err(e.to_string()),
        }
    }

    /// Stops and removes what the target started.
    pub async fn stop(mut self) {
        #[cfg(feature = "containers")]
        if let Some(container) = self.container.take() {
            container.remove().await;
        }
        if let Some(server) = self.server.take() {
            server.abort();
        }
    }
}

/// How `Target::start_when_up` says where its wait is: called after each try with the time
/// waited so far and what the last try saw.
pub type WaitProgress<'a> = dyn Fn(Duration, &str) + Send + Sync + 'a;

impl Target {
    /// `bench --arn`: calls paced at `calls_per_second` (the endpoint's quota, not the slower
    /// pace of a check run). Other targets are unchanged.
    pub fn for_load(self, calls_per_second: f64) -> Target {
        match self {
            #[cfg(feature = "remote")]
            Target::Remote(mut remote) => {
                remote.spec.calls_per_second = calls_per_second;
                Target::Remote(remote)
            }
            other => {
                let _ = calls_per_second; // only a runtime is paced
                other
            }
        }
    }

    /// `start`, then waits up to `wait` for the server to come up (a target that starts in the
    /// background): GET /ping 200, or any JSON-RPC answer to a POST ping (a stateful server's 400
    /// refusal counts: the server is up); through `--arn`, the proof request. Tries again with a
    /// backoff from 50 ms to 1 s; if it never comes up, a setup error naming what was last seen.
    pub async fn start_when_up(
        &self,
        wait: Duration,
        timeout: Duration,
        tls: &TlsTrust,
        progress: &WaitProgress<'_>,
    ) -> Result<Running, Error> {
        #[cfg(feature = "containers")]
        if matches!(self, Target::Container(_)) {
            // A container's start already waits for it to answer (--startup-timeout); starting
            // it again would start another container.
            return self.start(timeout, tls).await;
        }
        let began = std::time::Instant::now();
        let mut pause = Duration::from_millis(50);
        loop {
            let last_seen = match self.start(timeout.min(wait), tls).await {
                Ok(running) => match running.answer_seen(timeout.min(Duration::from_secs(2))).await {
                    Ok(()) => return Ok(running),
                    Err(seen) => seen,
                },
                Err(Error::Setup(why)) => why,
                Err(other) => return Err(other),
            };
            let waited = began.elapsed();
            progress(waited, &last_seen);
            if waited + pause > wait {
                return Err(Error::Setup(format!(
                    "the target did not come up within --wait {:.1} s; last seen: {last_seen}",
                    wait.as_secs_f64()
                )));
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_secs(1));
        }
    }

    /// After Ctrl-C: removes every container this process started (the run was dropped, which
    /// removes its own; this makes sure), and says how many, for the interrupt message.
    pub async fn clean_up_after_interrupt(&self) -> String {
        #[cfg(feature = "containers")]
        if matches!(self, Target::Container(_)) {
            return container::remove_all_of_this_process().await;
        }
        String::new()
    }

    /// Starts the target; `timeout` bounds each request made while waiting for it.
    #[cfg_attr(
        not(any(feature = "containers", feature = "remote")),
        allow(unused_variables, reason = "only containers and runtimes wait while starting")
    )]
    pub async fn start(&self, timeout: Duration, tls: &TlsTrust) -> Result<Running, Error> {
        match self {
            Target::Url(text) => {
                let url = parse_url(text)?;
                let (transport, by_hand) = url_transport(&url, tls)?;
                let path = mcp_path(&url, text);
                let mut running = Running::new(transport.clone(), redact_query(text), &path);
                running.facts.endpoint = url.join(&path).ok();
                if !by_hand {
                    running.facts.notes.push(format!("reached over {}", transport.name()));
                }
                if tls.insecure {
                    running.facts.notes.push(
                        "TLS certificates were not verified (--insecure): the server's identity was not checked".into(),
                    );
                }
                Ok(running)
            }
            #[cfg(feature = "containers")]
            Target::Container(spec) => {
                let container = spec.start(timeout).await?;
                let transport = Arc::new(PlainHttp::new("127.0.0.1", container.facts.port));
                let label = format!(
                    "container of {} at http://127.0.0.1:{}/mcp",
                    container.facts.image.reference, container.facts.port
                );
                let mut running = Running::new(transport, label, "/mcp");
                running.facts.endpoint = loopback_endpoint(container.facts.port);
                running.facts.container = Some(container.facts.clone());
                running.container = Some(container);
                Ok(running)
            }
            #[cfg(feature = "embedded")]
            Target::Embedded(config) => {
                let setup =
                    |e: std::io::Error| Error::Setup(format!("cannot start the embedded reference server: {e}"));
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.map_err(setup)?;
                let port = listener.local_addr().map_err(setup)?.port();
                let server_config = config.clone();
                let server = tokio::spawn(async move {
                    let _ = agentcore_mcp_reference::serve(listener, server_config).await;
                });
                let faults: Vec<_> = config.faults.names().collect();
                let mode = if config.json_response { "JSON" } else { "SSE" };
                let stateful = if config.stateful { ", stateful" } else { "" };
                let mut label = format!("embedded reference server ({mode}{stateful}) at http://127.0.0.1:{port}/mcp");
                if !faults.is_empty() {
                    label.push_str(&format!(", faults: {}", faults.join(", ")));
                }
                let mut running = Running::new(Arc::new(PlainHttp::new("127.0.0.1", port)), label, "/mcp");
                running.facts.endpoint = loopback_endpoint(port);
                running.server = Some(server);
                Ok(running)
            }
            #[cfg(feature = "remote")]
            Target::Remote(remote) => {
                let agentcore = Arc::new(remote.connect(timeout, tls).await?);
                let mut running = Running::new(agentcore.clone(), remote.label(), remote::MCP_PATH);
                running.facts.notes.push(format!(
                    "reached through {} at {}, runtime session {}",
                    agentcore.name(),
                    agentcore.spec().endpoint(),
                    agentcore.spec().runtime_session_id
                ));
                Ok(running)
            }
            Target::Custom(custom) => Ok(Running::new(
                custom.transport.clone(),
                custom.label.clone(),
                &custom.mcp_path,
            )),
        }
    }
}

#[cfg(any(feature = "containers", feature = "embedded"))]
fn loopback_endpoint(port: u16) -> Option<url::Url> {
    url::Url::parse(&format!("http://127.0.0.1:{port}/mcp")).ok()
}

/// Parses an `http://` or `https://` URL, with a one-line error for anything else.
pub fn parse_url(text: &str) -> Result<url::Url, Error> {
    let url = url::Url::parse(text).map_err(|e| Error::Usage(format!("`{}` is not a URL: {e}", redact_query(text))))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(Error::Usage(format!(
            "`{}` is not an http:// or https:// URL",
            redact_query(text)
        )));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(Error::Usage(format!("`{}` has no host", redact_query(text))));
    }
    Ok(url)
}

/// The endpoint's path and query; a URL without a path means `/mcp`, AgentCore's endpoint.
fn mcp_path(url: &url::Url, text: &str) -> String {
    let written = text.split_once("://").map_or("", |(_, rest)| rest);
    let has_path = written.contains('/');
    let path = if url.path() == "/" && !has_path {
        "/mcp"
    } else {
        url.path()
    };
    match url.query() {
        Some(query) => format!("{path}?{query}"),
        None => path.to_string(),
    }
}

/// Plain HTTP is sent by hand (exact bytes; the `bool` says so); HTTPS, and plain HTTP that a
/// proxy from the environment applies to, go through reqwest. Loopback is never proxied.
fn url_transport(url: &url::Url, tls: &TlsTrust) -> Result<(Arc<dyn Transport>, bool), Error> {
    let https = url.scheme() == "https";
    if !https && (tls.insecure || tls.ca_pem.is_some()) {
        return Err(Error::Usage(
            "--cacert and --insecure apply to https:// URLs only".into(),
        ));
    }
    let proxied = proxied(url);
    if !https && !proxied {
        let host = url.host_str().unwrap_or_default();
        let port = url.port_or_known_default().unwrap_or(80);
        return Ok((Arc::new(PlainHttp::new(host, port)), true));
    }
    let mut origin = url.clone();
    origin.set_path("/");
    origin.set_query(None);
    origin.set_fragment(None);
    let transport = ReqwestTransport::new(origin, tls, proxied).map_err(Error::Usage)?;
    Ok((Arc::new(transport), false))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(text: &str) -> String {
        mcp_path(&parse_url(text).unwrap(), text)
    }

    #[test]
    fn parses_urls() {
        assert_eq!(path("http://127.0.0.1:8000/mcp"), "/mcp");
        assert_eq!(path("http://localhost"), "/mcp");
        assert_eq!(path("http://localhost/"), "/");
        assert_eq!(path("http://[::1]:9/x?token=1"), "/x?token=1");
        assert!(parse_url("ftp://x").is_err());
        assert!(parse_url("http://x:port").is_err());
        assert!(parse_url("not a url").is_err());
    }
}
