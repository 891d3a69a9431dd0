//! The command line: clap parses raw arguments, `Plan::from_args` validates them into what the
//! rest of the code uses, and `main` turns the outcome into an exit code (0 pass, 1 a check failed
//! or errored, 2 usage or setup error).

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::probe::CallPolicy;
use crate::report::Format;
use crate::target::container::{ContainerSpec, ImageSource};
use crate::{Error, ExpectedFailures, Options, Profile, RunOptions, Target, TlsOptions};

#[derive(Parser, Debug)]
#[command(
    name = "agentcore-mcp-suite",
    version,
    about = "Conformance suite for MCP servers on Amazon Bedrock AgentCore Runtime"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Check a server (with no target: the embedded reference server).
    Check(Box<CheckArgs>),
    /// List the check catalog.
    List {
        #[arg(long, value_enum, default_value = "human")]
        format: ListFormat,
    },
    /// Explain one check: its rule, level, source and the reference-server fault that trips it.
    Explain { id: String },
    /// Load a server for latency and throughput; save the numbers and gate on a baseline.
    Bench(Box<BenchArgs>),
    /// Run a local emulator of the AgentCore data plane (InvokeAgentRuntime) in front of a server.
    Gateway(Box<GatewayArgs>),
}

#[derive(Args, Debug)]
pub struct GatewayArgs {
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

impl GatewayArgs {
    pub fn config(&self) -> Result<crate::gateway::GatewayConfig, Error> {
        use crate::gateway::{GatewayAuth, GatewayConfig, Upstream};
        let upstream = match (&self.upstream, &self.image) {
            (Some(url), _) => Upstream::Url(crate::target::parse_url(url)?),
            (None, Some(image)) => Upstream::Image(ContainerSpec {
                image: ImageSource::Local(image.clone()),
                args: self.image_args.clone(),
                startup_timeout: Duration::from_secs(60),
                cold_starts: 0,
                deploy: false,
            }),
            (None, None) => return Err(Error::Usage("gateway needs --upstream URL or --image IMAGE".into())),
        };
        let auth = match (&self.credentials, &self.bearer_token) {
            (Some(pair), _) => match pair.split_once(':') {
                Some((access_key, secret)) if !access_key.is_empty() && !secret.is_empty() => GatewayAuth::SigV4 {
                    access_key: access_key.to_string(),
                    secret: secret.to_string(),
                },
                _ => return Err(Error::Usage("--credentials: expected ACCESS_KEY_ID:SECRET".into())),
            },
            (None, Some(token)) if !token.is_empty() => GatewayAuth::Bearer(token.clone()),
            (None, Some(_)) => return Err(Error::Usage("--bearer-token must not be empty".into())),
            (None, None) => GatewayAuth::Open,
        };
        if self.idle_timeout.is_zero() {
            return Err(Error::Usage("--idle-timeout must be above zero".into()));
        }
        Ok(GatewayConfig {
            listen: self.listen,
            upstream,
            auth,
            idle_timeout: self.idle_timeout,
        })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum BenchFormat {
    Human,
    Json,
    Markdown,
}

#[derive(Args, Debug)]
pub struct BenchArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    /// Closed loop: this many requests in flight, each sent when the last is answered (default
    /// 8); with --rate, the most in flight.
    #[arg(long)]
    pub concurrency: Option<usize>,
    /// Open loop: offer this many requests a second on a fixed schedule (latency counted from
    /// each request's scheduled start).
    #[arg(long, value_name = "R/s", value_parser = parse_rate)]
    pub rate: Option<f64>,
    /// Stop after this long (10s, 1m); with --requests, whichever comes first.
    #[arg(long, value_parser = parse_duration)]
    pub duration: Option<Duration>,
    /// Stop after this many requests.
    #[arg(long)]
    pub requests: Option<u64>,
    /// Write the results as JSON (and a latency chart beside it, .svg).
    #[arg(long, value_name = "FILE")]
    pub save: Option<PathBuf>,
    /// Compare with a saved run; a metric worse by more than --tolerance exits 1.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// How much worse than the baseline a metric may get.
    #[arg(long, default_value = "10%", requires = "baseline")]
    pub tolerance: String,
    /// The requests sent in turn (comma-separated): tools/list, tools/call (default both).
    #[arg(long, value_enum, value_delimiter = ',', value_name = "METHOD")]
    pub mix: Vec<MixPart>,
    /// Format printed on stdout.
    #[arg(long, value_enum, default_value = "human")]
    pub format: BenchFormat,
    /// No progress line.
    #[arg(long)]
    pub quiet: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum MixPart {
    #[value(name = "tools/list")]
    ToolsList,
    #[value(name = "tools/call")]
    ToolsCall,
}

/// `500`, `500/s`: a positive number of requests a second.
fn parse_rate(text: &str) -> Result<f64, String> {
    let number = text.trim().trim_end_matches("/s");
    match number.parse::<f64>() {
        Ok(rate) if rate > 0.0 && rate.is_finite() => Ok(rate),
        _ => Err(format!("`{text}` is not a positive rate like 500/s")),
    }
}

/// A validated `bench` invocation.
pub struct BenchRun {
    pub plan: crate::bench::BenchPlan,
    pub save: Option<PathBuf>,
    pub baseline: Option<(crate::bench::BenchReport, f64)>,
    pub format: BenchFormat,
    pub progress: bool,
}

impl BenchRun {
    pub fn from_args(args: BenchArgs) -> Result<BenchRun, Error> {
        use crate::bench::{BenchPlan, BenchReport, Load, Mix, report::parse_tolerance};
        if args.duration.is_none() && args.requests.is_none() {
            return Err(Error::Usage(
                "bench needs a bound: --duration (e.g. 10s) and/or --requests N".into(),
            ));
        }
        if args.requests == Some(0) || args.duration.is_some_and(|d| d.is_zero()) || args.concurrency == Some(0) {
            return Err(Error::Usage(
                "--requests, --duration and --concurrency must be above zero".into(),
            ));
        }
        let load = match args.rate {
            Some(rate) => Load::Open {
                rate,
                concurrency: args.concurrency.unwrap_or(64),
            },
            None => Load::Closed {
                concurrency: args.concurrency.unwrap_or(8),
            },
        };
        let mix = if args.mix.is_empty() {
            Mix::default()
        } else {
            Mix {
                list: args.mix.contains(&MixPart::ToolsList),
                call: args.mix.contains(&MixPart::ToolsCall),
            }
        };
        if !mix.call && !args.target.call.is_empty() {
            return Err(Error::Usage("--call needs tools/call in --mix".into()));
        }
        let tolerance = parse_tolerance(&args.tolerance)?;
        let baseline = match &args.baseline {
            Some(path) => Some((BenchReport::load(path)?, tolerance)),
            None => None,
        };
        Ok(BenchRun {
            plan: BenchPlan {
                target: args.target.target()?,
                tls: args.target.tls()?,
                load,
                duration: args.duration,
                requests: args.requests,
                headers: args.target.headers()?,
                timeout: args.target.timeout,
                call_policy: args.target.call_policy,
                calls: args.target.calls()?,
                mix,
            },
            save: args.save,
            baseline,
            format: args.format,
            progress: !args.quiet,
        })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ListFormat {
    Human,
    Json,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ProfileArg {
    Agentcore,
    Mcp,
}

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

#[derive(Args, Debug)]
pub struct CheckArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    /// latency.cold-start warns when the first MCP answer takes longer.
    #[arg(long, default_value = "5s", value_parser = parse_duration)]
    pub cold_start_budget: Duration,
    /// image.size warns above this many megabytes (AgentCore's quota, 2 GB, fails).
    #[arg(long, default_value_t = 1000)]
    pub image_size_budget_mb: u64,
    /// agentcore: the AgentCore contract (default); mcp: the MCP specification alone.
    #[arg(long, value_enum, default_value = "agentcore")]
    pub profile: ProfileArg,
    /// Run only these checks (id or area prefix, repeatable).
    #[arg(long, value_name = "ID")]
    pub only: Vec<String>,
    /// Leave out these checks (id or area prefix, repeatable).
    #[arg(long, value_name = "ID")]
    pub skip: Vec<String>,
    /// Format printed on stdout.
    #[arg(long, value_enum, default_value = "human")]
    pub format: Format,
    /// Also write a report file: `[FORMAT=]FILE`; without FORMAT=, the extension decides
    /// (.json, .xml → junit, .md → markdown, .txt → human). Repeatable.
    #[arg(long, value_name = "[FORMAT=]FILE")]
    pub output: Vec<String>,
    /// YAML map of check ids (optionally id@era) to the reason they may fail.
    #[arg(long, value_name = "FILE")]
    pub expected_failures: Option<PathBuf>,
    /// Make ping.* checks fail instead of warn.
    #[arg(long)]
    pub require_ping: bool,
    /// Samples per latency check.
    #[arg(long, default_value_t = 20)]
    pub samples: usize,
    /// p99 budget of each latency check.
    #[arg(long, default_value = "500ms", value_parser = parse_duration)]
    pub latency_budget: Duration,
    /// Also run checks that take long on purpose (sse.keepalive).
    #[arg(long)]
    pub slow_checks: bool,
    /// Longest silence allowed on a stream during a long request.
    #[arg(long, default_value = "15s", value_parser = parse_duration)]
    pub keepalive_max_gap: Duration,
    /// Container targets: write the cold starts measured (see --cold-starts) as JSON, with a
    /// chart beside it (.svg).
    #[arg(long, value_name = "FILE")]
    pub save: Option<PathBuf>,
    /// Container targets: compare the cold starts with a file `check --save` or `bench --save`
    /// wrote; worse by more than --tolerance exits 1.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// How much slower than the baseline the cold-start p50 may get.
    #[arg(long, default_value = "10%", requires = "baseline")]
    pub tolerance: String,
    /// No progress bar.
    #[arg(long)]
    pub quiet: bool,
}

/// `10s`, `500ms`, `2m`, `1.5s`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
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
        _ => return Err(format!("`{text}`: use ms, s or m")),
    };
    Duration::try_from_secs_f64(seconds).map_err(|_| format!("`{text}` is out of range"))
}

/// An extra report file.
#[derive(Clone, Debug)]
pub struct OutputFile {
    pub format: Format,
    pub path: PathBuf,
}

fn parse_output(spec: &str) -> Result<OutputFile, Error> {
    let named = |name: &str| match name {
        "human" | "txt" => Some(Format::Human),
        "json" => Some(Format::Json),
        "junit" | "xml" => Some(Format::Junit),
        "markdown" | "md" => Some(Format::Markdown),
        _ => None,
    };
    if let Some((format, path)) = spec.split_once('=')
        && let Some(format) = named(format)
    {
        return Ok(OutputFile {
            format,
            path: path.into(),
        });
    }
    let path = PathBuf::from(spec);
    let format = path
        .extension()
        .and_then(|e| e.to_str())
        .and_then(named)
        .ok_or_else(|| Error::Usage(format!("--output {spec}: say the format, e.g. junit={spec}")))?;
    Ok(OutputFile { format, path })
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

/// A validated `check` invocation.
pub struct Plan {
    pub target: Target,
    pub options: RunOptions,
    pub format: Format,
    pub outputs: Vec<OutputFile>,
    /// Draw a progress bar on stderr when the run takes longer than a second.
    pub progress: bool,
    /// Container targets: where to save the cold starts (`--save`).
    pub save_cold_starts: Option<PathBuf>,
    /// Container targets: the baseline's cold starts and the tolerance (0.10 = 10%).
    pub cold_start_baseline: Option<(crate::coldstarts::ColdStarts, f64)>,
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
            return Ok(Target::Remote(Box::new(crate::target::remote::RemoteTarget::new(
                &crate::target::remote::RemoteFlags {
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
                crate::target::parse_url(url)?;
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
    pub fn tls(&self) -> Result<TlsOptions, Error> {
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
        Ok(TlsOptions {
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

impl Plan {
    pub fn from_args(args: CheckArgs) -> Result<Plan, Error> {
        let target = args.target.target()?;
        let expected = match &args.expected_failures {
            None => ExpectedFailures::default(),
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| Error::Usage(format!("cannot read {}: {e}", path.display())))?;
                ExpectedFailures::parse(&text, &path.display().to_string())?
            }
        };
        let outputs = args.output.iter().map(|o| parse_output(o)).collect::<Result<_, _>>()?;
        if args.samples == 0 {
            return Err(Error::Usage("--samples must be at least 1".into()));
        }
        crate::validate_patterns(&args.only)?;
        crate::validate_patterns(&args.skip)?;
        if (args.save.is_some() || args.baseline.is_some()) && !matches!(target, Target::Container(_)) {
            return Err(Error::Usage(
                "--save and --baseline record cold starts: they need --image or --build (bench --save records load)"
                    .into(),
            ));
        }
        let tolerance = crate::bench::report::parse_tolerance(&args.tolerance)?;
        let cold_start_baseline = match &args.baseline {
            Some(path) => Some((crate::coldstarts::load_baseline(path)?, tolerance)),
            None => None,
        };
        Ok(Plan {
            target,
            options: RunOptions {
                probe: Options {
                    profile: match args.profile {
                        ProfileArg::Agentcore => Profile::Agentcore,
                        ProfileArg::Mcp => Profile::Mcp,
                    },
                    timeout: args.target.timeout,
                    headers: args.target.headers()?,
                    require_ping: args.require_ping,
                    samples: args.samples,
                    latency_budget: args.latency_budget,
                    slow_checks: args.slow_checks,
                    keepalive_max_gap: args.keepalive_max_gap,
                    image_size_budget: args.image_size_budget_mb.saturating_mul(1000 * 1000),
                    cold_start_budget: args.cold_start_budget,
                    call_policy: args.target.call_policy,
                    calls: args.target.calls()?,
                },
                tls: args.target.tls()?,
                only: args.only,
                skip: args.skip,
                expected,
            },
            format: args.format,
            outputs,
            progress: !args.quiet,
            save_cold_starts: args.save,
            cold_start_baseline,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates() {
        assert_eq!(parse_rate("500/s"), Ok(500.0));
        assert_eq!(parse_rate("2.5"), Ok(2.5));
        assert!(parse_rate("0").is_err());
        assert!(parse_rate("fast").is_err());
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("3"), Ok(Duration::from_secs(3)));
        assert!(parse_duration("fast").is_err());
        assert!(parse_duration("5h").is_err());
    }

    #[test]
    fn outputs_and_headers() {
        assert_eq!(parse_output("r.xml").unwrap().format, Format::Junit);
        assert_eq!(parse_output("json=out").unwrap().format, Format::Json);
        assert!(parse_output("report").is_err());
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
