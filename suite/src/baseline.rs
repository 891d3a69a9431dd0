//! What every saved measurement file shares (bench results, cold starts): the machine it was
//! measured on, reading and writing with one-line errors, schema versions, and the per-metric
//! comparison with a baseline under a tolerance.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::Error;

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Machine {
    pub os: String,
    pub arch: String,
    pub cores: usize,
}

impl Machine {
    pub fn this() -> Machine {
        Machine {
            os: std::env::consts::OS.into(),
            arch: std::env::consts::ARCH.into(),
            cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
        }
    }
}

pub fn write(path: &Path, text: &str) -> Result<(), Error> {
    std::fs::write(path, text).map_err(|e| Error::Setup(format!("cannot write {}: {e}", path.display())))
}

/// A saved file's JSON; unreadable or not JSON is a usage error naming `flag` (how the user
/// gave the file: `--baseline`, `--surface-baseline`, `bench merge`).
pub fn read_json(path: &Path, flag: &str) -> Result<serde_json::Value, Error> {
    let shown = path.display();
    let text = std::fs::read_to_string(path).map_err(|e| Error::Usage(format!("{flag} {shown}: {e}")))?;
    serde_json::from_str(&text).map_err(|e| Error::Usage(format!("{flag} {shown}: not JSON ({e})")))
}

/// Refuses a saved file written with another schema version than the one this suite reads.
pub fn require_version(value: &serde_json::Value, wanted: u32, path: &Path, flag: &str) -> Result<(), Error> {
    let version = value.get("schema_version").and_then(|v| v.as_u64());
    if version == Some(u64::from(wanted)) {
        return Ok(());
    }
    Err(Error::Usage(format!(
        "{flag} {}: schema version {}, this suite reads {wanted}; save a new one",
        path.display(),
        version.map_or("missing".to_string(), |v| v.to_string())
    )))
}

/// One metric against the baseline.
#[derive(Clone, Debug)]
pub struct Delta {
    pub metric: &'static str,
    pub baseline: f64,
    pub now: f64,
    /// Relative change, positive = worse.
    pub worse_by: f64,
    pub regressed: bool,
}

impl Delta {
    /// `now` against `baseline`; worse by more than `tolerance` (0.10 = 10%) regressed.
    pub fn new(metric: &'static str, baseline: f64, now: f64, lower_is_better: bool, tolerance: f64) -> Delta {
        let change = if baseline > 0.0 {
            (now - baseline) / baseline
        } else if now > 0.0 {
            1.0
        } else {
            0.0
        };
        let worse_by = if lower_is_better { change } else { -change };
        Delta {
            metric,
            baseline,
            now,
            worse_by,
            regressed: worse_by > tolerance,
        }
    }
}

/// The per-metric table of a baseline comparison, as text.
pub fn render_deltas(deltas: &[Delta]) -> String {
    let mut out = format!("  {:<20} {:>12} {:>12} {:>9}\n", "metric", "baseline", "now", "change");
    for d in deltas {
        out.push_str(&format!(
            "  {:<20} {:>12.3} {:>12.3} {:>+8.1}%{}\n",
            d.metric,
            d.baseline,
            d.now,
            d.worse_by * 100.0,
            if d.regressed { "  REGRESSED" } else { "" }
        ));
    }
    out
}

/// `10%` or `0.1` → 0.10.
pub fn parse_tolerance(text: &str) -> Result<f64, Error> {
    let bad = || Error::Usage(format!("--tolerance `{text}` is not a percentage like 10%"));
    let value = match text.trim().strip_suffix('%') {
        Some(number) => number.trim().parse::<f64>().map_err(|_| bad())? / 100.0,
        None => return Err(bad()),
    };
    if !(0.0..=10.0).contains(&value) {
        return Err(bad());
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tolerances_are_percentages() {
        assert_eq!(parse_tolerance("10%").unwrap(), 0.1);
        assert_eq!(parse_tolerance(" 2.5 %").unwrap(), 0.025);
        assert!(parse_tolerance("10").is_err());
        assert!(parse_tolerance("ten%").is_err());
        assert!(parse_tolerance("-5%").is_err());
    }
}
