//! schema — every JSON-RPC message the run received, validated against the official JSON schema
//! of the revision it was sent under (fixtures/schemas/<revision>/schema.json, built in).

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use serde_json::{Value, json};

use super::{Check, Level, Outcome, Phase, Runs, Scope, check_fn};
use crate::probe::{Cx, Era};
use crate::wire::transport::WireError;

pub const CHECKS: &[Check] = &[Check {
    id: "schema.valid",
    level: Level::Must,
    scope: Scope::Server,
    needs: &[],
    runs: Runs::ANYWHERE.in_phase(Phase::Last),
    source: "MCP schema.json of each revision (official, in fixtures/schemas/)",
    rule: "every message received validates against the schema of its revision (envelope, and the result of known methods)",
    run: check_fn!(valid),
}];

const SCHEMAS: &[(&str, &str)] = &[
    (
        "2025-03-26",
        include_str!("../../../fixtures/schemas/2025-03-26/schema.json"),
    ),
    (
        "2025-06-18",
        include_str!("../../../fixtures/schemas/2025-06-18/schema.json"),
    ),
    (
        "2025-11-25",
        include_str!("../../../fixtures/schemas/2025-11-25/schema.json"),
    ),
    (
        "2026-07-28",
        include_str!("../../../fixtures/schemas/2026-07-28/schema.json"),
    ),
];

/// The schema definition a method's result must match.
fn result_type(method: &str) -> Option<&'static str> {
    Some(match method {
        "initialize" => "InitializeResult",
        "server/discover" => "DiscoverResult",
        "tools/list" => "ListToolsResult",
        "tools/call" => "CallToolResult",
        "resources/list" => "ListResourcesResult",
        "resources/read" => "ReadResourceResult",
        "resources/templates/list" => "ListResourceTemplatesResult",
        "prompts/list" => "ListPromptsResult",
        "prompts/get" => "GetPromptResult",
        "completion/complete" => "CompleteResult",
        _ => return None,
    })
}

fn notification_type(method: &str) -> Option<&'static str> {
    Some(match method {
        "notifications/progress" => "ProgressNotification",
        "notifications/message" => "LoggingMessageNotification",
        _ => return None,
    })
}

type Validators = HashMap<(String, &'static str), Option<jsonschema::Validator>>;

/// A compiled validator for definition `name` of `revision`, built once per run of the process.
fn validate(revision: &str, name: &'static str, instance: &Value) -> Option<Result<(), String>> {
    static CACHE: OnceLock<Mutex<Validators>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let mut cache = cache.lock().unwrap_or_else(|e| e.into_inner());
    let validator = cache.entry((revision.to_string(), name)).or_insert_with(|| {
        let (_, text) = SCHEMAS.iter().find(|(r, _)| *r == revision)?;
        let mut root: Value = serde_json::from_str(text).ok()?;
        let pointer = if root.get("$defs").is_some() {
            "#/$defs/"
        } else {
            "#/definitions/"
        };
        root.get(if pointer == "#/$defs/" { "$defs" } else { "definitions" })?
            .get(name)?;
        root["$ref"] = json!(format!("{pointer}{name}"));
        jsonschema::validator_for(&root).ok()
    });
    let validator = validator.as_ref()?;
    Some(match validator.iter_errors(instance).next() {
        None => Ok(()),
        Some(e) => Err(format!("{name}: {e} at {}", e.instance_path())),
    })
}

/// Makes sure the core results are among the messages seen, whatever `--only` selected.
async fn fetch_core_results(cx: &Cx) -> Result<(), WireError> {
    let discovery = cx.discovery();
    let eras = [
        (Era::Legacy, discovery.legacy.is_some()),
        (Era::Modern, discovery.modern.is_some()),
    ];
    for (era, spoken) in eras {
        if !spoken {
            continue;
        }
        let cx = cx.in_era(era);
        for (capability, method) in [
            ("tools", "tools/list"),
            ("resources", "resources/list"),
            ("prompts", "prompts/list"),
        ] {
            if cx.declares(capability) {
                cx.call(method, json!({})).await?;
            }
        }
    }
    Ok(())
}

async fn valid(cx: &Cx) -> Result<Outcome, WireError> {
    fetch_core_results(cx).await?;
    let seen = cx.seen_messages();
    let mut checked = 0;
    let mut unknown_revisions = Vec::new();
    for item in seen.iter() {
        if !SCHEMAS.iter().any(|(r, _)| *r == item.version) {
            if !unknown_revisions.contains(&item.version) {
                unknown_revisions.push(item.version.clone());
            }
            continue;
        }
        // JSON-RPC makes the id of an error about an unreadable request null, which the MCP schema's
        // RequestId does not allow; such errors are judged by jsonrpc.parse-error instead.
        let null_id_error = item.message.get("error").is_some() && item.message.get("id") == Some(&Value::Null);
        let mut verdicts = Vec::new();
        if !null_id_error {
            verdicts.push(validate(&item.version, "JSONRPCMessage", &item.message));
        }
        if let (Some(method), Some(result)) = (&item.method, item.message.get("result"))
            && let Some(name) = result_type(method)
        {
            verdicts.push(validate(&item.version, name, result));
        }
        if let Some(name) = item
            .message
            .get("method")
            .and_then(Value::as_str)
            .and_then(notification_type)
        {
            verdicts.push(validate(&item.version, name, &item.message));
        }
        for verdict in verdicts.into_iter().flatten() {
            checked += 1;
            if let Err(problem) = verdict {
                return Ok(
                    Outcome::fail(format!("a {} message breaks the schema: {problem}", item.version))
                        .with(crate::wire::sse::excerpt(&item.message.to_string(), 300)),
                );
            }
        }
    }
    Ok(if checked == 0 {
        Outcome::skip("no message of a known revision was received")
    } else {
        Outcome::pass(format!("{} messages, {checked} validations", seen.len()))
    })
}
