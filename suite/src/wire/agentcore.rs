//! The InvokeAgentRuntime path: what every production client of an AgentCore runtime takes.
//! Two ways to call it, one transport:
//! - SigV4 through the official SDK (aws-sdk-bedrockagentcore), credentials from the default
//!   AWS chain, retries off so failures and timings are honest, stalled-stream protection off so
//!   a quiet SSE stream is judged by the suite's own deadline;
//! - OAuth runtimes, which the SDK cannot call (AWS says so in the API reference): an HTTPS POST
//!   to the same URL with `Authorization: Bearer`, through reqwest.
//!
//! What a client cannot control through the platform (method, path, Host, Origin, GET /ping, any
//! header the API has no member for) is not offered: the checks that need it skip with the reason.

use std::time::Instant;

use aws_sdk_bedrockagentcore::config::retry::RetryConfig;
use aws_sdk_bedrockagentcore::config::{BehaviorVersion, Credentials, Region, StalledStreamProtectionConfig};
use aws_sdk_bedrockagentcore::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_bedrockagentcore::primitives::Blob;
use http_body_util::{BodyExt, Limited};

use super::tls::{TlsOptions, client_builder};
use super::transport::{
    Enough, Exchange, Head, HttpRequest, HttpResponse, Limits, Observes, Transport, WireError, head_of, read_response,
};

/// The runtime session header (InvokeAgentRuntime member `runtimeSessionId`).
pub const RUNTIME_SESSION_ID: &str = "x-amzn-bedrock-agentcore-runtime-session-id";

/// The request headers InvokeAgentRuntime has a member for; nothing else reaches the server.
pub const MEMBER_HEADERS: &[&str] = &[
    "accept",
    "content-type",
    "mcp-session-id",
    "mcp-protocol-version",
    "mcp-method",
    "mcp-name",
    RUNTIME_SESSION_ID,
    "x-amzn-bedrock-agentcore-runtime-user-id",
    "x-amzn-trace-id",
    "traceparent",
    "tracestate",
    "baggage",
];

/// An AgentCore runtime ARN: `arn:aws:bedrock-agentcore:REGION:ACCOUNT:runtime/NAME-ID`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuntimeArn {
    pub text: String,
    pub region: String,
}

impl RuntimeArn {
    pub fn parse(text: &str) -> Result<RuntimeArn, String> {
        let shape = "expected arn:aws:bedrock-agentcore:REGION:ACCOUNT:runtime/NAME";
        let parts: Vec<&str> = text.splitn(6, ':').collect();
        let [arn, partition, service, region, account, resource] = parts[..] else {
            return Err(format!("`{text}` is not an AgentCore runtime ARN ({shape})"));
        };
        let name = resource.strip_prefix("runtime/").unwrap_or("");
        let valid = arn == "arn"
            && partition.starts_with("aws")
            && service == "bedrock-agentcore"
            && !region.is_empty()
            && region
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && account.len() == 12
            && account.bytes().all(|b| b.is_ascii_digit())
            && !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if !valid {
            return Err(format!("`{text}` is not an AgentCore runtime ARN ({shape})"));
        }
        Ok(RuntimeArn {
            text: text.to_string(),
            region: region.to_string(),
        })
    }

    /// The invocation path, the ARN percent-encoded whole (`:` and `/` too), as the service wants.
    pub fn path(&self, operation: &str, qualifier: &str) -> String {
        format!(
            "/runtimes/{}/{operation}?qualifier={}",
            encode_all(&self.text),
            encode_all(qualifier)
        )
    }
}

