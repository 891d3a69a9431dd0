//! HTTPS (and plain HTTP through a proxy) with reqwest: rustls with the platform's verifier and
//! root store, `--cacert` for a private CA, `--insecure`, and HTTPS_PROXY / HTTP_PROXY / NO_PROXY
//! from the environment. One fresh connection per request, like the plain transport, so connect
//! and TLS time count in every sample.
//!
//! What it cannot do: leave out the Accept header (reqwest always sends `Accept: */*` then), and
//! behind a proxy no header is guaranteed to arrive as sent; checks needing that are skipped.

use std::time::Instant;

use super::transport::{
    Enough, Exchange, Head, HttpRequest, HttpResponse, Limits, Observes, Transport, WireError, head_of, read_response,
};

/// How to trust the server's certificate.
#[derive(Clone, Debug, Default)]
pub struct TlsTrust {
    /// PEM certificates to trust besides the platform's roots (`--cacert`).
    pub ca_pem: Option<Vec<u8>>,
    /// Accept any certificate (`--insecure`): the server's identity is not checked.
    pub insecure: bool,
}

pub struct ReqwestTransport {
    client: reqwest::Client,
    /// Scheme and authority; request paths are appended.
    origin: url::Url,
    name: String,
}

impl ReqwestTransport {
    /// A client for `origin`; `proxied` says whether a proxy from the environment applies.
    pub fn new(origin: url::Url, tls: &TlsTrust, proxied: bool) -> Result<ReqwestTransport, String> {
        let client = client_builder(tls, proxied)?
            .pool_max_idle_per_host(0)
            .build()
            .map_err(|e| format!("cannot set up HTTPS: {}", chain(&e)))?;
        let scheme = origin.scheme().to_ascii_uppercase();
        let name = match (proxied, tls.insecure) {
            (true, _) => format!("{scheme} through a proxy (reqwest)"),
            (false, true) => format!("{scheme} without certificate checks (reqwest, --insecure)"),
            (false, false) => format!("{scheme} (reqwest)"),
        };
        Ok(ReqwestTransport { client, origin, name })
    }

    async fn send(&self, request: &HttpRequest, limits: Limits, enough: Enough<'_>) -> Result<HttpResponse, WireError> {
        if request.header("accept").is_none() {
            return Err(WireError::Unobservable(
                "reqwest always sends an Accept header, so a request without one cannot be sent".into(),
            ));
        }
        let url = self
            .origin
            .join(&request.path)
            .map_err(|e| WireError::Protocol(format!("`{}`: {e}", request.path)))?;
        let method = reqwest::Method::from_bytes(request.method.as_bytes())
            .map_err(|e| WireError::Protocol(format!("method `{}`: {e}", request.method)))?;
        let mut builder = self.client.request(method, url).body(request.body.clone());
        for (name, value) in &request.headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        let started = Instant::now();
        let host = self.origin.host_str().unwrap_or("");
        let response = send_within(builder, host, started + limits.timeout).await?;
        let head = Head {
            status: response.status().as_u16(),
            headers: head_of(response.headers()),
            first_byte: started.elapsed(),
        };
        let body = hyper::Response::from(response).into_body();
        read_response(head, body, started, started, limits, enough).await
    }
}

/// A reqwest client as every HTTP client of the suite's needs it: HTTP/1.1, Nagle off, no
/// redirects followed, the platform's roots plus `--cacert`, `--insecure`, and the environment's
/// proxy only when `proxied`.
pub fn client_builder(tls: &TlsTrust, proxied: bool) -> Result<reqwest::ClientBuilder, String> {
    let mut builder = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .tcp_nodelay(true)
        .http1_only();
    if tls.insecure {
        builder = builder.tls_danger_accept_invalid_certs(true);
    } else if let Some(pem) = &tls.ca_pem {
        builder = builder.tls_backend_preconfigured(pinning_config(pem)?);
    }
    if !proxied {
        builder = builder.no_proxy();
    }
    Ok(builder)
}

impl Transport for ReqwestTransport {
    fn name(&self) -> &str {
        &self.name
    }

    fn observes(&self) -> Observes {
        // Kept-alive timing is measured on plain HTTP only, for now.
        Observes {
            any_header: false,
            keep_alive: false,
            ..Observes::DIRECT
        }
    }

