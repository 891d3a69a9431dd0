//! `list`: the catalog, as a table or JSON.

use serde_json::json;

use super::print;
use crate::checks::{self, Check};
use crate::error::Error;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ListFormat {
    Human,
    Json,
}

/// The reference-server faults that trip `check`.
pub(super) fn faults_for(check: &Check) -> Vec<&'static str> {
    agentcore_mcp_reference::FAULTS
        .iter()
        .filter(|f| f.trips().any(|t| t == check.id))
        .map(|f| f.name())
        .collect()
}

pub fn run(format: ListFormat) -> Result<(), Error> {
    let catalog = checks::catalog();
    match format {
        ListFormat::Json => {
            let entries: Vec<_> = catalog
                .iter()
                .map(|c| {
                    json!({
                        "id": c.id, "area": c.area(), "level": c.level, "scope": c.scope, "target": c.runs.target,
                        "needs": c.needs, "source": c.source, "rule": c.rule, "faults": faults_for(c),
                    })
                })
                .collect();
            print(&format!(
                "{}\n",
                serde_json::to_string_pretty(&entries).expect("the catalog serializes")
            ));
        }
        ListFormat::Human => {
            let mut text = String::new();
            for c in &catalog {
                let level = format!("{:?}", c.level).to_lowercase();
                text.push_str(&format!("{:<36} {:<6} {}\n", c.id, level, c.rule));
            }
            text.push_str(&format!("{} checks\n", catalog.len()));
            print(&text);
        }
    }
    Ok(())
}
