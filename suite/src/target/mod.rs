//! Targets: where the server under test runs. A target yields an HTTP endpoint (and, for a
//! container, what it observed while starting it); it never knows which checks run.

pub mod container;

use std::sync::Arc;
use std::time::Duration;

use crate::Error;
use crate::wire::http::Endpoint;
use container::{Container, ContainerSpec};

/// Where the server under test runs.
#[derive(Clone, Debug)]
pub enum Target {
    /// Any running server, e.g. `http://127.0.0.1:8000/mcp`.
    Url(String),
    /// The reference server, started in-process on an ephemeral loopback port.
    Embedded(agentcore_mcp_reference::Config),
    /// A locally built image, run with port 8000 published.
    Container(ContainerSpec),
}

/// A started target; dropping it stops what it started.
pub struct Running {
    pub endpoint: Endpoint,
    /// The container under test, for the image checks.
    pub container: Option<Arc<Container>>,
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
    /// Starts the target; `timeout` bounds each request made while waiting for it.
    pub async fn start(&self, timeout: Duration) -> Result<Running, Error> {
        match self {
            Target::Url(url) => Ok(Running {
                endpoint: Endpoint::parse(url).map_err(Error::Usage)?,
                container: None,
                server: None,
            }),
            Target::Container(spec) => {
                let container = spec.start(timeout).await?;
                Ok(Running {
                    endpoint: container.endpoint.clone(),
                    container: Some(Arc::new(container)),
                    server: None,
                })
            }
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
                Ok(Running {
                    endpoint: Endpoint {
                        host: "127.0.0.1".into(),
                        port,
                        path: "/mcp".into(),
                    },
                    container: None,
                    server: Some(server),
                })
            }
        }
    }
}