/// Percent-encodes everything but unreserved characters.
pub fn encode_all(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The service's rule for `runtimeSessionId`: 33 to 256 visible ASCII characters. The Rust SDK
/// does not check it (the service does, with a 400), so the suite checks before sending.
pub fn check_runtime_session_id(id: &str) -> Result<(), String> {
    if !(33..=256).contains(&id.len()) {
        return Err(format!(
            "a runtime session id must be 33 to 256 characters; this one has {}",
            id.chars().count()
        ));
    }
    if let Some(bad) = id.chars().find(|c| !c.is_ascii_graphic()) {
        return Err(format!(
            "a runtime session id may hold only visible ASCII characters, not {bad:?}"
        ));
    }
    Ok(())
}

/// A fresh runtime session id (52 characters, 128 random bits): a new session, a new microVM.
pub fn new_runtime_session_id() -> String {
    let mut bytes = [0u8; 16];
    // Without OS randomness, the clock still makes ids of one run differ.
    if getrandom::fill(&mut bytes).is_err() {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos();
        bytes = nanos.to_le_bytes();
    }
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("agentcore-mcp-suite-{hex}")
}

/// How the runtime authenticates callers.
#[derive(Clone)]
pub enum Auth {
    /// SigV4 with these credentials (from the default AWS chain, or given).
    SigV4(Option<Credentials>),
    /// An OAuth runtime: this bearer token.
    Bearer(String),
}

/// Which credentials one invocation carries: the configured ones, none, or wrong ones.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Credential {
    Configured,
    Missing,
    Wrong,
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
}

impl RuntimeSpec {
    pub fn endpoint(&self) -> String {
        match &self.endpoint_url {
            Some(url) => url.as_str().trim_end_matches('/').to_string(),
            None => format!("https://bedrock-agentcore.{}.amazonaws.com", self.region),
        }
    }
}

/// The AgentCore transport.
pub struct AgentCore {
    spec: RuntimeSpec,
    sdk: Option<aws_sdk_bedrockagentcore::Client>,
    /// For bearer calls and for unauthenticated requests.
    http: reqwest::Client,
    name: String,
}

impl std::fmt::Debug for AgentCore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} to {}", self.name, self.spec.arn.text)
    }
}

impl AgentCore {
    pub async fn new(spec: RuntimeSpec, tls: &TlsOptions) -> Result<AgentCore, String> {
        // A proxy from the environment applies to the service's endpoint (never to loopback).
        let proxied = url::Url::parse(&spec.endpoint()).is_ok_and(|url| crate::target::proxied(&url));
        let http = client_builder(tls, proxied)?
            .build()
            .map_err(|e| format!("cannot set up HTTPS: {e}"))?;
        let (sdk, name) = match &spec.auth {
            Auth::SigV4(credentials) => (
                Some(sdk_client(&spec, credentials.clone()).await),
                "InvokeAgentRuntime (AWS SDK, SigV4)",
            ),
            Auth::Bearer(_) => (None, "InvokeAgentRuntime (HTTPS, OAuth bearer token)"),
        };
        Ok(AgentCore {
            spec,
            sdk,
            http,
            name: name.to_string(),
        })
    }

    pub fn spec(&self) -> &RuntimeSpec {
        &self.spec
    }

