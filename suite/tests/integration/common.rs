//! Helpers shared by the test modules.

use std::time::Duration;

use agentcore_mcp_reference::{Config, Faults};
use agentcore_mcp_suite::checks::Verdict;
use agentcore_mcp_suite::{ProbeSettings, Report, RunOptions, Target, run};

/// ProbeSettings that keep test runs short: few latency samples, a tight keep-alive window.
pub fn quick_options() -> RunOptions {
    RunOptions {
        probe: ProbeSettings {
            samples: 3,
            latency_budget: Duration::from_secs(1),
            slow_checks: true,
            keepalive_max_gap: Duration::from_millis(600),
            timeout: Duration::from_secs(5),
            ..ProbeSettings::default()
        },
        ..RunOptions::default()
    }
}

/// The reference server with `faults`, sending keep-alives every 100 ms.
pub fn reference(faults: &[&str], json_response: bool) -> Target {
    Target::Embedded(Config {
        json_response,
        faults: Faults::parse(faults.iter().copied()).expect("known faults"),
        keepalive: Duration::from_millis(100),
        ..Config::default()
    })
}

/// Says on the terminal that a test did not run what it is for. libtest captures `eprintln!` of a
/// passing test, so this writes to the stderr handle directly: plain `cargo test` shows it.
pub fn skip_loudly(why: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr().lock(), "SKIPPED: {why}");
}

/// The path in environment variable `var`, or a loud skip; with `require` set to 1 (CI), a
/// failure instead.
pub fn required_tool(var: &str, require: &str, what: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(path) if !path.is_empty() => Some(path),
        _ => {
            let required = std::env::var(require).is_ok_and(|v| v == "1");
            assert!(!required, "{require}=1 but {var} is not set");
            skip_loudly(&format!("{what} need {var}"));
            None
        }
    }
}

/// A free loopback port (bound and released).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A child process that is killed when dropped.
pub struct Child(pub std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Spawns `command` and waits (10 s at most) until it listens on `port`.
pub async fn serve_on(mut command: std::process::Command, port: u16) -> Child {
    let child = Child(
        command
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("the server starts"),
    );
    for _ in 0..200 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
            return child;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{command:?} did not listen on {port} within 10 s");
}

pub async fn check(target: &Target, options: &RunOptions) -> Report {
    tokio::time::timeout(Duration::from_secs(120), run(target, options))
        .await
        .expect("a run finishes within two minutes")
        .expect("the run starts")
}

/// Asserts that every result of each check in `ids` passed.
pub fn assert_passed(report: &Report, ids: &[&str]) {
    for id in ids {
        let results: Vec<_> = report.results.iter().filter(|r| r.id == *id).collect();
        assert!(!results.is_empty(), "{id} did not run");
        for result in results {
            assert_eq!(result.verdict, Verdict::Pass, "{}: {}", result.name(), result.message);
        }
    }
}

/// Results that are not pass or skip, one line each, for assertion messages.
pub fn non_passes(report: &Report) -> Vec<String> {
    report
        .results
        .iter()
        .filter(|r| !matches!(r.verdict, Verdict::Pass | Verdict::Skip))
        .map(|r| {
            format!(
                "{} {}: {} | {}",
                r.verdict.name(),
                r.name(),
                r.message,
                r.evidence.join(" | ")
            )
        })
        .collect()
}

/// The verdicts check `id` got (one per era it ran in).
pub fn verdicts(report: &Report, id: &str) -> Vec<Verdict> {
    report
        .results
        .iter()
        .filter(|r| r.id == id)
        .map(|r| r.verdict)
        .collect()
}

/// The suite's binary.
pub const BIN: &str = env!("CARGO_BIN_EXE_agentcore-mcp-suite");

/// Runs the binary with `args`, colour off, and waits for it.
pub fn suite(args: &[&str]) -> std::process::Output {
    std::process::Command::new(BIN)
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("the binary runs")
}

/// Output bytes as text.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}
