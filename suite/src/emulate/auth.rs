//! Who may invoke: SigV4 verified by signing the request again with the configured keys (403
//! AccessDeniedException otherwise), or an OAuth bearer token (401 with `WWW-Authenticate`
//! naming the protected-resource metadata), or anyone (`Open`, said loudly at start).

use std::time::SystemTime;

use axum::body::Body;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::json;

use super::EmulatorAuth;
use super::errors::aws_error;
use super::sigv4;
use crate::wire::agentcore::contract::encode_all;

/// `None` when the caller may go on; else the refusal the service would send.
pub(super) fn authenticate(
    auth: &EmulatorAuth,
    parts: &axum::http::request::Parts,
    body: &[u8],
    arn: &str,
    qualifier: &str,
) -> Option<Response> {
    match auth {
        EmulatorAuth::Open => None,
        EmulatorAuth::SigV4 { access_key, secret } => {
            let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
            sigv4::verify(
                parts.method.as_str(),
                path,
                &parts.headers,
                body,
                (access_key, secret),
                SystemTime::now(),
            )
            .err()
            .map(|message| aws_error(StatusCode::FORBIDDEN, "AccessDeniedException", &message, json!({})))
        }
        EmulatorAuth::Bearer { token, .. } => {
            let given = parts
                .headers
                .get("authorization")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.strip_prefix("Bearer "))
                .map(str::trim);
            if given.is_some_and(|given| tokens_equal(given, token)) {
                return None;
            }
            // As the service answers an OAuth runtime: 401 with where to find the authorization server.
            let metadata = format!(
                "Bearer resource_metadata=\"{}/.well-known/oauth-protected-resource?qualifier={qualifier}\"",
                invocation_url(parts, arn)
            );
            Some(
                Response::builder()
                    .status(StatusCode::UNAUTHORIZED)
                    .header("www-authenticate", metadata)
                    .header("content-type", "application/json")
                    .body(Body::from(json!({ "message": "Unauthorized" }).to_string()))
                    .unwrap_or_default(),
            )
        }
    }
}

/// The last path segments of the protected-resource metadata URL, after the encoded ARN.
pub(super) const METADATA_SUFFIX: &str = "/invocations/.well-known/oauth-protected-resource";
/// The operation name `route` gives that URL.
pub(super) const METADATA: &str = "oauth-protected-resource";

/// The runtime's invocation URL as this request reached it (the metadata's `resource`).
fn invocation_url(parts: &axum::http::request::Parts, arn: &str) -> String {
    let host = parts
        .headers
        .get("host")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("localhost");
    format!("http://{host}/runtimes/{}/invocations", encode_all(arn))
}

/// RFC 9728 protected-resource metadata for an OAuth runtime: which resource this is, which
/// authorization servers issue its tokens, and how a token is sent. MCP clients follow the
/// `resource_metadata` of a 401 here. Runtimes that take SigV4 have none (404).
pub(super) fn protected_resource_metadata(
    config: &super::EmulatorConfig,
    parts: &axum::http::request::Parts,
    arn: &str,
) -> Response {
    let EmulatorAuth::Bearer {
        authorization_server, ..
    } = &config.auth
    else {
        return aws_error(
            StatusCode::NOT_FOUND,
            "ResourceNotFoundException",
            "This runtime does not use OAuth",
            json!({}),
        );
    };
    let servers: Vec<&str> = authorization_server.iter().map(url::Url::as_str).collect();
    let document = json!({
        "resource": invocation_url(parts, arn),
        "authorization_servers": servers,
        "bearer_methods_supported": ["header"],
    });
    Response::builder()
        .status(StatusCode::OK)
        .header("content-type", "application/json")
        .body(Body::from(document.to_string()))
        .unwrap_or_default()
}

/// Token comparison in constant time.
fn tokens_equal(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
