//! The InvokeAgentRuntime path: what every production client of an AgentCore runtime takes.
//! Two ways to call it, one transport:
//! - SigV4 through the official SDK ([`sdk`]), credentials from the default AWS chain, retries off
//!   so failures and timings are honest, stalled-stream protection off so a quiet SSE stream is
//!   judged by the suite's own deadline;
//! - OAuth runtimes, which the SDK cannot call (AWS says so in the API reference): an HTTPS POST
//!   to the same URL with `Authorization: Bearer` ([`bearer`]).
//!
//! What a client cannot control through the platform (method, path, Host, Origin, GET /ping, any
//! header the API has no member for) is not offered: the checks that need it skip with the reason.
//! The contract itself (ARN, session id rule, member headers) is in [`contract`], unconditionally:
//! the emulator serves the same rules.

#[cfg(feature = "remote")]
mod bearer;
pub mod contract;
#[cfg(feature = "remote")]
mod sdk;

#[cfg(feature = "remote")]
pub use transport::{AgentCoreTransport, Auth, CHECK_CALLS_PER_SECOND, RuntimeSpec};

#[cfg(feature = "remote")]
mod transport {
    use std::time::Duration;

    use aws_sdk_bedrockagentcore::config::Credentials;

    use super::contract::{MEMBER_HEADERS, RUNTIME_SESSION_ID, RuntimeArn};
    use crate::wire::platform::{Answer, AuthKind, Credential, Fetch, Invocation, Platform};
    use crate::wire::reqwest_transport::{TlsTrust, client_builder, proxied};
    use crate::wire::transport::{
        Enough, Exchange, Head, Heard, HttpRequest, Limits, Observes, Transport, WireError, head_of, read_response,
    };

    /// How the runtime authenticates callers.
    #[derive(Clone)]
    pub enum Auth {
        /// SigV4 with these credentials (from the default AWS chain, or given).
        SigV4(Option<Credentials>),
        /// An OAuth runtime: this bearer token.
        Bearer(String),
    }

    impl Auth {
        pub fn kind(&self) -> AuthKind {
            match self {
                Auth::SigV4(_) => AuthKind::SigV4,
                Auth::Bearer(_) => AuthKind::Bearer,
            }
        }
    }

