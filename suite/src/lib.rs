//! agentcore-mcp-suite: conformance checks for MCP servers on Amazon Bedrock AgentCore Runtime.
//!
//! # Layers
//!
//! Data runs one way: a target is started and yields a transport and plain facts → the wire
//! sends HTTP (or InvokeAgentRuntime calls) and parses SSE and JSON-RPC strictly → the probe
//! speaks MCP in each era and records every exchange → the checks judge what came back → the
//! runner plans, runs and collects a [`Report`] → a report format renders it → the CLI wires it
//! to flags and exit codes. Imports follow the layers: a module may use only modules of a lower
//! layer (or its own), so nothing depends on what it feeds. The test `layers` (below) reads every
//! `crate::` path in src/ and fails on an edge against this order or on a cycle.
//!
//! | layer | modules | may use |
//! |---|---|---|
//! | 0 | `error` (the error type that owns the exit codes) | nothing of ours |
//! | 1 foundation | `secrets`, `stats`, `baseline` (saved measurements and their deltas) | 0 |
//! | 2 wire | `wire` (transports, platform calls, SSE, JSON-RPC, the AgentCore contract) | 0–1 |
//! | 3 probe | `probe` (eras, sessions, exchanges, discovery, facts as plain data) | 0–2 |
//! | 4 checks | `checks` (the catalog; one file per id prefix) | 0–3 |
//! | 4 beside it | `chart` (SVG charts of plain numbers, for bench files and HTML reports), `surface` (the tool surface: record, diff, render) | 0–3 |
//! | 5 targets | `targets` (where the server runs: embedded, URL, container, runtime ARN) | 0–3 |
//! | 6 runner | `runner` (jobs, phases, events, results, expected failures) | 0–5 |
//! | 6 beside it | `emulate` (the AgentCore data-plane emulator) | 0–5 |
//! | 7 | `bench` (load, cold starts), `report` (human, JSON, JUnit, Markdown, SARIF, HTML) | 0–6 |
//! | 8 cli | `cli` (one module per subcommand) | 0–7 |
//!
//! Targets sit above the probe and the checks although data starts there: a target builds a
//! wire transport and fills in the probe's facts, so checks never know which target they run
//! on, and a target never knows which checks run.
//!
//! # Features
//!
//! All on by default: `cli` (the binary: clap, the progress bar, the embedded reference server),
//! `containers` (`--image`/`--build` through testcontainers), `remote` (`--arn` through
//! aws-sdk-bedrockagentcore), `emulator` (`emulate`: axum, SigV4 verification). With none of them
//! the library still checks a URL.
//!
//! Use it from `cargo test`:
//!
//! ```no_run
//! # async fn demo() -> Result<(), agentcore_mcp_suite::Error> {
//! use agentcore_mcp_suite::{RunOptions, Target, run};
//!
//! let report = run(&Target::Url("http://127.0.0.1:8000/mcp".into()), &RunOptions::default()).await?;
//! assert!(report.passed(), "{}", agentcore_mcp_suite::report::human::render(&report, false));
//! # Ok(()) }
//! ```

pub mod baseline;
pub mod bench;
pub mod chart;
pub mod checks;
#[cfg(feature = "cli")]
pub mod cli;
#[cfg(feature = "emulator")]
pub mod emulate;
mod error;
pub mod probe;
pub mod report;
pub mod runner;
pub mod secrets;
pub mod stats;
pub mod surface;
pub mod targets;
pub mod wire;

pub use checks::{Check, Outcome, Verdict};
pub use error::Error;
pub use probe::{Era, ProbeSettings, Profile};
pub use report::Report;
pub use runner::expected::ExpectedFailures;
pub use runner::{Event, RunOptions, run, run_checks, validate_patterns};
pub use targets::Target;
pub use wire::reqwest_transport::TlsTrust;

#[cfg(test)]
mod layers;

#[cfg(test)]
mod layer_order {
    /// The table in the crate docs above.
    const LAYERS: &[(&str, u8)] = &[
        ("error", 0),
        ("layers", 0),
        ("secrets", 1),
        ("stats", 1),
        ("baseline", 1),
        ("wire", 2),
        ("probe", 3),
        ("checks", 4),
        ("chart", 4),
        ("surface", 4),
        ("targets", 5),
        ("runner", 6),
        ("emulate", 6),
        ("bench", 7),
        ("report", 7),
        ("cli", 8),
    ];

    #[test]
    fn imports_follow_the_layers_and_make_no_cycle() {
        super::layers::assert_layers(env!("CARGO_MANIFEST_DIR"), LAYERS);
    }

    #[test]
    fn the_graph_reader_sees_edges_groups_and_super_paths() {
        let dir = std::env::temp_dir().join(format!("agentcore-layers-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("b")).unwrap();
        std::fs::write(dir.join("lib.rs"), "mod a; mod b;").unwrap();
        std::fs::write(dir.join("a.rs"), "use crate::{b::{c, d as e}};\n// crate::a::ignored\n").unwrap();
        std::fs::write(dir.join("b/mod.rs"), "mod c; mod d;").unwrap();
        std::fs::write(dir.join("b/c.rs"), "use super::d::X;").unwrap();
        std::fs::write(dir.join("b/d.rs"), "fn f() { crate::a::g() }").unwrap();
        let edges = super::layers::edges(&dir);
        let module = |s: &str| s.split("::").map(str::to_string).collect::<Vec<_>>();
        assert_eq!(edges[&module("a")], [module("b::c"), module("b::d")].into());
        assert_eq!(edges[&module("b::c")], [module("b::d")].into());
        let violations = super::layers::violations(&dir, &[("a", 1), ("b", 0)]);
        assert_eq!(violations.len(), 2, "{violations:?}");
        assert!(
            violations[0].contains("b::d (layer 0) uses a (layer 1)"),
            "{violations:?}"
        );
        assert!(
            violations.iter().any(|v| v.starts_with("cycle: a <-> b::c <-> b::d")),
            "{violations:?}"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn every_check_lives_in_the_file_named_by_its_prefix() {
        let checks = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/checks");
        for check in crate::checks::catalog() {
            let file = checks.join(format!("{}.rs", check.area()));
            let text = std::fs::read_to_string(&file).unwrap_or_default();
            assert!(
                text.contains(&format!("id: \"{}\",", check.id)),
                "{} is not declared in {}",
                check.id,
                file.display()
            );
        }
    }
}
