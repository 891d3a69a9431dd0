//! OAuth runtimes: the SDK cannot call them, so an HTTPS POST to the invocation URL with
//! `Authorization: Bearer`, through reqwest.

use std::time::Instant;

use http_body_util::{BodyExt, Limited};

use super::RuntimeSpec;
use super::contract::RUNTIME_SESSION_ID;
use crate::wire::platform::{Answer, Credential, Refusal};
use crate::wire::reqwest_transport::send_within;
use crate::wire::transport::{Enough, Head, HttpRequest, Limits, WireError, head_of, read_response};

/// One invocation as an HTTPS POST; the platform's typed errors come back as refusals.
pub(super) async fn invoke(
    http: &reqwest::Client,
    spec: &RuntimeSpec,
    request: &HttpRequest,
    credential: Credential,
    limits: Limits,
    enough: Enough<'_>,
) -> Result<Answer, WireError> {
    let endpoint = spec.endpoint();
    let url = format!("{endpoint}{}", spec.arn.path("invocations", &spec.qualifier));
    let mut builder = http
        .post(url)
        .header(RUNTIME_SESSION_ID, spec.session_of(request))
        .body(request.body.clone());
    for (name, value) in &request.headers {
        if !name.eq_ignore_ascii_case(RUNTIME_SESSION_ID) {
            builder = builder.header(name.as_str(), value.as_str());
        }
    }
    match (&spec.auth, credential) {
        (super::Auth::Bearer(token), Credential::Configured) => builder = builder.bearer_auth(token),
        (_, Credential::Wrong) => builder = builder.bearer_auth("not-a-valid-token"),
        _ => {}
    }
    let started = Instant::now();
    let deadline = started + limits.timeout;
    let response = send_within(builder, &endpoint, deadline).await?;
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
