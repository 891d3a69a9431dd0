//! Secrets never reach a report or a log line: header values that carry credentials, and the
//! values of secret-looking query parameters.

/// `value`, or `[redacted]` when header `name` carries a credential.
pub fn redact(name: &str, value: &str) -> String {
    const SECRET_NAMES: &[&str] = &["authorization", "cookie", "proxy-authorization"];
    const SECRET_WORDS: &[&str] = &["token", "secret", "key", "signature", "password", "credential"];
    let name = name.to_ascii_lowercase();
    let secret = SECRET_NAMES.contains(&name.as_str()) || SECRET_WORDS.iter().any(|word| name.contains(word));
    if secret { "[redacted]".into() } else { value.to_string() }
}

/// A path or URL with the values of secret-looking query parameters (`?token=…`) redacted.
pub fn redact_query(url: &str) -> String {
    let Some((base, query)) = url.split_once('?') else {
        return url.to_string();
    };
    let pairs: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((name, value)) => format!("{name}={}", redact(name, value)),
            None => pair.to_string(),
        })
        .collect();
    format!("{base}?{}", pairs.join("&"))
}
