//! Targets: where the server under test runs. Starting one yields a transport (how requests reach
//! the server) and plain-data facts (the MCP path, a label, what a container start showed); the
//! target never knows which checks run, and checks never hold a target handle.

pub mod container;
pub mod remote;

use std::sync::Arc;
use std::time::Duration;

use crate::Error;
use crate::secrets::redact_query;
use crate::wire::agentcore::AgentCore;
use crate::wire::plain::PlainHttp;
use crate::wire::tls::{ReqwestHttp, TlsOptions};
use crate::wire::transport::Transport;
use container::{Container, ContainerFacts, ContainerSpec};

/// Where the server under test runs.
#[derive(Clone, Debug)]
pub enum Target {
    /// Any running server, e.g. `http://127.0.0.1:8000/mcp` or `https://…`.
    Url(String),
    /// The reference server, started in-process on an ephemeral loopback port.
    Embedded(agentcore_mcp_reference::Config),
    /// A locally built image, run with port 8000 published.
    Container(ContainerSpec),
    /// A runtime on AgentCore (or an emulator of it), reached through InvokeAgentRuntime.
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

/// What checks may know about the target: data, no handles.
#[derive(Clone, Debug)]
pub struct TargetFacts {
    /// What the report calls the target (secrets redacted).
    pub label: String,
    /// Path (and query) of the MCP endpoint: `/mcp`.
    pub mcp_path: String,
    /// The endpoint's full URL, for clients of its own (`bench`); may hold secrets in its query,
    /// so it is never printed: `label` is.
    pub endpoint: Option<url::Url>,
    /// What starting the container showed, for a container target.
    pub container: Option<ContainerFacts>,
    /// Things every report must say about how the target was reached (e.g. `--insecure`).
    pub notes: Vec<String>,
    /// For a remote runtime: the InvokeAgentRuntime caller, for checks that vary credentials or
    /// runtime sessions.
    pub remote: Option<Arc<AgentCore>>,
}

/// A started target; dropping it stops what it started.
pub struct Running {
    pub transport: Arc<dyn Transport>,
    pub facts: TargetFacts,
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
                remote: None,
            },
            container: None,
            server: None,
        }
    }

    /// Sends SIGTERM to a container target and says how long it took to stop (`None` for others).
    pub async fn sigterm(&self) -> Option<Result<Duration, String>> {
        Some(self.container.as_ref()?.sigterm().await)
    }

    /// Stops and removes what the target started.
    pub async fn stop(mut self) {
        if let Some(container) = self.container.take() {
            container.remove().await;
        }
    }
}

impl Target {
    /// Starts the target; `timeout` bounds each request made while waiting for it.
    pub async fn start(&self, timeout: Duration, tls: &TlsOptions) -> Result<Running, Error> {
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
            Target::Remote(remote) => {
                let agentcore = Arc::new(remote.connect(timeout, tls).await?);
                let mut running = Running::new(agentcore.clone(), remote.label(), remote::MCP_PATH);
                running.facts.notes.push(format!(
                    "reached through {} at {}, runtime session {}",
                    agentcore.name(),
                    agentcore.spec().endpoint(),
                    agentcore.spec().runtime_session_id
                ));
                running.facts.remote = Some(agentcore);
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
fn url_transport(url: &url::Url, tls: &TlsOptions) -> Result<(Arc<dyn Transport>, bool), Error> {
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
    let transport = ReqwestHttp::new(origin, tls, proxied).map_err(Error::Usage)?;
    Ok((Arc::new(transport), false))
}

/// Whether requests to `url` go through a proxy from the environment (never for loopback).
pub fn proxied(url: &url::Url) -> bool {
    !is_loopback(url) && proxy_applies(url)
}

fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(name)) => name == "localhost" || name.ends_with(".localhost"),
        None => false,
    }
}

/// Whether HTTP(S)_PROXY / ALL_PROXY, minus NO_PROXY, send requests for `url` through a proxy.
fn proxy_applies(url: &url::Url) -> bool {
    let Ok(uri) = url.as_str().parse::<hyper::Uri>() else {
        return false;
    };
    hyper_util::client::proxy::matcher::Matcher::from_env()
        .intercept(&uri)
        .is_some()
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
        assert!(is_loopback(&parse_url("http://127.0.0.2/").unwrap()));
        assert!(is_loopback(&parse_url("http://[::1]/").unwrap()));
        assert!(!is_loopback(&parse_url("https://example.com/").unwrap()));
    }
}
