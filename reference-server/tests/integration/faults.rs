//! `--fault`: names parse, typos are refused, and a fault changes only what it names.

use super::common::*;

#[test]
fn faults_parse_and_reject_typos() {
    assert!(Faults::parse(["no-ping", "slow-ping"]).is_ok());
    let error = Faults::parse(["no-pnig"]).unwrap_err();
    assert!(error.contains("unknown fault `no-pnig`"), "{error}");
    let mut names: Vec<&str> = agentcore_mcp_reference::FAULTS.iter().map(|f| f.name()).collect();
    names.sort();
    names.dedup();
    assert_eq!(
        names.len(),
        agentcore_mcp_reference::FAULTS.len(),
        "fault names are unique"
    );
}

#[tokio::test]
async fn a_fault_changes_only_what_it_names() {
    let clean = app();
    let broken = router(Config {
        faults: Faults::parse(["ping-lowercase-status"]).unwrap(),
        ..Config::default()
    });
    let status = |app: Router| async move {
        let reply = send(&app, Request::get("/ping").body(Body::empty()).unwrap()).await;
        serde_json::from_str::<Value>(&reply.body).unwrap()["status"].clone()
    };
    assert_eq!(status(clean.clone()).await, "Healthy");
    assert_eq!(status(broken.clone()).await, "healthy");
    let (a, b) = (
        legacy(&clean, "tools/list", json!({})).await,
        legacy(&broken, "tools/list", json!({})).await,
    );
    assert_eq!(a.body, b.body, "MCP traffic is untouched");
}
