//! The composite GitHub Action (action.yml), run here without GitHub: its `run` steps in order
//! under `bash --noprofile --norc -eo pipefail` (what `shell: bash` means on a runner), with
//! GITHUB_OUTPUT (one file per step), GITHUB_STEP_SUMMARY, GITHUB_PATH, GITHUB_ACTION_PATH,
//! RUNNER_TEMP, RUNNER_OS and RUNNER_ARCH pointed at temp files. `${{ … }}` expressions are
//! evaluated for the few contexts the action uses; any other expression fails the test, so the
//! action cannot grow one this runner would silently get wrong. `uses:` steps (the cache) cannot
//! run here and are named as such.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use agentcore_mcp_reference::{Config, Faults};
use serde_json::Value;

use super::remote::reference_server;

const SUITE: &str = env!("CARGO_BIN_EXE_agentcore-mcp-suite");

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

/// What one run of the action left behind.
struct ActionRun {
    /// The exit code of the step that ended the run (0 when all passed).
    code: i32,
    /// The action's outputs, evaluated from its `outputs:` section.
    outputs: BTreeMap<String, String>,
    summary: String,
    /// Every step's stdout and stderr.
    log: String,
    /// The `uses:` steps that could not run here.
    not_run: Vec<String>,
    /// How long each step that ran took, by name (printed for the README's numbers).
    timings: Vec<(String, std::time::Duration)>,
}

/// The contexts the action's expressions may read.
struct Contexts<'a> {
    inputs: &'a BTreeMap<String, String>,
    github: &'a BTreeMap<&'static str, String>,
    runner_temp: &'a Path,
    steps: &'a BTreeMap<String, BTreeMap<String, String>>,
}

impl Contexts<'_> {
    fn lookup(&self, expression: &str) -> String {
        let parts: Vec<&str> = expression.trim().split('.').collect();
        match parts.as_slice() {
            ["inputs", name] => self.inputs.get(*name).cloned().unwrap_or_default(),
            ["github", name] => self.github.get(name).cloned().unwrap_or_default(),
            ["runner", "temp"] => self.runner_temp.display().to_string(),
            ["steps", id, "outputs", name] => self
                .steps
                .get(*id)
                .and_then(|outputs| outputs.get(*name))
                .cloned()
                .unwrap_or_default(),
            _ => panic!("action.yml uses `${{{{ {expression} }}}}`, which this test runner does not evaluate"),
        }
    }

    /// `text` with every `${{ … }}` replaced.
    fn evaluate(&self, text: &str) -> String {
        let mut out = String::new();
        let mut rest = text;
        while let Some(start) = rest.find("${{") {
            out.push_str(&rest[..start]);
            let end = rest[start..].find("}}").expect("a closed expression") + start;
            out.push_str(&self.lookup(&rest[start + 3..end]));
            rest = &rest[end + 2..];
        }
        out + rest
    }
}

/// GITHUB_OUTPUT's two forms: `name=value` and `name<<DELIMITER` … `DELIMITER`.
fn parse_outputs(text: &str) -> BTreeMap<String, String> {
    let mut outputs = BTreeMap::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if let Some((name, delimiter)) = line.split_once("<<") {
            let value: Vec<&str> = lines.by_ref().take_while(|l| *l != delimiter).collect();
            outputs.insert(name.to_string(), value.join("\n"));
        } else if let Some((name, value)) = line.split_once('=') {
            outputs.insert(name.to_string(), value.to_string());
        }
    }
    outputs
}

