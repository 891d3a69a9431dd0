//! The check catalog. Each area file holds its checks as plain async functions with the rule in
//! their doc comment, and a `CHECKS` table giving each one its stable id, level, source and scope.

use std::future::Future;
use std::pin::Pin;

use serde::Serialize;

use crate::probe::Cx;
use crate::wire::transport::{Capability, WireError};

mod accept;
mod capabilities;
mod completion;
mod http;
mod image;
mod jsonrpc;
mod latency;
mod lifecycle;
mod logging;
mod modern;
mod ping;
mod prompts;
mod remote;
mod resources;
mod schema;
mod session;
mod sse;
mod tools;

/// What a check concluded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Pass,
    Info,
    Skip,
    Warn,
    Fail,
    Error,
}

impl Verdict {
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Info => "info",
            Verdict::Skip => "skip",
            Verdict::Warn => "warn",
            Verdict::Fail => "fail",
            Verdict::Error => "error",
        }
    }
}

/// How binding a check's rule is: what a violation of it becomes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Level {
    /// A MUST of the cited source, or an AgentCore hard limit: a violation fails.
    Must,
    /// A SHOULD, or an interop hazard with named clients: a violation warns.
    Should,
}

impl Level {
    pub fn name(self) -> &'static str {
        match self {
            Level::Must => "must",
            Level::Should => "should",
        }
    }
}

/// When a check runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Scope {
    /// Once per server, not tied to an era (GET /ping).
    Server,
    /// Once for each era the server speaks.
    EachEra,
    /// Only for the legacy (initialize handshake) era.
    Legacy,
    /// Only for the 2026-07-28 era.
    Modern,
}

/// Checks that time things or watch the server's state run alone, after the rest.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    Together,
    Alone,
    /// After everything else (schema.valid reads every message the run received).
    Last,
    /// Ends the target (image.sigterm stops the container).
    Final,
}

pub type CheckFuture<'a> = Pin<Box<dyn Future<Output = Result<Outcome, WireError>> + Send + 'a>>;

/// What kind of target a check judges.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TargetKind {
    /// Any server: it judges what the server answers.
    Any,
    /// A container target (`--image`, `--build`) that answered MCP: it judges how it started.
    Container,
    /// A container target's image and process: it runs even when the server never answered.
    Image,
}

/// Which targets a check applies to and how the runner schedules it. The runner reads these
/// fields; nothing about a check is decided from its id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Runs {
    pub target: TargetKind,
    /// When it runs: together with others, alone, last, or at the very end.
    pub phase: Phase,
    /// Runs (under the legacy era) even when the server speaks no era the suite knows, so a URL
    /// that is not an MCP server fails the run instead of skipping everything.
    pub without_era: bool,
    /// Watches a stream for [`util::STREAM_WATCH`]: started first, so its wait overlaps the
    /// other checks instead of ending the run late.
    pub watches_stream: bool,
}

impl Runs {
    pub const ANYWHERE: Runs = Runs {
        target: TargetKind::Any,
        phase: Phase::Together,
        without_era: false,
        watches_stream: false,
    };
    pub const ON_CONTAINERS: Runs = Runs {
        target: TargetKind::Container,
        ..Runs::ANYWHERE
    };
    pub const ON_IMAGES: Runs = Runs {
        target: TargetKind::Image,
        ..Runs::ANYWHERE
    };

    pub const fn in_phase(self, phase: Phase) -> Runs {
        Runs { phase, ..self }
    }

    pub const fn watching_a_stream(self) -> Runs {
        Runs {
            watches_stream: true,
            ..self
        }
    }

    pub const fn even_without_era(self) -> Runs {
        Runs {
            without_era: true,
            ..self
        }
    }
}

pub struct Check {
    pub id: &'static str,
    pub level: Level,
    pub scope: Scope,
    /// What the transport must be able to do; a transport that cannot is a skip with the reason.
    pub needs: &'static [Capability],
    pub runs: Runs,
    /// Where the rule comes from: `MCP 2025-11-25 basic/transports.mdx#…`, `AGENTCORE …`, …
    pub source: &'static str,
    pub rule: &'static str,
    pub run: for<'a> fn(&'a Cx) -> CheckFuture<'a>,
}

impl Check {
    /// The area: the id's prefix, and the file under checks/ that holds the check.
    pub fn area(&self) -> &'static str {
        self.id.split('.').next().unwrap_or(self.id)
    }

    /// What the check needs of the target and its transport, in words (`explain`).
    pub fn describe_needs(&self) -> String {
        let mut needs: Vec<String> = match self.runs.target {
            TargetKind::Any => Vec::new(),
            TargetKind::Container => vec!["a container target that answers MCP (--image or --build)".into()],
            TargetKind::Image => vec!["a container target (--image or --build)".into()],
        };
        needs.extend(
            self.needs
                .iter()
                .map(|n| format!("a transport that can {}", n.describe())),
        );
        if needs.is_empty() {
            "a POST to the MCP endpoint (any transport)".to_string()
        } else {
            needs.join("; ")
        }
    }
}

