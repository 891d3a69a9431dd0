//! The InvokeAgentRuntime contract as data and rules: the ARN, the runtime session id rule, the
//! headers the API has members for. Shared by the transport that calls the API and by the
//! emulator that serves it.

/// The runtime session header (InvokeAgentRuntime member `runtimeSessionId`).
pub const RUNTIME_SESSION_ID: &str = "x-amzn-bedrock-agentcore-runtime-session-id";

/// The request headers InvokeAgentRuntime has a member for; nothing else reaches the server.
pub const MEMBER_HEADERS: &[&str] = &[
    "accept",
    "content-type",
    "mcp-session-id",
    "mcp-protocol-version",
    "mcp-method",
    "mcp-name",
    RUNTIME_SESSION_ID,
    "x-amzn-bedrock-agentcore-runtime-user-id",
    "x-amzn-trace-id",
    "traceparent",
    "tracestate",
    "baggage",
];

/// An AgentCore runtime ARN: `arn:aws:bedrock-agentcore:REGION:ACCOUNT:runtime/NAME-ID`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuntimeArn {
    pub text: String,
    pub region: String,
}

impl RuntimeArn {
    pub fn parse(text: &str) -> Result<RuntimeArn, String> {
        let shape = "expected arn:aws:bedrock-agentcore:REGION:ACCOUNT:runtime/NAME";
        let parts: Vec<&str> = text.splitn(6, ':').collect();
        let [arn, partition, service, region, account, resource] = parts[..] else {
            return Err(format!("`{text}` is not an AgentCore runtime ARN ({shape})"));
        };
        let name = resource.strip_prefix("runtime/").unwrap_or("");
        let valid = arn == "arn"
            && partition.starts_with("aws")
            && service == "bedrock-agentcore"
            && !region.is_empty()
            && region
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && account.len() == 12
            && account.bytes().all(|b| b.is_ascii_digit())
            && !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if !valid {
            return Err(format!("`{text}` is not an AgentCore runtime ARN ({shape})"));
        }
        Ok(RuntimeArn {
            text: text.to_string(),
            region: region.to_string(),
        })
    }

    /// The invocation path, the ARN percent-encoded whole (`:` and `/` too), as the service wants.
    pub fn path(&self, operation: &str, qualifier: &str) -> String {
        format!(
            "/runtimes/{}/{operation}?qualifier={}",
            encode_all(&self.text),
            encode_all(qualifier)
        )
    }
}

/// Percent-encodes everything but unreserved characters.
pub fn encode_all(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The service's rule for `runtimeSessionId`: 33 to 256 visible ASCII characters. The Rust SDK
/// does not check it (the service does, with a 400), so the suite checks before sending.
pub fn check_runtime_session_id(id: &str) -> Result<(), String> {
    if !(33..=256).contains(&id.len()) {
        return Err(format!(
            "a runtime session id must be 33 to 256 characters; this one has {}",
            id.chars().count()
        ));
    }
    if let Some(bad) = id.chars().find(|c| !c.is_ascii_graphic()) {
        return Err(format!(
            "a runtime session id may hold only visible ASCII characters, not {bad:?}"
        ));
    }
    Ok(())
}

/// A fresh runtime session id (52 characters, 128 random bits): a new session, a new microVM.
pub fn new_runtime_session_id() -> String {
    let mut bytes = [0u8; 16];
    // Without OS randomness, the clock still makes ids of one run differ.
    if getrandom::fill(&mut bytes).is_err() {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos();
        bytes = nanos.to_le_bytes();
    }
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("agentcore-mcp-suite-{hex}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_runtime_arns() {
        let arn =
            RuntimeArn::parse("arn:aws:bedrock-agentcore:us-west-2:123456789012:runtime/my_mcp-AbCdEf1234").unwrap();
        assert_eq!(arn.region, "us-west-2");
        assert_eq!(
            arn.path("invocations", "DEFAULT"),
            "/runtimes/arn%3Aaws%3Abedrock-agentcore%3Aus-west-2%3A123456789012%3Aruntime%2Fmy_mcp-AbCdEf1234/invocations?qualifier=DEFAULT"
        );
        for bad in [
            "",
            "arn:aws:s3:::bucket",
            "arn:aws:bedrock-agentcore:us-west-2:1234:runtime/x",
            "arn:aws:bedrock-agentcore:us-west-2:123456789012:agent/x",
            "arn:aws:bedrock-agentcore::123456789012:runtime/x",
            "arn:aws:bedrock-agentcore:us-west-2:123456789012:runtime/",
            "arn:aws:bedrock-agentcore:us-west-2:123456789012:runtime/a b",
        ] {
            assert!(RuntimeArn::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn generated_session_ids_follow_the_rule() {
        let id = new_runtime_session_id();
        assert!(check_runtime_session_id(&id).is_ok(), "{id}");
        assert_ne!(id, new_runtime_session_id());
    }

    proptest::proptest! {
        /// Exactly 33..=256 visible ASCII characters pass; anything else is refused before sending.
        #[test]
        fn runtime_session_ids_are_33_to_256_visible_ascii(id in "[ -~\t\n\u{7f}\u{e9}]{20,270}") {
            let expected = (33..=256).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_graphic());
            proptest::prop_assert_eq!(check_runtime_session_id(&id).is_ok(), expected);
        }

        #[test]
        fn visible_ascii_ids_pass_by_length_alone(id in "[!-~]{0,300}") {
            proptest::prop_assert_eq!(check_runtime_session_id(&id).is_ok(), (33..=256).contains(&id.len()));
        }
    }
}
