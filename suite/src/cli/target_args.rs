//! Where the server under test runs, as flags shared by `check` and `bench` (nothing given: the
//! embedded reference server), and the value parsers every subcommand uses.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use crate::error::Error;
use crate::probe::CallPolicy;
use crate::targets::Target;
use crate::targets::container::{ContainerSpec, ImageSource};
use crate::wire::reqwest_transport::TlsTrust;

/// Where the server under test runs (shared by `check` and `bench`); nothing given: the embedded
/// reference server.
#[derive(Args, Debug)]
pub struct TargetArgs {
    /// URL of a running server's MCP endpoint, e.g. http://127.0.0.1:8000/mcp or https://….
    #[arg(long)]
    pub url: Option<String>,
    /// PEM file of a private CA (or self-signed certificate) to trust for an https:// URL.
    #[arg(long, value_name = "FILE")]
    pub cacert: Option<PathBuf>,
    /// Do not verify the https:// server's certificate (every report says so).
    #[arg(long)]
    pub insecure: bool,
    /// An AgentCore runtime ARN: every request goes through InvokeAgentRuntime (SigV4 with the
    /// default AWS credential chain, or --bearer-token-env).
    #[arg(long, value_name = "ARN", conflicts_with_all = ["url", "image", "build", "header"])]
    pub arn: Option<String>,
    /// The runtime's region (default: the ARN's).
    #[arg(long, requires = "arn")]
    pub region: Option<String>,
    /// The runtime endpoint to invoke.
    #[arg(long, default_value = "DEFAULT", requires = "arn")]
    pub qualifier: String,
    /// Invoke this endpoint instead of AWS's, e.g. the local emulator (`gateway`).
    #[arg(long, value_name = "URL", requires = "arn")]
    pub endpoint_url: Option<String>,
    /// The runtime session of the run (33 to 256 visible ASCII characters; default: a new one).
    #[arg(long, value_name = "ID", requires = "arn")]
    pub runtime_session_id: Option<String>,
    /// Mcp-Session-Id for requests that carry none (default: none; the platform adds one).
    #[arg(long, value_name = "ID", requires = "arn")]
    pub mcp_session_id: Option<String>,
    /// An OAuth runtime: the environment variable holding the bearer token (never printed).
    #[arg(long, value_name = "VAR", requires = "arn")]
    pub bearer_token_env: Option<String>,
    /// A locally built image (never pulled), run with port 8000 published.
    #[arg(long, value_name = "IMAGE[:TAG]", conflicts_with_all = ["url", "build"])]
    pub image: Option<String>,
    /// Build this directory's Dockerfile first, then check the image (like `agentcore launch --local`).
    #[arg(long, value_name = "DIR", conflicts_with = "url")]
    pub build: Option<PathBuf>,
    /// The Dockerfile for --build (default: DIR/Dockerfile).
    #[arg(long, value_name = "FILE", requires = "build")]
    pub dockerfile: Option<PathBuf>,
    /// Argument passed to the container after its entrypoint (repeatable), e.g. --image-arg=--json-response.
    #[arg(long = "image-arg", value_name = "ARG", allow_hyphen_values = true)]
    pub image_args: Vec<String>,
    /// Judge the image as the deploy artifact: anything but linux/arm64 fails image.arch.
    #[arg(long)]
    pub deploy: bool,
    /// How long a container may take to answer MCP (AgentCore allows 60 s).
    #[arg(long, default_value = "60s", value_parser = parse_duration)]
    pub startup_timeout: Duration,
    /// Start this many extra fresh containers first, for cold-start percentiles.
    #[arg(long, default_value_t = 0)]
    pub cold_starts: usize,
    /// Embedded target: answer with JSON instead of SSE.
    #[arg(long, conflicts_with_all = ["url", "image", "build", "arn"])]
    pub reference_json: bool,
    /// Embedded target: a stateful reference server (mints and requires session ids).
    #[arg(long, conflicts_with_all = ["url", "image", "build", "arn"])]
    pub reference_stateful: bool,
    /// Embedded target: start the reference server with this fault (repeatable; see `agentcore-mcp-reference --list-faults`).
    #[arg(long = "reference-fault", value_name = "NAME", conflicts_with_all = ["url", "image", "build", "arn"])]
    pub reference_faults: Vec<String>,
    /// Extra request header `Name: value` (repeatable); never printed with its value if secret.
    #[arg(long, value_name = "'K: V'")]
    pub header: Vec<String>,
    /// Wait up to this long for a target that starts in the background (GET /ping 200 or a
    /// JSON-RPC answer; through --arn, the first invocation). Off unless given; 60s is
    /// AgentCore's own start limit.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub wait: Option<Duration>,
    /// Timeout of every wait (connect, response, body).
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    pub timeout: Duration,
    /// Which tools checks may call: read-only (annotated readOnlyHint: true), all, or none.
    #[arg(long, value_enum, default_value = "read-only")]
    pub call_policy: CallPolicy,
    /// Call exactly this tool (repeatable), instead of what --call-policy allows.
    #[arg(long, value_name = "TOOL")]
    pub call: Vec<String>,
    /// The JSON object of arguments for each --call, in the same order (default `{}`).
    #[arg(long, value_name = "JSON", requires = "call")]
    pub args: Vec<String>,
}

