//! Expected failures: a YAML map from `check-id` or `check-id@era` to the reason it may fail.
//! A listed check that fails is tolerated; a listed check that no longer fails is a stale entry and
//! fails the run, so the file never hides a fix (the official conformance suite's semantics).
//!
//! ```yaml
//! accept.missing: "our proxy strips Accept; tracked in OPS-12"
//! http.origin-invalid@legacy: "origin checks live in the gateway"
//! ```

use std::collections::BTreeMap;

use super::results::CheckResult;
use crate::checks::{Verdict, find};
use crate::error::Error;

#[derive(Clone, Debug, Default)]
pub struct ExpectedFailures {
    entries: BTreeMap<String, String>,
}

impl ExpectedFailures {
    /// Parses the file's text; unknown check ids and eras are usage errors (typos hide nothing).
    pub fn parse(text: &str, origin: &str) -> Result<ExpectedFailures, Error> {
        // An empty file, or one with comments only, lists nothing.
        let written: BTreeMap<String, String> = serde_norway::from_str::<Option<_>>(text)
            .map_err(|e| Error::Usage(format!("{origin}: not a map of check id to reason: {e}")))?
            .unwrap_or_default();
        let mut entries = BTreeMap::new();
        for (key, reason) in written {
            let (id, era) = key
                .split_once('@')
                .map_or((key.as_str(), None), |(id, era)| (id, Some(era)));
            let Some(check) = find(id) else {
                return Err(Error::Usage(format!("{origin}: unknown check id `{id}` (see `list`)")));
            };
            // An old id (an alias) counts as the check it became.
            let key = match era {
                None => check.id.to_string(),
                Some(era @ ("legacy" | "modern")) => format!("{}@{era}", check.id),
                Some(_) => {
                    return Err(Error::Usage(format!(
                        "{origin}: `{key}`: the era must be `legacy` or `modern`"
                    )));
                }
            };
            entries.insert(key, reason);
        }
        Ok(ExpectedFailures { entries })
    }

    fn reason_for(&self, result: &CheckResult) -> Option<&String> {
        self.entries.get(&result.name()).or_else(|| self.entries.get(result.id))
    }

    /// Marks tolerated failures and returns the stale entries.
    pub fn apply(&self, results: &mut [CheckResult]) -> Vec<String> {
        for result in results.iter_mut() {
            if matches!(result.verdict, Verdict::Fail | Verdict::Error) {
                result.expected = self.reason_for(result).cloned();
            }
        }
        self.entries
            .keys()
            .filter(|key| {
                let matched: Vec<&CheckResult> = results
                    .iter()
                    .filter(|r| r.name() == **key || r.id == key.as_str())
                    .collect();
                let still_fails = matched
                    .iter()
                    .any(|r| matches!(r.verdict, Verdict::Fail | Verdict::Error));
                let ran = matched.iter().any(|r| r.verdict != Verdict::Skip);
                ran && !still_fails
            })
            .cloned()
            .collect()
    }
}
