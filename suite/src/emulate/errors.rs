//! Errors as the service sends them: a status, `x-amzn-ErrorType` and a JSON body with `message`,
//! so the SDKs raise their typed errors (ValidationException, AccessDeniedException, …).

use axum::body::Body;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::json;

/// An error as the service sends it: status, `x-amzn-ErrorType`, a JSON body with `message`.
pub(super) fn aws_error(status: StatusCode, code: &str, message: &str, extra: serde_json::Value) -> Response {
    let mut body = json!({ "message": message });
    if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
        body.extend(extra.clone());
    }
    Response::builder()
        .status(status)
        .header("x-amzn-errortype", code)
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .unwrap_or_default()
}

pub(super) fn validation(message: &str, field: &str) -> Response {
    aws_error(
        StatusCode::BAD_REQUEST,
        "ValidationException",
        message,
        json!({ "reason": "FieldValidationFailed", "fieldList": [{ "name": field, "message": message }] }),
    )
}

/// What the service answers a path or method it has no operation for.
pub(super) fn unknown_operation() -> Response {
    aws_error(
        StatusCode::NOT_FOUND,
        "UnknownOperationException",
        "Unknown operation",
        json!({}),
    )
}

/// The runtime (the container) failed or did not answer: 424 RuntimeClientError.
pub(super) fn runtime_client_error(message: &str) -> Response {
    aws_error(StatusCode::FAILED_DEPENDENCY, "RuntimeClientError", message, json!({}))
}

/// Over the endpoint's InvokeAgentRuntime quota: 429 ThrottlingException.
pub(super) fn throttled() -> Response {
    aws_error(
        StatusCode::TOO_MANY_REQUESTS,
        "ThrottlingException",
        "Rate exceeded",
        json!({}),
    )
}
