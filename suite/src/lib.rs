//! agentcore-mcp-suite: conformance checks for MCP servers on Amazon Bedrock AgentCore Runtime.
//!
//! The data path runs one way: a [`Target`] yields a transport and plain facts → the wire layer
//! sends HTTP and parses SSE and JSON-RPC strictly → the [checks](checks::catalog) judge what came
//! back → a [`Report`] renders as human, JSON, JUnit or Markdown. The [runner] drives it and
//! emits events; callers draw progress and render.
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

pub mod bench;
pub mod checks;
pub mod cli;
pub mod coldstarts;
mod error;
pub mod expected;
pub mod gateway;
pub mod probe;
pub mod report;
pub mod runner;
pub mod secrets;
pub mod stats;
pub mod target;
pub mod wire;

pub use checks::{Check, Outcome, Verdict};
pub use error::Error;
pub use expected::ExpectedFailures;
pub use probe::{Era, Options, Profile};
pub use report::Report;
pub use runner::{Event, run, run_checks};
pub use target::Target;
pub use wire::tls::TlsOptions;

/// Everything a run needs besides the target.
#[derive(Clone, Debug, Default)]
pub struct RunOptions {
    pub probe: Options,
    /// How to trust an https:// target's certificate.
    pub tls: TlsOptions,
    /// Run only checks whose id equals or starts with one of these (`accept`, `sse.utf8`).
    pub only: Vec<String>,
    pub skip: Vec<String>,
    pub expected: ExpectedFailures,
}

fn selected(id: &str, patterns: &[String]) -> bool {
    patterns.iter().any(|p| {
        let p = checks::canonical_id(p);
        id == p || id.starts_with(&format!("{}.", p.trim_end_matches('.')))
    })
}

/// Rejects `--only` / `--skip` patterns that match no check.
pub fn validate_patterns(patterns: &[String]) -> Result<(), Error> {
    let catalog = checks::catalog();
    for pattern in patterns {
        if !catalog.iter().any(|c| selected(c.id, std::slice::from_ref(pattern))) {
            return Err(Error::Usage(format!("`{pattern}` matches no check id (see `list`)")));
        }
    }
    Ok(())
}