impl TargetArgs {
    /// The target these flags name.
    pub fn target(&self) -> Result<Target, Error> {
        let container = |image: ImageSource| {
            Target::Container(ContainerSpec {
                image,
                args: self.image_args.clone(),
                startup_timeout: self.startup_timeout,
                cold_starts: self.cold_starts,
                deploy: self.deploy,
            })
        };
        let https_target = self.url.is_some() || self.endpoint_url.is_some();
        if (self.cacert.is_some() || self.insecure) && !https_target {
            return Err(Error::Usage(
                "--cacert and --insecure apply to --url or --endpoint-url".into(),
            ));
        }
        if self.arn.is_some() && self.bearer_token_env.is_none() && (self.cacert.is_some() || self.insecure) {
            // The AWS SDK's client trusts the platform's roots only; saying nothing would drop
            // the flag silently.
            return Err(Error::Usage(
                "--cacert and --insecure apply to --bearer-token-env runtimes; SigV4 calls go through the AWS SDK, which trusts the platform's root certificates".into(),
            ));
        }
        if let Some(arn) = &self.arn {
            return Ok(Target::Remote(Box::new(crate::targets::remote::RemoteTarget::new(
                &crate::targets::remote::RemoteFlags {
                    arn: arn.clone(),
                    region: self.region.clone(),
                    qualifier: self.qualifier.clone(),
                    endpoint_url: self.endpoint_url.clone(),
                    runtime_session_id: self.runtime_session_id.clone(),
                    mcp_session_id: self.mcp_session_id.clone(),
                    bearer_token_env: self.bearer_token_env.clone(),
                },
            )?)));
        }
        Ok(match (&self.url, &self.image, &self.build) {
            (Some(url), _, _) => {
                crate::targets::parse_url(url)?;
                Target::Url(url.clone())
            }
            (None, Some(image), _) => container(ImageSource::Local(image.clone())),
            (None, None, Some(dir)) => container(ImageSource::Build {
                dir: dir.clone(),
                dockerfile: self.dockerfile.clone(),
            }),
            (None, None, None) => {
                let faults = agentcore_mcp_reference::Faults::parse(self.reference_faults.iter().map(String::as_str))
                    .map_err(Error::Usage)?;
                Target::Embedded(agentcore_mcp_reference::Config {
                    json_response: self.reference_json,
                    stateful: self.reference_stateful,
                    faults,
                    ..Default::default()
                })
            }
        })
    }

    /// `--cacert` (read and checked now, so a bad file is a usage error) and `--insecure`.
    pub fn tls(&self) -> Result<TlsTrust, Error> {
        let ca_pem = match &self.cacert {
            None => None,
            Some(path) => {
                let pem = std::fs::read(path).map_err(|e| Error::Usage(format!("--cacert {}: {e}", path.display())))?;
                let certificates = reqwest::Certificate::from_pem_bundle(&pem)
                    .map_err(|e| Error::Usage(format!("--cacert {}: {e}", path.display())))?;
                if certificates.is_empty() {
                    return Err(Error::Usage(format!(
                        "--cacert {}: no PEM certificate in the file",
                        path.display()
                    )));
                }
                Some(pem)
            }
        };
        Ok(TlsTrust {
            ca_pem,
            insecure: self.insecure,
        })
    }

    pub fn headers(&self) -> Result<Vec<(String, String)>, Error> {
        self.header.iter().map(|h| parse_header(h)).collect()
    }

    pub fn calls(&self) -> Result<Vec<(String, serde_json::Value)>, Error> {
        parse_calls(&self.call, &self.args)
    }
}

