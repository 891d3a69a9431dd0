//! The container target against real images: the reference image (x86_64, and the arm64 deploy
//! artifact under qemu), faults baked in through the container command, and tiny broken images
//! from fixtures/containers/. Every test ends with no container of this process left.
//!
//! Needs a Docker engine and the reference images (`reference-server/build-image.sh amd64|arm64`).
//! Without them the tests skip loudly, unless AGENTCORE_SUITE_REQUIRE_DOCKER=1 (CI) makes that a
//! failure; the arm64 test likewise needs qemu-aarch64 in binfmt_misc (AGENTCORE_SUITE_REQUIRE_ARM64=1).

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use agentcore_mcp_suite::checks::Verdict;
use agentcore_mcp_suite::targets::container::{self, ContainerSpec, ImageSource};
use agentcore_mcp_suite::{RunOptions, Target};
use serde_json::json;
use testcontainers::bollard::Docker;

use super::common::{check, non_passes, quick_options, verdicts};

const AMD64: &str = "agentcore-mcp-reference:amd64";
const ARM64: &str = "agentcore-mcp-reference:arm64";
/// The suite's own image (`suite/build-image.sh amd64`).
const SUITE_IMAGE: &str = "agentcore-mcp-suite:amd64";
const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/containers");

/// A check of the reference image kept busy ~23 s by the keep-alive check: long enough to
/// interrupt while its container runs.
const BUSY_CHECK: [&str; 9] = [
    "check",
    "--quiet",
    "--image",
    AMD64,
    "--slow-checks",
    "--keepalive-max-gap",
    "30s",
    "--only",
    "sse.keepalive",
];

/// Container tests run one at a time, so "no container left" can be asserted after each.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn required(variable: &str) -> bool {
    std::env::var(variable).is_ok_and(|v| v == "1")
}

/// The engine, if one answers and the reference images exist; otherwise a loud skip.
async fn docker(images: &[&str]) -> Option<Docker> {
    let docker = match container::connect().await {
        Ok(docker) => docker,
        Err(e) => {
            assert!(
                !required("AGENTCORE_SUITE_REQUIRE_DOCKER"),
                "AGENTCORE_SUITE_REQUIRE_DOCKER=1 but {e}"
            );
            super::common::skip_loudly(&format!("container tests need a Docker engine ({e})"));
            return None;
        }
    };
    for image in images {
        if docker.inspect_image(image).await.is_err() {
            let script = if *image == SUITE_IMAGE {
                "suite"
            } else {
                "reference-server"
            };
            let hint = format!("build it with {script}/build-image.sh {}", &image[image.len() - 5..]);
            assert!(
                !required("AGENTCORE_SUITE_REQUIRE_DOCKER"),
                "image {image} is missing: {hint}"
            );
            super::common::skip_loudly(&format!("container tests need the image {image}: {hint}"));
            return None;
        }
    }
    Some(docker)
}

fn spec(image: ImageSource, args: &[&str]) -> Target {
    Target::Container(ContainerSpec {
        image,
        args: args.iter().map(|a| a.to_string()).collect(),
        startup_timeout: Duration::from_secs(20),
        cold_starts: 0,
        deploy: false,
    })
}

fn local(image: &str) -> ImageSource {
    ImageSource::Local(image.into())
}

fn built(fixture: &str) -> ImageSource {
    ImageSource::Build {
        dir: format!("{FIXTURES}/{fixture}").into(),
        dockerfile: None,
    }
}