    /// Sends `request` as one InvokeAgentRuntime call with `credential`. The runtime session is
    /// the request's `X-Amzn-Bedrock-AgentCore-Runtime-Session-Id` header, else the run's.
    pub async fn call(
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
            (Some(_), Credential::Configured | Credential::Wrong) => {
                self.invoke_sdk(request, credential, limits, enough).await
            }
            _ => self.invoke_https(request, credential, limits, enough).await,
        }
    }

    fn session_of<'a>(&'a self, request: &'a HttpRequest) -> &'a str {
        request
            .header(RUNTIME_SESSION_ID)
            .unwrap_or(&self.spec.runtime_session_id)
    }

    async fn invoke_sdk(
        &self,
        request: &HttpRequest,
        credential: Credential,
        limits: Limits,
        enough: Enough<'_>,
    ) -> Result<Answer, WireError> {
        let wrong;
        let client = match credential {
            Credential::Wrong => {
                let bogus = Credentials::new(
                    "AKIAAGENTCOREMCPSUITE",
                    "not-the-secret-of-any-key",
                    None,
                    None,
                    "wrong on purpose",
                );
                wrong = sdk_client(&self.spec, Some(bogus)).await;
                &wrong
            }
            _ => self.sdk.as_ref().expect("an SDK client in SigV4 mode"),
        };
        let mut call = client
            .invoke_agent_runtime()
            .agent_runtime_arn(&self.spec.arn.text)
            .qualifier(&self.spec.qualifier)
            .runtime_session_id(self.session_of(request))
            .payload(Blob::new(request.body.clone()));
        for (name, value) in &request.headers {
            let value = value.clone();
            call = match name.to_ascii_lowercase().as_str() {
                "accept" => call.accept(value),
                "content-type" => call.content_type(value),
                "mcp-session-id" => call.mcp_session_id(value),
                "mcp-protocol-version" => call.mcp_protocol_version(value),
                "mcp-method" => call.mcp_method(value),
                "mcp-name" => call.mcp_name(value),
                "x-amzn-bedrock-agentcore-runtime-user-id" => call.runtime_user_id(value),
                "x-amzn-trace-id" => call.trace_id(value),
                "traceparent" => call.trace_parent(value),
                "tracestate" => call.trace_state(value),
                "baggage" => call.baggage(value),
                _ => call, // the runtime session id, set above
            };
        }
        let started = Instant::now();
        let deadline = started + limits.timeout;
        let sent = tokio::time::timeout_at(deadline.into(), call.send())
            .await
            .map_err(|_| WireError::Timeout("the response head"))?;
        let output = match sent {
            Ok(output) => output,
            Err(error) => return self.sdk_error(error, started),
        };
        let mut headers = vec![("content-type".to_string(), output.content_type.clone().into_bytes())];
        let optional = [
            ("mcp-session-id", &output.mcp_session_id),
            ("mcp-protocol-version", &output.mcp_protocol_version),
            (RUNTIME_SESSION_ID, &output.runtime_session_id),
            ("traceparent", &output.trace_parent),
        ];
        for (name, value) in optional {
            if let Some(value) = value {
                headers.push((name.to_string(), value.clone().into_bytes()));
            }
        }
        let head = Head {
            status: output.status_code.and_then(|s| u16::try_from(s).ok()).unwrap_or(200),
            headers,
            first_byte: started.elapsed(),
        };
        // The SDK's byte stream, read chunk by chunk as it arrives, into the common reader.
        let chunks = futures_util::stream::unfold(output.response, |mut stream| async move {
            let next = stream.next().await?;
            Some((next.map(hyper::body::Frame::data), stream))
        });
        let body = http_body_util::StreamBody::new(Box::pin(chunks));
        read_response(head, body, started, started, limits, enough)
            .await
            .map(Answer::Served)
    }

    /// A typed platform error (AccessDenied, Validation…) is a refusal; an error the platform
    /// passes through from the server (406, a JSON-RPC 400) is that server's response.
    fn sdk_error<E>(
        &self,
        error: SdkError<E, aws_sdk_bedrockagentcore::config::http::HttpResponse>,
        started: Instant,
    ) -> Result<Answer, WireError>
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        let text = DisplayErrorContext(&error).to_string();
        match &error {
            SdkError::ServiceError(service) => {
                let raw = service.raw();
                let status = raw.status().as_u16();
                match service.err().code() {
                    Some(code) => Ok(Answer::Refused(Refusal {
                        status,
                        code: code.to_string(),
                        message: service.err().message().unwrap_or("").to_string(),
                        www_authenticate: None,
                    })),
                    None => Ok(Answer::Served(HttpResponse {
                        status,
                        headers: raw
                            .headers()
                            .iter()
                            .map(|(n, v)| (n.to_ascii_lowercase(), v.as_bytes().to_vec()))
                            .collect(),
                        body: raw.body().bytes().unwrap_or_default().to_vec(),
                        chunks: Vec::new(),
                        timings: super::transport::Timings {
                            first_byte: started.elapsed(),
                            total: started.elapsed(),
                        },
                        cut: None,
                    })),
                }
            }
            SdkError::TimeoutError(_) => Err(WireError::Timeout("the response head")),
            SdkError::DispatchFailure(failure) if failure.is_io() || failure.is_timeout() => {
                Err(WireError::Connect(format!("{}: {text}", self.spec.endpoint())))
            }
            SdkError::ConstructionFailure(_) => Err(WireError::Protocol(format!(
                "the AWS SDK could not build the request: {text} (are AWS credentials set? the default chain reads AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, SSO and instance roles)"
            ))),
            _ => Err(WireError::Protocol(format!("InvokeAgentRuntime: {text}"))),
        }
    }

    async fn invoke_https(
        &self,
        request: &HttpRequest,
        credential: Credential,
        limits: Limits,
        enough: Enough<'_>,
    ) -> Result<Answer, WireError> {
        let url = format!(
            "{}{}",
            self.spec.endpoint(),
            self.spec.arn.path("invocations", &self.spec.qualifier)
        );
        let mut builder = self
            .http
            .post(url)
            .header(RUNTIME_SESSION_ID, self.session_of(request))
            .body(request.body.clone());
        for (name, value) in &request.headers {
            if !name.eq_ignore_ascii_case(RUNTIME_SESSION_ID) {
                builder = builder.header(name.as_str(), value.as_str());
            }
        }
        match (&self.spec.auth, credential) {
            (Auth::Bearer(token), Credential::Configured) => builder = builder.bearer_auth(token),
            (_, Credential::Wrong) => builder = builder.bearer_auth("not-a-valid-token"),
            _ => {}
        }
        let started = Instant::now();
        let deadline = started + limits.timeout;
        let response = tokio::time::timeout_at(deadline.into(), builder.send())
            .await
            .map_err(|_| WireError::Timeout("the response head"))?
            .map_err(|e| {
                let text = crate::wire::tls::chain(&e);
                if e.is_connect() {
                    WireError::Connect(format!("{}: {text}", self.spec.endpoint()))
                } else {
                    WireError::Protocol(text)
                }
            })?;
        let status = response.status().as_u16();
        let text = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let www_authenticate = text("www-authenticate");
        // The platform names its errors in x-amzn-ErrorType (`Code:docs-url`); an OAuth runtime's
        // 401 has none but says WWW-Authenticate. Anything else is the server's own answer.
        let code = text("x-amzn-errortype")
            .map(|v| v.split(':').next().unwrap_or("").to_string())
            .or_else(|| (status == 401 && www_authenticate.is_some()).then(|| "Unauthorized".to_string()));
        let head = Head {
            status,
            headers: head_of(response.headers()),
            first_byte: started.elapsed(),
        };
        let body = hyper::Response::from(response).into_body();
        if let Some(code) = code {
            let bytes = tokio::time::timeout_at(deadline.into(), Limited::new(body, 1 << 20).collect())
                .await
                .ok()
                .and_then(Result::ok)
                .map(|b| b.to_bytes())
                .unwrap_or_default();
            let message = serde_json::from_slice::<serde_json::Value>(&bytes)
                .ok()
                .and_then(|v| v.get("message").and_then(|m| m.as_str()).map(str::to_string))
                .unwrap_or_default();
            return Ok(Answer::Refused(Refusal {
                status,
                code,
                message,
                www_authenticate,
            }));
        }
        read_response(head, body, started, started, limits, enough)
            .await
            .map(Answer::Served)
    }
}

