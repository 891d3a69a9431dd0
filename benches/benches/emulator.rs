//! What the emulator adds to a request: tools/list on the reference server from a
//! kept-alive client (as SDKs and proxies keep connections), straight to the server and through
//! the emulator; and through the emulator from the AWS SDK, signing included (SigV4 verified).
//! The emulator's overhead is the difference of the first two medians.
//!
//! `cargo bench -p agentcore-mcp-benches --bench emulator`

use std::time::Duration;

use agentcore_mcp_suite::emulate::{Emulator, EmulatorAuth, EmulatorConfig, Upstream};
use agentcore_mcp_suite::wire::agentcore::contract::encode_all;
use aws_sdk_bedrockagentcore::config::{BehaviorVersion, Credentials, Region, retry::RetryConfig};
use aws_sdk_bedrockagentcore::primitives::Blob;
use criterion::{Criterion, criterion_group, criterion_main};

const ARN: &str = "arn:aws:bedrock-agentcore:us-west-2:123456789012:runtime/bench-AbCdEf1234";
const SESSION: &str = "agentcore-mcp-suite-bench-session-0000000001";
const TOOLS_LIST: &str = r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#;

async fn emulator(upstream: &str, auth: EmulatorAuth) -> Emulator {
    Emulator::start(EmulatorConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        upstream: Upstream::Url(upstream.parse().unwrap()),
        auth,
        idle_timeout: Duration::from_secs(3600),
        max_lifetime: Duration::from_secs(28_800),
        invocations_per_second: agentcore_mcp_suite::emulate::DEFAULT_INVOCATIONS_PER_SECOND,
    })
    .await
    .unwrap()
}

fn overhead(c: &mut Criterion) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    let upstream = format!("http://{}/mcp", listener.local_addr().unwrap());
    runtime.spawn(agentcore_mcp_reference::serve(
        listener,
        agentcore_mcp_reference::Config::default(),
    ));
    let open = runtime.block_on(emulator(&upstream, EmulatorAuth::Open));
    let signed = runtime.block_on(emulator(
        &upstream,
        EmulatorAuth::SigV4 {
            access_key: "AKIDBENCH".into(),
            secret: "bench-secret".into(),
        },
    ));
    let client = reqwest::Client::builder().no_proxy().tcp_nodelay(true).build().unwrap();
    let post = |url: String| {
        let client = client.clone();
        async move {
            let response = client
                .post(url)
                .header("content-type", "application/json")
                .header("accept", "application/json, text/event-stream")
                .header("mcp-protocol-version", "2025-11-25")
                .header("x-amzn-bedrock-agentcore-runtime-session-id", SESSION)
                .body(TOOLS_LIST)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 200);
            response.bytes().await.unwrap();
        }
    };
    let invocations = format!(
        "{}/runtimes/{}/invocations?qualifier=DEFAULT",
        open.endpoint_url(),
        encode_all(ARN)
    );
    let sdk = aws_sdk_bedrockagentcore::Client::from_conf(
        aws_sdk_bedrockagentcore::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-west-2"))
            .endpoint_url(signed.endpoint_url())
            .credentials_provider(Credentials::new("AKIDBENCH", "bench-secret", None, None, "bench"))
            .retry_config(RetryConfig::disabled())
            .build(),
    );

    let mut group = c.benchmark_group("tools/list, kept-alive client");
    group.measurement_time(Duration::from_secs(8));
    group.bench_function("straight to the server", |b| {
        b.to_async(&runtime).iter(|| post(upstream.clone()))
    });
    group.bench_function("through the emulator", |b| {
        b.to_async(&runtime).iter(|| post(invocations.clone()))
    });
    group.bench_function("AWS SDK through the emulator (SigV4 signed and verified)", |b| {
        b.to_async(&runtime).iter(|| async {
            let output = sdk
                .invoke_agent_runtime()
                .agent_runtime_arn(ARN)
                .qualifier("DEFAULT")
                .runtime_session_id(SESSION)
                .content_type("application/json")
                .accept("application/json, text/event-stream")
                .mcp_protocol_version("2025-11-25")
                .payload(Blob::new(TOOLS_LIST.as_bytes().to_vec()))
                .send()
                .await
                .unwrap();
            output.response.collect().await.unwrap();
        })
    });
    group.finish();
    runtime.block_on(async {
        open.shutdown().await;
        signed.shutdown().await;
    });
}

criterion_group!(benches, overhead);
criterion_main!(benches);