    fn exchange<'a>(&'a self, request: &'a HttpRequest, limits: Limits, enough: Enough<'a>) -> Exchange<'a> {
        Box::pin(self.send(request, limits, enough))
    }
}

/// TLS for `--cacert`: the platform's roots plus the given certificates as roots, and a server
/// certificate that is exactly one of the given ones accepted as is (pinning). A self-signed
/// certificate made the usual way (`openssl req -x509`) says CA:TRUE, which chain validation
/// refuses as a server certificate (`CaUsedAsEndEntity`), while curl `--cacert` trusts it.
fn pinning_config(pem: &[u8]) -> Result<rustls::ClientConfig, String> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    let given: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<_, _>>()
        .map_err(|e| format!("--cacert: {e}"))?;
    let provider = std::sync::Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let chain = rustls_platform_verifier::Verifier::new_with_extra_roots(given.clone(), provider.clone())
        .map_err(|e| format!("--cacert: {e}"))?;
    let verifier = PinnedOrChain { pinned: given, chain };
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS: {e}"))?
        .dangerous()
        .with_custom_certificate_verifier(std::sync::Arc::new(verifier))
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

/// Accepts a server certificate that is byte for byte one of `pinned`; anything else goes
/// through full chain validation. Handshake signatures are always checked.
#[derive(Debug)]
struct PinnedOrChain {
    pinned: Vec<rustls::pki_types::CertificateDer<'static>>,
    chain: rustls_platform_verifier::Verifier,
}

impl rustls::client::danger::ServerCertVerifier for PinnedOrChain {
    fn verify_server_cert(
        &self,
        end_entity: &rustls::pki_types::CertificateDer<'_>,
        intermediates: &[rustls::pki_types::CertificateDer<'_>],
        server_name: &rustls::pki_types::ServerName<'_>,
        ocsp_response: &[u8],
        now: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        if self.pinned.iter().any(|pinned| pinned.as_ref() == end_entity.as_ref()) {
            return Ok(rustls::client::danger::ServerCertVerified::assertion());
        }
        self.chain
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        self.chain.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        self.chain.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.chain.supported_verify_schemes()
    }
}

/// An error and its causes on one line: reqwest's own message alone hides the TLS reason (and
/// the AWS SDK's its cause).
pub(crate) fn chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

/// Sends `builder`'s request, waiting for the response head until `deadline`. A connection error
/// names `host`.
pub(crate) async fn send_within(
    builder: reqwest::RequestBuilder,
    host: &str,
    deadline: Instant,
) -> Result<reqwest::Response, WireError> {
    tokio::time::timeout_at(deadline.into(), builder.send())
        .await
        .map_err(|_| WireError::Timeout("the response head"))?
        .map_err(|e| {
            if e.is_connect() {
                WireError::Connect(connect_error(host, &e))
            } else {
                WireError::Protocol(chain(&e))
            }
        })
}

/// A connection error, with what to do when the certificate was the problem.
fn connect_error(host: &str, error: &reqwest::Error) -> String {
    let text = chain(error);
    if text.to_ascii_lowercase().contains("certificate") {
        format!(
            "{host}: TLS: {text} (trust the server's CA or its own certificate with --cacert FILE (PEM), or skip the check with --insecure)"
        )
    } else {
        format!("{host}: {text}")
    }
}

/// Whether requests to `url` go through a proxy from the environment (never for loopback).
pub fn proxied(url: &url::Url) -> bool {
    !is_loopback(url) && proxy_applies(url)
}

fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(name)) => name == "localhost" || name.ends_with(".localhost"),
        None => false,
    }
}

/// Whether HTTP(S)_PROXY / ALL_PROXY, minus NO_PROXY, send requests for `url` through a proxy.
fn proxy_applies(url: &url::Url) -> bool {
    let Ok(uri) = url.as_str().parse::<hyper::Uri>() else {
        return false;
    };
    hyper_util::client::proxy::matcher::Matcher::from_env()
        .intercept(&uri)
        .is_some()
}

#[cfg(test)]
mod tests {
    #[test]
    fn loopback_is_never_proxied() {
        let url = |text: &str| url::Url::parse(text).unwrap();
        assert!(super::is_loopback(&url("http://127.0.0.2/")));
        assert!(super::is_loopback(&url("http://[::1]/")));
        assert!(super::is_loopback(&url("http://localhost:9/")));
        assert!(!super::is_loopback(&url("https://example.com/")));
    }
}