async fn sdk_client(spec: &RuntimeSpec, credentials: Option<Credentials>) -> aws_sdk_bedrockagentcore::Client {
    let mut loader = aws_config::defaults(BehaviorVersion::latest()).region(Region::new(spec.region.clone()));
    if let Some(credentials) = credentials {
        loader = loader.credentials_provider(credentials);
    }
    let shared = loader.load().await;
    let mut config = aws_sdk_bedrockagentcore::config::Builder::from(&shared)
        .retry_config(RetryConfig::disabled())
        .stalled_stream_protection(StalledStreamProtectionConfig::disabled());
    if let Some(url) = &spec.endpoint_url {
        config = config.endpoint_url(url.as_str().trim_end_matches('/'));
    }
    aws_sdk_bedrockagentcore::Client::from_conf(config.build())
}

/// What one call came back with: the server's response, or the platform's refusal.
#[derive(Debug)]
pub enum Answer {
    Served(HttpResponse),
    Refused(Refusal),
}

/// A typed error of the platform itself (not passed through from the server).
#[derive(Clone, Debug)]
pub struct Refusal {
    pub status: u16,
    /// `AccessDeniedException`, `ValidationException`, … (`Unauthorized` for an OAuth 401).
    pub code: String,
    pub message: String,
    pub www_authenticate: Option<String>,
}

