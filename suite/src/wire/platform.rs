//! Calling through a managed platform (AgentCore's InvokeAgentRuntime) rather than straight to the
//! server: the caller picks the credentials of each call, names the runtime session in a header,
//! and gets the platform's own refusals back typed. A transport that goes through such a platform
//! offers this next to its ordinary [`Transport::exchange`](super::transport::Transport).

use std::future::Future;
use std::pin::Pin;

use super::http::{Enough, HttpRequest, HttpResponse, Limits, WireError};

/// Which credentials one call carries: the configured ones, none, or wrong ones (to prove the
/// platform refuses them).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Credential {
    Configured,
    Missing,
    Wrong,
}

/// How the platform authenticates callers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthKind {
    /// AWS SigV4 (IAM): refusals are 403 without `WWW-Authenticate`.
    SigV4,
    /// OAuth: a bearer token; refusals are 401 with `WWW-Authenticate`.
    Bearer,
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
    pub fn explain(&self, auth: AuthKind) -> String {
        let fix = match self.code.as_str() {
            "AccessDeniedException" => match auth {
                AuthKind::SigV4 => {
                    "the caller needs the IAM action bedrock-agentcore:InvokeAgentRuntime on this runtime (and the right credentials: check AWS_PROFILE / AWS_ACCESS_KEY_ID)"
                }
                AuthKind::Bearer => "check the bearer token",
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
        let message = if self.message.is_empty() {
            String::new()
        } else {
            format!(": {}", self.message)
        };
        format!("AgentCore answered {} {}{message} — {fix}", self.status, self.code)
    }
}

pub type Invocation<'a> = Pin<Box<dyn Future<Output = Result<Answer, WireError>> + Send + 'a>>;

pub type Fetch<'a> = Pin<Box<dyn Future<Output = Result<HttpResponse, WireError>> + Send + 'a>>;

/// A transport that reaches the server through the platform.
pub trait Platform: Send + Sync {
    fn auth(&self) -> AuthKind;

    /// The run's runtime session id (a request's own `X-Amzn-Bedrock-AgentCore-Runtime-Session-Id`
    /// header overrides it).
    fn runtime_session_id(&self) -> &str;

    /// Sends `request` as one platform call with `credential`, reading the body within `limits`.
    /// A request the platform's API cannot express (another method, a header it has no member
    /// for) is `WireError::Unobservable`.
    fn invoke<'a>(
        &'a self,
        request: &'a HttpRequest,
        credential: Credential,
        limits: Limits,
        enough: Enough<'a>,
    ) -> Invocation<'a>;

    /// GETs a document the platform itself serves at `url`, without credentials (the OAuth
    /// protected-resource metadata a 401 names). A URL off the platform's endpoint is not
    /// fetched: `WireError::Unobservable`.
    fn fetch<'a>(&'a self, url: &'a str, limits: Limits) -> Fetch<'a>;
}