/// A check's verdict with its explanation and evidence.
#[derive(Clone, Debug)]
pub struct Outcome {
    pub verdict: Verdict,
    pub message: String,
    pub evidence: Vec<String>,
    /// The distribution a timed check measured (latency.*), for charts.
    pub timing: Option<crate::stats::Timing>,
}

impl Outcome {
    fn new(verdict: Verdict, message: impl Into<String>) -> Outcome {
        Outcome {
            verdict,
            message: message.into(),
            evidence: Vec::new(),
            timing: None,
        }
    }
    pub fn pass(message: impl Into<String>) -> Outcome {
        Outcome::new(Verdict::Pass, message)
    }
    pub fn fail(message: impl Into<String>) -> Outcome {
        Outcome::new(Verdict::Fail, message)
    }
    pub fn warn(message: impl Into<String>) -> Outcome {
        Outcome::new(Verdict::Warn, message)
    }
    pub fn skip(message: impl Into<String>) -> Outcome {
        Outcome::new(Verdict::Skip, message)
    }
    pub fn error(message: impl Into<String>) -> Outcome {
        Outcome::new(Verdict::Error, message)
    }
    /// `fail` for a MUST-level rule, `warn` for a SHOULD-level one.
    pub fn violation(level: Level, message: impl Into<String>) -> Outcome {
        match level {
            Level::Must => Outcome::fail(message),
            Level::Should => Outcome::warn(message),
        }
    }
    pub fn with(mut self, evidence: impl Into<String>) -> Outcome {
        self.evidence.push(evidence.into());
        self
    }
    pub fn timed(mut self, timing: Option<crate::stats::Timing>) -> Outcome {
        self.timing = timing;
        self
    }
}

/// Boxes an async check body; keeps the area files free of `Box::pin` noise.
macro_rules! check_fn {
    ($name:ident) => {{
        fn boxed(cx: &$crate::probe::Cx) -> $crate::checks::CheckFuture<'_> {
            Box::pin($name(cx))
        }
        boxed
    }};
}
pub(crate) use check_fn;

/// Every check, in report order.
pub fn catalog() -> Vec<&'static Check> {
    [
        ping::CHECKS,
        accept::CHECKS,
        session::CHECKS,
        sse::CHECKS,
        latency::CHECKS,
        http::CHECKS,
        lifecycle::CHECKS,
        jsonrpc::CHECKS,
        modern::CHECKS,
        tools::CHECKS,
        resources::CHECKS,
        prompts::CHECKS,
        logging::CHECKS,
        completion::CHECKS,
        capabilities::CHECKS,
        schema::CHECKS,
        image::CHECKS,
        remote::CHECKS,
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// Ids that moved, and where they went: old names still work in expected-failures files,
/// `--only`, `--skip` and `explain`.
const ALIASES: &[(&str, &str)] = &[
    ("ping.latency", "latency.ping"),
    ("remote.seed-protocol-version", "remote.guide-protocol-version"),
];

/// The current id for `id` (itself unless it is an old alias).
pub fn canonical_id(id: &str) -> &str {
    ALIASES.iter().find(|(old, _)| *old == id).map_or(id, |(_, new)| new)
}

pub fn find(id: &str) -> Option<&'static Check> {
    let id = canonical_id(id);
    catalog().into_iter().find(|c| c.id == id)
}

/// Shared helpers for checks.
pub(crate) mod util {
    use serde_json::{Value, json};

    use super::Outcome;
    use crate::probe::{CallPolicy, Cx, Reply};
    use crate::wire::transport::WireError;

    /// AgentCore's runtime initialization limit ("initialization completes in 60s").
    pub const INIT_LIMIT_SECS: u64 = 60;

    /// How long a GET stream is watched after its head: enough to see a priming event or an
    /// immediate message, and no longer than the verdict needs.
    pub const STREAM_WATCH: std::time::Duration = std::time::Duration::from_millis(250);

    pub fn is_success(reply: &Reply) -> bool {
        (200..300).contains(&reply.status())
    }

    /// Does the body carry a successful JSON-RPC result (to anything)?
    pub fn has_result(reply: &Reply) -> bool {
        reply.messages.iter().any(|m| m.get("result").is_some())
    }

    pub fn short(value: &Value) -> String {
        crate::wire::sse::excerpt(&value.to_string(), 160)
    }

    pub fn skip_undeclared(capability: &str) -> Outcome {
        Outcome::skip(format!("the server does not declare the `{capability}` capability"))
    }

    /// `method`'s result array `field` (None when absent), with the reply for evidence.
    pub async fn list_of(cx: &Cx, method: &str, field: &str) -> Result<(Option<Vec<Value>>, Reply), WireError> {
        let reply = cx.call(method, json!({})).await?;
        let items = reply
            .result()
            .and_then(|r| r.get(field))
            .and_then(Value::as_array)
            .cloned();
        Ok((items, reply))
    }

    pub fn is_argument_free(tool: &Value) -> bool {
        tool.pointer("/inputSchema/required")
            .and_then(Value::as_array)
            .is_none_or(|r| r.is_empty())
    }