impl Refusal {
    /// One line naming the cause and what to do about it.
    pub fn explain(&self, auth: &Auth) -> String {
        platform_error(self.status, &self.code, &self.message, auth)
    }
}

fn platform_error(status: u16, code: &str, message: &str, auth: &Auth) -> String {
    let fix = match code {
        "AccessDeniedException" => match auth {
            Auth::SigV4(_) => {
                "the caller needs the IAM action bedrock-agentcore:InvokeAgentRuntime on this runtime (and the right credentials: check AWS_PROFILE / AWS_ACCESS_KEY_ID)"
            }
            Auth::Bearer(_) => "check the bearer token",
        },
        "UnauthorizedException" | "Unauthorized" => {
            "the runtime wants a valid OAuth bearer token (--bearer-token-env VAR)"
        }
        "ResourceNotFoundException" => {
            "check the ARN, the region and --qualifier (the endpoint name, DEFAULT unless you made one)"
        }
        "ValidationException" => "the request broke a rule of the API (see the message)",
        "ThrottlingException" => {
            "the runtime allows 25 invocations a second per endpoint; slow down or ask for a higher quota"
        }
        "ServiceQuotaExceededException" => "an account quota (e.g. active sessions) is used up",
        "RuntimeClientError" => {
            "the container failed; its logs are in CloudWatch (a start over 60 s or a crash shows as 'initialization time exceeded')"
        }
        "RetryableConflictException" => "the runtime is busy changing; try again",
        _ => "the service failed; try again",
    };
    let message = if message.is_empty() {
        String::new()
    } else {
        format!(": {message}")
    };
    format!("AgentCore answered {status} {code}{message} — {fix}")
}

impl Transport for AgentCore {
    fn name(&self) -> &str {
        &self.name
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
        }
    }

    fn adds_session_ids(&self) -> bool {
        true
    }

    fn exchange<'a>(&'a self, request: &'a HttpRequest, limits: Limits, enough: Enough<'a>) -> Exchange<'a> {
        Box::pin(async move {
            match self.call(request, Credential::Configured, limits, enough).await? {
                Answer::Served(response) => Ok(response),
                Answer::Refused(refusal) => Err(WireError::Protocol(refusal.explain(&self.spec.auth))),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_runtime_arns() {
        let arn =
            RuntimeArn::parse("arn:aws:bedrock-agentcore:us-west-2:123456789012:runtime/my_mcp-AbCdEf1234").unwrap();
        assert_eq!(arn.region, "us-west-2");
        assert_eq!(
            arn.path("invocations", "DEFAULT"),
            "/runtimes/arn%3Aaws%3Abedrock-agentcore%3Aus-west-2%3A123456789012%3Aruntime%2Fmy_mcp-AbCdEf1234/invocations?qualifier=DEFAULT"
        );
        for bad in [
            "",
            "arn:aws:s3:::bucket",
            "arn:aws:bedrock-agentcore:us-west-2:1234:runtime/x",
            "arn:aws:bedrock-agentcore:us-west-2:123456789012:agent/x",
            "arn:aws:bedrock-agentcore::123456789012:runtime/x",
            "arn:aws:bedrock-agentcore:us-west-2:123456789012:runtime/",
            "arn:aws:bedrock-agentcore:us-west-2:123456789012:runtime/a b",
        ] {
            assert!(RuntimeArn::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn generated_session_ids_follow_the_rule() {
        let id = new_runtime_session_id();
        assert!(check_runtime_session_id(&id).is_ok(), "{id}");
        assert_ne!(id, new_runtime_session_id());
    }

    proptest::proptest! {
        /// Exactly 33..=256 visible ASCII characters pass; anything else is refused before sending.
        #[test]
        fn runtime_session_ids_are_33_to_256_visible_ascii(id in "[ -~\t\n\u{7f}\u{e9}]{20,270}") {
            let expected = (33..=256).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_graphic());
            proptest::prop_assert_eq!(check_runtime_session_id(&id).is_ok(), expected);
        }

        #[test]
        fn visible_ascii_ids_pass_by_length_alone(id in "[!-~]{0,300}") {
            proptest::prop_assert_eq!(check_runtime_session_id(&id).is_ok(), (33..=256).contains(&id.len()));
        }
    }
}
