//! `explain ID`: one check's rule, level, source, needs, and how to see it fail.

use super::list::faults_for;
use super::print;
use crate::checks::{self, Level};
use crate::error::Error;

pub fn run(id: &str) -> Result<(), Error> {
    let check = checks::find(id).ok_or_else(|| Error::Usage(format!("unknown check id `{id}` (see `list`)")))?;
    let faults = faults_for(check);
    let trip = if faults.is_empty() {
        "a container target: the images in fixtures/containers/, --deploy, or the budgets".to_string()
    } else {
        faults
            .iter()
            .map(|f| format!("--reference-fault {f}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    print(&format!(
        "{}\n  rule:   {}\n  level:  {:?} ({})\n  scope:  {:?}\n  needs:  {}\n  source: {}\n  area:   checks/{}.rs\n  trip it: {trip}\n",
        check.id,
        check.rule,
        check.level,
        match check.level {
            Level::Must => "a violation fails the run",
            Level::Should => "a violation warns",
        },
        check.scope,
        check.describe_needs(),
        check.source,
        check.area(),
    ));
    Ok(())
}
