//! `emulate`: a local AgentCore data plane in front of a server, until Ctrl-C.

use std::time::Duration;

use clap::Args;

use super::target_args::parse_duration;
use crate::emulate::{Emulator, EmulatorAuth, EmulatorConfig, Upstream};
use crate::error::Error;
use crate::secrets::redact_query;
use crate::targets::container::{ContainerSpec, ImageSource};
use crate::targets::parse_url;

#[derive(Args, Debug)]
pub struct EmulateArgs {
    /// The MCP endpoint every runtime session is forwarded to, e.g. http://127.0.0.1:8000/mcp.
    #[arg(
        long,
        value_name = "URL",
        required_unless_present = "image",
        conflicts_with = "image"
    )]
    pub upstream: Option<String>,
    /// A locally built image: every runtime session gets a fresh container of its own.
    #[arg(long, value_name = "IMAGE[:TAG]")]
    pub image: Option<String>,
    /// Argument passed to each container after its entrypoint (repeatable).
    #[arg(
        long = "image-arg",
        value_name = "ARG",
        allow_hyphen_values = true,
        requires = "image"
    )]
    pub image_args: Vec<String>,
    /// Where to listen.
    #[arg(long, default_value = "127.0.0.1:8787")]
    pub listen: std::net::SocketAddr,
    /// Verify SigV4 signatures made with this key pair (`ACCESS_KEY_ID:SECRET`).
    #[arg(long, value_name = "ACCESS:SECRET", conflicts_with = "bearer_token")]
    pub credentials: Option<String>,
    /// Act as an OAuth runtime: require `Authorization: Bearer TOKEN`.
    #[arg(long, value_name = "TOKEN", requires = "authorization_server")]
    pub bearer_token: Option<String>,
    /// The authorization server an OAuth runtime's protected-resource metadata names (RFC 9728;
    /// MCP clients discover it from the 401).
    #[arg(long, value_name = "URL", requires = "bearer_token")]
    pub authorization_server: Option<String>,
    /// End a runtime session (and its container) after this long without requests (AgentCore's
    /// idleRuntimeSessionTimeout: 60 s to 8 h, default 15 min).
    #[arg(long, default_value = "15m", value_parser = parse_session_limit)]
    pub idle_timeout: Duration,
    /// End a runtime session this long after it began, however busy (AgentCore's maxLifetime:
    /// 60 s to 8 h, default 8 h).
    #[arg(long, default_value = "8h", value_parser = parse_session_limit)]
    pub max_lifetime: Duration,
    /// InvokeAgentRuntime calls a second each runtime endpoint takes before 429
    /// ThrottlingException (AgentCore's default quota: 25).
    #[arg(long, default_value = "25", value_name = "R/s", value_parser = super::bench::parse_rate)]
    pub invocations_per_second: f64,
}

impl EmulateArgs {
    pub fn config(&self) -> Result<EmulatorConfig, Error> {
        let upstream = match (&self.upstream, &self.image) {
            (Some(url), _) => Upstream::Url(parse_url(url)?),
            (None, Some(image)) => Upstream::Image(ContainerSpec {
                image: ImageSource::Local(image.clone()),
                args: self.image_args.clone(),
                startup_timeout: Duration::from_secs(60),
                cold_starts: 0,
                deploy: false,
            }),
            (None, None) => return Err(Error::Usage("emulate needs --upstream URL or --image IMAGE".into())),
        };
        let auth = match (&self.credentials, &self.bearer_token) {
            (Some(pair), _) => match pair.split_once(':') {
                Some((access_key, secret)) if !access_key.is_empty() && !secret.is_empty() => EmulatorAuth::SigV4 {
                    access_key: access_key.to_string(),
                    secret: secret.to_string(),
                },
                _ => return Err(Error::Usage("--credentials: expected ACCESS_KEY_ID:SECRET".into())),
            },
            (None, Some(token)) if !token.is_empty() => EmulatorAuth::Bearer {
                token: token.clone(),
                authorization_server: match &self.authorization_server {
                    Some(url) => {
                        Some(parse_url(url).map_err(|e| Error::Usage(format!("--authorization-server: {e}")))?)
                    }
                    None => None,
                },
            },
            (None, Some(_)) => return Err(Error::Usage("--bearer-token must not be empty".into())),
            (None, None) => EmulatorAuth::Open,
        };
        Ok(EmulatorConfig {
            listen: self.listen,
            upstream,
            auth,
            idle_timeout: self.idle_timeout,
            max_lifetime: self.max_lifetime,
            invocations_per_second: self.invocations_per_second,
        })
    }
}

/// A session limit as AgentCore takes it: 60 s to 28,800 s (8 h).
fn parse_session_limit(text: &str) -> Result<Duration, String> {
    let limit = parse_duration(text)?;
    if !(60..=28_800).contains(&limit.as_secs()) || (limit.as_secs() == 28_800 && limit.subsec_nanos() > 0) {
        return Err(format!("`{text}`: AgentCore allows 60 s to 8 h (28800 s)"));
    }
    Ok(limit)
}

/// Runs the emulator until Ctrl-C, then removes every container it started.
pub async fn run(config: EmulatorConfig) -> Result<(), Error> {
    let auth = match &config.auth {
        EmulatorAuth::Open => "no authentication: every caller is served".to_string(),
        EmulatorAuth::SigV4 { access_key, .. } => format!("SigV4 for access key {access_key}"),
        EmulatorAuth::Bearer { .. } => "OAuth: a bearer token is required".to_string(),
    };
    let upstream = match &config.upstream {
        Upstream::Url(url) => format!("forwarding to {}", redact_query(url.as_str())),
        Upstream::Image(spec) => format!("a fresh container of {} per runtime session", spec.image),
    };
    let emulator = Emulator::start(config).await?;
    eprintln!(
        "emulate: AgentCore data plane on {} ({auth}; {upstream}); Ctrl-C stops it",
        emulator.endpoint_url()
    );
    super::interrupted().await;
    eprintln!("emulate: stopping; removing its containers");
    emulator.shutdown().await;
    Ok(())
}
