//! Random JSON-RPC bodies, headers and chunkings: never a 5xx the server does not mean, never
//! a crash, and /ping healthy afterwards.

use super::common::*;
use proptest::prelude::*;

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        "[a-z0-9/_ -]{0,12}".prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            prop::collection::btree_map("[a-z_/.]{1,10}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn method() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("initialize".to_string()),
        Just("ping".to_string()),
        Just("tools/list".to_string()),
        Just("tools/call".to_string()),
        Just("resources/read".to_string()),
        Just("prompts/get".to_string()),
        Just("completion/complete".to_string()),
        Just("server/discover".to_string()),
        Just("logging/setLevel".to_string()),
        "[a-z/]{0,16}",
    ]
}

fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        (any::<Option<i64>>(), method(), json_value()).prop_map(|(id, method, params)| {
            let mut message = json!({ "jsonrpc": "2.0", "method": method, "params": params });
            if let Some(id) = id {
                message["id"] = json!(id);
            }
            message.to_string().into_bytes()
        }),
        json_value().prop_map(|v| v.to_string().into_bytes()),
        prop::collection::vec(any::<u8>(), 0..200),
    ]
}

fn headers() -> impl Strategy<Value = Vec<(&'static str, &'static str)>> {
    let accept = prop_oneof![
        Just(Some(ACCEPT_BOTH)),
        Just(Some("application/json")),
        Just(Some("text/event-stream")),
        Just(Some("*/*")),
        Just(None),
    ];
    let version = prop_oneof![
        Just(Some(LEGACY)),
        Just(Some(MODERN)),
        Just(Some("1999-01-01")),
        Just(None)
    ];
    let content_type = prop_oneof![Just("application/json"), Just("text/plain")];
    let session = prop_oneof![Just(None), Just(Some("0123456789abcdef0123456789abcdef01"))];
    (accept, version, content_type, session).prop_map(|(accept, version, content_type, session)| {
        let mut headers = vec![("content-type", content_type)];
        headers.extend(accept.map(|a| ("accept", a)));
        headers.extend(version.map(|v| ("mcp-protocol-version", v)));
        headers.extend(session.map(|s| ("mcp-session-id", s)));
        headers
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn random_requests_never_crash_the_server(
        body in body(),
        headers in headers(),
        chunk in 1usize..64,
        stateful in any::<bool>(),
        json_response in any::<bool>(),
    ) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let app = router(Config { stateful, json_response, ..Config::default() });
        let chunks: Vec<Result<Vec<u8>, std::io::Error>> = body.chunks(chunk).map(|c| Ok(c.to_vec())).collect();
        let mut request = Request::post("/mcp");
        for (name, value) in &headers {
            request = request.header(*name, *value);
        }
        let request = request.body(Body::from_stream(futures_util::stream::iter(chunks))).unwrap();
        let (status, ping) = runtime.block_on(async {
            let reply = tokio::time::timeout(Duration::from_secs(5), send(&app, request)).await.expect("answered");
            let ping = send(&app, Request::get("/ping").body(Body::empty()).unwrap()).await;
            (reply.status, ping)
        });
        prop_assert!(status.as_u16() < 500, "{status} for {:?}", String::from_utf8_lossy(&body));
        prop_assert_eq!(ping.status, StatusCode::OK);
        prop_assert!(ping.body.contains("Healthy"));
    }
}