/// Runs action.yml's steps with `inputs` (unset ones take their defaults) on a Linux/X64 runner
/// whose temp dir is `temp`; `env` is the job's environment.
fn run_action(inputs: &[(&str, &str)], action_ref: &str, env: &[(&str, String)], temp: &Path) -> ActionRun {
    let action: Value = serde_norway::from_str(&std::fs::read_to_string(repo_root().join("action.yml")).unwrap())
        .expect("action.yml is YAML");
    assert_eq!(action["runs"]["using"], "composite");
    let mut values: BTreeMap<String, String> = action["inputs"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(name, input)| (name.clone(), input["default"].as_str().unwrap_or("").to_string()))
        .collect();
    for (name, value) in inputs {
        assert!(values.contains_key(*name), "action.yml has no input `{name}`");
        values.insert(name.to_string(), value.to_string());
    }
    let github = BTreeMap::from([
        ("action_ref", action_ref.to_string()),
        ("action_repository", "example/agentcore-mcp-suite".to_string()),
    ]);
    let runner_temp = temp.join("runner-temp");
    std::fs::create_dir_all(&runner_temp).unwrap();
    let summary_file = temp.join("step-summary.md");
    let path_file = temp.join("github-path");
    std::fs::write(&summary_file, "").unwrap();
    let mut steps: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    let (mut log, mut not_run, mut code, mut timings) = (String::new(), Vec::new(), 0, Vec::new());
    for (index, step) in action["runs"]["steps"].as_array().unwrap().iter().enumerate() {
        if let Some(uses) = step["uses"].as_str() {
            not_run.push(uses.to_string());
            continue;
        }
        assert_eq!(step["shell"], "bash", "every run step says `shell: bash`");
        assert!(step.get("if").is_none(), "this runner does not evaluate `if:`");
        let contexts = Contexts {
            inputs: &values,
            github: &github,
            runner_temp: &runner_temp,
            steps: &steps,
        };
        let output_file = temp.join(format!("output-{index}"));
        std::fs::write(&output_file, "").unwrap();
        let mut command = Command::new("bash");
        command
            .args(["--noprofile", "--norc", "-eo", "pipefail", "-c"])
            .arg(step["run"].as_str().expect("a run step"))
            .env("GITHUB_OUTPUT", &output_file)
            .env("GITHUB_STEP_SUMMARY", &summary_file)
            .env("GITHUB_PATH", &path_file)
            .env("GITHUB_ACTION_PATH", repo_root())
            .env("RUNNER_TEMP", &runner_temp)
            .env("RUNNER_OS", "Linux")
            .env("RUNNER_ARCH", "X64");
        for (name, value) in env {
            command.env(name, value);
        }
        for (name, value) in step["env"].as_object().into_iter().flatten() {
            command.env(name, contexts.evaluate(value.as_str().unwrap()));
        }
        let started = std::time::Instant::now();
        let out = command.output().expect("bash runs");
        timings.push((step["name"].as_str().unwrap_or("?").to_string(), started.elapsed()));
        log.push_str(&String::from_utf8_lossy(&out.stdout));
        log.push_str(&String::from_utf8_lossy(&out.stderr));
        if let Some(id) = step["id"].as_str() {
            steps.insert(
                id.to_string(),
                parse_outputs(&std::fs::read_to_string(&output_file).unwrap()),
            );
        }
        code = out.status.code().unwrap_or(-1);
        if code != 0 {
            break;
        }
    }
    let contexts = Contexts {
        inputs: &values,
        github: &github,
        runner_temp: &runner_temp,
        steps: &steps,
    };
    let outputs = action["outputs"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(name, output)| (name.clone(), contexts.evaluate(output["value"].as_str().unwrap())))
        .collect();
    ActionRun {
        code,
        outputs,
        summary: std::fs::read_to_string(&summary_file).unwrap(),
        log,
        not_run,
        timings,
    }
}

/// A release mirror on loopback: serves the files of `dir` at `/<version>/<name>`, until dropped.
struct ReleaseMirror {
    url: String,
}

impl ReleaseMirror {
    fn serve(dir: PathBuf) -> ReleaseMirror {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { break };
                let mut request = [0u8; 4096];
                let n = stream.read(&mut request).unwrap_or(0);
                let line = String::from_utf8_lossy(&request[..n])
                    .lines()
                    .next()
                    .unwrap_or("")
                    .to_string();
                let path = line.split(' ').nth(1).unwrap_or("/");
                let name = path.rsplit('/').next().unwrap_or("");
                let response = match std::fs::read(dir.join(name)) {
                    Ok(body) => [
                        format!(
                            "HTTP/1.1 200 OK\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                            body.len()
                        )
                        .into_bytes(),
                        body,
                    ]
                    .concat(),
                    Err(_) => b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n".to_vec(),
                };
                let _ = stream.write_all(&response);
            }
        });
        ReleaseMirror { url }
    }
}