/// `10s`, `500ms`, `2m`, `1.5s`, `8h`: above zero. Every duration flag is a wait or a budget, and a
/// zero one would turn every check into an error (or a pass that measured nothing).
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    if text.starts_with('-') {
        return Err(format!("`{text}` must be above zero"));
    }
    let (number, unit) = match text.find(|c: char| !(c.is_ascii_digit() || c == '.')) {
        Some(i) => text.split_at(i),
        None => (text, "s"),
    };
    let value: f64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a duration like 10s or 500ms"))?;
    let seconds = match unit {
        "ms" => value / 1000.0,
        "s" => value,
        "m" => value * 60.0,
        "h" => value * 3600.0,
        _ => return Err(format!("`{text}`: use ms, s, m or h")),
    };
    match Duration::try_from_secs_f64(seconds) {
        Ok(duration) if duration.is_zero() => Err(format!("`{text}` must be above zero")),
        Ok(duration) => Ok(duration),
        Err(_) => Err(format!("`{text}` is out of range")),
    }
}

fn parse_header(text: &str) -> Result<(String, String), Error> {
    let (name, value) = text
        .split_once(':')
        .ok_or_else(|| Error::Usage(format!("--header `{text}`: expected `Name: value`")))?;
    let name = name.trim();
    let valid = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
    if !valid {
        return Err(Error::Usage(format!("--header: `{name}` is not a valid header name")));
    }
    Ok((name.to_string(), value.trim().to_string()))
}

/// Pairs each `--call TOOL` with its `--args JSON` (in order; `{}` when none are given).
fn parse_calls(tools: &[String], arguments: &[String]) -> Result<Vec<(String, serde_json::Value)>, Error> {
    if !arguments.is_empty() && arguments.len() != tools.len() {
        return Err(Error::Usage(format!(
            "{} --call but {} --args: give one --args per --call, in the same order (or none)",
            tools.len(),
            arguments.len()
        )));
    }
    tools
        .iter()
        .enumerate()
        .map(|(i, tool)| {
            let text = arguments.get(i).map_or("{}", String::as_str);
            match serde_json::from_str::<serde_json::Value>(text) {
                Ok(value) if value.is_object() => Ok((tool.clone(), value)),
                _ => Err(Error::Usage(format!(
                    "--args for `{tool}`: `{text}` is not a JSON object"
                ))),
            }
        })
        .collect()
}

/// The `--wait` progress line on stderr, on a terminal only: how long so far and what the last
/// try saw. Cleared when the wait ends.
pub fn wait_progress(waited: Duration, last_seen: &str) {
    use std::io::IsTerminal;
    if std::io::stderr().is_terminal() {
        let seen: String = last_seen.chars().take(70).collect();
        eprint!(
            "\r\x1b[2Kwaiting for the target: {:.1} s ({seen})",
            waited.as_secs_f64()
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("3"), Ok(Duration::from_secs(3)));
        assert!(parse_duration("fast").is_err());
        assert_eq!(parse_duration("8h"), Ok(Duration::from_secs(28_800)));
        assert!(parse_duration("5d").is_err());
        for zero_or_less in ["0", "0s", "0ms", "0.0m", "-1s", "-0"] {
            let error = parse_duration(zero_or_less).unwrap_err();
            assert!(error.contains("above zero"), "{zero_or_less}: {error}");
        }
    }

    #[test]
    fn headers() {
        assert_eq!(
            parse_header("Authorization: Bearer x").unwrap(),
            ("Authorization".into(), "Bearer x".into())
        );
        assert!(parse_header("no colon").is_err());
        assert!(parse_header("bad name: x").is_err());
    }

    #[test]
    fn calls_pair_with_their_arguments() {
        let tools = ["add_numbers".to_string(), "greet_user".to_string()];
        let calls = parse_calls(&tools, &[r#"{"a":1,"b":2}"#.into(), r#"{"name":"x"}"#.into()]).unwrap();
        assert_eq!(calls[1], ("greet_user".into(), serde_json::json!({ "name": "x" })));
        assert_eq!(parse_calls(&tools, &[]).unwrap()[0].1, serde_json::json!({}));
        assert!(
            parse_calls(&tools, &["{}".into()]).is_err(),
            "one --args for two --call"
        );
        assert!(parse_calls(&tools[..1], &["[1]".into()]).is_err(), "not an object");
    }
}
