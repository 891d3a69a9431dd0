//! `bench` end to end through the binary: sane numbers against the reference server, a saved
//! baseline that gates a slowed-down server (exit 1 naming the metric), and bad input (exit 2).

use std::path::PathBuf;
use std::process::Output;

use serde_json::Value;

use super::common::text;

/// `agentcore-mcp-suite bench ARGS…`.
fn suite(args: &[&str]) -> Output {
    super::common::suite(&[&["bench"], args].concat())
}

fn scratch(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("agentcore-suite-bench-{}-{name}", std::process::id()))
}

#[test]
fn closed_and_open_loops_give_sane_numbers_and_a_chart() {
    let saved = scratch("sane.json");
    let out = suite(&[
        "--requests",
        "400",
        "--concurrency",
        "4",
        "--quiet",
        "--save",
        saved.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}{}", text(&out.stdout), text(&out.stderr));
    let report: Value = serde_json::from_str(&std::fs::read_to_string(&saved).unwrap()).unwrap();
    let results = &report["results"];
    assert_eq!(results["requests"], 400);
    assert_eq!(results["errors"], 0, "{results}");
    let latency = &results["latency_ms"];
    let (p50, p99, max) = (
        latency["p50"].as_f64().unwrap(),
        latency["p99"].as_f64().unwrap(),
        latency["max"].as_f64().unwrap(),
    );
    assert!(0.0 < p50 && p50 <= p99 && p99 <= max, "{latency}");
    assert!(results["throughput_rps"].as_f64().unwrap() > 50.0, "{results}");
    let mix = report["settings"]["mix"].to_string();
    assert!(mix.contains("tools/list") && mix.contains("tools/call"), "{mix}");
    let chart = std::fs::read_to_string(saved.with_extension("svg")).unwrap();
    assert!(chart.starts_with("<svg") && chart.contains("polyline"), "{chart}");

    // Open loop: about rate × duration requests, then it stops by itself.
    let out = suite(&["--rate", "200/s", "--duration", "1s", "--quiet", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let requests = report["results"]["requests"].as_u64().unwrap();
    assert!((150..=210).contains(&requests), "{requests} requests at 200/s for 1 s");
    let _ = std::fs::remove_file(&saved);
    let _ = std::fs::remove_file(saved.with_extension("svg"));
}

#[test]
fn a_slower_server_than_the_baseline_exits_1_naming_the_metric() {
    let baseline = scratch("baseline.json");
    let out = suite(&["--requests", "200", "--quiet", "--save", baseline.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let path = baseline.to_str().unwrap();
    let slow = suite(&[
        "--requests",
        "40",
        "--quiet",
        "--reference-fault",
        "slow-mcp",
        "--baseline",
        path,
    ]);
    let stdout = text(&slow.stdout);
    assert_eq!(slow.status.code(), Some(1), "{stdout}{}", text(&slow.stderr));
    assert!(text(&slow.stderr).contains("p50 (ms)"), "{}", text(&slow.stderr));
    assert!(stdout.contains("REGRESSED"), "{stdout}");
    let same = suite(&[
        "--requests",
        "200",
        "--quiet",
        "--baseline",
        path,
        "--tolerance",
        "1000%",
    ]);
    assert_eq!(
        same.status.code(),
        Some(0),
        "{}{}",
        text(&same.stdout),
        text(&same.stderr)
    );
    assert!(text(&same.stdout).contains("baseline"), "the deltas are shown");
    let _ = std::fs::remove_file(&baseline);
    let _ = std::fs::remove_file(baseline.with_extension("svg"));
}

#[test]
fn bad_input_is_one_line_and_exit_2() {
    let foreign = scratch("foreign.json");
    std::fs::write(&foreign, r#"{"results": {}}"#).unwrap();
    let old = scratch("old.json");
    std::fs::write(&old, r#"{"schema": "agentcore-mcp-suite/bench", "schema_version": 0}"#).unwrap();
    let (foreign_path, old_path) = (foreign.to_str().unwrap(), old.to_str().unwrap());
    for (args, says) in [
        (&["--requests", "10", "--rate", "0"][..], "positive rate"),
        (&[][..], "needs a bound"),
        (
            &["--requests", "10", "--baseline", "/nonexistent.json"][..],
            "--baseline",
        ),
        (
            &["--requests", "10", "--baseline", foreign_path][..],
            "not a file `bench --save` wrote",
        ),
        (&["--requests", "10", "--baseline", old_path][..], "schema version 0"),
        (
            &["--requests", "10", "--baseline", old_path, "--tolerance", "ten"][..],
            "not a percentage",
        ),
        (&["--requests", "0"][..], "above zero"),
        (
            &["--requests", "10", "--mix", "tools/list", "--call", "test_simple_text"][..],
            "--call needs tools/call",
        ),
        (&["--requests", "10", "--mix", "resources/read"][..], "resources/read"),
    ] {
        let out = suite(args);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(says), "{args:?}: {stderr}");
        assert_eq!(stderr.trim_end().lines().count(), 1, "{args:?}: {stderr}");
    }
    // check's cold-start gate reads the same files, and only container targets have cold starts.
    for (args, says) in [
        (&["--save", "cold.json"][..], "need --image or --build"),
        (
            &["--url", "http://127.0.0.1:9/mcp", "--baseline", old_path][..],
            "need --image or --build",
        ),
        (
            &["--image", "any:tag", "--baseline", foreign_path][..],
            "not a file `check --save`",
        ),
        (&["--image", "any:tag", "--baseline", old_path][..], "schema version 0"),
    ] {
        let out = super::common::suite(&[&["check"], args].concat());
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "check {args:?}: {stderr}");
        assert!(stderr.contains(says), "check {args:?}: {stderr}");
        assert_eq!(stderr.trim_end().lines().count(), 1, "check {args:?}: {stderr}");
    }
    let _ = std::fs::remove_file(&foreign);
    let _ = std::fs::remove_file(&old);
}

/// `--mix tools/call`: only the call, as a load generator like wrk sends one request.
#[test]
fn the_mix_can_be_one_method() {
    let out = suite(&["--requests", "50", "--mix", "tools/call", "--quiet", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let mix: Vec<&str> = report["settings"]["mix"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap())
        .collect();
    assert_eq!(mix.len(), 1, "{mix:?}");
    assert!(mix[0].starts_with("tools/call "), "{mix:?}");
    assert_eq!(report["results"]["errors"], 0);
}
