//! A surface and a drift, for reading: human (terminal), Markdown (step summaries, PR comments),
//! JUnit (one test case per change; those that trip the gate fail) and JSON.

use serde::Serialize;

use super::Surface;
use super::diff::{Change, Class, FailOn};

/// A surface compared with its baseline, and what the gate made of it.
#[derive(Clone, Debug, Serialize)]
pub struct Drift {
    pub target: String,
    pub baseline: String,
    pub baseline_recorded_at: String,
    pub recorded_at: String,
    pub fail_on: FailOn,
    pub changes: Vec<Change>,
}

impl Drift {
    /// The changes that fail the gate.
    pub fn tripped(&self) -> Vec<&Change> {
        self.changes.iter().filter(|c| self.fail_on.trips(c.class)).collect()
    }

    /// `2 breaking, 1 risky, 3 compatible`.
    pub fn counts(&self) -> String {
        let count = |class| self.changes.iter().filter(|c| c.class == class).count();
        format!(
            "{} breaking, {} risky, {} compatible",
            count(Class::Breaking),
            count(Class::Risky),
            count(Class::Compatible)
        )
    }
}

/// A before/after value in one line, cut at 120 characters; `—` for none.
pub fn shown(value: &Option<serde_json::Value>) -> String {
    let text = value.as_ref().map_or("—".to_string(), |v| v.to_string());
    if text.chars().count() > 120 {
        format!("{}…", text.chars().take(120).collect::<String>())
    } else {
        text
    }
}

pub fn human(drift: &Drift) -> String {
    let mut out = format!(
        "surface of {} against {} (recorded {}): {}\n",
        drift.target,
        drift.baseline,
        drift.baseline_recorded_at,
        drift.counts()
    );
    for change in &drift.changes {
        let mark = if drift.fail_on.trips(change.class) { "✗" } else { " " };
        out.push_str(&format!(
            "{mark} {:<10} {}: {}\n             {} → {}\n",
            change.class.name().to_uppercase(),
            change.path,
            change.what,
            shown(&change.before),
            shown(&change.after)
        ));
    }
    let tripped = drift.tripped().len();
    out.push_str(&if tripped == 0 {
        format!("PASS: nothing fails --fail-on {}\n", fail_on_name(drift.fail_on))
    } else {
        format!(
            "FAIL: {tripped} change(s) fail --fail-on {}\n",
            fail_on_name(drift.fail_on)
        )
    });
    out
}

pub fn fail_on_name(fail_on: FailOn) -> &'static str {
    match fail_on {
        FailOn::Breaking => "breaking",
        FailOn::Risky => "risky",
        FailOn::Any => "any",
        FailOn::Never => "never",
    }
}

fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

pub fn markdown(drift: &Drift) -> String {
    let verdict = if drift.tripped().is_empty() { "PASS" } else { "FAIL" };
    let mut out = format!(
        "## MCP surface drift: {}\n\n**{verdict}** — {} against `{}` (recorded {}; fails on {})\n\n",
        cell(&drift.target),
        drift.counts(),
        cell(&drift.baseline),
        drift.baseline_recorded_at,
        fail_on_name(drift.fail_on)
    );
    if !drift.changes.is_empty() {
        out.push_str("| class | where | what | before | after |\n|---|---|---|---|---|\n");
        for change in &drift.changes {
            out.push_str(&format!(
                "| {} | `{}` | {} | `{}` | `{}` |\n",
                change.class.name(),
                cell(&change.path),
                cell(&change.what),
                cell(&shown(&change.before)),
                cell(&shown(&change.after))
            ));
        }
    }
    out
}

pub fn json(drift: &Drift) -> String {
    serde_json::to_string_pretty(drift).expect("a drift serializes") + "\n"
}

pub fn junit(drift: &Drift) -> String {
    let mut report = quick_junit::Report::new("agentcore-mcp-suite surface");
    report.add_test_suite(junit_suite(drift));
    report
        .to_string()
        .unwrap_or_else(|e| format!("<!-- cannot render JUnit: {e} -->\n"))
}