    impl std::fmt::Debug for Auth {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            // Never the secret: only which kind.
            f.write_str(match self {
                Auth::SigV4(None) => "SigV4 (default credential chain)",
                Auth::SigV4(Some(_)) => "SigV4 (given keys)",
                Auth::Bearer(_) => "OAuth bearer token",
            })
        }
    }

    /// Everything needed to reach one runtime.
    #[derive(Clone, Debug)]
    pub struct RuntimeSpec {
        pub arn: RuntimeArn,
        pub region: String,
        pub qualifier: String,
        /// `--endpoint-url`: an emulator, or a VPC endpoint; else the region's public endpoint.
        pub endpoint_url: Option<url::Url>,
        pub runtime_session_id: String,
        /// `--mcp-session-id`: sent on requests that carry none (else the platform adds its own).
        pub mcp_session_id: Option<String>,
        pub auth: Auth,
        /// At most this many calls a second: a run stays under the endpoint's InvokeAgentRuntime
        /// quota (25 by default) instead of measuring its throttle.
        pub calls_per_second: f64,
    }

    /// What `check --arn` paces itself at: under AgentCore's default quota of 25 a second.
    pub const CHECK_CALLS_PER_SECOND: f64 = 20.0;

    /// Spaces calls at least `interval` apart.
    struct Pacer {
        interval: Duration,
        next: std::sync::Mutex<tokio::time::Instant>,
    }

    impl Pacer {
        fn new(per_second: f64) -> Pacer {
            Pacer {
                interval: Duration::from_secs_f64(1.0 / per_second.max(0.001)),
                next: std::sync::Mutex::new(tokio::time::Instant::now()),
            }
        }

        async fn wait(&self) {
            let slot = {
                let mut next = self.next.lock().unwrap_or_else(|e| e.into_inner());
                let slot = (*next).max(tokio::time::Instant::now());
                *next = slot + self.interval;
                slot
            };
            tokio::time::sleep_until(slot).await;
        }
    }

    impl RuntimeSpec {
        pub fn endpoint(&self) -> String {
            match &self.endpoint_url {
                Some(url) => url.as_str().trim_end_matches('/').to_string(),
                None => format!("https://bedrock-agentcore.{}.amazonaws.com", self.region),
            }
        }

        /// The runtime session a request belongs to: its own header, else the run's.
        pub(super) fn session_of<'a>(&'a self, request: &'a HttpRequest) -> &'a str {
            request.header(RUNTIME_SESSION_ID).unwrap_or(&self.runtime_session_id)
        }
    }

    /// The AgentCore transport.
    pub struct AgentCoreTransport {
        spec: RuntimeSpec,
        sdk: Option<aws_sdk_bedrockagentcore::Client>,
        /// For bearer calls and for unauthenticated requests.
        http: reqwest::Client,
        name: &'static str,
        pacer: Pacer,
    }

    impl std::fmt::Debug for AgentCoreTransport {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "{} to {}", self.name, self.spec.arn.text)
        }
    }

    impl AgentCoreTransport {
        pub async fn new(spec: RuntimeSpec, tls: &TlsTrust) -> Result<AgentCoreTransport, String> {
            // A proxy from the environment applies to the service's endpoint (never to loopback).
            let proxied = url::Url::parse(&spec.endpoint()).is_ok_and(|url| proxied(&url));
            let http = client_builder(tls, proxied)?
                .build()
                .map_err(|e| format!("cannot set up HTTPS: {e}"))?;
            let (sdk, name) = match &spec.auth {
                Auth::SigV4(credentials) => (
                    Some(super::sdk::client(&spec, credentials.clone()).await),
                    "InvokeAgentRuntime (AWS SDK, SigV4)",
                ),
                Auth::Bearer(_) => (None, "InvokeAgentRuntime (HTTPS, OAuth bearer token)"),
            };
            let pacer = Pacer::new(spec.calls_per_second);
            Ok(AgentCoreTransport {
                spec,
                sdk,
                http,
                name,
                pacer,
            })
        }

        pub fn spec(&self) -> &RuntimeSpec {
            &self.spec
        }

        /// Sends `request` as one InvokeAgentRuntime call with `credential`, paced under the
        /// quota; the platform's refusals, throttling included, come back as they are (`bench`
        /// counts them). The runtime session is the request's
        /// `X-Amzn-Bedrock-AgentCore-Runtime-Session-Id` header, else the run's.
        pub async fn call(
            &self,
            request: &HttpRequest,
            credential: Credential,
            limits: Limits,
            enough: Enough<'_>,
        ) -> Result<Answer, WireError> {
            self.pacer.wait().await;
            self.call_once(request, credential, limits, enough).await
        }

        /// `call`, with a throttled call tried again up to three times, 1, 2 and 4 s apart: what
        /// the probe's exchanges and the first ping go through, so that a quota shared with other
        /// callers does not turn into a verdict about the server.
        pub async fn call_retrying_throttled(
            &self,
            request: &HttpRequest,
            limits: Limits,
            enough: Enough<'_>,
        ) -> Result<Answer, WireError> {
            let mut backoff = Duration::from_secs(1);
            for _ in 0..3 {
                match self.call(request, Credential::Configured, limits, &mut *enough).await? {
                    Answer::Refused(refusal) if refusal.code == "ThrottlingException" => {
                        tokio::time::sleep(backoff).await;
                        backoff *= 2;
                    }
                    answer => return Ok(answer),
                }
            }
            self.call(request, Credential::Configured, limits, enough).await
        }

        /// One InvokeAgentRuntime call, unpaced.
        async fn call_once(
            &self,
            request: &HttpRequest,
            credential: Credential,
            limits: Limits,
            enough: Enough<'_>,
        ) -> Result<Answer, WireError> {
            if request.method != "POST" {
                return Err(WireError::Unobservable(
                    "InvokeAgentRuntime always POSTs to the runtime's MCP path".into(),
                ));
            }
            if let Some((name, _)) = request
                .headers
                .iter()
                .find(|(name, _)| !MEMBER_HEADERS.contains(&name.to_ascii_lowercase().as_str()))
            {
                return Err(WireError::Unobservable(format!(
                    "InvokeAgentRuntime has no member for the `{name}` header"
                )));
            }
            let pinned;
            let request = match &self.spec.mcp_session_id {
                Some(id) if request.header("mcp-session-id").is_none() => {
                    pinned = HttpRequest {
                        headers: [request.headers.clone(), vec![("mcp-session-id".into(), id.clone())]].concat(),
                        ..request.clone()
                    };
                    &pinned
                }
                _ => request,
            };
            match (&self.sdk, credential) {
                (Some(sdk), Credential::Configured) => {
                    super::sdk::invoke(sdk, &self.spec, request, limits, enough).await
                }
                (Some(_), Credential::Wrong) => {
                    let bogus = Credentials::new(
                        "AKIAAGENTCOREMCPSUITE",
                        "not-the-secret-of-any-key",
                        None,
                        None,
                        "wrong on purpose",
                    );
                    let sdk = super::sdk::client(&self.spec, Some(bogus)).await;
                    super::sdk::invoke(&sdk, &self.spec, request, limits, enough).await
                }
                _ => super::bearer::invoke(&self.http, &self.spec, request, credential, limits, enough).await,
            }
        }
    }

    impl Transport for AgentCoreTransport {
        fn name(&self) -> &str {
            self.name
        }

        fn observes(&self) -> Observes {
            // The body arrives as the platform streams it: bytes intact, chunking the platform's.
            // Response headers are the API's members only.
            Observes {
                any_method_and_path: false,
                any_header: false,
                ping: false,
                raw_bytes: true,
                keep_alive: false,
                response_headers: false,
                platform: true,
            }
        }

        fn adds_session_ids(&self) -> bool {
            true
        }

        fn platform(&self) -> Option<&dyn Platform> {
            Some(self)
        }

        fn exchange<'a>(&'a self, request: &'a HttpRequest, limits: Limits, enough: Enough<'a>) -> Exchange<'a> {
            Box::pin(async move {
                match self.call_retrying_throttled(request, limits, enough).await? {
                    Answer::Served(response) => Ok(response),
                    Answer::Refused(refusal) => Err(WireError::Protocol(refusal.explain(self.spec.auth.kind()))),
                }
            })
        }
    }

    impl Platform for AgentCoreTransport {
        fn auth(&self) -> AuthKind {
            self.spec.auth.kind()
        }

        fn runtime_session_id(&self) -> &str {
            &self.spec.runtime_session_id
        }

        fn invoke<'a>(
            &'a self,
            request: &'a HttpRequest,
            credential: Credential,
            limits: Limits,
            enough: Enough<'a>,
        ) -> Invocation<'a> {
            Box::pin(self.call(request, credential, limits, enough))
        }

        fn fetch<'a>(&'a self, url: &'a str, limits: Limits) -> Fetch<'a> {
            Box::pin(async move {
                let endpoint = self.spec.endpoint();
                if !url.starts_with(&format!("{endpoint}/")) {
                    return Err(WireError::Unobservable(format!(
                        "`{url}` is not on the platform's endpoint {endpoint}: not fetched"
                    )));
                }
                let started = std::time::Instant::now();
                let builder = self.http.get(url);
                let response =
                    crate::wire::reqwest_transport::send_within(builder, &endpoint, started + limits.timeout).await?;
                let head = Head {
                    status: response.status().as_u16(),
                    headers: head_of(response.headers()),
                    first_byte: started.elapsed(),
                };
                let body = hyper::Response::from(response).into_body();
                read_response(head, body, started, started, limits, &mut |_| Heard::More).await
            })
        }
    }
}
