//! `--stateful`: session ids minted, required and ended; event ids.

use super::common::*;

#[tokio::test]
async fn stateful_sessions_are_minted_required_and_ended() {
    let app = router(Config {
        stateful: true,
        session_idle_timeout: Duration::from_millis(300),
        ..Config::default()
    });
    let init = legacy(
        &app,
        "initialize",
        json!({ "protocolVersion": LEGACY, "capabilities": {} }),
    )
    .await;
    let session = init.headers["mcp-session-id"].to_str().unwrap().to_string();
    assert_eq!(session.len(), 32, "128 bits as hex: {session}");
    assert!(session.bytes().all(|b| b.is_ascii_hexdigit()));
    let other = legacy(
        &app,
        "initialize",
        json!({ "protocolVersion": LEGACY, "capabilities": {} }),
    )
    .await;
    assert_ne!(other.headers["mcp-session-id"], init.headers["mcp-session-id"]);

    // Event ids count up across all streams of one session.
    let first = in_session(&app, Some(&session), "tools/list").await;
    let second = in_session(&app, Some(&session), "ping").await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    let (a, b) = (event_ids(&first), event_ids(&second));
    assert!(!a.is_empty() && !b.is_empty(), "{} | {}", first.body, second.body);
    assert!(a.iter().all(|id| !b.contains(id)), "{a:?} {b:?}");

    assert_eq!(in_session(&app, None, "ping").await.status, StatusCode::BAD_REQUEST);
    let unknown = "0123456789abcdef0123456789abcdef";
    assert_eq!(
        in_session(&app, Some(unknown), "ping").await.status,
        StatusCode::NOT_FOUND
    );

    let delete = |id: &str| {
        Request::delete("/mcp")
            .header("mcp-session-id", id)
            .body(Body::empty())
            .unwrap()
    };
    assert_eq!(send(&app, delete(&session)).await.status, StatusCode::OK);
    assert_eq!(
        in_session(&app, Some(&session), "ping").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(send(&app, delete(&session)).await.status, StatusCode::NOT_FOUND);

    // An idle session is gone after the timeout.
    let idle = other.headers["mcp-session-id"].to_str().unwrap().to_string();
    assert_eq!(in_session(&app, Some(&idle), "ping").await.status, StatusCode::OK);
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(
        in_session(&app, Some(&idle), "ping").await.status,
        StatusCode::NOT_FOUND
    );
}
