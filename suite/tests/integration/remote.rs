//! The remote path end to end: the real AWS SDK (SigV4) → the emulator (`emulate`) → the reference
//! server, with faults tripping their checks through InvokeAgentRuntime; the emulator's refusals
//! as the SDK's typed errors; and a platform that checks nothing, which the platform checks catch.

use std::time::{Duration, SystemTime};

use agentcore_mcp_reference::{Config, FAULTS, Faults};
use agentcore_mcp_suite::checks::{Level, Verdict, catalog};
use agentcore_mcp_suite::emulate::{Emulator, EmulatorAuth, EmulatorConfig, Upstream};
use agentcore_mcp_suite::targets::remote::{RemoteFlags, RemoteTarget};
use agentcore_mcp_suite::wire::agentcore::Auth;
use agentcore_mcp_suite::wire::agentcore::contract::MEMBER_HEADERS;
use agentcore_mcp_suite::wire::transport::Capability;
use agentcore_mcp_suite::{Report, RunOptions, Target};
use aws_sdk_bedrockagentcore::config::interceptors::BeforeTransmitInterceptorContextMut;
use aws_sdk_bedrockagentcore::config::{
    BehaviorVersion, ConfigBag, Credentials, Intercept, Region, RuntimeComponents, retry::RetryConfig,
};
use aws_sdk_bedrockagentcore::primitives::{Blob, SdkBody};

use super::common::{check, non_passes, quick_options, text, verdicts};

pub const ARN: &str = "arn:aws:bedrock-agentcore:us-west-2:123456789012:runtime/reference-AbCdEf1234";
pub const ACCESS_KEY: &str = "AKIDEMULATORTEST0001";
pub const SECRET: &str = "emulator-secret-not-a-real-one";

/// Checks that need platform calls (`needs: [Capability::Platform]`), split by whether a
/// reference-server fault trips them (they judge the server through the platform) or not (they
/// judge the platform itself, and only a platform that misbehaves trips them).
pub fn platform_checks(trippable_by_a_fault: bool) -> Vec<&'static str> {
    catalog()
        .into_iter()
        .filter(|c| c.needs.contains(&Capability::Platform))
        .filter(|c| {
            let tripped = FAULTS.iter().any(|f| f.trips().any(|id| id == c.id));
            tripped == trippable_by_a_fault
        })
        .map(|c| c.id)
        .collect()
}

/// An embedded reference server; returns its MCP URL and the task serving it.
pub async fn reference_server(config: Config) -> (String, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let task = tokio::spawn(async move {
        let _ = agentcore_mcp_reference::serve(listener, config).await;
    });
    (format!("http://127.0.0.1:{port}/mcp"), task)
}

pub async fn emulator(upstream: &str, auth: EmulatorAuth) -> Emulator {
    Emulator::start(EmulatorConfig {
        auth,
        ..emulator_config(Upstream::Url(upstream.parse().unwrap()))
    })
    .await
    .expect("the emulator starts")
}

/// An emulator in front of `upstream`, SigV4 with the test keys, AgentCore's defaults otherwise.
pub fn emulator_config(upstream: Upstream) -> EmulatorConfig {
    EmulatorConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        upstream,
        auth: sigv4(),
        idle_timeout: Duration::from_secs(900),
        max_lifetime: Duration::from_secs(28_800),
        invocations_per_second: agentcore_mcp_suite::emulate::DEFAULT_INVOCATIONS_PER_SECOND,
    }
}

pub fn sigv4() -> EmulatorAuth {
    EmulatorAuth::SigV4 {
        access_key: ACCESS_KEY.into(),
        secret: SECRET.into(),
    }
}

/// The reference runtime behind the emulator at `endpoint`, signed with the test keys; in
/// runtime session `session` (default: a new one).
pub fn remote_target(endpoint: &str, session: Option<&str>) -> Target {
    let mut target = RemoteTarget::new(&RemoteFlags {
        arn: ARN.into(),
        qualifier: "DEFAULT".into(),
        endpoint_url: Some(endpoint.into()),
        runtime_session_id: session.map(str::to_string),
        ..RemoteFlags::default()
    })
    .unwrap();
    target.spec.auth = Auth::SigV4(Some(Credentials::new(ACCESS_KEY, SECRET, None, None, "test")));
    Target::Remote(Box::new(target))
}

/// Checks `config`'s reference server through a SigV4 emulator.
async fn through_emulator(config: Config, options: &RunOptions) -> Report {
    let (upstream, server) = reference_server(config).await;
    let report = upstream_through_emulator(&upstream, options).await;
    server.abort();
    report
}

