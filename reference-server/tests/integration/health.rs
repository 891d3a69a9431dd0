//! GET /ping: the AgentCore health contract.

use super::common::*;

#[tokio::test]
async fn ping_reports_healthy_then_busy_while_slow_runs() {
    let app = app();
    let ping = send(&app, Request::get("/ping").body(Body::empty()).unwrap()).await;
    assert_eq!((ping.status, ping.content_type()), (StatusCode::OK, "application/json"));
    let body: Value = serde_json::from_str(&ping.body).unwrap();
    assert_eq!(body["status"], "Healthy");
    assert!(body["time_of_last_update"].is_u64());

    let slow = legacy(
        &app,
        "tools/call",
        json!({ "name": "slow", "arguments": { "seconds": 0.3 } }),
    );
    let watch = async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        send(&app, Request::get("/ping").body(Body::empty()).unwrap()).await
    };
    let (slow, busy) = tokio::join!(slow, watch);
    assert_eq!(slow.response()["result"]["content"][0]["text"], "waited 0.3 s");
    let busy: Value = serde_json::from_str(&busy.body).unwrap();
    assert_eq!(busy["status"], "HealthyBusy");
    let after: Value = serde_json::from_str(
        &send(&app, Request::get("/ping").body(Body::empty()).unwrap())
            .await
            .body,
    )
    .unwrap();
    assert_eq!(after["status"], "Healthy");
}