/// The drift as one JUnit test suite (check's JUnit report adds it to its own).
pub fn junit_suite(drift: &Drift) -> quick_junit::TestSuite {
    use quick_junit::{NonSuccessKind, TestCase, TestCaseStatus, TestSuite};
    let mut suite = TestSuite::new("surface drift");
    for change in &drift.changes {
        let status = if drift.fail_on.trips(change.class) {
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
            status.set_message(format!("{}: {}", change.class.name(), change.what));
            status.set_description(format!("{} → {}", shown(&change.before), shown(&change.after)));
            status
        } else {
            TestCaseStatus::success()
        };
        let mut case = TestCase::new(format!("{} {}", change.class.name(), change.path), status);
        case.set_classname("surface");
        suite.add_test_case(case);
    }
    if drift.changes.is_empty() {
        let mut case = TestCase::new("no change", TestCaseStatus::success());
        case.set_classname("surface");
        suite.add_test_case(case);
    }
    suite
}

/// A surface for reading: per era, the shape, then every tool with its hints and arguments.
pub fn surface_human(surface: &Surface) -> String {
    let mut out = format!("surface of {} (recorded {})\n", surface.target, surface.recorded_at);
    for (era, s) in &surface.eras {
        out.push_str(&format!(
            "\n{era} era: {} ({}), server {}\n",
            s.protocol_version, s.shape, s.server_info
        ));
        out.push_str(&format!(
            "  {} tools, {} resources, {} resource templates, {} prompts\n",
            s.tools.len(),
            s.resources.len(),
            s.resource_templates.len(),
            s.prompts.len()
        ));
        for tool in &s.tools {
            let hints: Vec<String> = tool
                .get("annotations")
                .and_then(|a| a.as_object())
                .into_iter()
                .flatten()
                .filter(|(k, _)| k.ends_with("Hint"))
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            let args: Vec<String> = tool
                .pointer("/inputSchema/properties")
                .and_then(|p| p.as_object())
                .into_iter()
                .flatten()
                .map(|(k, _)| k.clone())
                .collect();
            out.push_str(&format!(
                "  tool {}({}) {}\n",
                tool.get("name").and_then(|n| n.as_str()).unwrap_or("?"),
                args.join(", "),
                if hints.is_empty() {
                    "no hints".to_string()
                } else {
                    hints.join(" ")
                }
            ));
        }
        for prompt in &s.prompts {
            out.push_str(&format!(
                "  prompt {}\n",
                prompt.get("name").and_then(|n| n.as_str()).unwrap_or("?")
            ));
        }
        for resource in &s.resources {
            out.push_str(&format!(
                "  resource {}\n",
                resource.get("uri").and_then(|n| n.as_str()).unwrap_or("?")
            ));
        }
        for template in &s.resource_templates {
            out.push_str(&format!(
                "  template {}\n",
                template.get("uriTemplate").and_then(|n| n.as_str()).unwrap_or("?")
            ));
        }
    }
    out
}

/// The same, as Markdown tables.
pub fn surface_markdown(surface: &Surface) -> String {
    let mut out = format!(
        "## MCP surface: {}\n\nRecorded {}.\n",
        cell(&surface.target),
        surface.recorded_at
    );
    for (era, s) in &surface.eras {
        out.push_str(&format!(
            "\n### {era} era: {} ({})\n\n| tool | read-only | destructive | open world | description |\n|---|---|---|---|---|\n",
            s.protocol_version, s.shape
        ));
        for tool in &s.tools {
            let hint = |name: &str| {
                tool.pointer(&format!("/annotations/{name}"))
                    .map_or("—".to_string(), |v| v.to_string())
            };
            out.push_str(&format!(
                "| `{}` | {} | {} | {} | {} |\n",
                cell(tool.get("name").and_then(|n| n.as_str()).unwrap_or("?")),
                hint("readOnlyHint"),
                hint("destructiveHint"),
                hint("openWorldHint"),
                cell(tool.get("description").and_then(|n| n.as_str()).unwrap_or(""))
            ));
        }
        out.push_str(&format!(
            "\n{} resources, {} resource templates, {} prompts.\n",
            s.resources.len(),
            s.resource_templates.len(),
            s.prompts.len()
        ));
    }
    out
}
