//! SigV4 calls through the official SDK (aws-sdk-bedrockagentcore): credentials from the default
//! AWS chain, the streamed body read chunk by chunk into the common reader.

use std::time::Instant;

use aws_sdk_bedrockagentcore::config::retry::RetryConfig;
use aws_sdk_bedrockagentcore::config::{BehaviorVersion, Credentials, Region, StalledStreamProtectionConfig};
use aws_sdk_bedrockagentcore::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_bedrockagentcore::primitives::Blob;

use super::RuntimeSpec;
use super::contract::RUNTIME_SESSION_ID;
use crate::wire::platform::{Answer, Refusal};
use crate::wire::transport::{Enough, Head, HttpRequest, HttpResponse, Limits, Timings, WireError, read_response};

/// An SDK client for `spec`'s region and endpoint: retries and stalled-stream protection off.
pub(super) async fn client(spec: &RuntimeSpec, credentials: Option<Credentials>) -> aws_sdk_bedrockagentcore::Client {
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

/// One `invoke_agent_runtime` call carrying `request`'s body and member headers.
pub(super) async fn invoke(
    client: &aws_sdk_bedrockagentcore::Client,
    spec: &RuntimeSpec,
    request: &HttpRequest,
    limits: Limits,
    enough: Enough<'_>,
) -> Result<Answer, WireError> {
    let mut call = client
        .invoke_agent_runtime()
        .agent_runtime_arn(&spec.arn.text)
        .qualifier(&spec.qualifier)
        .runtime_session_id(spec.session_of(request))
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
        Err(error) => return answer_of_error(error, spec, started),
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
fn answer_of_error<E>(
    error: SdkError<E, aws_sdk_bedrockagentcore::config::http::HttpResponse>,
    spec: &RuntimeSpec,
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
                    timings: Timings {
                        first_byte: started.elapsed(),
                        total: started.elapsed(),
                        sent: Default::default(),
                    },
                    cut: None,
                })),
            }
        }
        SdkError::TimeoutError(_) => Err(WireError::Timeout("the response head")),
        SdkError::DispatchFailure(failure) if failure.is_io() || failure.is_timeout() => {
            Err(WireError::Connect(format!("{}: {text}", spec.endpoint())))
        }
        SdkError::ConstructionFailure(_) => Err(WireError::Protocol(format!(
            "the AWS SDK could not build the request: {text} (are AWS credentials set? the default chain reads AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, SSO and instance roles)"
        ))),
        _ => Err(WireError::Protocol(format!("InvokeAgentRuntime: {text}"))),
    }
}
