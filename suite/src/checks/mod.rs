//! The check catalog. Each area file holds its checks as plain async functions with the rule in
//! their doc comment, and a `CHECKS` table giving each one its stable id, level, source and scope.

use std::future::Future;
use std::pin::Pin;

use serde::Serialize;

use crate::probe::Cx;
use crate::wire::http::WireError;

mod accept;
mod features;
mod health;
mod http;
mod image;
mod jsonrpc;
mod latency;
mod lifecycle;
mod modern;
mod schema;
mod session;
mod sse;

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

pub struct Check {
    pub id: &'static str,
    pub level: Level,
    pub scope: Scope,
    pub phase: Phase,
    /// Where the rule comes from: `MCP 2025-11-25 basic/transports.mdx#…`, `AGENTCORE …`, …
    pub source: &'static str,
    pub rule: &'static str,
    pub run: for<'a> fn(&'a Cx) -> CheckFuture<'a>,
}

impl Check {
    /// The area (and the file under checks/) the check belongs to.
    pub fn area(&self) -> &'static str {
        match self.id.split('.').next().unwrap_or(self.id) {
            "tools" | "resources" | "prompts" | "logging" | "completion" | "capabilities" => "features",
            "ping" => "health",
            area => area,
        }
    }
}

/// A check's verdict with its explanation and evidence.
#[derive(Clone, Debug)]
pub struct Outcome {
    pub verdict: Verdict,
    pub message: String,
    pub evidence: Vec<String>,
}

impl Outcome {
    fn new(verdict: Verdict, message: impl Into<String>) -> Outcome {
        Outcome {
            verdict,
            message: message.into(),
            evidence: Vec::new(),
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
        health::CHECKS,
        accept::CHECKS,
        session::CHECKS,
        sse::CHECKS,
        latency::CHECKS,
        http::CHECKS,
        lifecycle::CHECKS,
        jsonrpc::CHECKS,
        modern::CHECKS,
        features::CHECKS,
        schema::CHECKS,
        image::CHECKS,
    ]
    .into_iter()
    .flatten()
    .collect()
}

pub fn find(id: &str) -> Option<&'static Check> {
    catalog().into_iter().find(|c| c.id == id)
}

/// Shared helpers for checks.
pub(crate) mod util {
    use serde_json::Value;

    use crate::probe::Reply;

    /// "HTTP 200 text/event-stream" style summary.
    pub fn status_line(reply: &Reply) -> String {
        format!(
            "HTTP {} {}",
            reply.status(),
            reply.http.media_type().unwrap_or_else(|| "(no content-type)".into())
        )
    }

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
}
