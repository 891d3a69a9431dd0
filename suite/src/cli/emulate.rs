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
    #[arg(long, value_name = "TOKEN")]
    pub bearer_token: Option<String>,
    /// Stop a runtime session (and its container) after this long without requests.
    #[arg(long, default_value = "15m", value_parser = parse_duration)]
    pub idle_timeout: Duration,
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
            (None, Some(token)) if !token.is_empty() => EmulatorAuth::Bearer(token.clone()),
            (None, Some(_)) => return Err(Error::Usage("--bearer-token must not be empty".into())),
            (None, None) => EmulatorAuth::Open,
        };
        Ok(EmulatorConfig {
            listen: self.listen,
            upstream,
            auth,
            idle_timeout: self.idle_timeout,
        })
    }
}

/// Runs the emulator until Ctrl-C, then removes every container it started.
pub async fn run(config: EmulatorConfig) -> Result<(), Error> {
    let auth = match &config.auth {
        EmulatorAuth::Open => "no authentication: every caller is served".to_string(),
        EmulatorAuth::SigV4 { access_key, .. } => format!("SigV4 for access key {access_key}"),
        EmulatorAuth::Bearer(_) => "OAuth: a bearer token is required".to_string(),
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
    let _ = tokio::signal::ctrl_c().await;
    eprintln!("emulate: stopping; removing its containers");
    emulator.shutdown().await;
    Ok(())
}
