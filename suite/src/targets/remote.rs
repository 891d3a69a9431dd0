//! A runtime on AgentCore (`--arn`), or on the local emulator (`--arn … --endpoint-url`): every
//! MCP request is one InvokeAgentRuntime call. Before any check runs, one JSON-RPC ping proves
//! the path works; a platform refusal there (no IAM permission, wrong ARN, missing credentials)
//! stops the run with one line naming the cause and the fix.

use std::time::Duration;

use crate::error::Error;
use crate::wire::agentcore::contract::{
    RUNTIME_SESSION_ID, RuntimeArn, check_runtime_session_id, new_runtime_session_id,
};
use crate::wire::agentcore::{AgentCoreTransport, Auth, CHECK_CALLS_PER_SECOND, RuntimeSpec};
use crate::wire::platform::Answer;
use crate::wire::reqwest_transport::TlsTrust;
use crate::wire::transport::{Heard, HttpRequest, Limits};

/// The path the platform POSTs to in the container; through the API a client names no path.
pub const MCP_PATH: &str = "/mcp";

/// The `--arn` flags as given.
#[derive(Clone, Debug, Default)]
pub struct RemoteFlags {
    pub arn: String,
    pub region: Option<String>,
    pub qualifier: String,
    pub endpoint_url: Option<String>,
    pub runtime_session_id: Option<String>,
    pub mcp_session_id: Option<String>,
    pub bearer_token_env: Option<String>,
}

/// What `--arn` and its companion flags asked for (validated; secrets not yet read).
#[derive(Clone, Debug)]
pub struct RemoteTarget {
    /// The runtime; its `auth` is SigV4 with the default AWS credential chain unless a library
    /// caller sets keys (tests do).
    pub spec: RuntimeSpec,
    /// The environment variable holding an OAuth bearer token (`--bearer-token-env`); read at
    /// start (replacing `spec.auth`), never printed.
    pub bearer_token_env: Option<String>,
}

impl RemoteTarget {
    /// Validates the flags: a malformed ARN, region or session id is a usage error, before
    /// anything is sent.
    pub fn new(flags: &RemoteFlags) -> Result<RemoteTarget, Error> {
        let arn = RuntimeArn::parse(&flags.arn).map_err(|e| Error::Usage(format!("--arn: {e}")))?;
        let region = flags.region.clone().unwrap_or_else(|| arn.region.clone());
        if region.is_empty() || !region.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
            return Err(Error::Usage(format!("--region `{region}` is not an AWS region")));
        }
        if flags.qualifier.is_empty() {
            return Err(Error::Usage("--qualifier must not be empty".into()));
        }
        let endpoint_url = match &flags.endpoint_url {
            None => None,
            Some(text) => {
                Some(crate::targets::parse_url(text).map_err(|e| Error::Usage(format!("--endpoint-url: {e}")))?)
            }
        };
        if let Some(id) = &flags.mcp_session_id
            && (id.is_empty() || id.len() > 1024 || !id.bytes().all(|b| b.is_ascii_graphic()))
        {
            return Err(Error::Usage(
                "--mcp-session-id: 1 to 1024 visible ASCII characters".into(),
            ));
        }
        let runtime_session_id = match &flags.runtime_session_id {
            Some(id) => {
                check_runtime_session_id(id).map_err(|e| Error::Usage(format!("--runtime-session-id: {e}")))?;
                id.to_string()
            }
            None => new_runtime_session_id(),
        };
        Ok(RemoteTarget {
            spec: RuntimeSpec {
                arn,
                region,
                qualifier: flags.qualifier.clone(),
                endpoint_url,
                runtime_session_id,
                mcp_session_id: flags.mcp_session_id.clone(),
                auth: Auth::SigV4(None),
                calls_per_second: CHECK_CALLS_PER_SECOND,
            },
            bearer_token_env: flags.bearer_token_env.clone(),
        })
    }

    pub fn label(&self) -> String {
        format!(
            "AgentCore runtime {} (qualifier {})",
            self.spec.arn.text, self.spec.qualifier
        )
    }

    /// Builds the caller and proves the path with one ping.
    pub async fn connect(&self, timeout: Duration, tls: &TlsTrust) -> Result<AgentCoreTransport, Error> {
        let mut spec = self.spec.clone();
        if let Some(var) = &self.bearer_token_env {
            spec.auth = match std::env::var(var) {
                Ok(token) if !token.trim().is_empty() => Auth::Bearer(token.trim().to_string()),
                _ => {
                    return Err(Error::Usage(format!(
                        "--bearer-token-env {var}: the variable is not set or empty"
                    )));
                }
            };
        }
        let agentcore = AgentCoreTransport::new(spec, tls).await.map_err(Error::Setup)?;
        let ping = HttpRequest {
            method: "POST".into(),
            path: MCP_PATH.into(),
            headers: vec![
                ("content-type".into(), "application/json".into()),
                ("accept".into(), "application/json, text/event-stream".into()),
                (RUNTIME_SESSION_ID.into(), self.spec.runtime_session_id.clone()),
            ],
            body: br#"{"jsonrpc":"2.0","id":0,"method":"ping"}"#.to_vec(),
        };
        let limits = Limits::probe(timeout);
        let cannot = |why: String| Error::Setup(format!("cannot invoke {}: {why}", self.spec.arn.text));
        match agentcore
            .call_retrying_throttled(&ping, limits, &mut |_| Heard::Answer)
            .await
            .map_err(|e| cannot(e.to_string()))?
        {
            Answer::Served(_) => Ok(agentcore),
            Answer::Refused(refusal) => Err(cannot(refusal.explain(agentcore.spec().auth.kind()))),
        }
    }
}
