//! Streamable HTTP: JSON mode, Accept, content types, versions, Origin and Host.

use super::common::*;

#[tokio::test]
async fn json_mode_answers_application_json() {
    let app = json_app();
    let reply = legacy(&app, "tools/list", json!({})).await;
    assert_eq!(
        (reply.status, reply.content_type()),
        (StatusCode::OK, "application/json")
    );
    assert_schema(LEGACY, "ListToolsResult", &reply.response()["result"]);
    let modern = modern(&app, "server/discover", json!({}), None).await;
    assert_eq!(modern.content_type(), "application/json");
    assert_schema(MODERN, "DiscoverResult", &modern.response()["result"]);
}

async fn with_accept(app: &Router, accept: Option<&str>) -> Reply {
    let body = json!({ "jsonrpc": "2.0", "id": 3, "method": "ping" });
    let mut request = Request::post("/mcp").header("content-type", "application/json");
    if let Some(accept) = accept {
        request = request.header("accept", accept);
    }
    send(app, request.body(Body::from(body.to_string())).unwrap()).await
}

#[tokio::test]
async fn accept_rules_in_both_modes() {
    let sse = app();
    for (accept, status) in [
        (Some(ACCEPT_BOTH), 200),
        (Some("application/json"), 406),
        (Some("text/event-stream"), 200),
        (Some("*/*"), 200),
        (Some("text/*"), 200),
        (Some("text/event-stream;q=0, application/json"), 406),
        (None, 200),
    ] {
        assert_eq!(
            with_accept(&sse, accept).await.status.as_u16(),
            status,
            "SSE mode, Accept {accept:?}"
        );
    }
    let refused = with_accept(&sse, Some("application/json")).await;
    assert_eq!(refused.response()["error"]["code"], -32600);
    assert_eq!(
        refused.response()["id"],
        3,
        "the 406 names the request's id, nothing made up"
    );
    let json = json_app();
    assert_eq!(
        with_accept(&json, Some("application/json")).await.status,
        StatusCode::OK
    );
    assert_eq!(
        with_accept(&json, Some("text/event-stream")).await.status,
        StatusCode::NOT_ACCEPTABLE
    );
}

async fn raw(app: &Router, content_type: &str, version: Option<&str>, body: &str) -> Reply {
    let mut request = Request::post("/mcp")
        .header("content-type", content_type)
        .header("accept", ACCEPT_BOTH);
    if let Some(version) = version {
        request = request.header("mcp-protocol-version", version);
    }
    send(app, request.body(Body::from(body.to_string())).unwrap()).await
}

#[tokio::test]
async fn transport_rules() {
    let app = app();
    let ping = r#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#;
    let notification = r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#;
    let accepted = raw(&app, "application/json", Some(LEGACY), notification).await;
    assert_eq!((accepted.status, accepted.body.as_str()), (StatusCode::ACCEPTED, ""));
    assert_eq!(
        raw(&app, "text/plain", None, ping).await.status,
        StatusCode::UNSUPPORTED_MEDIA_TYPE
    );
    assert_eq!(
        raw(&app, "application/json; charset=utf-8", None, ping).await.status,
        StatusCode::OK
    );
    let parse = raw(&app, "application/json", None, "{").await;
    assert_eq!(parse.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        (
            parse.response()["error"]["code"].clone(),
            parse.response()["id"].clone()
        ),
        (json!(-32700), Value::Null)
    );
    assert_eq!(
        raw(&app, "application/json", Some("1999-01-01"), ping).await.status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        raw(&app, "application/json", None, ping).await.status,
        StatusCode::OK,
        "a missing version header is served"
    );
    let batch = format!("[{ping},{ping}]");
    assert_eq!(
        raw(&app, "application/json", Some("2025-06-18"), &batch).await.status,
        StatusCode::BAD_REQUEST
    );
    let old = raw(&app, "application/json", Some("2025-03-26"), &batch).await;
    assert_eq!(old.status, StatusCode::OK);
    assert_eq!(
        serde_json::from_str::<Value>(&old.body)
            .unwrap()
            .as_array()
            .unwrap()
            .len(),
        2,
        "2025-03-26 batches are answered"
    );
    let null_id = raw(
        &app,
        "application/json",
        None,
        r#"{"jsonrpc":"2.0","id":null,"method":"ping"}"#,
    )
    .await;
    assert_eq!(null_id.status, StatusCode::BAD_REQUEST);
    let huge = format!(
        r#"{{"jsonrpc":"2.0","id":1,"method":"ping","params":{{"x":"{}"}}}}"#,
        "x".repeat(5 << 20)
    );
    assert_eq!(
        raw(&app, "application/json", None, &huge).await.status,
        StatusCode::PAYLOAD_TOO_LARGE
    );
    for method in ["GET", "DELETE"] {
        let reply = send(
            &app,
            Request::builder()
                .method(method)
                .uri("/mcp")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
        assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(reply.headers.get("allow").unwrap(), "POST");
    }
}

#[tokio::test]
async fn origin_is_checked_host_is_not() {
    let app = app();
    let ping = json!({ "jsonrpc": "2.0", "id": 1, "method": "ping" }).to_string();
    let with = |name: &'static str, value: &'static str| {
        Request::post("/mcp")
            .header("content-type", "application/json")
            .header("accept", ACCEPT_BOTH)
            .header(name, value)
            .body(Body::from(ping.clone()))
            .unwrap()
    };
    assert_eq!(
        send(&app, with("origin", "http://evil.example.com")).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        send(&app, with("origin", "http://localhost:3000")).await.status,
        StatusCode::OK
    );
    assert_eq!(
        send(&app, with("origin", "http://127.0.0.1")).await.status,
        StatusCode::OK
    );
    assert_eq!(
        send(&app, with("origin", "http://localhost.evil.com")).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        send(&app, with("host", "bedrock-agentcore.us-east-1.amazonaws.com"))
            .await
            .status,
        StatusCode::OK
    );
    let allowed = router(Config {
        allowed_origins: vec!["https://app.example.com".into()],
        ..Config::default()
    });
    assert_eq!(
        send(&allowed, with("origin", "https://app.example.com")).await.status,
        StatusCode::OK
    );
}
