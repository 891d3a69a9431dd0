//! SigV4 verification for the emulator. aws-sigv4 only signs, so a request is verified by signing
//! it again with the configured secret (over the headers the client said it signed, the raw
//! still-encoded path, the body's hash) and comparing signatures in constant time.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_sdk_bedrockagentcore::config::Credentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;

/// The service name requests must be signed for.
pub const SERVICE: &str = "bedrock-agentcore";

/// How far a request's X-Amz-Date may be from the emulator's clock, as the service allows.
const MAX_SKEW: Duration = Duration::from_secs(5 * 60);

/// The parts of an `Authorization: AWS4-HMAC-SHA256 …` header.
struct Authorization<'a> {
    access_key: &'a str,
    date: &'a str,
    region: &'a str,
    service: &'a str,
    signed_headers: Vec<&'a str>,
    signature: &'a str,
}

fn parse_authorization(value: &str) -> Option<Authorization<'_>> {
    let rest = value.strip_prefix("AWS4-HMAC-SHA256 ")?;
    let (mut credential, mut signed, mut signature) = (None, None, None);
    for part in rest.split(',') {
        let (key, value) = part.trim().split_once('=')?;
        match key {
            "Credential" => credential = Some(value),
            "SignedHeaders" => signed = Some(value),
            "Signature" => signature = Some(value),
            _ => {}
        }
    }
    let scope: Vec<&str> = credential?.split('/').collect();
    let [access_key, date, region, service, "aws4_request"] = scope[..] else {
        return None;
    };
    Some(Authorization {
        access_key,
        date,
        region,
        service,
        signed_headers: signed?.split(';').collect(),
        signature: signature?,
    })
}

/// `20261130T061500Z` as a time.
fn parse_amz_date(text: &str) -> Option<SystemTime> {
    let digits = |range: std::ops::Range<usize>| text.get(range)?.parse::<u64>().ok();
    if text.len() != 16 || &text[8..9] != "T" || !text.ends_with('Z') {
        return None;
    }
    let (year, month, day) = (digits(0..4)?, digits(4..6)?, digits(6..8)?);
    let (hour, minute, second) = (digits(9..11)?, digits(11..13)?, digits(13..15)?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    // Days since 1970-01-01 (civil-from-days, proleptic Gregorian).
    let (y, m) = if month <= 2 {
        (year - 1, month + 9)
    } else {
        (year, month - 3)
    };
    let era = y / 400;
    let year_of_era = y - era * 400;
    let day_of_year = (153 * m + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    let days = (era * 146_097 + day_of_era).checked_sub(719_468)?;
    Some(UNIX_EPOCH + Duration::from_secs(days * 86_400 + hour * 3600 + minute * 60 + second))
}

/// Checks a request's SigV4 signature; `Err` is the message of the 403 the service would send.
pub fn verify(
    method: &str,
    path_and_query: &str,
    headers: &axum::http::HeaderMap,
    body: &[u8],
    credentials: (&str, &str),
    now: SystemTime,
) -> Result<(), String> {
    let missing = "Missing Authentication Token".to_string();
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let authorization = header("authorization").ok_or_else(|| missing.clone())?;
    let auth = parse_authorization(authorization).ok_or_else(|| "Authorization header is malformed".to_string())?;
    if auth.access_key != credentials.0 {
        return Err("The security token included in the request is invalid.".into());
    }
    if auth.service != SERVICE {
        return Err(format!("Credential should be scoped to correct service: '{SERVICE}'."));
    }
    let amz_date = header("x-amz-date").ok_or_else(|| "Missing X-Amz-Date".to_string())?;
    let signed_at = parse_amz_date(amz_date).ok_or_else(|| "X-Amz-Date is malformed".to_string())?;
    let skew = now
        .duration_since(signed_at)
        .or_else(|_| signed_at.duration_since(now))
        .unwrap_or_default();
    if skew > MAX_SKEW {
        return Err(format!(
            "Signature expired: {amz_date} is more than 5 minutes from the current time"
        ));
    }
    if !amz_date.starts_with(auth.date) || !auth.signed_headers.contains(&"host") {
        return Err("The request signature we calculated does not match the signature you provided.".into());
    }
    let token = header("x-amz-security-token").map(str::to_string);
    let mut signed = Vec::new();
    for name in &auth.signed_headers {
        // The signer adds these itself, from the time and the identity.
        if *name == "x-amz-date" || *name == "x-amz-security-token" {
            continue;
        }
        let values: Vec<&str> = headers.get_all(*name).iter().filter_map(|v| v.to_str().ok()).collect();
        if values.is_empty() {
            return Err(format!("The header `{name}` is signed but missing."));
        }
        signed.push((*name, values.join(",")));
    }
    let identity = Credentials::new(credentials.0, credentials.1, token, None, "emulate").into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(auth.region)
        .name(SERVICE)
        .time(signed_at)
        .settings(SigningSettings::default())
        .build()
        .map_err(|e| format!("cannot verify the signature: {e}"))?
        .into();
    let request = SignableRequest::new(
        method,
        path_and_query,
        signed.iter().map(|(n, v)| (*n, v.as_str())),
        SignableBody::Bytes(body),
    )
    .map_err(|e| format!("cannot verify the signature: {e}"))?;
    let (_, expected) = sign(request, &params)
        .map_err(|e| format!("cannot verify the signature: {e}"))?
        .into_parts();
    if constant_time_eq(expected.as_bytes(), auth.signature.as_bytes()) {
        Ok(())
    } else {
        Err("The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.".into())
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_amz_dates() {
        let t = parse_amz_date("20261130T061500Z").unwrap();
        assert_eq!(t.duration_since(UNIX_EPOCH).unwrap().as_secs(), 1_796_019_300);
        assert_eq!(parse_amz_date("19700101T000000Z").unwrap(), UNIX_EPOCH);
        for bad in ["", "20261130 061500Z", "20261330T061500Z", "2026113T061500Z0"] {
            assert!(parse_amz_date(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn parses_authorization_headers() {
        let a = parse_authorization(
            "AWS4-HMAC-SHA256 Credential=AKID/20261130/us-west-2/bedrock-agentcore/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc",
        )
        .unwrap();
        assert_eq!(
            (a.access_key, a.date, a.region, a.service),
            ("AKID", "20261130", "us-west-2", SERVICE)
        );
        assert_eq!(a.signed_headers, ["host", "x-amz-date"]);
        assert_eq!(a.signature, "abc");
        assert!(parse_authorization("Bearer x").is_none());
    }
}
