//! `surface`: a baseline saved from the clean reference server, compared with the server under
//! each drift fault (the class, the exit code, the evidence), with itself (no change), rewritten
//! with `--update`; bad baselines refused; real servers (rmcp in-process; the Python and
//! TypeScript SDKs when present) recorded twice without drift.

use std::path::{Path, PathBuf};
use std::process::Output;

use agentcore_mcp_reference::DRIFT;
use agentcore_mcp_suite::surface::Surface;
use agentcore_mcp_suite::surface::diff::diff;
use agentcore_mcp_suite::{RunOptions, Target};
use serde_json::Value;

use super::common::text;

const SUITE: &str = env!("CARGO_BIN_EXE_agentcore-mcp-suite");

fn surface(args: &[&str]) -> Output {
    std::process::Command::new(SUITE)
        .arg("surface")
        .args(args)
        .output()
        .expect("the suite runs")
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("agentcore-surface-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn the_drift_gate_classifies_each_fault_and_exits_by_fail_on() {
    let dir = temp_dir("gate");
    let baseline = dir.join("surface.json");
    let saved = surface(&["--save", path(&baseline)]);
    assert_eq!(saved.status.code(), Some(0), "{}", text(&saved.stderr));
    assert!(
        text(&saved.stdout)
            .contains("tool add_numbers(a, b) destructiveHint=false openWorldHint=false readOnlyHint=true"),
        "{}",
        text(&saved.stdout)
    );
    // Canonical: sorted keys, stable when written again.
    let file = std::fs::read_to_string(&baseline).unwrap();
    let loaded = Surface::load(&baseline, "--baseline").unwrap();
    assert_eq!(loaded.to_json(), file);
    assert!(file.find("\"eras\"").unwrap() < file.find("\"recorded_at\"").unwrap());
    assert_eq!(loaded.eras.len(), 2, "both eras");

    let same = surface(&["--baseline", path(&baseline), "--fail-on", "any"]);
    assert_eq!(same.status.code(), Some(0), "{}", text(&same.stdout));
    assert!(
        text(&same.stdout).contains("0 breaking, 0 risky, 0 compatible"),
        "{}",
        text(&same.stdout)
    );

    for (fault, class, what) in DRIFT {
        let args = [
            "--reference-fault",
            fault.name(),
            "--baseline",
            path(&baseline),
            "--format",
            "json",
        ];
        let out = surface(&args);
        let drift: Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{}: {e}: {}", fault.name(), text(&out.stderr)));
        let changes = drift["changes"].as_array().unwrap();
        let found = changes.iter().find(|c| c["what"] == *what);
        let change = found.unwrap_or_else(|| panic!("{}: no `{what}` in {changes:#?}", fault.name()));
        assert_eq!(change["class"], *class, "{}", fault.name());
        assert!(change["path"].as_str().unwrap().starts_with("eras."), "{change}");
        assert!(!change["before"].is_null() || !change["after"].is_null(), "{change}");
        // Every change the fault makes is at most as severe as the one it is for.
        let worst = changes
            .iter()
            .map(|c| c["class"].as_str().unwrap())
            .max_by_key(|c| rank(c));
        assert_eq!(worst, Some(*class), "{}: {changes:#?}", fault.name());
        let breaking = *class == "breaking";
        assert_eq!(
            out.status.code(),
            Some(if breaking { 1 } else { 0 }),
            "{}",
            fault.name()
        );
        if breaking {
            assert!(
                text(&out.stderr).contains(what),
                "the exit names the change: {}",
                text(&out.stderr)
            );
        }
        // The stricter gates trip on it too.
        let strict = if *class == "compatible" { "any" } else { "risky" };
        let args = [
            "--reference-fault",
            fault.name(),
            "--baseline",
            path(&baseline),
            "--fail-on",
            strict,
        ];
        assert_eq!(
            surface(&args).status.code(),
            Some(1),
            "{} with --fail-on {strict}",
            fault.name()
        );
    }

    // Markdown and JUnit show the same changes.
    let md = dir.join("drift.md");
    let xml = dir.join("drift.xml");
    let md_arg = format!("markdown={}", path(&md));
    let xml_arg = format!("junit={}", path(&xml));
    let args = [
        "--reference-fault",
        "tool-removed",
        "--baseline",
        path(&baseline),
        "--output",
        &md_arg,
        "--output",
        &xml_arg,
    ];
    assert_eq!(surface(&args).status.code(), Some(1));
    let md = std::fs::read_to_string(&md).unwrap();
    assert!(
        md.contains("| breaking | `eras.legacy.tools[\"greet_user\"]` | tool `greet_user` removed |"),
        "{md}"
    );
    let xml = std::fs::read_to_string(&xml).unwrap();
    assert!(
        xml.contains("<failure message=\"breaking: tool `greet_user` removed\""),
        "{xml}"
    );

    // --update: the reviewed change becomes the baseline.
    let update = surface(&[
        "--reference-fault",
        "tool-removed",
        "--baseline",
        path(&baseline),
        "--update",
    ]);
    assert_eq!(update.status.code(), Some(0), "{}", text(&update.stderr));
    let after = surface(&["--reference-fault", "tool-removed", "--baseline", path(&baseline)]);
    assert_eq!(after.status.code(), Some(0));
    assert!(
        text(&after.stdout).contains("0 breaking, 0 risky, 0 compatible"),
        "{}",
        text(&after.stdout)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// `check --surface-baseline`: the gate joins the run's verdict, and every format shows the drift.
#[test]
fn check_gates_on_the_surface_baseline_in_every_format() {
    let dir = temp_dir("check");
    let baseline = dir.join("surface.json");
    assert_eq!(surface(&["--save", path(&baseline)]).status.code(), Some(0));
    let check = |fault: &str, extra: &[&str]| {
        let mut args = vec![
            "check",
            "--quiet",
            "--only",
            "lifecycle.ping",
            "--surface-baseline",
            path(&baseline),
        ];
        args.extend(["--reference-fault", fault]);
        args.extend(extra);
        std::process::Command::new(SUITE).args(&args).output().unwrap()
    };
    // A compatible change passes under the default gate; a breaking one fails the run.
    let reordered = check("tools-reordered", &[]);
    assert_eq!(reordered.status.code(), Some(0), "{}", text(&reordered.stdout));
    assert!(
        text(&reordered.stdout).contains("COMPATIBLE"),
        "{}",
        text(&reordered.stdout)
    );
    let files: Vec<(String, PathBuf)> = ["md", "xml", "html", "json"]
        .iter()
        .map(|ext| {
            (
                format!("--output={}", path(&dir.join(format!("r.{ext}")))),
                dir.join(format!("r.{ext}")),
            )
        })
        .collect();
    let outputs: Vec<&str> = files.iter().map(|(arg, _)| arg.as_str()).collect();
    let removed = check("tool-removed", &outputs);
    assert_eq!(removed.status.code(), Some(1), "{}", text(&removed.stdout));
    let human = text(&removed.stdout);
    assert!(
        human.contains("✗ BREAKING") && human.contains("tool `greet_user` removed"),
        "{human}"
    );
    for (_, file) in &files {
        let shown = std::fs::read_to_string(file).unwrap();
        assert!(
            shown.contains("tool `greet_user` removed"),
            "{}: {shown}",
            file.display()
        );
    }
    let json: Value = serde_json::from_str(&std::fs::read_to_string(&files[3].1).unwrap()).unwrap();
    assert_eq!(json["surface_drift"]["changes"][0]["class"], "breaking");
    assert_eq!(
        json["summary"]["failed"], 0,
        "the checks themselves passed: the gate failed the run"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

fn rank(class: &str) -> u8 {
    match class {
        "breaking" => 2,
        "risky" => 1,
        _ => 0,
    }
}

#[test]
fn bad_baselines_are_refused_with_one_line() {
    let dir = temp_dir("bad");
    let not_json = dir.join("not.json");
    std::fs::write(&not_json, "tools: []").unwrap();
    let other_version = dir.join("v99.json");
    std::fs::write(&other_version, r#"{"schema_version": 99}"#).unwrap();
    let not_surface = dir.join("bench.json");
    std::fs::write(&not_surface, r#"{"schema_version": 1, "results": {}}"#).unwrap();
    for (file, says) in [
        (&not_json, "not JSON"),
        (&other_version, "schema version 99"),
        (&not_surface, "not a saved surface"),
        (&dir.join("missing.json"), "missing.json"),
    ] {
        let out = surface(&["--baseline", path(file)]);
        assert_eq!(out.status.code(), Some(2), "{}", file.display());
        let stderr = text(&out.stderr);
        assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
        assert!(stderr.contains(says), "{stderr}");
    }
    let junit = surface(&["--format", "junit"]);
    assert_eq!(junit.status.code(), Some(2));
    assert!(text(&junit.stderr).contains("needs --baseline"));
    let _ = std::fs::remove_dir_all(&dir);
}

/// Records `url` twice: no drift between the two.
async fn no_drift(url: &str) -> Surface {
    let target = Target::Url(url.to_string());
    let options = RunOptions::default();
    let quiet = |_: std::time::Duration, _: &str| {};
    let first = agentcore_mcp_suite::runner::record_surface(&target, &options, &quiet)
        .await
        .unwrap();
    let second = agentcore_mcp_suite::runner::record_surface(&target, &options, &quiet)
        .await
        .unwrap();
    assert_eq!(diff(&first, &second), [], "{url}");
    first
}

#[tokio::test(flavor = "multi_thread")]
async fn real_servers_show_no_drift_between_two_recordings() {
    let url = super::rmcp_server::serve(true).await;
    let rmcp = no_drift(&url).await;
    if let Ok(dir) = std::env::var("AGENTCORE_SUITE_RECORD") {
        rmcp.save(&Path::new(&dir).join("rmcp-3.11.0-agentcore.surface.json"))
            .unwrap();
    }
    assert!(rmcp.eras["legacy"].tools.len() >= 2, "{:?}", rmcp.eras["legacy"].tools);
    if let Some(python) = super::python_sdk::python() {
        let (_server, url) = super::python_sdk::start(&python, "mcp_server.py", &[]).await;
        let surface = no_drift(&url).await;
        assert!(!surface.eras["legacy"].tools.is_empty());
    }
    if let Some(url) = super::typescript_sdk::start().await {
        let surface = no_drift(&url.1).await;
        assert!(!surface.eras["legacy"].tools.is_empty());
    }
}
