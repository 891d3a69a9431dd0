//! `surface`: what a client sees of a server — serverInfo, each era's protocol version and shape,
//! capabilities, every tool, resource, resource template and prompt (pagination followed to the
//! end) — recorded as canonical JSON that diffs cleanly in git, and compared with a saved one
//! (`diff.rs` classifies each change; `render.rs` shows it). Only list methods are called.

pub mod diff;
pub mod render;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::Error;
use crate::probe::{Cx, Era, Probe};

/// Bumped when a saved surface's meaning changes; older files are refused with a clear line.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Surface {
    pub schema_version: u32,
    pub suite_version: String,
    /// When it was recorded (RFC 3339, UTC).
    pub recorded_at: String,
    pub target: String,
    /// One entry per era the server speaks (`legacy`, `modern`).
    pub eras: BTreeMap<String, EraSurface>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct EraSurface {
    pub protocol_version: String,
    /// `stateless, SSE` and the like.
    pub shape: String,
    pub server_info: Value,
    pub capabilities: Value,
    pub tools: Vec<Value>,
    pub resources: Vec<Value>,
    pub resource_templates: Vec<Value>,
    pub prompts: Vec<Value>,
}

/// `check --surface-baseline`: the saved surface a run compares with, and what fails it.
#[derive(Clone, Debug)]
pub struct SurfaceGate {
    pub baseline: Surface,
    /// The baseline file, as the user named it (for reports).
    pub path: String,
    pub fail_on: diff::FailOn,
}

impl SurfaceGate {
    /// Records `probe`'s surface and compares it with the baseline.
    pub async fn judge(&self, probe: Arc<Probe>, label: &str) -> Result<render::Drift, Error> {
        let now = of_probe(probe, label).await?;
        Ok(render::Drift {
            target: label.to_string(),
            baseline: self.path.clone(),
            baseline_recorded_at: self.baseline.recorded_at.clone(),
            recorded_at: now.recorded_at.clone(),
            fail_on: self.fail_on,
            changes: diff::diff(&self.baseline, &now),
        })
    }
}

/// Lists everything each era the probe discovered serves. `label` names the target.
pub async fn of_probe(probe: Arc<Probe>, label: &str) -> Result<Surface, Error> {
    let mut eras = BTreeMap::new();
    for era in [Era::Legacy, Era::Modern] {
        if probe.discovery().speaks(era) {
            let cx = Cx::new(probe.clone(), Some(era));
            eras.insert(era.name().to_string(), era_surface(&cx).await?);
        }
    }
    if eras.is_empty() {
        return Err(Error::Setup(format!(
            "{label} speaks no MCP era the suite knows: {}",
            probe.discovery().legacy_absent
        )));
    }
    Ok(Surface {
        schema_version: SCHEMA_VERSION,
        suite_version: env!("CARGO_PKG_VERSION").to_string(),
        recorded_at: rfc3339_now(),
        target: label.to_string(),
        eras,
    })
}

async fn era_surface(cx: &Cx) -> Result<EraSurface, Error> {
    let discovery = cx.discovery();
    let announced = match cx.era() {
        Era::Legacy => discovery.legacy.as_ref().map(|(_, result)| result.clone()),
        Era::Modern => discovery.modern.clone(),
    }
    .unwrap_or_default();
    let sse = discovery.answers_sse[cx.era() as usize];
    let shape = [
        Some(if cx.stateful() { "stateful" } else { "stateless" }),
        sse.map(|sse| if sse { "SSE" } else { "JSON" }),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(", ");
    let list = |method: &'static str, key: &'static str, capability: &'static str| async move {
        if !cx.declares(capability) {
            return Ok(Vec::new());
        }
        let items = cx
            .list_all(method, key)
            .await
            .map_err(|e| Error::Setup(format!("{method} ({} era): {e}", cx.era().name())))?;
        Ok::<Vec<Value>, Error>(items.into_iter().map(canonical).collect())
    };
    Ok(EraSurface {
        protocol_version: cx.version(),
        shape,
        server_info: canonical(announced.get("serverInfo").cloned().unwrap_or(Value::Null)),
        capabilities: canonical(cx.capabilities()),
        tools: list("tools/list", "tools", "tools").await?,
        resources: list("resources/list", "resources", "resources").await?,
        resource_templates: list("resources/templates/list", "resourceTemplates", "resources").await?,
        prompts: list("prompts/list", "prompts", "prompts").await?,
    })
}

/// `value` with every object's keys sorted, so a saved file diffs by content, not by the order a
/// server happened to write its keys in.
pub fn canonical(value: Value) -> Value {
    match value {
        Value::Object(map) => {
            let sorted: BTreeMap<String, Value> = map.into_iter().map(|(k, v)| (k, canonical(v))).collect();
            Value::Object(sorted.into_iter().collect())
        }
        Value::Array(items) => Value::Array(items.into_iter().map(canonical).collect()),
        other => other,
    }
}

impl Surface {
    /// Canonical JSON text: sorted keys, two-space indent, a final newline.
    pub fn to_json(&self) -> String {
        let value = canonical(serde_json::to_value(self).expect("a surface serializes"));
        serde_json::to_string_pretty(&value).expect("a surface serializes") + "\n"
    }

    pub fn save(&self, path: &Path) -> Result<(), Error> {
        crate::baseline::write(path, &self.to_json())
    }

    /// A saved surface; unreadable, not a surface, or another schema version is a usage error
    /// naming `flag`, the option that named the file.
    pub fn load(path: &Path, flag: &str) -> Result<Surface, Error> {
        let value = crate::baseline::read_json(path, flag)?;
        crate::baseline::require_version(&value, SCHEMA_VERSION, path, flag)?;
        serde_json::from_value(value)
            .map_err(|e| Error::Usage(format!("{flag} {}: not a saved surface ({e})", path.display())))
    }
}

/// Now as RFC 3339 UTC (`2026-12-01T21:45:49Z`), without a date crate: days since the epoch to a
/// civil date (Howard Hinnant's algorithm).
fn rfc3339_now() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    rfc3339(secs)
}

fn rfc3339(secs: u64) -> String {
    let (days, rest) = ((secs / 86_400) as i64, secs % 86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn dates_and_canonical_keys() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_796_161_073), "2026-12-01T21:37:53Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        let text =
            serde_json::to_string(&canonical(json!({"b": 1, "a": {"d": 2, "c": [ {"z": 0, "y": 1} ]}}))).unwrap();
        assert_eq!(text, r#"{"a":{"c":[{"y":1,"z":0}],"d":2},"b":1}"#);
    }
}