/// A release asset of the suite this test run built, and its `.sha256`; `corrupt` writes
/// a checksum that does not match.
fn release_assets(dir: &Path, corrupt: bool) {
    std::fs::create_dir_all(dir).unwrap();
    let staging = dir.join("staging");
    std::fs::create_dir_all(&staging).unwrap();
    // The binary this test run built, behind a two-line script: packing 400 MB of debug build
    // would only make the test slow.
    let binary = staging.join("agentcore-mcp-suite");
    std::fs::write(&binary, format!("#!/bin/sh\nexec '{SUITE}' \"$@\"\n")).unwrap();
    std::fs::set_permissions(&binary, std::fs::Permissions::from_mode(0o755)).unwrap();
    let asset = dir.join("agentcore-mcp-suite-x86_64-unknown-linux-musl.tar.gz");
    let tar = Command::new("tar")
        .arg("-czf")
        .arg(&asset)
        .arg("-C")
        .arg(&staging)
        .arg("agentcore-mcp-suite")
        .status()
        .unwrap();
    assert!(tar.success());
    let sum = Command::new("sha256sum").arg(&asset).output().unwrap();
    let mut line = String::from_utf8(sum.stdout).unwrap();
    if corrupt {
        line.replace_range(0..8, "00000000");
    }
    std::fs::write(
        dir.join("agentcore-mcp-suite-x86_64-unknown-linux-musl.tar.gz.sha256"),
        line,
    )
    .unwrap();
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("agentcore-action-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn count(run: &ActionRun, name: &str) -> usize {
    run.outputs[name]
        .parse()
        .unwrap_or_else(|_| panic!("{name} = {:?}", run.outputs[name]))
}

#[tokio::test(flavor = "multi_thread")]
async fn the_action_downloads_a_checked_release_and_gates_on_the_suite() {
    let temp = temp_dir("release");
    release_assets(&temp.join("mirror"), false);
    let mirror = ReleaseMirror::serve(temp.join("mirror"));
    let env = vec![("AGENTCORE_SUITE_RELEASES", mirror.url.clone())];
    let (clean_url, _clean) = reference_server(Config::default()).await;
    let quick = "--only accept --only lifecycle --only ping --skip ping.busy";

    // A clean server: exit 0, the counts, the summary is the Markdown report, the files exist.
    let run = tokio::task::spawn_blocking({
        let (temp, env, clean_url) = (temp.clone(), env.clone(), clean_url.clone());
        move || run_action(&[("url", &clean_url), ("args", quick)], "v0.1.0", &env, &temp)
    })
    .await
    .unwrap();
    assert_eq!(run.code, 0, "{}", run.log);
    assert_eq!(run.not_run, ["actions/cache@v4"]);
    // `--nocapture` shows how long getting the binary takes before the first request.
    println!("action steps, release download: {:?}", run.timings);
    assert!(
        run.log.contains("release v0.1.0 for x86_64-unknown-linux-musl, sha256"),
        "{}",
        run.log
    );
    assert_eq!(run.outputs["exit-code"], "0");
    assert!(
        count(&run, "passed") > 10 && count(&run, "failed") == 0,
        "{:?}",
        run.outputs
    );
    let report: Value = serde_json::from_str(&std::fs::read_to_string(&run.outputs["report"]).unwrap()).unwrap();
    assert_eq!(report["summary"]["passed"].as_u64(), Some(count(&run, "passed") as u64));
    assert_eq!(report["summary"]["warned"].as_u64(), Some(count(&run, "warned") as u64));
    assert_eq!(
        report["summary"]["skipped"].as_u64(),
        Some(count(&run, "skipped") as u64)
    );
    let markdown = std::fs::read_to_string(Path::new(&run.outputs["report"]).with_extension("md")).unwrap();
    assert_eq!(run.summary, markdown);
    assert!(run.summary.starts_with("## MCP conformance: ") && run.summary.contains("**PASS**"));
    let sarif: Value = serde_json::from_str(&std::fs::read_to_string(&run.outputs["sarif"]).unwrap()).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    assert!(
        std::fs::read_to_string(&run.outputs["html"])
            .unwrap()
            .starts_with("<!DOCTYPE html>")
    );

    // A failing server and a token in `args`: the step fails with the suite's code, the token
    // reaches neither the log, nor the summary, nor any output or report file.
    let faults = Faults::parse(["version-echo-unknown"]).unwrap();
    let (failing_url, _failing) = reference_server(Config {
        faults,
        ..Config::default()
    })
    .await;
    let secret_args = format!("{quick} --header \"Authorization: Bearer sekrit-action-token\"");
    let sarif_path = temp.join("scan.sarif").display().to_string();
    let run = tokio::task::spawn_blocking({
        let (temp, env) = (temp.clone(), env.clone());
        move || {
            let inputs = [
                ("url", failing_url.as_str()),
                ("args", &secret_args),
                ("sarif", &sarif_path),
            ];
            run_action(&inputs, "v0.1.0", &env, &temp)
        }
    })
    .await
    .unwrap();
    assert_eq!(run.code, 1, "{}", run.log);
    assert_eq!(run.outputs["exit-code"], "1");
    assert!(count(&run, "failed") >= 1, "{:?}", run.outputs);
    assert!(
        run.log.contains("cached"),
        "the second run reuses the binary: {}",
        run.log
    );
    assert_eq!(run.outputs["sarif"], temp.join("scan.sarif").display().to_string());
    assert!(run.summary.contains("**FAIL**") && run.summary.contains("lifecycle.version-unknown"));
    let mut everything = run.log.clone() + &run.summary + &format!("{:?}", run.outputs);
    for output in ["report", "sarif", "html"] {
        everything.push_str(&std::fs::read_to_string(&run.outputs[output]).unwrap());
    }
    assert!(everything.contains("[redacted]"), "the header was sent");
    assert!(!everything.contains("sekrit"), "the token leaked");
    let _ = std::fs::remove_dir_all(&temp);
}

#[test]
fn the_action_refuses_a_release_asset_whose_checksum_differs() {
    let temp = temp_dir("checksum");
    release_assets(&temp.join("mirror"), true);
    let mirror = ReleaseMirror::serve(temp.join("mirror"));
    let env = vec![("AGENTCORE_SUITE_RELEASES", mirror.url.clone())];
    let run = run_action(&[("url", "http://127.0.0.1:9/mcp")], "v0.1.0", &env, &temp);
    assert_eq!(run.code, 1, "{}", run.log);
    assert!(run.log.contains("does not match its .sha256"), "{}", run.log);
    assert_eq!(run.outputs["exit-code"], "", "the check never ran");
    let installed =
        temp.join("runner-temp/agentcore-mcp-suite/agentcore-mcp-suite-v0.1.0-x86_64-unknown-linux-musl/bin");
    assert!(
        !installed.join("agentcore-mcp-suite").exists(),
        "nothing unchecked was installed"
    );
    let _ = std::fs::remove_dir_all(&temp);
}

/// Off a release tag the action builds its own checkout with `cargo install --locked`; a `cargo`
/// on PATH that records its arguments and installs this test's binary stands in for the
/// five-minute compile (.ci/run runs the real `cargo install --locked --path suite`).
#[test]
fn the_action_builds_its_checkout_when_not_on_a_release_tag() {
    let temp = temp_dir("build");
    let fake = temp.join("fake-cargo");
    std::fs::create_dir_all(&fake).unwrap();
    let script = format!(
        "#!/bin/sh\necho \"$@\" > '{}'\nwhile [ $# -gt 0 ]; do [ \"$1\" = --root ] && root=$2; shift; done\n\
         mkdir -p \"$root/bin\" && cp '{SUITE}' \"$root/bin/agentcore-mcp-suite\"\n",
        temp.join("cargo-args").display()
    );
    std::fs::write(fake.join("cargo"), script).unwrap();
    std::fs::set_permissions(fake.join("cargo"), std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = format!("{}:{}", fake.display(), std::env::var("PATH").unwrap_or_default());
    // Nothing listens on port 9: the suite runs and exits 2 with its one-line reason.
    let run = run_action(&[("url", "http://127.0.0.1:9/mcp")], "main", &[("PATH", path)], &temp);
    let args = std::fs::read_to_string(temp.join("cargo-args")).expect("cargo was called");
    assert!(
        args.starts_with(&format!(
            "install --locked --quiet --path {}/suite --root ",
            repo_root().display()
        )),
        "{args}"
    );
    assert_eq!(run.code, 2, "{}", run.log);
    assert_eq!(run.outputs["exit-code"], "2");
    let _ = std::fs::remove_dir_all(&temp);
}

/// The release workflow builds exactly the targets the action downloads, under the asset name the
/// action and cargo-binstall ask for.
#[test]
fn release_assets_are_named_as_the_action_and_binstall_expect() {
    let read = |path: &str| std::fs::read_to_string(repo_root().join(path)).unwrap();
    let release: Value = serde_norway::from_str(&read(".github/workflows/release.yml")).unwrap();
    let built: std::collections::BTreeSet<String> = release["jobs"]["binaries"]["strategy"]["matrix"]["include"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| entry["target"].as_str().unwrap().to_string())
        .collect();
    let action = read("action.yml");
    let downloaded: std::collections::BTreeSet<String> = action
        .lines()
        .filter_map(|line| line.split_once(") triple=")?.1.strip_suffix(" ;;"))
        .filter(|triple| !triple.is_empty() && *triple != "\"\"")
        .map(str::to_string)
        .collect();
    assert_eq!(built, downloaded);
    assert!(action.contains("asset=\"agentcore-mcp-suite-$TRIPLE.tar.gz\""));
    let package_step = release["jobs"]["binaries"]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find_map(|step| step["run"].as_str().filter(|run| run.contains("shasum -a 256")))
        .expect("a packaging step");
    assert!(package_step.contains("asset=\"agentcore-mcp-suite-${{ matrix.target }}.tar.gz\""));
    assert!(package_step.contains("-C \"target/${{ matrix.target }}/release\" agentcore-mcp-suite"));
    let manifest = read("suite/Cargo.toml");
    assert!(manifest.contains("pkg-url = \"{ repo }/releases/download/v{ version }/{ name }-{ target }.tar.gz\""));
    assert!(
        manifest.contains("bin-dir = \"{ bin }{ binary-ext }\""),
        "the binary sits at the archive's top level"
    );
    let ci: Value = serde_norway::from_str(&read(".github/workflows/ci.yml")).unwrap();
    let steps = ci["jobs"]["ci"]["steps"].as_array().unwrap();
    assert!(
        steps
            .iter()
            .any(|step| step["run"].as_str().is_some_and(|run| run.ends_with("bash .ci/run")))
    );
}
