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

fn json_of(path: &std::path::Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Three shard processes at once against one server, merged, against one process sending the
/// same total: the same request count; the merged percentiles are those of all the shards'
/// samples (exactness is the property test in bench/results.rs), so the merged max is the largest
/// shard max and the merged median lies between the shards' medians.
#[tokio::test(flavor = "multi_thread")]
async fn shards_merge_exactly_into_one_run() {
    let (url, _server) = super::remote::reference_server(agentcore_mcp_reference::Config::default()).await;
    let files: Vec<PathBuf> = (1..=3).map(|i| scratch(&format!("shard{i}.json"))).collect();
    let bin = env!("CARGO_BIN_EXE_agentcore-mcp-suite");
    let common = [
        "bench",
        "--url",
        &url,
        "--requests",
        "300",
        "--concurrency",
        "2",
        "--quiet",
    ];
    let children: Vec<std::process::Child> = files
        .iter()
        .enumerate()
        .map(|(i, file)| {
            let shard = format!("{}/3", i + 1);
            std::process::Command::new(bin)
                .args(common)
                .args(["--shard", &shard, "--save", file.to_str().unwrap()])
                .stdout(std::process::Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    for mut child in children {
        let status = tokio::task::spawn_blocking(move || child.wait().unwrap())
            .await
            .unwrap();
        assert!(status.success());
    }
    let shards: Vec<Value> = files.iter().map(|f| json_of(f)).collect();
    for (i, shard) in shards.iter().enumerate() {
        assert_eq!(shard["shard"], serde_json::json!({"index": i + 1, "count": 3}));
        assert_eq!(shard["settings"]["requests"], 300, "the whole run's settings");
        assert_eq!(shard["results"]["requests"], 100, "its share");
        assert!(shard["results"]["histogram"].is_string());
    }
    let merged_file = scratch("merged.json");
    let paths: Vec<&str> = files.iter().map(|f| f.to_str().unwrap()).collect();
    let merge = suite(
        &[
            &["merge"],
            &paths[..],
            &["--save", merged_file.to_str().unwrap(), "--format", "json"],
        ]
        .concat(),
    );
    assert_eq!(merge.status.code(), Some(0), "{}", text(&merge.stderr));
    let merged = json_of(&merged_file);
    let results = &merged["results"];
    assert_eq!(results["requests"], 300);
    assert_eq!(results["errors"], 0);
    assert_eq!(merged["merged_from"], 3);
    assert_eq!(results["streams"]["responses"], 300, "the stream metrics add up too");
    assert!(merged.get("shard").is_none());
    let field = |v: &Value, name: &str| v["results"]["latency_ms"][name].as_f64().unwrap();
    let shard_max = shards.iter().map(|s| field(s, "max")).fold(0.0, f64::max);
    assert_eq!(field(&merged, "max"), shard_max);
    let medians: Vec<f64> = shards.iter().map(|s| field(s, "p50")).collect();
    let (low, high) = medians
        .iter()
        .fold((f64::MAX, 0.0f64), |(l, h), m| (l.min(*m), h.max(*m)));
    assert!(
        (low..=high).contains(&field(&merged, "p50")),
        "{medians:?} vs {}",
        field(&merged, "p50")
    );
    let start = shards
        .iter()
        .map(|s| s["results"]["started_at_ms"].as_u64().unwrap())
        .min()
        .unwrap();
    let end = shards
        .iter()
        .map(|s| s["results"]["ended_at_ms"].as_u64().unwrap())
        .max()
        .unwrap();
    assert_eq!(
        (results["started_at_ms"].as_u64(), results["ended_at_ms"].as_u64()),
        (Some(start), Some(end))
    );
    let rps = 300.0 / ((end - start) as f64 / 1000.0);
    assert!(
        (results["throughput_rps"].as_f64().unwrap() - rps).abs() < 0.01 * rps,
        "over the union of the windows"
    );

    // One process, the same total, the same settings: the merged file gates against it.
    let single_file = scratch("single.json");
    let single = suite(&[&common[1..], &["--save", single_file.to_str().unwrap()]].concat());
    assert_eq!(single.status.code(), Some(0), "{}", text(&single.stderr));
    assert_eq!(json_of(&single_file)["results"]["requests"], 300);
    let gate = [
        "merge",
        paths[0],
        paths[1],
        paths[2],
        "--baseline",
        single_file.to_str().unwrap(),
        "--tolerance",
        "1000%",
    ];
    let gated = suite(&gate);
    assert_eq!(
        gated.status.code(),
        Some(0),
        "{}{}",
        text(&gated.stdout),
        text(&gated.stderr)
    );
    assert!(
        text(&gated.stdout).contains("merged from 3 files"),
        "{}",
        text(&gated.stdout)
    );

    // Refused, one line, exit 2: a shard twice, other settings, no histogram.
    let stripped = scratch("stripped.json");
    let mut old = shards[1].clone();
    old["results"].as_object_mut().unwrap().remove("histogram");
    std::fs::write(&stripped, old.to_string()).unwrap();
    let other = scratch("other.json");
    let mut changed = shards[1].clone();
    changed["settings"]["requests"] = 200.into();
    changed["shard"]["index"] = 3.into();
    std::fs::write(&other, changed.to_string()).unwrap();
    for (files, says) in [
        ([paths[0], paths[0]], "is shard 1/3 again"),
        ([paths[0], other.to_str().unwrap()], "ran other settings"),
        ([paths[0], stripped.to_str().unwrap()], "has no histogram"),
    ] {
        let out = suite(&[&["merge"], &files[..]].concat());
        assert_eq!(out.status.code(), Some(2), "{says}");
        let stderr = text(&out.stderr);
        assert!(stderr.contains(says) && stderr.trim().lines().count() == 1, "{stderr}");
    }
    for file in files.iter().chain([&merged_file, &single_file, &stripped, &other]) {
        let _ = std::fs::remove_file(file);
        let _ = std::fs::remove_file(file.with_extension("svg"));
    }
}

/// A tool that logs three times, 50 ms apart, and answers: four events a response, and the
/// gaps, the first event and the response event where the server put them; `check` says the same.
#[test]
fn streamed_responses_are_timed_event_by_event() {
    let saved = scratch("streams.json");
    let logging = ["--call", "test_tool_with_logging", "--mix", "tools/call"];
    let out = suite(
        &[
            &logging[..],
            &[
                "--requests",
                "12",
                "--concurrency",
                "3",
                "--quiet",
                "--save",
                saved.to_str().unwrap(),
            ],
        ]
        .concat(),
    );
    assert_eq!(out.status.code(), Some(0), "{}{}", text(&out.stdout), text(&out.stderr));
    let streams = json_of(&saved)["results"]["streams"].clone();
    let ms = |name: &str, at: &str| streams[name][at].as_f64().unwrap();
    assert_eq!(streams["responses"], 12, "{streams}");
    assert_eq!(
        (ms("events_per_response", "p50"), ms("events_per_response", "max")),
        (4.0, 4.0),
        "{streams}"
    );
    assert_eq!(streams["gaps"], 36, "three gaps a response");
    assert!((45.0..200.0).contains(&ms("gap_ms", "p50")), "{streams}");
    assert!(
        ms("first_event_ms", "p50") < 45.0,
        "the first log comes at once: {streams}"
    );
    assert!(
        ms("response_event_ms", "p50") >= ms("first_event_ms", "p50") + 90.0,
        "{streams}"
    );
    assert!(ms("head_ms", "p50") <= ms("first_event_ms", "p50"), "{streams}");
    let chart = std::fs::read_to_string(saved.with_extension("streams.svg")).unwrap();
    assert!(
        chart.contains("gap between events") && chart.contains("response event"),
        "{chart}"
    );
    let human = suite(&[&logging[..], &["--requests", "3", "--quiet"]].concat());
    assert!(
        text(&human.stdout).contains("streamed 3 responses: head p50"),
        "{}",
        text(&human.stdout)
    );

    let check = super::common::suite(&[
        "check",
        "--only",
        "latency.tools-call",
        "--call",
        "test_tool_with_logging",
        "--samples",
        "3",
    ]);
    let said = text(&check.stdout);
    assert!(
        said.contains("streamed (3 of the samples)") && said.contains("up to 4 events a response"),
        "{said}"
    );
    assert!(said.contains("gaps between events p50 5"), "{said}");
    for file in [
        saved.clone(),
        saved.with_extension("svg"),
        saved.with_extension("streams.svg"),
    ] {
        let _ = std::fs::remove_file(file);
    }
}

#[test]
fn history_formats_for_bencher_and_github_action_benchmark() {
    let smaller = scratch("smaller.json");
    let bigger = scratch("bigger.json");
    let out = suite(&[
        "--requests",
        "60",
        "--quiet",
        "--format",
        "bmf",
        "--output",
        &format!("benchmark-action-smaller={}", smaller.display()),
        "--output",
        &format!("benchmark-action-bigger={}", bigger.display()),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let bmf: Value = serde_json::from_slice(&out.stdout).unwrap();
    let (name, measures) = bmf.as_object().unwrap().iter().next().unwrap();
    assert!(
        name.contains("embedded reference server") && !name.contains("127.0.0.1:"),
        "{name}"
    );
    let latency = &measures["latency"];
    assert!(latency["value"].as_f64().unwrap() > 0.0 && latency["upper_value"].as_f64() >= latency["value"].as_f64());
    assert!(measures["throughput"]["value"].as_f64().unwrap() > 0.0);
    assert!(
        measures["first-event"]["value"].as_f64().unwrap() > 0.0,
        "the reference server streams"
    );
    let smaller: Value = json_of(&smaller);
    let units: Vec<&str> = smaller
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["unit"].as_str().unwrap())
        .collect();
    assert_eq!(units, ["ms", "ms", "ms", "ms"]);
    assert!(smaller[3]["name"].as_str().unwrap().ends_with(" first event p50"));
    assert!(smaller[0]["name"].as_str().unwrap().ends_with(" p50"));
    let bigger: Value = json_of(&bigger);
    assert_eq!(bigger[0]["unit"], "req/s");
    let _ = std::fs::remove_file(scratch("smaller.json"));
    let _ = std::fs::remove_file(scratch("bigger.json"));
}

/// `bench --streams N --hold D` with the bench's own JSON report.
fn bench_holding(args: &[&str]) -> (Output, Value) {
    let out = suite(
        &[
            &["--quiet", "--format", "json", "--concurrency", "2", "--duration", "1s"],
            args,
        ]
        .concat(),
    );
    let report = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (out, report)
}

/// Held calls of the slow tool stay open while the mix runs and /ping says HealthyBusy; the
/// faults that refuse or cut streams show as refused and dropped, a wrong /ping status as not
/// healthy; a server without GET streams and a tool the policy forbids are told apart.
#[test]
fn held_streams_are_counted_opened_refused_and_dropped() {
    let slow = [
        "--streams",
        "40",
        "--hold",
        "2s",
        "--hold-call",
        "slow",
        "--hold-args",
        r#"{"seconds":30}"#,
    ];
    let (out, report) = bench_holding(&slow);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let results = &report["results"];
    let held = &results["held"];
    assert_eq!(
        (
            &held["requested"],
            &held["held_to_end"],
            &held["opened"],
            &held["refused"],
            &held["dropped"]
        ),
        (&40.into(), &40.into(), &40.into(), &0.into(), &0.into()),
        "{held}"
    );
    assert_eq!(held["kind"], "tools/call slow");
    assert!(
        held["events"].as_u64().unwrap() >= 40,
        "each asked for progress: {held}"
    );
    let ping = &held["ping"];
    assert!(ping["checks"].as_u64().unwrap() >= 3, "{ping}");
    assert_eq!(
        ping["busy"], ping["checks"],
        "the slow calls keep the server HealthyBusy: {ping}"
    );
    assert_eq!(results["errors"], 0, "the mix is answered meanwhile: {results}");
    assert!(results["requests"].as_u64().unwrap() > 50);
    assert!(results["suite_peak_rss_mb"].as_f64().unwrap() > 1.0);

    let (_, capped) = bench_holding(&[&slow[..], &["--reference-fault", "streams-capped"]].concat());
    let held = &capped["results"]["held"];
    assert_eq!((&held["opened"], &held["refused"]), (&20.into(), &20.into()), "{held}");
    assert_eq!(held["failures"]["refused: HTTP 503"], 20, "{held}");

    let (_, cut) = bench_holding(&[&slow[..], &["--reference-fault", "streams-cut"]].concat());
    let held = &cut["results"]["held"];
    assert_eq!(
        (&held["held_to_end"], &held["dropped"]),
        (&0.into(), &40.into()),
        "{held}"
    );
    assert_eq!(
        held["failures"]["dropped: the stream ended without a result"], 40,
        "{held}"
    );

    let (_, lowercase) = bench_holding(&[&slow[..], &["--reference-fault", "ping-lowercase-status"]].concat());
    let ping = &lowercase["results"]["held"]["ping"];
    assert_eq!(ping["unhealthy"], ping["checks"], "{ping}");
    assert!(ping["failures"]["status healthy"].as_u64().unwrap() >= 1, "{ping}");

    let human = suite(&[
        "--streams",
        "40",
        "--hold",
        "1s",
        "--hold-call",
        "slow",
        "--hold-args",
        r#"{"seconds":30}"#,
        "--duration",
        "1s",
        "--quiet",
    ]);
    let said = text(&human.stdout);
    assert!(
        said.contains("held 40 of 40 streams (tools/call slow) to the end of 1 s"),
        "{said}"
    );
    assert!(
        said.contains("GET /ping meanwhile:") && said.contains("suite peak memory:"),
        "{said}"
    );

    for (args, says) in [
        (vec!["--streams", "5"], "GET /mcp opens no stream (HTTP 405)"),
        (
            vec!["--streams", "5", "--hold-call", "delete_notes"],
            "not annotated readOnlyHint: true",
        ),
        (vec!["--streams", "5", "--hold-call", "nope"], "lists no such tool"),
        (vec!["--streams", "0"], "--streams must be above zero"),
        (
            vec!["--streams", "5", "--hold-call", "slow", "--hold-args", "[1]"],
            "is not a JSON object",
        ),
    ] {
        let (out, _) = bench_holding(&args);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(says) && stderr.trim().lines().count() == 1, "{stderr}");
    }
    let out = suite(&["--streams", "5", "--requests", "10"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("--hold DURATION"), "{}", text(&out.stderr));
}
