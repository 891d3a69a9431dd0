//! The binary: exit codes, report files, expected failures, secrets kept out of output.

use std::sync::{Arc, Mutex};

use axum::extract::State;

use super::common::{suite, text};

#[test]
fn exit_codes_pass_fail_usage() {
    let clean = suite(&["check", "--quiet", "--only", "ping", "--only", "lifecycle"]);
    assert_eq!(clean.status.code(), Some(0), "{}", text(&clean.stdout));
    assert!(
        text(&clean.stdout).contains("passed, 0 failed"),
        "{}",
        text(&clean.stdout)
    );

    let failing = suite(&[
        "check",
        "--quiet",
        "--reference-fault",
        "ping-result-not-empty",
        "--only",
        "lifecycle.ping",
    ]);
    assert_eq!(failing.status.code(), Some(1), "{}", text(&failing.stdout));
    assert!(
        text(&failing.stdout).contains("FAIL  lifecycle.ping@legacy"),
        "{}",
        text(&failing.stdout)
    );

    for (args, says) in [
        (&["check", "--only", "no.such.check"][..], "matches no check"),
        (
            &["check", "--url", "ftp://127.0.0.1/mcp"][..],
            "not an http:// or https:// URL",
        ),
        (&["check", "--url", "https://127.0.0.1:1/mcp"][..], "cannot reach"),
        (
            &["check", "--url", "http://127.0.0.1:1/mcp", "--insecure"][..],
            "apply to https:// URLs only",
        ),
        (
            &[
                "check",
                "--url",
                "https://127.0.0.1:1/mcp",
                "--cacert",
                "/nonexistent.pem",
            ][..],
            "--cacert",
        ),
        (&["check", "--url", "http://127.0.0.1:1/mcp"][..], "cannot reach"),
        (&["check", "--reference-fault", "no-such-fault"][..], "unknown fault"),
        (&["check", "--header", "no colon"][..], "expected `Name: value`"),
        (&["check", "--timeout", "soon"][..], "not a duration"),
        (&["check", "--expected-failures", "/nonexistent.yml"][..], "cannot read"),
        (&["explain", "no.such"][..], "unknown check id"),
        (&["check", "--bogus"][..], "unexpected argument"),
        // clap's later lines say what is missing or meant: they are kept on the one line.
        (
            &["check", "--onyl", "accept"][..],
            "tip: a similar argument exists: '--only'",
        ),
        (&["bench", "merge"][..], "were not provided: <FILE>..."),
        (&["surface", "--update"][..], "were not provided: --baseline <FILE>"),
    ] {
        let out = suite(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", text(&out.stderr));
        let stderr = text(&out.stderr);
        assert_eq!(stderr.trim_end().lines().count(), 1, "{args:?}: {stderr}");
        assert!(stderr.contains(says), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    }
}

#[test]
fn several_report_files_in_one_run() {
    let dir = std::env::temp_dir().join(format!("suite-reports-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = |name: &str| dir.join(name).display().to_string();
    let (junit, json, markdown) = (path("r.xml"), path("r.json"), path("summary"));
    let out = suite(&[
        "check",
        "--quiet",
        "--reference-fault",
        "notification-200",
        "--only",
        "http",
        "--only",
        "session",
        "--samples",
        "2",
        "--output",
        &junit,
        "--output",
        &json,
        "--output",
        &format!("markdown={markdown}"),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(xml.starts_with("<?xml") && xml.contains("<testsuites"), "{xml}");
    assert!(
        xml.contains(r#"<testcase name="http.notification-202@legacy""#) && xml.contains("<failure"),
        "{xml}"
    );
    assert!(
        xml.contains("<skipped"),
        "not-applicable checks are skipped in JUnit: {xml}"
    );
    let report: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(report["schema_version"], 1);
    assert!(report["summary"]["failed"].as_u64().unwrap() >= 1);
    let md = std::fs::read_to_string(&markdown).unwrap();
    assert!(
        md.contains("**FAIL**") && md.contains("`http.notification-202@legacy`"),
        "{md}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn expected_failures_tolerate_and_go_stale() {
    let file = std::env::temp_dir().join(format!("suite-expected-{}.yml", std::process::id()));
    std::fs::write(&file, "lifecycle.ping@legacy: \"known: our ping says pong\"\n").unwrap();
    let file = file.display().to_string();
    let tolerated = suite(&[
        "check",
        "--quiet",
        "--reference-fault",
        "ping-result-not-empty",
        "--only",
        "lifecycle.ping",
        "--expected-failures",
        &file,
    ]);
    assert_eq!(tolerated.status.code(), Some(0), "{}", text(&tolerated.stdout));
    assert!(text(&tolerated.stdout).contains("XFAIL"), "{}", text(&tolerated.stdout));
    let stale = suite(&[
        "check",
        "--quiet",
        "--only",
        "lifecycle.ping",
        "--expected-failures",
        &file,
    ]);
    assert_eq!(
        stale.status.code(),
        Some(1),
        "a listed check that passes is a stale entry"
    );
    assert!(text(&stale.stdout).contains("STALE"), "{}", text(&stale.stdout));
    std::fs::write(&file, "lifecycle.nope: x\n").unwrap();
    assert_eq!(
        suite(&["check", "--expected-failures", &file]).status.code(),
        Some(2),
        "unknown ids are usage errors"
    );
    std::fs::remove_file(&file).unwrap();
}

#[test]
fn secrets_never_reach_the_output() {
    let dir = std::env::temp_dir().join(format!("agentcore-secrets-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let files: Vec<String> = ["r.html", "r.sarif", "r.md", "r.xml"]
        .iter()
        .map(|name| dir.join(name).display().to_string())
        .collect();
    let out = suite(&[
        "check",
        "--output",
        &files[0],
        "--output",
        &files[1],
        "--output",
        &files[2],
        "--output",
        &files[3],
        "--quiet",
        "--format",
        "json",
        "--reference-fault",
        "reject-standard-accept",
        "--only",
        "accept.both",
        "--header",
        "Authorization: Bearer sekrit-token-123",
        "--header",
        "X-Amz-Security-Token: sekrit-aws-456",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let mut all = text(&out.stdout) + &text(&out.stderr);
    for file in &files {
        all.push_str(&std::fs::read_to_string(file).expect("every --output file is written"));
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        all.matches("[redacted]").count() >= 3,
        "the evidence shows the header was sent: {all}"
    );
    assert!(!all.contains("sekrit"), "{all}");
    assert_eq!(
        agentcore_mcp_suite::secrets::redact_query("http://h/mcp?api_key=sekrit&x=1&token=abc"),
        "http://h/mcp?api_key=[redacted]&x=1&token=[redacted]"
    );
}

#[test]
fn list_and_explain() {
    let list = suite(&["list", "--format", "json"]);
    let catalog: Vec<serde_json::Value> = serde_json::from_slice(&list.stdout).unwrap();
    assert!(catalog.len() > 70);
    // Container-only checks are tripped by fixture images instead (container.rs); platform
    // checks by a platform that checks nothing (remote.rs).
    let container_only = |c: &serde_json::Value| {
        c["target"] != "any" || super::remote::platform_checks(false).iter().any(|id| c["id"] == *id)
    };
    assert!(
        catalog
            .iter()
            .filter(|c| !container_only(c))
            .all(|c| !c["faults"].as_array().unwrap().is_empty()),
        "every other check names its fault"
    );
    let explain = text(&suite(&["explain", "sse.events-terminated"]).stdout);
    assert!(
        explain.contains("--reference-fault sse-unterminated-event") && explain.contains("checks/sse.rs"),
        "{explain}"
    );
}

/// Renamed things keep their old spelling for a release: the `gateway` subcommand, the
/// `remote.seed-protocol-version` id and the `reject-seed-version` fault.
#[test]
fn old_names_still_work() {
    let help = suite(&["gateway", "--help"]);
    assert_eq!(help.status.code(), Some(0), "{}", text(&help.stderr));
    assert!(text(&help.stdout).contains("--upstream"), "{}", text(&help.stdout));

    let explained = suite(&["explain", "remote.seed-protocol-version"]);
    assert_eq!(explained.status.code(), Some(0), "{}", text(&explained.stderr));
    let explained = text(&explained.stdout);
    assert!(explained.starts_with("remote.guide-protocol-version\n"), "{explained}");
    assert!(
        explained.contains("--reference-fault reject-guide-version"),
        "{explained}"
    );

    // The old fault name starts a server with the renamed fault; the old id selects its check,
    // which skips here (no platform in front of the embedded server).
    let run = suite(&[
        "check",
        "--quiet",
        "--format",
        "json",
        "--reference-fault",
        "reject-seed-version",
        "--only",
        "remote.seed-protocol-version",
    ]);
    assert_eq!(run.status.code(), Some(0), "{}", text(&run.stderr));
    let report: serde_json::Value = serde_json::from_slice(&run.stdout).expect("a JSON report");
    assert!(
        report["target"]
            .as_str()
            .unwrap_or("")
            .contains("faults: reject-guide-version"),
        "{report}"
    );
    assert_eq!(report["results"][0]["id"], "remote.guide-protocol-version", "{report}");
}

/// `explain` tells what a check truly needs: remote checks need the platform, container checks
/// a container target.
#[test]
fn explain_names_true_needs() {
    for (id, needs) in [
        ("remote.accept", "call through AgentCore's InvokeAgentRuntime"),
        ("latency.cold-start", "a container target that answers MCP"),
        ("image.arch", "a container target (--image or --build)"),
        ("lifecycle.ping", "a POST to the MCP endpoint (any transport)"),
    ] {
        let out = text(&suite(&["explain", id]).stdout);
        let line = out.lines().find(|l| l.trim_start().starts_with("needs:")).unwrap_or("");
        assert!(line.contains(needs), "{id}: {out}");
    }
}

/// The reference server behind a recorder of every JSON-RPC method it is sent.
async fn recording_reference() -> (String, Arc<Mutex<Vec<String>>>, tokio::task::JoinHandle<()>) {
    async fn record(
        State(methods): State<Arc<Mutex<Vec<String>>>>,
        request: axum::extract::Request,
        next: axum::middleware::Next,
    ) -> axum::response::Response {
        let (parts, body) = request.into_parts();
        let bytes = axum::body::to_bytes(body, 1 << 20).await.unwrap_or_default();
        if let Ok(message) = serde_json::from_slice::<serde_json::Value>(&bytes)
            && let Some(method) = message["method"].as_str()
        {
            methods.lock().unwrap().push(method.to_string());
        }
        next.run(axum::extract::Request::from_parts(parts, axum::body::Body::from(bytes)))
            .await
    }
    let methods = Arc::new(Mutex::new(Vec::new()));
    let app = agentcore_mcp_reference::router(agentcore_mcp_reference::Config::default())
        .layer(axum::middleware::from_fn_with_state(methods.clone(), record));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/mcp", listener.local_addr().unwrap());
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (url, methods, server)
}

/// `--call` with a name the server does not list (a typo) is exit 2 with one line naming it and
/// the closest listed names, before any check runs: no tools/call is sent. The same for bench.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_the_server_does_not_list_is_refused_before_any_check() {
    let (url, methods, server) = recording_reference().await;
    for command in ["check", "bench"] {
        let mut args = vec![
            command,
            "--url",
            &url,
            "--call",
            "add_numbrs",
            "--args",
            r#"{"a":1,"b":2}"#,
        ];
        if command == "bench" {
            args.extend(["--requests", "5"]);
        }
        let owned: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        let out = tokio::task::spawn_blocking(move || {
            let args: Vec<&str> = owned.iter().map(String::as_str).collect();
            suite(&args)
        })
        .await
        .unwrap();
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{command}: {stderr}{}", text(&out.stdout));
        assert_eq!(stderr.trim_end().lines().count(), 1, "{command}: {stderr}");
        assert!(stderr.contains("--call `add_numbrs`"), "{command}: {stderr}");
        assert!(stderr.contains("closest: add_numbers"), "{command}: {stderr}");
        let seen = methods.lock().unwrap().clone();
        assert!(seen.contains(&"tools/list".to_string()), "{command}: {seen:?}");
        assert!(
            !seen.contains(&"tools/call".to_string()),
            "{command}: a tool was called: {seen:?}"
        );
    }
    server.abort();
}

/// A zero or negative duration on any flag is exit 2 with one line, and nothing reaches the
/// server.
#[test]
fn zero_and_negative_durations_are_refused_before_anything_is_sent() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let url = format!("http://{}/mcp", listener.local_addr().unwrap());
    let flags = [
        ("check", "--timeout"),
        ("check", "--latency-budget"),
        ("check", "--cold-start-budget"),
        ("check", "--startup-timeout"),
        ("check", "--keepalive-max-gap"),
        ("bench", "--timeout"),
        ("bench", "--duration"),
    ];
    for (command, flag) in flags {
        for value in ["0s", "0ms", "-1s"] {
            let given = format!("{flag}={value}");
            let out = suite(&[command, "--url", &url, &given]);
            let stderr = text(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{command} {given}: {stderr}");
            assert_eq!(stderr.trim_end().lines().count(), 1, "{command} {given}: {stderr}");
            assert!(stderr.contains("must be above zero"), "{command} {given}: {stderr}");
        }
    }
    let out = suite(&["emulate", "--upstream", &url, "--idle-timeout", "0s"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("must be above zero"),
        "{}",
        text(&out.stderr)
    );
    assert!(
        listener.accept().is_err(),
        "a refused invocation connected to the server"
    );
}

/// `--wait`: a server that starts listening about 2 s after the run begins is waited for and
/// checked; one that never does is exit 2 with one line naming what was last seen.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wait_gives_a_late_server_time_and_names_what_it_last_saw() {
    let port = super::common::free_port();
    let url = format!("http://127.0.0.1:{port}/mcp");
    let late = tokio::spawn(async move {
        tokio::time::sleep(std::time::Duration::from_secs(2)).await;
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await.unwrap();
        let _ = agentcore_mcp_reference::serve(listener, agentcore_mcp_reference::Config::default()).await;
    });
    let args = [
        "check",
        "--url",
        &url,
        "--wait",
        "20s",
        "--only",
        "lifecycle.ping",
        "--quiet",
    ];
    let owned: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    let out = tokio::task::spawn_blocking(move || suite(&owned.iter().map(String::as_str).collect::<Vec<_>>()))
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}{}", text(&out.stdout), text(&out.stderr));
    late.abort();

    let nobody = format!("http://127.0.0.1:{}/mcp", super::common::free_port());
    for command in ["check", "bench"] {
        let mut args = vec![command, "--url", &nobody, "--wait", "1s"];
        if command == "bench" {
            args.extend(["--requests", "1"]);
        }
        let owned: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        let out = tokio::task::spawn_blocking(move || suite(&owned.iter().map(String::as_str).collect::<Vec<_>>()))
            .await
            .unwrap();
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{command}: {stderr}");
        assert_eq!(stderr.trim_end().lines().count(), 1, "{command}: {stderr}");
        assert!(
            stderr.contains("did not come up within --wait 1.0 s"),
            "{command}: {stderr}"
        );
        assert!(stderr.contains("cannot connect"), "{command}: {stderr}");
    }
}