    /// The tools the call policy lets the run call, each with its arguments, and a sentence
    /// naming the listed tools it does not call and the flag that would.
    pub struct Callable {
        pub calls: Vec<(Value, Value)>,
        pub not_called: Option<String>,
    }

    impl Callable {
        pub fn allows(&self, name: &str) -> bool {
            self.calls.iter().any(|(tool, _)| tool["name"] == name)
        }
    }

    const HOW: &str = "--call-policy all calls every tool, --call NAME --args JSON calls one";

    /// What this era's run may call: `--call`s if given, else what `--call-policy` allows
    /// (read-only tools by default; never a name heuristic).
    pub async fn callable(cx: &Cx) -> Result<Callable, WireError> {
        let tools = cx.tools().await?;
        let name = |tool: &Value| tool["name"].as_str().unwrap_or("?").to_string();
        let options = cx.settings();
        if !options.calls.is_empty() {
            let calls = options
                .calls
                .iter()
                .map(|(called, args)| {
                    let tool = tools.iter().find(|t| t["name"] == called.as_str()).cloned();
                    (tool.unwrap_or_else(|| json!({ "name": called })), args.clone())
                })
                .collect();
            let others: Vec<String> = tools
                .iter()
                .map(name)
                .filter(|n| !options.calls.iter().any(|(c, _)| c == n))
                .collect();
            let not_called =
                (!others.is_empty()).then(|| format!("not called: {} (only --call tools are)", others.join(", ")));
            return Ok(Callable { calls, not_called });
        }
        let (mut calls, mut refused, mut unfillable) = (Vec::new(), Vec::new(), Vec::new());
        for tool in &tools {
            let read_only = tool.pointer("/annotations/readOnlyHint") == Some(&json!(true));
            let allowed = match options.call_policy {
                CallPolicy::All => true,
                CallPolicy::ReadOnly => read_only,
                CallPolicy::None => false,
            };
            match (allowed, sample_arguments(tool)) {
                (false, _) => refused.push(name(tool)),
                (true, None) => unfillable.push(name(tool)),
                (true, Some(arguments)) => calls.push((tool.clone(), arguments)),
            }
        }
        let mut reasons = Vec::new();
        if !refused.is_empty() {
            let why = match options.call_policy {
                CallPolicy::None => "--call-policy none",
                _ => "not annotated readOnlyHint: true",
            };
            reasons.push(format!("not called: {} ({why}; {HOW})", refused.join(", ")));
        }
        if !unfillable.is_empty() {
            reasons.push(format!(
                "not called: {} (arguments the suite cannot fill in; --call NAME --args JSON calls one)",
                unfillable.join(", ")
            ));
        }
        let not_called = (!reasons.is_empty()).then(|| reasons.join("; "));
        Ok(Callable { calls, not_called })
    }

    /// For each `--call` name this era's tools/list lacks, one sentence naming it and the closest
    /// listed names: a typo must not pass `tools.call` having called nothing.
    pub async fn unlisted_calls(cx: &Cx) -> Result<Vec<String>, WireError> {
        let listed = cx.tool_names().await?;
        Ok(cx
            .settings()
            .calls
            .iter()
            .filter(|(name, _)| !listed.contains(name))
            .map(|(name, _)| {
                format!(
                    "--call `{name}`: the server lists no such tool ({})",
                    closest(name, &listed)
                )
            })
            .collect())
    }

    /// The listed names most like `name` ("closest: a, b"), or all of them when none is close.
    fn closest(name: &str, listed: &[String]) -> String {
        if listed.is_empty() {
            return "it lists no tools".to_string();
        }
        let mut scored: Vec<(f64, &String)> = listed
            .iter()
            .map(|candidate| (strsim::jaro_winkler(name, candidate), candidate))
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0));
        let close: Vec<&str> = scored
            .iter()
            .filter(|(score, _)| *score >= 0.8)
            .take(3)
            .map(|(_, n)| n.as_str())
            .collect();
        if close.is_empty() {
            let all: Vec<&str> = listed.iter().take(12).map(String::as_str).collect();
            format!(
                "it lists: {}{}",
                all.join(", "),
                if listed.len() > 12 { ", …" } else { "" }
            )
        } else {
            format!("closest: {}", close.join(", "))
        }
    }

    /// Arguments for a tool whose required inputs are all simple scalars; `None` otherwise.
    pub fn sample_arguments(tool: &Value) -> Option<Value> {
        let schema = tool.get("inputSchema")?;
        let mut arguments = serde_json::Map::new();
        for name in schema.get("required").and_then(Value::as_array).into_iter().flatten() {
            let name = name.as_str()?;
            let value = match schema
                .pointer(&format!("/properties/{name}/type"))
                .and_then(Value::as_str)?
            {
                "number" | "integer" => json!(2),
                "string" => json!("suite"),
                "boolean" => json!(true),
                _ => return None,
            };
            arguments.insert(name.to_string(), value);
        }
        Some(Value::Object(arguments))
    }
}
