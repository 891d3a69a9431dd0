//! Targets: where the server under test runs. A target only yields an HTTP endpoint; it never
//! knows which checks run.

use crate::Error;
use crate::wire::http::Endpoint;

/// Where the server under test runs.
#[derive(Clone, Debug)]
pub enum Target {
    /// Any running server, e.g. `http://127.0.0.1:8000/mcp`.
    Url(String),
    /// The reference server, started in-process on an ephemeral loopback port.
    Embedded(agentcore_mcp_reference::Config),
}

/// A started target; dropping it stops what it started.
pub struct Running {
    pub endpoint: Endpoint,
    pub label: String,
    server: Option<tokio::task::JoinHandle<()>>,
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(server) = self.server.take() {
            server.abort();
        }
    }
}

impl Target {
    pub async fn start(&self) -> Result<Running, Error> {
        match self {
            Target::Url(url) => Ok(Running {
                endpoint: Endpoint::parse(url).map_err(Error::Usage)?,
                label: url.clone(),
                server: None,
            }),
            Target::Embedded(config) => {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                    .await
                    .map_err(|e| Error::Setup(format!("cannot start the embedded reference server: {e}")))?;
                let port = listener
                    .local_addr()
                    .map_err(|e| Error::Setup(format!("cannot start the embedded reference server: {e}")))?
                    .port();
                let server_config = config.clone();
                let server = tokio::spawn(async move {
                    let _ = agentcore_mcp_reference::serve(listener, server_config).await;
                });
                let faults: Vec<_> = config.faults.names().collect();
                let label = if faults.is_empty() {
                    "embedded reference server".to_string()
                } else {
                    format!("embedded reference server (faults: {})", faults.join(", "))
                };
                Ok(Running {
                    endpoint: Endpoint {
                        host: "127.0.0.1".into(),
                        port,
                        path: "/mcp".into(),
                    },
                    label,
                    server: Some(server),
                })
            }
        }
    }
}
