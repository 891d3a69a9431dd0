//! The 2026-07-28 era: server/discover and the validation ladder of the `_meta` envelope.

use super::common::*;

#[tokio::test]
async fn modern_discover_and_results() {
    let app = app();
    let discover = modern(&app, "server/discover", json!({}), None).await;
    let result = &discover.response()["result"];
    assert_schema(MODERN, "DiscoverResult", result);
    assert_eq!(result["supportedVersions"], json!([MODERN]));
    assert_eq!(
        result["_meta"]["io.modelcontextprotocol/serverInfo"]["name"],
        "agentcore-mcp-reference"
    );
    let tools = modern(&app, "tools/list", json!({}), None).await.response();
    assert_schema(MODERN, "ListToolsResult", &tools["result"]);
    assert_eq!(
        (tools["result"]["resultType"].clone(), tools["result"]["ttlMs"].clone()),
        (json!("complete"), json!(60000))
    );
    let call = modern(
        &app,
        "tools/call",
        json!({ "name": "greet_user", "arguments": { "name": "Ada" } }),
        Some("greet_user"),
    )
    .await;
    assert_schema(MODERN, "CallToolResult", &call.response()["result"]);
    let encoded = modern(
        &app,
        "tools/call",
        json!({ "name": "greet_user", "arguments": { "name": "Ada" } }),
        Some("=?base64?Z3JlZXRfdXNlcg==?="),
    )
    .await;
    assert_eq!(
        encoded.status,
        StatusCode::OK,
        "a base64 Mcp-Name is decoded before comparing"
    );
    let silent = modern(
        &app,
        "tools/call",
        json!({ "name": "test_tool_with_logging", "arguments": {} }),
        Some("test_tool_with_logging"),
    )
    .await;
    assert!(
        silent.messages().iter().all(|m| m["method"] != "notifications/message"),
        "no logLevel, no logs"
    );
}

/// Sends a modern request whose body and headers are bent by `bend`.
async fn modern_bent(app: &Router, bend: impl FnOnce(&mut Value, &mut Vec<(&'static str, String)>)) -> Reply {
    let mut body = json!({ "jsonrpc": "2.0", "id": 9, "method": "server/discover", "params": envelope(json!({})) });
    let mut headers = vec![
        ("mcp-protocol-version", MODERN.to_string()),
        ("mcp-method", "server/discover".to_string()),
    ];
    bend(&mut body, &mut headers);
    let mut request = Request::post("/mcp")
        .header("content-type", "application/json")
        .header("accept", ACCEPT_BOTH);
    for (name, value) in headers {
        request = request.header(name, value);
    }
    send(app, request.body(Body::from(body.to_string())).unwrap()).await
}

#[tokio::test]
async fn modern_validation_ladder() {
    let app = app();
    let cases: Vec<(&str, Reply, u16, i64)> = vec![
        (
            "no _meta",
            modern_bent(&app, |b, _| b["params"] = json!({})).await,
            400,
            -32602,
        ),
        (
            "method header mismatch",
            modern_bent(&app, |_, h| h[1].1 = "tools/list".into()).await,
            400,
            -32020,
        ),
        (
            "version header missing",
            modern_bent(&app, |_, h| {
                h.remove(0);
            })
            .await,
            400,
            -32020,
        ),
        (
            "unsupported version",
            modern_bent(&app, |b, h| {
                b["params"]["_meta"]["io.modelcontextprotocol/protocolVersion"] = json!("2099-01-01");
                h[0].1 = "2099-01-01".into();
            })
            .await,
            400,
            -32022,
        ),
        (
            "unknown method",
            modern_bent(&app, |b, h| {
                b["method"] = json!("nope/nope");
                h[1].1 = "nope/nope".into();
            })
            .await,
            404,
            -32601,
        ),
        (
            "removed ping",
            modern_bent(&app, |b, h| {
                b["method"] = json!("ping");
                h[1].1 = "ping".into();
            })
            .await,
            404,
            -32601,
        ),
    ];
    for (what, reply, status, code) in cases {
        assert_eq!(reply.status.as_u16(), status, "{what}: {}", reply.body);
        let response = reply.response();
        assert_eq!(response["error"]["code"], code, "{what}");
        assert_eq!(response["id"], 9, "{what}: errors echo the id");
        assert_schema(MODERN, "JSONRPCErrorResponse", &response);
    }
    let unsupported = modern_bent(&app, |b, h| {
        b["params"]["_meta"]["io.modelcontextprotocol/protocolVersion"] = json!("2099-01-01");
        h[0].1 = "2099-01-01".into();
    })
    .await;
    assert_eq!(
        unsupported.response()["error"]["data"],
        json!({ "supported": [MODERN], "requested": "2099-01-01" })
    );
    let name_missing = modern(
        &app,
        "tools/call",
        json!({ "name": "greet_user", "arguments": { "name": "x" } }),
        None,
    )
    .await;
    assert_eq!(
        (
            name_missing.status.as_u16(),
            name_missing.response()["error"]["code"].clone()
        ),
        (400, json!(-32020))
    );
    let notification = modern_bent(&app, |b, _| {
        b.as_object_mut().unwrap().remove("id");
        b["method"] = json!("notifications/cancelled");
    })
    .await;
    assert_eq!(
        (notification.status, notification.body.as_str()),
        (StatusCode::ACCEPTED, "")
    );
}