/// Sends `signal` (INT for Ctrl-C, TERM as `docker stop` and CI runners do) to `child`, waits
/// for it, and asserts that no container labelled `label` is left; returns its exit code.
fn interrupt(child: &mut std::process::Child, label: &str, signal: &str) -> Option<i32> {
    let sent = Command::new("kill")
        .args([&format!("-{signal}"), &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let status = child.wait().unwrap();
    let left = Command::new("docker")
        .args(["ps", "-aq", "--filter", &format!("label={label}")])
        .output()
        .unwrap();
    assert!(
        left.stdout.is_empty(),
        "left behind: {}",
        String::from_utf8_lossy(&left.stdout)
    );
    status.code()
}

async fn assert_none_left(docker: &Docker) {
    let left = container::containers_of_this_process(docker).await.unwrap();
    assert!(left.is_empty(), "containers left behind: {left:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_reference_image_passes() {
    let _serial = SERIAL.lock().await;
    let Some(docker) = docker(&[AMD64]).await else { return };
    let mut options = quick_options();
    options.probe.latency_budget = Duration::from_secs(1);
    // Keep-alives every 100 ms, so the 400 ms gap that quick_options allows can be judged.
    let Target::Container(mut spec) = spec(local(AMD64), &["--keepalive-ms", "100"]) else {
        unreachable!()
    };
    spec.cold_starts = 2;
    let report = check(&Target::Container(spec), &options).await;
    assert_none_left(&docker).await;
    let problems: Vec<String> = non_passes(&report)
        .into_iter()
        .filter(|p| !p.contains("image.arch"))
        .collect();
    assert!(problems.is_empty(), "{problems:#?}");
    assert_eq!(
        verdicts(&report, "image.arch"),
        [Verdict::Warn],
        "amd64 warns outside --deploy"
    );
    for id in [
        "image.starts",
        "image.port-8000",
        "image.size",
        "image.non-root",
        "image.sigterm",
        "latency.cold-start",
    ] {
        assert_eq!(verdicts(&report, id), [Verdict::Pass], "{id}");
    }
    let cold = report.results.iter().find(|r| r.id == "latency.cold-start").unwrap();
    assert!(cold.message.contains("(3 starts)"), "{}", cold.message);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_arm64_deploy_artifact_boots_and_passes() {
    let _serial = SERIAL.lock().await;
    if !std::path::Path::new("/proc/sys/fs/binfmt_misc/qemu-aarch64").exists() {
        assert!(
            !required("AGENTCORE_SUITE_REQUIRE_ARM64"),
            "AGENTCORE_SUITE_REQUIRE_ARM64=1 but qemu-aarch64 is not in binfmt_misc"
        );
        super::common::skip_loudly("running the arm64 image needs qemu-user-static registered in binfmt_misc");
        return;
    }
    let Some(docker) = docker(&[ARM64]).await else { return };
    let Target::Container(mut spec) = spec(local(ARM64), &[]) else {
        unreachable!()
    };
    spec.deploy = true;
    let mut options = quick_options();
    options.probe.latency_budget = Duration::from_secs(2); // emulated
    options.probe.slow_checks = false;
    let report = check(&Target::Container(spec), &options).await;
    assert_none_left(&docker).await;
    assert!(report.passed(), "{:#?}", non_passes(&report));
    assert_eq!(verdicts(&report, "image.arch"), [Verdict::Pass]);
}

#[tokio::test(flavor = "multi_thread")]
async fn faults_baked_into_the_image_fail_their_checks() {
    let _serial = SERIAL.lock().await;
    let Some(docker) = docker(&[AMD64]).await else { return };
    let cases: &[(&[&str], &str, Verdict)] = &[
        (
            &["--fault", "sse-unterminated-event"],
            "sse.events-terminated",
            Verdict::Fail,
        ),
        (
            &["--fault", "reject-platform-session"],
            "session.platform-headers-accepted",
            Verdict::Fail,
        ),
        (&["--fault", "ping-lowercase-status"], "ping.status", Verdict::Warn),
        (&["--fault", "ignore-sigterm"], "image.sigterm", Verdict::Warn),
    ];
    for (args, id, wanted) in cases {
        let mut options = quick_options();
        options.only = vec![id.to_string()];
        let report = check(&spec(local(AMD64), args), &options).await;
        assert!(
            verdicts(&report, id).contains(wanted),
            "{args:?}: {id} gave {:?}",
            verdicts(&report, id)
        );
        assert_eq!(report.passed(), *wanted != Verdict::Fail, "{args:?}");
    }
    let mut options = quick_options();
    options.only = vec!["image".into()];
    let Target::Container(mut deploy) = spec(local(AMD64), &[]) else {
        unreachable!()
    };
    deploy.deploy = true;
    let report = check(&Target::Container(deploy), &options).await;
    assert_eq!(
        verdicts(&report, "image.arch"),
        [Verdict::Fail],
        "an amd64 image is not a deploy artifact"
    );
    options.only = vec!["image".into(), "latency.cold-start".into()];
    options.probe.image_size_budget = 1000;
    options.probe.cold_start_budget = Duration::from_millis(1);
    let report = check(&spec(local(AMD64), &[]), &options).await;
    assert_eq!(verdicts(&report, "image.size"), [Verdict::Warn]);
    assert_eq!(verdicts(&report, "latency.cold-start"), [Verdict::Warn]);
    assert_none_left(&docker).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn broken_containers_get_clear_verdicts_never_hangs() {
    let _serial = SERIAL.lock().await;
    let Some(docker) = docker(&[AMD64]).await else { return };
    let cases = [
        ("exits-at-once", "image.starts", "exited with code 2"),
        ("wrong-port", "image.port-8000", "binds 127.0.0.1"),
        ("loopback-only", "image.port-8000", "AgentCore needs 0.0.0.0:8000"),
        ("root-user", "image.non-root", "runs as root"),
    ];
    for (fixture, id, says) in cases {
        let Target::Container(mut spec) = spec(built(fixture), &[]) else {
            unreachable!()
        };
        spec.startup_timeout = Duration::from_secs(3);
        let started = Instant::now();
        let report = check(&Target::Container(spec), &quick_options()).await;
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "{fixture} took {:?}",
            started.elapsed()
        );
        let result = report.results.iter().find(|r| r.id == id).unwrap();
        assert!(
            matches!(result.verdict, Verdict::Fail | Verdict::Warn),
            "{fixture}: {id} {:?}",
            result.verdict
        );
        assert!(result.message.contains(says), "{fixture}: {}", result.message);
        if fixture != "root-user" {
            assert!(!report.passed(), "{fixture}");
        }
    }
    assert_none_left(&docker).await;
    let images = Command::new("docker")
        .args(["images", "-q", "--filter", "reference=agentcore-mcp-suite:build-*"])
        .output()
        .unwrap();
    assert!(images.stdout.is_empty(), "images built for the run are removed with it");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_image_is_a_setup_error_naming_the_build_command() {
    let _serial = SERIAL.lock().await;
    let Some(_docker) = docker(&[]).await else { return };
    let error = agentcore_mcp_suite::run(
        &spec(local("agentcore-mcp-suite-missing:nope"), &[]),
        &RunOptions::default(),
    )
    .await
    .unwrap_err();
    assert!(matches!(error, agentcore_mcp_suite::Error::Setup(_)));
    assert!(
        error
            .to_string()
            .contains("docker build -t agentcore-mcp-suite-missing:nope"),
        "{error}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn ctrl_c_removes_the_container() {
    let _serial = SERIAL.lock().await;
    let Some(docker) = docker(&[AMD64]).await else { return };
    // A run kept busy by a long keep-alive check, interrupted while its container runs.
    let mut child = Command::new(env!("CARGO_BIN_EXE_agentcore-mcp-suite"))
        .args(BUSY_CHECK)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let label = format!("{}={}", container::PID_LABEL, child.id());
    let started = Instant::now();
    loop {
        let out = Command::new("docker")
            .args(["ps", "-q", "--filter", &format!("label={label}")])
            .output()
            .unwrap();
        if !out.stdout.is_empty() {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the container never appeared"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(interrupt(&mut child, &label, "INT"), Some(130));
    assert_none_left(&docker).await;
}

/// `bench --image --cold-starts N`: the saved results carry the cold-start distribution, a
/// baseline compares it, and every container is gone afterwards.
#[tokio::test(flavor = "multi_thread")]
async fn bench_saves_and_gates_cold_starts() {
    let Some(docker) = docker(&[AMD64]).await else { return };
    let saved = std::env::temp_dir().join(format!("agentcore-suite-bench-cold-{}.json", std::process::id()));
    let path = saved.to_str().unwrap().to_string();
    let bench = |extra: &[&str]| {
        let mut args = vec![
            "bench",
            "--image",
            AMD64,
            "--cold-starts",
            "2",
            "--requests",
            "50",
            "--quiet",
        ];
        args.extend_from_slice(extra);
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        tokio::task::spawn_blocking(move || {
            std::process::Command::new(env!("CARGO_BIN_EXE_agentcore-mcp-suite"))
                .args(&args)
                .output()
                .unwrap()
        })
    };
    let out = bench(&["--save", &path]).await.unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let report: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&saved).unwrap()).unwrap();
    let cold = &report["results"]["cold_starts"];
    assert_eq!(cold["starts"], 3, "two extra starts and the one under test: {cold}");
    assert!(cold["p50_ms"].as_f64().unwrap() > 0.0, "{cold}");
    let out = bench(&["--baseline", &path, "--tolerance", "1000%"]).await.unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("cold start p50 (ms)"), "{stdout}");
    let chart = std::fs::read_to_string(saved.with_extension("cold-starts.svg")).unwrap();
    assert_eq!(chart.matches("<rect x=").count(), 3, "one bar per start: {chart}");
    // Held streams against the container: its memory is sampled meanwhile.
    let held = [
        "--streams",
        "200",
        "--hold",
        "2s",
        "--hold-call",
        "slow",
        "--hold-args",
        r#"{"seconds":60}"#,
        "--format",
        "json",
    ];
    let out = bench(&held).await.unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let results = &serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()["results"];
    assert_eq!(results["held"]["held_to_end"], 200, "{}", results["held"]);
    let memory = results["server_peak_memory_mb"].as_f64().unwrap();
    assert!(
        (1.0..50.0).contains(&memory),
        "the reference server holding 200 streams: {memory} MB"
    );
    let _ = std::fs::remove_file(&saved);
    let _ = std::fs::remove_file(saved.with_extension("svg"));
    let _ = std::fs::remove_file(saved.with_extension("cold-starts.svg"));
    // The bench processes are gone: a container of theirs would be a leftover to sweep.
    let leftovers = container::sweep_leftovers(&docker).await.unwrap();
    assert_eq!(leftovers, 0, "bench left containers behind");
}

/// `check --image --cold-starts N --save`: the cold-start distribution as JSON with a chart; an
/// image that starts slower (the `slow-start` fault: 1 s before it listens) regresses against it.
#[tokio::test(flavor = "multi_thread")]
async fn check_saves_and_gates_cold_starts() {
    let Some(docker) = docker(&[AMD64]).await else { return };
    let saved = std::env::temp_dir().join(format!("agentcore-suite-check-cold-{}.json", std::process::id()));
    let path = saved.to_str().unwrap().to_string();
    let check_cli = |extra: &[&str]| {
        let mut args = vec!["check", "--image", AMD64, "--only", "latency.cold-start", "--quiet"];
        args.extend_from_slice(extra);
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        tokio::task::spawn_blocking(move || {
            std::process::Command::new(env!("CARGO_BIN_EXE_agentcore-mcp-suite"))
                .args(&args)
                .env("NO_COLOR", "1")
                .output()
                .unwrap()
        })
    };
    let out = check_cli(&["--cold-starts", "2", "--save", &path]).await.unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let file: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&saved).unwrap()).unwrap();
    assert_eq!(file["schema"], "agentcore-mcp-suite/cold-starts");
    let cold = &file["cold_starts"];
    assert_eq!(cold["starts"], 3, "two extra starts and the one under test: {cold}");
    let baseline_p50 = cold["p50_ms"].as_f64().unwrap();
    assert!(baseline_p50 > 0.0, "{cold}");
    let chart = std::fs::read_to_string(saved.with_extension("svg")).unwrap();
    assert_eq!(chart.matches("<rect x=").count(), 3, "one bar per start: {chart}");

    let slow = check_cli(&[
        "--image-arg=--fault=slow-start",
        "--cold-start-budget",
        "1s",
        "--baseline",
        &path,
        "--tolerance",
        "50%",
        "--format",
        "json",
    ])
    .await
    .unwrap();
    let stderr = String::from_utf8_lossy(&slow.stderr);
    assert_eq!(slow.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("cold start p50 (ms)") && stderr.contains("REGRESSED"),
        "{stderr}"
    );
    let report: serde_json::Value = serde_json::from_slice(&slow.stdout).unwrap();
    assert_eq!(report["results"][0]["id"], "latency.cold-start");
    assert_eq!(report["results"][0]["verdict"], "warn", "over the 1 s budget: {report}");
    // The fault holds the binary 1 s before it listens: no start can answer sooner (a bound that
    // does not depend on how loaded the machine was when the baseline was taken).
    let fastest = report["cold_starts"]["first_mcp_ms"][0].as_f64().unwrap();
    assert!(
        fastest >= 1000.0,
        "fastest slow start {fastest} ms (baseline p50 {baseline_p50} ms)"
    );

    let same = check_cli(&["--baseline", &path, "--tolerance", "1000%"]).await.unwrap();
    let stderr = String::from_utf8_lossy(&same.stderr);
    assert_eq!(same.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("cold start p50 (ms)") && !stderr.contains("REGRESSED"),
        "{stderr}"
    );
    let _ = std::fs::remove_file(&saved);
    let _ = std::fs::remove_file(saved.with_extension("svg"));
    let leftovers = container::sweep_leftovers(&docker).await.unwrap();
    assert_eq!(leftovers, 0, "check left containers behind");
}

/// The emulator with --image: every runtime session gets a container of its own (a microVM);
/// stopping a session, the idle timeout and shutdown remove them.
#[tokio::test(flavor = "multi_thread")]
async fn the_emulator_gives_each_runtime_session_its_own_container() {
    use agentcore_mcp_suite::emulate::{Emulator, EmulatorConfig};
    let _serial = SERIAL.lock().await;
    let Some(docker) = docker(&[AMD64]).await else { return };
    let emulator = Emulator::start(EmulatorConfig {
        idle_timeout: Duration::from_secs(10),
        ..reference_behind_emulator(&[])
    })
    .await
    .unwrap();
    let target = |session: &str| super::remote::remote_target(&emulator.endpoint_url(), Some(session));
    let mut options = quick_options();
    options.only = vec!["remote.sse-response".into(), "latency.new-session".into()];
    let first = check(&target(&"a".repeat(40)), &options).await;
    assert!(first.passed(), "{:#?}", non_passes(&first));
    check(&target(&"b".repeat(40)), &options).await;
    // Two run sessions, plus the fresh ones latency.new-session opened: each its own container.
    let live = container::containers_of_this_process(&docker).await.unwrap().len();
    assert_eq!(live, emulator.live_sessions());
    assert!(live >= 2, "{live} containers for two runtime sessions");
    let numbers = &first
        .results
        .iter()
        .find(|r| r.id == "latency.new-session")
        .unwrap()
        .message;
    assert!(numbers.contains("first request on a new session"), "{numbers}");
    println!("--image cold vs warm: {numbers}");
    // bench --sessions 3: three more containers, each session's first request waiting for its own.
    let results = bench_through(&emulator, &["--sessions", "3", "--rate", "6", "--requests", "12"]).await;
    let sessions = &results["runtime_sessions"];
    assert_eq!(
        (&sessions["cold"], &sessions["warm"]),
        (&3.into(), &9.into()),
        "{sessions}"
    );
    let p50 = |which: &str| sessions[which]["p50"].as_f64().unwrap();
    assert!(
        p50("cold_ms") > p50("warm_ms"),
        "a new container is slower than a running one: {sessions}"
    );
    println!("bench --sessions 3 through the emulator with --image: {sessions}");
    // Idle sessions stop after the idle timeout.
    let deadline = Instant::now() + Duration::from_secs(60);
    while emulator.live_sessions() > 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(emulator.live_sessions(), 0, "idle sessions were not stopped");
    emulator.shutdown().await;
    assert_none_left(&docker).await;
}

/// `emulate --image`, stopped with SIGTERM while two runtime sessions run: both containers go.
#[tokio::test(flavor = "multi_thread")]
async fn sigterm_stops_the_emulator_and_removes_its_containers() {
    let _serial = SERIAL.lock().await;
    let Some(docker) = docker(&[AMD64]).await else { return };
    let port = super::common::free_port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_agentcore-mcp-suite"))
        .args(["emulate", "--image", AMD64, "--listen", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let invocations = format!(
        "http://127.0.0.1:{port}/runtimes/{}/invocations?qualifier=DEFAULT",
        agentcore_mcp_suite::wire::agentcore::contract::encode_all(super::remote::ARN)
    );
    let client = reqwest::Client::new();
    let started = Instant::now();
    for session in ["c".repeat(40), "d".repeat(40)] {
        loop {
            let answer = client
                .post(&invocations)
                .header("content-type", "application/json")
                .header("accept", "application/json, text/event-stream")
                .header("x-amzn-bedrock-agentcore-runtime-session-id", &session)
                .body(r#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#)
                .send()
                .await;
            match answer {
                Ok(response) => {
                    assert_eq!(response.status().as_u16(), 200);
                    break;
                }
                // Not listening yet.
                Err(_) => {
                    assert!(
                        started.elapsed() < Duration::from_secs(30),
                        "the emulator never listened"
                    );
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        }
    }
    let label = format!("{}={}", container::PID_LABEL, child.id());
    let running = Command::new("docker")
        .args(["ps", "-q", "--filter", &format!("label={label}")])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&running.stdout).lines().count(),
        2,
        "one container per session"
    );
    assert_eq!(
        interrupt(&mut child, &label, "TERM"),
        Some(0),
        "SIGTERM stops it as Ctrl-C does"
    );
    assert_none_left(&docker).await;
}

/// `bench --sessions` against a stateful server behind `emulate --image`: every runtime session
/// is a container of its own that knows none of the others' MCP sessions, so each one's first
/// request opens its own (with the run's session id, every request there would get 404).
#[tokio::test(flavor = "multi_thread")]
async fn bench_sessions_open_an_mcp_session_in_each_runtime_session_of_a_stateful_server() {
    use agentcore_mcp_suite::emulate::Emulator;
    let _serial = SERIAL.lock().await;
    let Some(docker) = docker(&[AMD64]).await else { return };
    let emulator = Emulator::start(reference_behind_emulator(&["--stateful"]))
        .await
        .unwrap();
    let results = bench_through(&emulator, &["--sessions", "2", "--rate", "4", "--requests", "8"]).await;
    assert_eq!(results["errors"], 0, "{results}");
    let sessions = &results["runtime_sessions"];
    assert_eq!(
        (&sessions["cold"], &sessions["warm"]),
        (&2.into(), &6.into()),
        "{sessions}"
    );
    assert_eq!(
        container::containers_of_this_process(&docker).await.unwrap().len(),
        3,
        "the run's own runtime session and two more, a container each"
    );
    emulator.shutdown().await;
    assert_none_left(&docker).await;
}

/// `bench --arn` through `emulator` (tools/list only, SigV4 with the test keys) with `extra`
/// arguments: its JSON results, once it exited 0.
async fn bench_through(emulator: &agentcore_mcp_suite::emulate::Emulator, extra: &[&str]) -> serde_json::Value {
    let endpoint = emulator.endpoint_url();
    let common = [
        "bench",
        "--arn",
        super::remote::ARN,
        "--endpoint-url",
        &endpoint,
        "--mix",
        "tools/list",
        "--format",
        "json",
        "--quiet",
    ];
    let keys = vec![
        ("AWS_ACCESS_KEY_ID", super::remote::ACCESS_KEY.to_string()),
        ("AWS_SECRET_ACCESS_KEY", super::remote::SECRET.to_string()),
    ];
    let args = common.iter().chain(extra).map(|a| a.to_string()).collect();
    let out = super::remote::run_cli(args, keys).await;
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()["results"].take()
}

/// AgentCore ends a runtime session at its max lifetime; the next request naming it gets a fresh
/// microVM, where a stateful server's old Mcp-Session-Id is unknown (404: the client must
/// initialize again), and a new initialize works.
#[tokio::test(flavor = "multi_thread")]
async fn an_expired_runtime_session_gets_a_fresh_container_that_forgets_the_mcp_session() {
    use agentcore_mcp_suite::emulate::{Emulator, EmulatorAuth, EmulatorConfig};
    use agentcore_mcp_suite::wire::agentcore::contract::encode_all;
    let _serial = SERIAL.lock().await;
    let Some(docker) = docker(&[AMD64]).await else { return };
    let emulator = Emulator::start(EmulatorConfig {
        auth: EmulatorAuth::Open,
        max_lifetime: Duration::from_secs(4),
        ..reference_behind_emulator(&["--stateful"])
    })
    .await
    .unwrap();
    let url = format!(
        "{}/runtimes/{}/invocations?qualifier=DEFAULT",
        emulator.endpoint_url(),
        encode_all(super::remote::ARN)
    );
    let runtime_session = "lifetime-test-runtime-session-0000000000";
    let http = reqwest::Client::new();
    let invoke = |body: serde_json::Value, mcp_session: Option<String>| {
        let mut request = http
            .post(&url)
            .header("content-type", "application/json")
            .header("accept", "application/json, text/event-stream")
            .header("mcp-protocol-version", "2025-11-25")
            .header("x-amzn-bedrock-agentcore-runtime-session-id", runtime_session)
            .body(body.to_string());
        if let Some(id) = mcp_session {
            request = request.header("mcp-session-id", id);
        }
        async move { request.send().await.unwrap() }
    };
    let initialize = || {
        json!({ "jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": { "name": "t", "version": "1" } } })
    };
    let list = || json!({ "jsonrpc": "2.0", "id": 2, "method": "tools/list" });
    let session_of = |response: &reqwest::Response| response.headers()["mcp-session-id"].to_str().unwrap().to_string();

    let first = invoke(initialize(), None).await;
    assert_eq!(first.status(), 200);
    let mcp_session = session_of(&first);
    assert_eq!(invoke(list(), Some(mcp_session.clone())).await.status(), 200);
    let started = Instant::now();

    tokio::time::sleep(Duration::from_secs(5)).await;
    let after = invoke(list(), Some(mcp_session.clone())).await;
    assert_eq!(
        after.status(),
        404,
        "the old Mcp-Session-Id after the runtime session's lifetime ({:?})",
        started.elapsed()
    );
    let again = invoke(initialize(), None).await;
    assert_eq!(again.status(), 200);
    let fresh = session_of(&again);
    assert_ne!(fresh, mcp_session);
    assert_eq!(invoke(list(), Some(fresh)).await.status(), 200);
    assert_eq!(container::containers_of_this_process(&docker).await.unwrap().len(), 1);
    emulator.shutdown().await;
    assert_none_left(&docker).await;
}

/// The emulator with `--image` of the reference image (started with `args`), SigV4 with the test
/// keys, AgentCore's defaults otherwise.
fn reference_behind_emulator(args: &[&str]) -> agentcore_mcp_suite::emulate::EmulatorConfig {
    super::remote::emulator_config(agentcore_mcp_suite::emulate::Upstream::Image(ContainerSpec {
        image: local(AMD64),
        args: args.iter().map(|a| a.to_string()).collect(),
        startup_timeout: Duration::from_secs(20),
        cold_starts: 0,
        deploy: false,
    }))
}

/// Runs `docker` with `args`; its exit code and stdout.
fn docker_cli(args: &[&str]) -> (Option<i32>, String) {
    let out = Command::new("docker").args(args).output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).trim().to_string(),
    )
}

/// A detached reference container on a loopback port; its id and MCP URL.
fn reference_container(args: &[&str]) -> (String, String) {
    let mut run = vec!["run", "-d", "--rm", "-p", "127.0.0.1::8000", AMD64];
    run.extend_from_slice(args);
    let (code, id) = docker_cli(&run);
    assert_eq!(code, Some(0), "docker run {AMD64}");
    let (_, port) = docker_cli(&["port", &id, "8000/tcp"]);
    let port = port
        .lines()
        .next()
        .and_then(|l| l.rsplit(':').next())
        .unwrap()
        .to_string();
    (id, format!("http://127.0.0.1:{port}/mcp"))
}

/// The suite image against reference containers gives the binary's exit codes and reports, and a
/// SIGTERM (`docker stop`) or SIGINT to the suite's container removes what it started.
#[tokio::test(flavor = "multi_thread")]
async fn the_suite_image_matches_the_binary_and_cleans_up_on_signals() {
    let _serial = SERIAL.lock().await;
    let Some(docker) = docker(&[AMD64, SUITE_IMAGE]).await else {
        return;
    };
    let reports = std::env::temp_dir().join(format!("agentcore-suite-image-{}", std::process::id()));
    std::fs::create_dir_all(&reports).unwrap();
    let user = my_user();
    let quick = [
        "--only",
        "accept",
        "--only",
        "lifecycle",
        "--only",
        "ping",
        "--skip",
        "ping.busy",
    ];
    for (fault, expected) in [(None, 0), (Some("version-echo-unknown"), 1)] {
        let fault_args: Vec<&str> = fault.map(|f| vec!["--fault", f]).unwrap_or_default();
        let (server, url) = reference_container(&fault_args);
        let mount = format!("{}:/reports", reports.display());
        let mut args = vec![
            "run",
            "--rm",
            "--network",
            "host",
            "--user",
            &user,
            "-v",
            &mount,
            SUITE_IMAGE,
        ];
        args.extend([
            "check",
            "--quiet",
            "--url",
            &url,
            "--output",
            "report.json",
            "--output",
            "report.sarif",
        ]);
        args.extend(quick);
        let (code, _) = docker_cli(&args);
        let binary = Command::new(env!("CARGO_BIN_EXE_agentcore-mcp-suite"))
            .args(["check", "--quiet", "--url", &url, "--format", "json"])
            .args(quick)
            .output()
            .unwrap();
        docker_cli(&["rm", "-f", &server]);
        assert_eq!(code, Some(expected), "the image's exit code");
        assert_eq!(binary.status.code(), Some(expected), "the binary's exit code");
        let from_image: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(reports.join("report.json")).unwrap()).unwrap();
        let from_binary: serde_json::Value = serde_json::from_slice(&binary.stdout).unwrap();
        assert_eq!(from_image["summary"], from_binary["summary"]);
        let sarif = std::fs::read_to_string(reports.join("report.sarif")).unwrap();
        assert!(sarif.contains("\"version\": \"2.1.0\""), "{sarif}");
    }
    let _ = std::fs::remove_dir_all(&reports);

    // In a container with the Docker socket, the suite starts the reference image itself; a
    // signal to its container (it is PID 1 there) removes that container too.
    let gid = std::fs::metadata("/var/run/docker.sock")
        .map(|m| std::os::unix::fs::MetadataExt::gid(&m))
        .unwrap();
    for (signal, stop) in [
        ("TERM", vec!["stop", "--time", "20"]),
        ("INT", vec!["kill", "--signal", "INT"]),
    ] {
        let name = format!("agentcore-suite-{}-{signal}", std::process::id());
        let (code, _) = docker_cli(
            &[
                "run",
                "-d",
                "--name",
                &name,
                "--network",
                "host",
                "--group-add",
                &gid.to_string(),
                "-v",
                "/var/run/docker.sock:/var/run/docker.sock",
                SUITE_IMAGE,
            ]
            .into_iter()
            .chain(BUSY_CHECK)
            .collect::<Vec<_>>(),
        );
        assert_eq!(code, Some(0), "docker run -d {SUITE_IMAGE}");
        // The reference container the suite started: labelled pid 1, in the suite's namespace.
        let started = Instant::now();
        let filter = format!("label={}=1", container::PID_LABEL);
        loop {
            let (_, running) = docker_cli(&["ps", "-q", "--filter", &filter]);
            if !running.is_empty() {
                break;
            }
            let (_, state) = docker_cli(&["inspect", "-f", "{{.State.Status}}", &name]);
            let logs = container_log(&name);
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "no container appeared ({state}): {logs}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        std::thread::sleep(Duration::from_millis(500));
        let mut stop_args = stop.clone();
        stop_args.push(&name);
        docker_cli(&stop_args);
        let (_, exit) = docker_cli(&["wait", &name]);
        let logs = container_log(&name);
        docker_cli(&["rm", "-f", &name]);
        assert_eq!(exit, "130", "SIG{signal}: {logs}");
        // Dropping the run removes its container, or the sweep after it does: either way, gone.
        assert!(logs.contains("interrupted;"), "SIG{signal}: {logs}");
        let (_, left) = docker_cli(&["ps", "-aq", "--filter", &filter]);
        assert!(left.is_empty(), "SIG{signal} left {left}");
    }
    assert_none_left(&docker).await;
}

/// This process's `uid:gid` (the owner of /proc/self), so what the image writes into a mounted
/// directory is ours.
fn my_user() -> String {
    use std::os::unix::fs::MetadataExt;
    let me = std::fs::metadata("/proc/self").unwrap();
    format!("{}:{}", me.uid(), me.gid())
}

/// A container's log, stdout and stderr.
fn container_log(name: &str) -> String {
    let out = Command::new("docker").args(["logs", name]).output().unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr)
}