/// Checks the server at `upstream` through a SigV4 emulator.
async fn upstream_through_emulator(upstream: &str, options: &RunOptions) -> Report {
    let emulator = emulator(upstream, sigv4()).await;
    let report = check(&remote_target(&emulator.endpoint_url(), None), options).await;
    emulator.shutdown().await;
    report
}

/// Servers nobody here wrote, through the platform path: only their known violations fail, and
/// stateful ones are judged stateful (AgentCore supports them; a false fail here is a suite or
/// emulator bug).
#[tokio::test(flavor = "multi_thread")]
async fn third_party_servers_pass_through_the_emulator_but_for_their_known_violations() {
    let judge = |expected_file: &'static str, name: &'static str| {
        let mut options = quick_options();
        options.probe.latency_budget = Duration::from_secs(2);
        let expected = std::fs::read_to_string(expected_file).unwrap();
        options.expected = agentcore_mcp_suite::ExpectedFailures::parse(&expected, name).unwrap();
        options
    };
    let mut servers: Vec<(String, String, RunOptions, Option<&str>)> = Vec::new();
    for (agentcore_ready, sessions) in [(true, "stateless"), (false, "stateful")] {
        let url = super::rmcp_server::serve(agentcore_ready).await;
        let options = judge(super::rmcp_server::EXPECTED, "fixtures/rmcp/expected-failures.yml");
        servers.push((format!("rmcp ({sessions})"), url, options, Some(sessions)));
    }
    let mut children = Vec::new();
    if let Some(python) = super::python_sdk::python() {
        for (args, sessions) in [(&[][..], "stateless"), (&["--stateful"][..], "stateful")] {
            let (child, url) = super::python_sdk::start(&python, "mcp_server.py", args).await;
            children.push(child);
            let expected = concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/python/expected-failures.yml");
            servers.push((
                format!("Python SDK ({sessions})"),
                url,
                judge(expected, "expected-failures.yml"),
                Some(sessions),
            ));
        }
    }
    for (name, url, options, sessions) in servers {
        let report = upstream_through_emulator(&url, &options).await;
        assert!(
            report.passed(),
            "{name}: {:#?}\n{:?}",
            non_passes(&report),
            report.summary
        );
        assert_eq!(report.eras[0].sessions, sessions, "{name}: {:?}", report.eras);
        assert_eq!(verdicts(&report, "remote.session-roundtrip"), [Verdict::Pass], "{name}");
    }
}

