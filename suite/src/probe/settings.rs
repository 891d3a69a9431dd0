//! What a run is told: the profile, budgets, the call policy, and the two eras it speaks in.

use std::time::Duration;

use serde::Serialize;
use serde_json::Value;

/// The two ways of speaking MCP over streamable HTTP (its number indexes per-era caches).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Era {
    /// 2025-03-26 … 2025-11-25: the initialize handshake.
    Legacy = 0,
    /// 2026-07-28: per-request `_meta` envelope, `server/discover`.
    Modern = 1,
}

impl Era {
    pub fn name(self) -> &'static str {
        match self {
            Era::Legacy => "legacy",
            Era::Modern => "modern",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Profile {
    /// The AgentCore MCP contract: stateless servers, platform session ids accepted.
    Agentcore,
    /// The MCP specification alone (stateful servers allowed).
    Mcp,
}

impl Profile {
    pub fn name(self) -> &'static str {
        match self {
            Profile::Agentcore => "agentcore",
            Profile::Mcp => "mcp",
        }
    }
}

/// Knobs the checks read.
#[derive(Clone, Debug)]
pub struct ProbeSettings {
    pub profile: Profile,
    pub timeout: Duration,
    pub headers: Vec<(String, String)>,
    /// ping.* checks fail instead of warn.
    pub require_ping: bool,
    /// Samples per latency check.
    pub samples: usize,
    /// p99 budget of each latency check.
    pub latency_budget: Duration,
    /// Run checks that take long on purpose (sse.keepalive).
    pub slow_checks: bool,
    /// Longest silence allowed during a long request (sse.keepalive).
    pub keepalive_max_gap: Duration,
    /// image.size warns above this many bytes.
    pub image_size_budget: u64,
    /// latency.cold-start warns when the first MCP answer takes longer.
    pub cold_start_budget: Duration,
    /// The longest a tool call may take while it keeps sending progress (`--max-call-time`);
    /// without progress, `timeout` bounds it.
    pub max_call_time: Duration,
    /// Which tools the run may call (`--call-policy`).
    pub call_policy: CallPolicy,
    /// Tools named with `--call NAME --args JSON`: when given, the only ones called.
    pub calls: Vec<(String, Value)>,
}

/// Which tools a run may call: a conformance run must never change the world it checks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum CallPolicy {
    /// Only tools annotated `readOnlyHint: true` (absent means false).
    #[default]
    ReadOnly,
    /// Any tool, with simple made-up arguments (throwaway sandboxes only).
    All,
    /// No tool at all.
    None,
}

impl Default for ProbeSettings {
    fn default() -> Self {
        ProbeSettings {
            profile: Profile::Agentcore,
            timeout: Duration::from_secs(10),
            headers: Vec::new(),
            require_ping: false,
            samples: 20,
            latency_budget: Duration::from_millis(500),
            slow_checks: false,
            keepalive_max_gap: Duration::from_secs(15),
            image_size_budget: 1000 * 1000 * 1000,
            cold_start_budget: Duration::from_secs(5),
            max_call_time: Duration::from_secs(60),
            call_policy: CallPolicy::ReadOnly,
            calls: Vec::new(),
        }
    }
}
