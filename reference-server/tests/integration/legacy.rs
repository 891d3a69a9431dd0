//! The legacy era: the initialize handshake, and requests without one.

use super::common::*;

#[tokio::test]
async fn legacy_initialize_negotiates_and_validates() {
    let app = app();
    for (asked, answered) in [
        ("2025-06-18", "2025-06-18"),
        ("2025-03-26", "2025-03-26"),
        ("1999-01-01", LEGACY),
    ] {
        let reply = legacy(
            &app,
            "initialize",
            json!({ "protocolVersion": asked, "capabilities": {}, "clientInfo": { "name": "t", "version": "1" } }),
        )
        .await;
        assert_eq!(reply.status, StatusCode::OK);
        assert_eq!(reply.content_type(), "text/event-stream");
        assert!(reply.body.ends_with("\n\n"), "the event is terminated");
        assert!(
            reply.headers.get("mcp-session-id").is_none(),
            "stateless: no session minted"
        );
        let result = &reply.response()["result"];
        assert_eq!(result["protocolVersion"], answered);
        assert_schema(LEGACY, "InitializeResult", result);
    }
}

#[tokio::test]
async fn legacy_requests_need_no_initialize_and_accept_platform_sessions() {
    let app = app();
    let body = json!({ "jsonrpc": "2.0", "id": 7, "method": "tools/list", "params": {} });
    let request = post()
        .header("mcp-session-id", "platform-minted-session-id-0123456789abcdef")
        .header(
            "x-amzn-bedrock-agentcore-runtime-session-id",
            "runtime-session-0123456789-0123456789-0123",
        )
        .body(Body::from(body.to_string()))
        .unwrap();
    let reply = send(&app, request).await;
    assert_eq!(reply.status, StatusCode::OK);
    let result = &reply.response()["result"];
    assert_schema(LEGACY, "ListToolsResult", result);
    let names: Vec<&str> = result["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    for expected in [
        "add_numbers",
        "greet_user",
        "slow",
        "test_simple_text",
        "test_tool_with_progress",
    ] {
        assert!(names.contains(&expected), "{names:?}");
    }
}