fn reference(faults: &[&str]) -> Config {
    Config {
        faults: Faults::parse(faults.iter().copied()).unwrap(),
        keepalive: Duration::from_millis(100),
        ..Config::default()
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_reference_server_passes_through_the_sdk_and_the_emulator() {
    for (name, config) in [
        ("SSE", reference(&[])),
        (
            "JSON",
            Config {
                json_response: true,
                ..reference(&[])
            },
        ),
        (
            "stateful",
            Config {
                stateful: true,
                ..reference(&[])
            },
        ),
    ] {
        let report = through_emulator(config, &quick_options()).await;
        assert!(report.passed(), "{name}: {:#?}", non_passes(&report));
        for id in platform_checks(true).iter().chain(&platform_checks(false)) {
            let found = verdicts(&report, id);
            assert!(
                !found.is_empty() && found.iter().all(|v| *v == Verdict::Pass),
                "{name}: {id} {found:?}: {:#?}",
                report
                    .results
                    .iter()
                    .filter(|r| r.id == *id)
                    .map(|r| &r.message)
                    .collect::<Vec<_>>()
            );
        }
        // What the platform does not let a client control is skipped, saying why.
        for id in [
            "ping.reachable",
            "accept.missing",
            "http.get",
            "http.any-host",
            "sse.headers",
        ] {
            let result = report.results.iter().find(|r| r.id == id).expect(id);
            assert_eq!(result.verdict, Verdict::Skip, "{name}: {id}: {}", result.message);
            assert!(
                result.message.contains("InvokeAgentRuntime"),
                "{id}: {}",
                result.message
            );
        }
        assert!(
            report
                .notes
                .iter()
                .any(|n| n.contains("InvokeAgentRuntime (AWS SDK, SigV4)"))
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn faults_trip_their_checks_through_the_emulator() {
    let mut problems = Vec::new();
    let mut cases: Vec<(&str, &str)> = FAULTS
        .iter()
        .flat_map(|f| {
            f.trips()
                .filter(|id| platform_checks(true).contains(id))
                .map(move |id| (f.name(), id))
        })
        .collect();
    // And a sample of the rest: the ordinary checks judge what comes through the platform.
    cases.extend([
        ("wrong-response-id", "jsonrpc.id-echo"),
        ("sse-invalid-utf8", "sse.utf8"),
        ("sse-unterminated-event", "sse.events-terminated"),
        ("initialize-no-server-info", "lifecycle.initialize"),
        ("unknown-tool-success", "tools.unknown"),
        ("no-result-type", "modern.result-type"),
    ]);
    for id in platform_checks(true) {
        assert!(cases.iter().any(|(_, c)| *c == id), "no fault trips {id}");
    }
    for (fault, id) in cases {
        let check_def = catalog().into_iter().find(|c| c.id == id).unwrap();
        let mut options = quick_options();
        options.only = vec![id.to_string()];
        options.probe.latency_budget = Duration::from_millis(100);
        options.probe.cold_start_budget = Duration::from_millis(100);
        let report = through_emulator(reference(&[fault]), &options).await;
        let wanted = match check_def.level {
            Level::Must => Verdict::Fail,
            Level::Should => Verdict::Warn,
        };
        let found = verdicts(&report, id);
        if !found.contains(&wanted) {
            problems.push(format!(
                "--fault {fault} left {id} at {found:?} through the emulator, wanted {wanted:?}"
            ));
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
}

/// What a test interceptor does to a signed request just before it is sent.
#[derive(Debug)]
enum Tamper {
    Body,
    Unsign,
}

impl Intercept for Tamper {
    fn name(&self) -> &'static str {
        "tamper"
    }

    fn modify_before_transmit(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), aws_sdk_bedrockagentcore::error::BoxError> {
        let request = context.request_mut();
        match self {
            Tamper::Body => {
                // Same length, one byte changed: only the signature can tell.
                let body = request.body().bytes().unwrap_or_default().to_vec();
                let tampered = String::from_utf8(body).unwrap().replace("\"id\":1", "\"id\":2");
                *request.body_mut() = SdkBody::from(tampered);
            }
            Tamper::Unsign => {
                request.headers_mut().remove("authorization");
            }
        }
        Ok(())
    }
}

fn sdk(
    endpoint: &str,
    secret: &str,
    tamper: Option<Tamper>,
    clock: Option<SystemTime>,
) -> aws_sdk_bedrockagentcore::Client {
    let mut config = aws_sdk_bedrockagentcore::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-west-2"))
        .endpoint_url(endpoint)
        .credentials_provider(Credentials::new(ACCESS_KEY, secret, None, None, "test"))
        .retry_config(RetryConfig::disabled());
    if let Some(tamper) = tamper {
        config = config.interceptor(tamper);
    }
    if let Some(time) = clock {
        config = config.time_source(aws_smithy_async::time::StaticTimeSource::new(time));
    }
    aws_sdk_bedrockagentcore::Client::from_conf(config.build())
}

#[tokio::test(flavor = "multi_thread")]
async fn the_emulator_refuses_what_the_service_refuses_as_typed_sdk_errors() {
    let (upstream, server) = reference_server(reference(&[])).await;
    let emulator = emulator(&upstream, sigv4()).await;
    let endpoint = emulator.endpoint_url();
    let invoke = |client: aws_sdk_bedrockagentcore::Client, session: String| async move {
        client
            .invoke_agent_runtime()
            .agent_runtime_arn(ARN)
            .qualifier("DEFAULT")
            .runtime_session_id(session)
            .content_type("application/json")
            .accept("application/json, text/event-stream")
            .payload(Blob::new(br#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#.to_vec()))
            .send()
            .await
    };
    let session = |n: usize| "s".repeat(n);
    let good = invoke(sdk(&endpoint, SECRET, None, None), session(40)).await;
    assert!(good.is_ok(), "{:?}", good.err());

    let stale = SystemTime::now() - Duration::from_secs(6 * 60);
    let denied = [
        ("wrong secret", sdk(&endpoint, "not-the-secret", None, None)),
        ("tampered body", sdk(&endpoint, SECRET, Some(Tamper::Body), None)),
        ("unsigned", sdk(&endpoint, SECRET, Some(Tamper::Unsign), None)),
        ("a date 6 minutes old", sdk(&endpoint, SECRET, None, Some(stale))),
    ];
    for (what, client) in denied {
        let error = invoke(client, session(40)).await.expect_err(what);
        let service = error.as_service_error().unwrap_or_else(|| panic!("{what}: {error:?}"));
        assert!(service.is_access_denied_exception(), "{what}: {service:?}");
    }
    for length in [32, 257] {
        let error = invoke(sdk(&endpoint, SECRET, None, None), session(length))
            .await
            .expect_err("too short or long");
        let service = error.as_service_error().unwrap();
        assert!(service.is_validation_exception(), "{length}: {service:?}");
    }
    for length in [33, 256] {
        let answer = invoke(sdk(&endpoint, SECRET, None, None), session(length)).await;
        assert!(answer.is_ok(), "{length}: {:?}", answer.err());
    }
    // StopRuntimeSession ends a session the emulator knows; a second stop finds nothing.
    let stop = || {
        sdk(&endpoint, SECRET, None, None)
            .stop_runtime_session()
            .agent_runtime_arn(ARN)
            .qualifier("DEFAULT")
            .runtime_session_id(session(40))
            .send()
    };
    let before = emulator.live_sessions();
    let stopped = stop().await;
    assert!(stopped.is_ok(), "{:?}", stopped.err());
    assert_eq!(emulator.live_sessions(), before - 1);
    let again = stop().await.expect_err("already stopped");
    assert!(
        again.as_service_error().unwrap().is_resource_not_found_exception(),
        "{again:?}"
    );
    emulator.shutdown().await;
    server.abort();

    // A payload over the service's 100 MB limit is a ValidationException (sent unsigned to an
    // open emulator: signing 100 MB in a debug build would only make the test slow).
    let (upstream, server) = reference_server(reference(&[])).await;
    let open = self::emulator(&upstream, EmulatorAuth::Open).await;
    let too_large = reqwest::Client::new()
        .post(format!(
            "{}/runtimes/{}/invocations?qualifier=DEFAULT",
            open.endpoint_url(),
            agentcore_mcp_suite::wire::agentcore::contract::encode_all(ARN)
        ))
        .header("content-type", "application/json")
        .body(vec![b' '; agentcore_mcp_suite::emulate::MAX_PAYLOAD + 1])
        .send()
        .await
        .unwrap();
    assert_eq!(too_large.status().as_u16(), 400);
    assert_eq!(too_large.headers()["x-amzn-errortype"], "ValidationException");
    open.shutdown().await;
    server.abort();
}

/// A "platform" that checks nothing and forwards everything: what the platform checks catch.
/// With `untyped`, it refuses bad runtime session ids with a bare 400 instead of a typed error.
async fn lax_platform(upstream: String, untyped: bool) -> (String, tokio::task::JoinHandle<()>) {
    use axum::body::Body;
    use axum::http::Request;
    let client = reqwest::Client::new();
    let app = axum::Router::new().fallback(move |request: Request<Body>| {
        let (client, upstream) = (client.clone(), upstream.clone());
        async move {
            let (parts, body) = request.into_parts();
            let session = parts
                .headers
                .get("x-amzn-bedrock-agentcore-runtime-session-id")
                .map_or(0, |v| v.len());
            if untyped && !(33..=256).contains(&session) {
                return axum::http::Response::builder()
                    .status(400)
                    .body(Body::from("bad"))
                    .unwrap();
            }
            let body = axum::body::to_bytes(body, 1 << 24).await.unwrap();
            let mut forward = client.post(&upstream).body(body);
            for name in MEMBER_HEADERS {
                if let Some(value) = parts.headers.get(*name) {
                    forward = forward.header(*name, value);
                }
            }
            let response = forward.send().await.unwrap();
            let mut reply = axum::http::Response::builder().status(response.status().as_u16());
            for name in ["content-type", "mcp-session-id"] {
                if let Some(value) = response.headers().get(name) {
                    reply = reply.header(name, value);
                }
            }
            reply.body(Body::from(response.bytes().await.unwrap())).unwrap()
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (format!("http://{addr}"), task)
}

#[tokio::test(flavor = "multi_thread")]
async fn platform_checks_catch_a_platform_that_checks_nothing() {
    let (upstream, server) = reference_server(reference(&[])).await;
    let mut options = quick_options();
    options.only = platform_checks(false).iter().map(|s| s.to_string()).collect();

    let (lax, lax_task) = lax_platform(upstream.clone(), false).await;
    let report = check(&remote_target(&lax, None), &options).await;
    assert_eq!(
        verdicts(&report, "remote.auth-required"),
        [Verdict::Fail],
        "{:#?}",
        non_passes(&report)
    );
    assert_eq!(verdicts(&report, "session.runtime-id-length"), [Verdict::Fail]);
    assert_eq!(verdicts(&report, "remote.errors-typed"), [Verdict::Skip]);
    lax_task.abort();

    let (untyped, untyped_task) = lax_platform(upstream.clone(), true).await;
    let report = check(&remote_target(&untyped, None), &options).await;
    assert_eq!(
        verdicts(&report, "remote.errors-typed"),
        [Verdict::Warn],
        "{:#?}",
        non_passes(&report)
    );
    untyped_task.abort();

    // The emulator without credentials serves anyone: remote.auth-required says so.
    let open = emulator(&upstream, EmulatorAuth::Open).await;
    let report = check(&remote_target(&open.endpoint_url(), None), &options).await;
    assert_eq!(verdicts(&report, "remote.auth-required"), [Verdict::Fail]);
    assert_eq!(verdicts(&report, "session.runtime-id-length"), [Verdict::Pass]);
    open.shutdown().await;
    server.abort();
}

const BIN: &str = env!("CARGO_BIN_EXE_agentcore-mcp-suite");

/// Runs the binary with `env` (and no AWS configuration from this machine) on a blocking thread.
pub async fn run_cli(args: Vec<String>, env: Vec<(&'static str, String)>) -> std::process::Output {
    tokio::task::spawn_blocking(move || {
        std::process::Command::new(BIN)
            .args(&args)
            .env("NO_COLOR", "1")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_CONFIG_FILE", "/nonexistent")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
            .env_remove("AWS_PROFILE")
            .envs(env)
            .output()
            .expect("the binary runs")
    })
    .await
    .unwrap()
}

/// A check through the emulator in every format; everything it wrote, stdout and stderr included.
async fn check_all_formats(endpoint: &str, extra: &[&str], env: Vec<(&'static str, String)>) -> (Option<i32>, String) {
    let dir = std::env::temp_dir().join(format!("remote-cli-{}-{}", std::process::id(), extra.len()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = |name: &str| dir.join(name).display().to_string();
    let mut args: Vec<String> = [
        "check",
        "--quiet",
        "--arn",
        ARN,
        "--endpoint-url",
        endpoint,
        "--format",
        "json",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    const FILES: [(&str, &str); 5] = [
        ("human", "r.txt"),
        ("junit", "r.xml"),
        ("markdown", "r.md"),
        ("html", "r.html"),
        ("sarif", "r.sarif"),
    ];
    for (format, name) in FILES {
        args.push("--output".into());
        args.push(format!("{format}={}", file(name)));
    }
    args.extend(extra.iter().map(|s| s.to_string()));
    let out = run_cli(args, env).await;
    let mut all = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    for (_, name) in FILES {
        all.push_str(&std::fs::read_to_string(file(name)).unwrap_or_default());
    }
    let _ = std::fs::remove_dir_all(&dir);
    (out.status.code(), all)
}

#[tokio::test(flavor = "multi_thread")]
async fn the_cli_checks_an_arn_with_the_default_credential_chain_and_leaks_no_secret() {
    let (upstream, server) = reference_server(reference(&[])).await;
    let emulator = emulator(&upstream, sigv4()).await;
    let token = "sekrit-session-token-0123456789".to_string();
    let env = vec![
        ("AWS_ACCESS_KEY_ID", ACCESS_KEY.to_string()),
        ("AWS_SECRET_ACCESS_KEY", SECRET.to_string()),
        ("AWS_SESSION_TOKEN", token.clone()),
    ];
    let (code, all) = check_all_formats(&emulator.endpoint_url(), &[], env).await;
    assert_eq!(code, Some(0), "{all}");
    assert!(all.contains("remote.session-roundtrip"), "{all}");
    for secret in [ACCESS_KEY, SECRET, &token, "Signature=", "AWS4-HMAC-SHA256"] {
        assert!(!all.contains(secret), "`{secret}` reached the output");
    }
    // Wrong keys: one line naming the cause and the IAM action, exit 2, before any check.
    let out = run_cli(
        vec![
            "check".into(),
            "--arn".into(),
            ARN.into(),
            "--endpoint-url".into(),
            emulator.endpoint_url(),
        ],
        vec![
            ("AWS_ACCESS_KEY_ID", ACCESS_KEY.to_string()),
            ("AWS_SECRET_ACCESS_KEY", "wrong".to_string()),
        ],
    )
    .await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("AccessDeniedException") && stderr.contains("bedrock-agentcore:InvokeAgentRuntime"),
        "{stderr}"
    );
    emulator.shutdown().await;
    server.abort();
}

#[tokio::test(flavor = "multi_thread")]
async fn an_oauth_runtime_wants_its_bearer_token() {
    let (upstream, server) = reference_server(reference(&[])).await;
    let token = "sekrit-bearer-token-abcdef".to_string();
    let authorization_server = url::Url::parse("https://auth.example.test/").unwrap();
    let bearer = |authorization_server| EmulatorAuth::Bearer {
        token: token.clone(),
        authorization_server,
    };
    let emulator = emulator(&upstream, bearer(Some(authorization_server))).await;
    let endpoint = emulator.endpoint_url();

    let invocations = format!(
        "{endpoint}/runtimes/{}/invocations?qualifier=DEFAULT",
        agentcore_mcp_suite::wire::agentcore::contract::encode_all(ARN)
    );
    let unauthenticated = reqwest::Client::new()
        .post(&invocations)
        .header("content-type", "application/json")
        .body(r#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(unauthenticated.status().as_u16(), 401);
    let challenge = unauthenticated.headers()["www-authenticate"].to_str().unwrap();
    assert!(challenge.starts_with("Bearer resource_metadata=\""), "{challenge}");
    // What an MCP client does next (RFC 9728 discovery): the document is served.
    let metadata_url = challenge.split('"').nth(1).unwrap();
    let metadata: serde_json::Value =
        serde_json::from_str(&reqwest::get(metadata_url).await.unwrap().text().await.unwrap()).unwrap();
    assert_eq!(
        metadata["resource"],
        invocations.split('?').next().unwrap(),
        "{metadata}"
    );
    assert_eq!(
        metadata["authorization_servers"],
        serde_json::json!(["https://auth.example.test/"])
    );

    // A runtime whose metadata names no authorization server fails remote.auth-required.
    let nameless = self::emulator(&upstream, bearer(None)).await;
    let (code, all) = check_all_formats(
        &nameless.endpoint_url(),
        &["--bearer-token-env", "SUITE_TEST_TOKEN"],
        vec![("SUITE_TEST_TOKEN", token.clone())],
    )
    .await;
    assert_eq!(code, Some(1), "{all}");
    assert!(all.contains("names no authorization server"), "{all}");
    nameless.shutdown().await;

    // SigV4 runtimes refuse with 403 and no WWW-Authenticate.
    let sigv4_runtime = self::emulator(&upstream, sigv4()).await;
    let unsigned = reqwest::Client::new()
        .post(invocations.replace(&endpoint, &sigv4_runtime.endpoint_url()))
        .header("content-type", "application/json")
        .body(r#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(unsigned.status().as_u16(), 403);
    assert!(unsigned.headers().get("www-authenticate").is_none());
    sigv4_runtime.shutdown().await;

    let (code, all) = check_all_formats(
        &endpoint,
        &["--bearer-token-env", "SUITE_TEST_TOKEN"],
        vec![("SUITE_TEST_TOKEN", token.clone())],
    )
    .await;
    assert_eq!(code, Some(0), "{all}");
    assert!(all.contains("OAuth bearer token"), "{all}");
    assert!(!all.contains(&token), "the bearer token reached the output");

    let out = run_cli(
        vec![
            "check".into(),
            "--arn".into(),
            ARN.into(),
            "--endpoint-url".into(),
            endpoint.clone(),
            "--bearer-token-env".into(),
            "SUITE_TEST_TOKEN".into(),
        ],
        vec![("SUITE_TEST_TOKEN", "not-the-token".into())],
    )
    .await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("401 Unauthorized") && !stderr.contains("not-the-token"),
        "{stderr}"
    );
    emulator.shutdown().await;
    server.abort();
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_remote_flags_are_one_line_usage_errors_before_anything_is_sent() {
    let cases: [(&[&str], &str); 5] = [
        (&["--arn", "arn:aws:s3:::bucket"], "not an AgentCore runtime ARN"),
        (&["--arn", ARN, "--runtime-session-id", "too-short"], "33 to 256"),
        (&["--arn", ARN, "--runtime-session-id", &"x".repeat(257)], "33 to 256"),
        (&["--arn", ARN, "--header", "X-A: b"], "cannot be used with"),
        (&["--arn", ARN, "--insecure"], "apply to --bearer-token-env"),
    ];
    for (flags, says) in cases {
        let mut args = vec!["check".to_string()];
        args.extend(flags.iter().map(|s| s.to_string()));
        // Nothing listens there: a usage error must come before any request.
        args.extend(["--endpoint-url".into(), "http://127.0.0.1:9".into()]);
        let out = run_cli(args, Vec::new()).await;
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{flags:?}: {stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "{flags:?}: {stderr}");
        assert!(stderr.contains(says), "{flags:?}: {stderr}");
    }
}

/// Runs a boto3 fixture script against a SigV4 emulator in front of the reference server;
/// returns a look-up of the JSON cases it printed, by name. `None` without Python.
async fn boto3_cases(script: &str) -> Option<impl Fn(&str) -> serde_json::Value> {
    let python = super::python_sdk::python()?;
    let (upstream, server) = reference_server(reference(&[])).await;
    let emulator = emulator(&upstream, sigv4()).await;
    let script = format!("{}/{script}", super::python_sdk::FIXTURES);
    let endpoint = emulator.endpoint_url();
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(python)
            .args([script.as_str(), &endpoint, ARN, ACCESS_KEY, SECRET])
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    emulator.shutdown().await;
    server.abort();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        !stderr.contains("No module named 'boto3'"),
        "boto3 is missing: .ci/run installs it into the MCP_PYTHON venv"
    );
    let cases: Vec<serde_json::Value> = stdout.lines().filter_map(|l| serde_json::from_str(l).ok()).collect();
    Some(move |name: &str| {
        cases
            .iter()
            .find(|c| c["case"] == name)
            .unwrap_or_else(|| panic!("{name} missing: {stdout}{stderr}"))
            .clone()
    })
}

/// boto3, the other client users point at the emulator, sees the same typed errors.
#[tokio::test(flavor = "multi_thread")]
async fn boto3_sees_the_emulators_typed_errors() {
    let Some(outcome) = boto3_cases("boto3_client.py").await else {
        return;
    };
    let signed = outcome("signed");
    assert_eq!(signed["ok"], true, "{signed}");
    assert!(signed["detail"].as_str().unwrap().contains("\"tools\""), "{signed}");
    assert_eq!(outcome("wrong secret")["code"], "AccessDeniedException");
    assert_eq!(outcome("32-character session")["code"], "ValidationException");
    assert_eq!(outcome("stop")["ok"], true, "{}", outcome("stop"));
    assert_eq!(outcome("stop again")["code"], "ResourceNotFoundException");
}

/// `bench --arn`: load through InvokeAgentRuntime (the SDK's pooled connections), here against
/// the emulator. (The service allows 25 invocations a second per endpoint: above that, a bench
/// of a real runtime measures throttling.)
#[tokio::test(flavor = "multi_thread")]
async fn bench_runs_through_invoke_agent_runtime() {
    let (upstream, server) = reference_server(reference(&[])).await;
    let emulator = emulator(&upstream, sigv4()).await;
    let args = [
        "bench",
        "--arn",
        ARN,
        "--endpoint-url",
        &emulator.endpoint_url(),
        "--requests",
        "200",
        "--concurrency",
        "4",
        "--quiet",
        "--format",
        "json",
    ];
    let out = run_cli(
        args.iter().map(|s| s.to_string()).collect(),
        vec![
            ("AWS_ACCESS_KEY_ID", ACCESS_KEY.to_string()),
            ("AWS_SECRET_ACCESS_KEY", SECRET.to_string()),
        ],
    )
    .await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["results"]["requests"], 200, "{stdout}");
    assert_eq!(report["results"]["errors"], 0, "{stdout}");
    assert!(
        report["target"].as_str().unwrap().contains("AgentCore runtime"),
        "{stdout}"
    );
    emulator.shutdown().await;
    server.abort();
}

/// The AWS guides' own way of calling an MCP runtime (boto3, IAM; no contentType, a 36-character
/// runtime session id, an MCP session id, MCP protocol version 2024-11-05) gets its tools list
/// through the emulator, with or without `accept`; `accept='application/json'` alone gets the
/// 406 the guides describe. boto3 sends no Content-Type then: the emulator supplies
/// `application/json`, as the platform must (else the server answers 415).
#[tokio::test(flavor = "multi_thread")]
async fn the_aws_guides_boto3_client_gets_its_tools() {
    let Some(outcome) = boto3_cases("agentcore_guide_client.py").await else {
        return;
    };
    for name in ["both media types", "no accept"] {
        let served = outcome(name);
        assert_eq!(served["ok"], true, "{served}");
        assert!(served["detail"].as_str().unwrap().contains("\"tools\""), "{served}");
    }
    let json_only = outcome("json only");
    assert_eq!(json_only["status"], 406, "{json_only}");
}

/// `bench --arn`: an open loop under the endpoint's quota by default, a rate above it refused
/// unless `--quota` says the account's is higher, and the platform's throttling counted apart
/// from the server's errors (the emulator enforces a quota as AgentCore does: 429
/// ThrottlingException).
#[tokio::test(flavor = "multi_thread")]
async fn bench_through_the_platform_respects_and_reports_its_quota() {
    let (upstream, _server) = reference_server(reference(&[])).await;
    let emulator = Emulator::start(EmulatorConfig {
        invocations_per_second: 5.0,
        ..emulator_config(Upstream::Url(upstream.parse().unwrap()))
    })
    .await
    .unwrap();
    let env = || {
        vec![
            ("AWS_ACCESS_KEY_ID", ACCESS_KEY.to_string()),
            ("AWS_SECRET_ACCESS_KEY", SECRET.to_string()),
        ]
    };
    // `bench` through the emulator at `endpoint`, tools/list only, with `extra` arguments.
    let bench_at = |endpoint: &str, extra: &[&str]| {
        let common = [
            "bench",
            "--arn",
            ARN,
            "--endpoint-url",
            endpoint,
            "--quiet",
            "--mix",
            "tools/list",
        ];
        common
            .iter()
            .chain(extra)
            .map(|s| s.to_string())
            .collect::<Vec<String>>()
    };
    let endpoint = emulator.endpoint_url();
    let bench = |extra: &[&str]| bench_at(&endpoint, extra);
    let over = run_cli(bench(&["--rate", "30", "--requests", "10"]), env()).await;
    assert_eq!(over.status.code(), Some(2));
    assert!(
        text(&over.stderr).contains("above the runtime endpoint's quota of 25"),
        "{}",
        text(&over.stderr)
    );
    // The emulator takes 5 a second; 20 a second (allowed by --quota 20) is throttled.
    let out = run_cli(
        bench(&["--rate", "20", "--quota", "20", "--requests", "40", "--format", "json"]),
        env(),
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let results = &report["results"];
    let throttled = results["throttled"].as_u64().unwrap();
    assert!(throttled >= 10, "{results}");
    assert_eq!(
        results["errors"].as_u64(),
        Some(throttled),
        "only throttling, no server error: {results}"
    );
    let human = run_cli(bench(&["--requests", "10"]), env()).await;
    let said = text(&human.stdout);
    assert!(
        said.contains("20 req/s offered"),
        "an open loop at 20/s by default: {:?} {said}{}",
        human.status,
        text(&human.stderr)
    );

    // --sessions 4: the requests in turn over four new runtime sessions, first ones apart; at
    // AgentCore's own quota, so that the throttling above leaves nothing behind.
    emulator.shutdown().await;
    let emulator = Emulator::start(emulator_config(Upstream::Url(upstream.parse().unwrap())))
        .await
        .unwrap();
    let endpoint = emulator.endpoint_url();
    let bench = |extra: &[&str]| bench_at(&endpoint, extra);
    let before = emulator.live_sessions();
    let out = run_cli(
        bench(&["--rate", "4", "--sessions", "4", "--requests", "10", "--format", "json"]),
        env(),
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let sessions = &report["results"]["runtime_sessions"];
    assert_eq!(
        (&sessions["sessions"], &sessions["cold"], &sessions["warm"]),
        (&4.into(), &4.into(), &6.into()),
        "{sessions}"
    );
    assert_eq!(report["results"]["errors"], 0, "{}", report["results"]);
    assert!(
        emulator.live_sessions() >= before + 4,
        "four more runtime sessions reached the emulator"
    );
    let human = run_cli(bench(&["--rate", "4", "--sessions", "2", "--requests", "4"]), env()).await;
    assert!(
        text(&human.stdout).contains("2 runtime sessions: a session's first request (cold) p50"),
        "{}",
        text(&human.stdout)
    );
    emulator.shutdown().await;
    let (stateful, _server) = reference_server(Config {
        stateful: true,
        ..reference(&[])
    })
    .await;
    let emulator = Emulator::start(emulator_config(Upstream::Url(stateful.parse().unwrap())))
        .await
        .unwrap();
    // A stateful server: each runtime session opens its own MCP session with its first request.
    let before = emulator.live_sessions();
    let args = bench_at(
        &emulator.endpoint_url(),
        &["--rate", "6", "--sessions", "2", "--requests", "6", "--format", "json"],
    );
    let out = run_cli(args, env()).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let results = &serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()["results"];
    assert_eq!(results["errors"], 0, "{results}");
    let sessions = &results["runtime_sessions"];
    assert_eq!(
        (&sessions["cold"], &sessions["warm"]),
        (&2.into(), &4.into()),
        "{sessions}"
    );
    assert!(emulator.live_sessions() >= before + 2);
    emulator.shutdown().await;
}
