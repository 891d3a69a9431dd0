//! Tools, their annotations, schema-valid results, and progress on the request stream.

use super::common::*;

#[tokio::test]
async fn tools_are_annotated_and_only_delete_notes_changes_anything() {
    let app = app();
    let tools = legacy(&app, "tools/list", json!({})).await.response()["result"]["tools"].clone();
    for tool in tools.as_array().unwrap() {
        let read_only = tool["annotations"]["readOnlyHint"] == json!(true);
        assert_eq!(read_only, tool["name"] != "delete_notes", "{tool}");
    }
    let notes = |app: Router| async move {
        let reply = legacy(&app, "tools/call", json!({ "name": "list_notes", "arguments": {} })).await;
        reply.response()["result"]["structuredContent"]["notes"]
            .as_array()
            .unwrap()
            .len()
    };
    assert_eq!(notes(app.clone()).await, 1);
    legacy(&app, "tools/call", json!({ "name": "delete_notes", "arguments": {} })).await;
    assert_eq!(notes(app.clone()).await, 0);
}

#[tokio::test]
async fn every_fixture_validates_against_the_schema() {
    let app = app();
    let calls = [
        (
            "tools/call",
            json!({ "name": "add_numbers", "arguments": { "a": 2, "b": 3 } }),
            "CallToolResult",
        ),
        (
            "tools/call",
            json!({ "name": "test_audio_content", "arguments": {} }),
            "CallToolResult",
        ),
        (
            "tools/call",
            json!({ "name": "test_multiple_content_types", "arguments": {} }),
            "CallToolResult",
        ),
        ("resources/list", json!({}), "ListResourcesResult"),
        (
            "resources/read",
            json!({ "uri": "test://template/123/data" }),
            "ReadResourceResult",
        ),
        (
            "resources/read",
            json!({ "uri": "test://static-binary" }),
            "ReadResourceResult",
        ),
        ("resources/templates/list", json!({}), "ListResourceTemplatesResult"),
        ("prompts/list", json!({}), "ListPromptsResult"),
        (
            "prompts/get",
            json!({ "name": "test_prompt_with_arguments", "arguments": { "arg1": "a", "arg2": "b" } }),
            "GetPromptResult",
        ),
        (
            "prompts/get",
            json!({ "name": "test_prompt_with_embedded_resource", "arguments": { "resourceUri": "test://x" } }),
            "GetPromptResult",
        ),
        (
            "completion/complete",
            json!({ "ref": { "type": "ref/prompt", "name": "test_prompt_with_arguments" }, "argument": { "name": "arg1", "value": "pa" } }),
            "CompleteResult",
        ),
    ];
    for (method, params, result_type) in calls {
        let reply = legacy(&app, method, params.clone()).await;
        let response = reply.response();
        assert!(response.get("result").is_some(), "{method} {params}: {response}");
        assert_schema(LEGACY, result_type, &response["result"]);
        assert_schema(LEGACY, "JSONRPCResultResponse", &response);
    }
    let add = legacy(
        &app,
        "tools/call",
        json!({ "name": "add_numbers", "arguments": { "a": 2, "b": 3 } }),
    )
    .await;
    assert_eq!(add.response()["result"]["structuredContent"], json!({ "sum": 5.0 }));
}

#[tokio::test]
async fn progress_and_logs_share_the_request_stream() {
    let app = app();
    let reply = legacy(
        &app,
        "tools/call",
        json!({ "name": "test_tool_with_progress", "arguments": {}, "_meta": { "progressToken": "p" } }),
    )
    .await;
    let messages = reply.messages();
    let progress: Vec<&Value> = messages
        .iter()
        .filter(|m| m["method"] == "notifications/progress")
        .collect();
    assert_eq!(progress.len(), 3);
    assert!(progress.iter().all(|p| p["params"]["progressToken"] == "p"));
    for p in progress {
        assert_schema(LEGACY, "ProgressNotification", p);
    }
    let logs = legacy(
        &app,
        "tools/call",
        json!({ "name": "test_tool_with_logging", "arguments": {} }),
    )
    .await;
    assert_eq!(
        logs.messages()
            .iter()
            .filter(|m| m["method"] == "notifications/message")
            .count(),
        3
    );
    assert_eq!(logs.response()["id"], 1, "the response comes last");
}
