//! Cold starts of a container target (`--image`, `--build`): create → first MCP answer of every
//! start. `check --cold-starts N --save FILE` writes them (with a chart beside the JSON), `bench
//! --save` carries them in its results, and `--baseline FILE --tolerance 10%` gates on either file.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::results::{self as bench_results, BenchReport};
use crate::baseline::{self, Machine};
use crate::error::Error;
use crate::probe::ColdStarts;

/// What the file says it is.
pub const SCHEMA: &str = "agentcore-mcp-suite/cold-starts";
pub const SCHEMA_VERSION: u32 = 1;

/// The file `check --save` writes.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ColdStartFile {
    pub schema: String,
    pub schema_version: u32,
    pub tool_version: String,
    pub target: String,
    pub machine: Machine,
    pub cold_starts: ColdStarts,
}

impl ColdStartFile {
    pub fn new(target: &str, cold_starts: ColdStarts) -> ColdStartFile {
        ColdStartFile {
            schema: SCHEMA.into(),
            schema_version: SCHEMA_VERSION,
            tool_version: env!("CARGO_PKG_VERSION").into(),
            target: target.into(),
            machine: Machine::this(),
            cold_starts,
        }
    }

    /// Writes the JSON and, beside it (.svg), a chart of the distribution.
    pub fn save(&self, path: &Path) -> Result<(), Error> {
        let text = serde_json::to_string_pretty(self).expect("a cold-start file serializes");
        baseline::write(path, &(text + "\n"))?;
        baseline::write(
            &path.with_extension("svg"),
            &crate::chart::cold_starts_svg(&self.target, &self.cold_starts),
        )
    }
}

/// The cold starts of a baseline: a file `check --save` wrote, or one `bench --save` wrote for a
/// container target. Anything else is a usage error naming what is wrong with it.
pub fn load_baseline(path: &Path) -> Result<ColdStarts, Error> {
    let shown = path.display();
    let value = baseline::read_json(path, "--baseline")?;
    match value.get("schema").and_then(|s| s.as_str()) {
        Some(SCHEMA) => {
            baseline::require_version(&value, SCHEMA_VERSION, path, "--baseline")?;
            let file: ColdStartFile =
                serde_json::from_value(value).map_err(|e| Error::Usage(format!("--baseline {shown}: {e}")))?;
            Ok(file.cold_starts)
        }
        Some(bench_results::SCHEMA) => BenchReport::load(path, "--baseline")?
            .results
            .cold_starts
            .ok_or_else(|| {
                Error::Usage(format!(
                    "--baseline {shown}: a bench run without cold starts (its target was not a container)"
                ))
            }),
        _ => Err(Error::Usage(format!(
            "--baseline {shown}: not a file `check --save` or `bench --save` wrote (no \"schema\": \"{SCHEMA}\")"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn starts(p50_ms: f64) -> ColdStarts {
        ColdStarts {
            starts: 3,
            first_mcp_ms: vec![p50_ms * 0.9, p50_ms, p50_ms * 1.2],
            p50_ms,
            max_ms: p50_ms * 1.2,
        }
    }

    #[test]
    fn a_slower_p50_beyond_the_tolerance_regresses() {
        let deltas = starts(330.0).compare(&starts(300.0), 0.05);
        assert_eq!(deltas.len(), 1);
        assert!(deltas[0].regressed, "{deltas:?}");
        assert!(!starts(330.0).compare(&starts(300.0), 0.15)[0].regressed);
        assert!(
            !starts(200.0).compare(&starts(300.0), 0.0)[0].regressed,
            "faster is no regression"
        );
    }

    #[test]
    fn baselines_are_read_from_either_file_kind_and_nothing_else() {
        let dir = std::env::temp_dir().join(format!("agentcore-coldstarts-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let saved = dir.join("cold.json");
        ColdStartFile::new("image x", starts(300.0)).save(&saved).unwrap();
        assert_eq!(load_baseline(&saved).unwrap().p50_ms, 300.0);
        assert!(
            std::fs::read_to_string(saved.with_extension("svg"))
                .unwrap()
                .starts_with("<svg")
        );

        let foreign = dir.join("foreign.json");
        std::fs::write(&foreign, r#"{"schema": "something-else"}"#).unwrap();
        let newer = dir.join("newer.json");
        std::fs::write(&newer, format!(r#"{{"schema": "{SCHEMA}", "schema_version": 99}}"#)).unwrap();
        for (path, says) in [
            (&foreign, "not a file"),
            (&newer, "schema version 99"),
            (&dir.join("missing.json"), "--baseline"),
        ] {
            match load_baseline(path) {
                Err(Error::Usage(message)) => assert!(message.contains(says), "{message}"),
                other => panic!("{}: {other:?}", path.display()),
            }
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
