//! HTTPS targets: the reference server behind a TLS terminator, with a private CA this test makes.
//! The binary must pass with `--cacert`, refuse the unknown issuer in one line (exit 2) without
//! it, and pass with `--insecure` while every report format says that nothing was verified.

use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::Arc;

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair, SanType};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};

const BIN: &str = env!("CARGO_BIN_EXE_agentcore-mcp-suite");

/// A reference server reachable as https://127.0.0.1:`port`/mcp, and the CA that signed its
/// certificate, written to `ca_file`.
struct TlsReference {
    port: u16,
    ca_file: PathBuf,
}

impl Drop for TlsReference {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.ca_file);
    }
}

async fn tls_reference(name: &str) -> TlsReference {
    serve_tls(name, false).await
}

/// With `self_signed`, the server's certificate is itself a CA (CA:TRUE, as `openssl req -x509`
/// makes one) and is what `ca_file` holds; else a leaf signed by a private CA in `ca_file`.
async fn serve_tls(name: &str, self_signed: bool) -> TlsReference {
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let leaf_key = KeyPair::generate().unwrap();
    let mut leaf_params = CertificateParams::new(vec!["localhost".to_string()]).unwrap();
    leaf_params
        .subject_alt_names
        .push(SanType::IpAddress("127.0.0.1".parse().unwrap()));
    let ca_file = std::env::temp_dir().join(format!("agentcore-suite-{name}-{}.pem", std::process::id()));
    let leaf = if self_signed {
        leaf_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let leaf = leaf_params.self_signed(&leaf_key).unwrap();
        std::fs::write(&ca_file, leaf.pem()).unwrap();
        leaf
    } else {
        let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
        std::fs::write(&ca_file, ca.pem()).unwrap();
        leaf_params.signed_by(&leaf_key, &ca).unwrap()
    };

    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der()));
    let config = ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(vec![leaf.der().clone()], key)
        .unwrap();
    let acceptor = TlsAcceptor::from(Arc::new(config));

    // The plain reference server, and a TLS terminator in front of it.
    let plain = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let plain_port = plain.local_addr().unwrap().port();
    tokio::spawn(agentcore_mcp_reference::serve(
        plain,
        agentcore_mcp_reference::Config::default(),
    ));
    let tls = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = tls.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((client, _)) = tls.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut client) = acceptor.accept(client).await else {
                    return; // the suite refused our certificate: nothing to forward
                };
                if let Ok(mut server) = tokio::net::TcpStream::connect(("127.0.0.1", plain_port)).await {
                    let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                }
            });
        }
    });
    TlsReference { port, ca_file }
}

async fn suite(args: Vec<String>) -> Output {
    tokio::task::spawn_blocking(move || {
        Command::new(BIN)
            .args(&args)
            .env("NO_COLOR", "1")
            .output()
            .expect("the binary runs")
    })
    .await
    .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn args(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_with_a_private_ca_passes() {
    let server = tls_reference("cacert").await;
    let url = format!("https://127.0.0.1:{}/mcp", server.port);
    let ca = server.ca_file.display().to_string();
    let out = suite(args(&[
        "check",
        "--quiet",
        "--url",
        &url,
        "--cacert",
        &ca,
        "--samples",
        "3",
    ]))
    .await;
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{}", text(&out.stderr));
    assert!(stdout.contains("reached over HTTPS (reqwest)"), "{stdout}");
    assert!(!stdout.contains("not verified"), "{stdout}");
    // What reqwest cannot send (no Accept header) is skipped with the reason, never passed.
    let missing = stdout
        .lines()
        .find(|l| l.contains("accept.missing"))
        .unwrap_or_default();
    assert!(
        missing.contains("SKIP") && missing.contains("HTTPS (reqwest) transport cannot"),
        "{missing}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_issuer_is_one_line_and_exit_2() {
    let server = tls_reference("unknown-issuer").await;
    let url = format!("https://127.0.0.1:{}/mcp", server.port);
    let out = suite(args(&["check", "--quiet", "--url", &url])).await;
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}\n{}", text(&out.stdout));
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("certificate"), "{stderr}");
    assert!(stderr.contains("--cacert"), "{stderr}");
    assert!(out.stdout.is_empty(), "{}", text(&out.stdout));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn insecure_passes_and_every_format_says_so() {
    let server = tls_reference("insecure").await;
    let url = format!("https://127.0.0.1:{}/mcp", server.port);
    let dir = std::env::temp_dir().join(format!("agentcore-suite-insecure-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = |name: &str| dir.join(name).display().to_string();
    let out = suite(args(&[
        "check",
        "--quiet",
        "--url",
        &url,
        "--insecure",
        "--only",
        "lifecycle",
        "--output",
        &format!("json={}", file("r.json")),
        "--output",
        &format!("junit={}", file("r.xml")),
        "--output",
        &format!("markdown={}", file("r.md")),
    ]))
    .await;
    let human = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{human}\n{}", text(&out.stderr));
    for (format, report) in [
        ("human", human),
        ("json", std::fs::read_to_string(file("r.json")).unwrap()),
        ("junit", std::fs::read_to_string(file("r.xml")).unwrap()),
        ("markdown", std::fs::read_to_string(file("r.md")).unwrap()),
    ] {
        assert!(
            report.contains("TLS certificates were not verified (--insecure)"),
            "{format}: {report}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// A self-signed server certificate made the usual way (CA:TRUE) is trusted when it is exactly
/// the one given with --cacert (curl does the same); before, chain validation refused it as
/// `CaUsedAsEndEntity`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cacert_pins_a_self_signed_ca_certificate() {
    let server = serve_tls("self-signed", true).await;
    let url = format!("https://127.0.0.1:{}/mcp", server.port);
    let pinned = server.ca_file.display().to_string();
    let out = suite(args(&[
        "check",
        "--url",
        &url,
        "--cacert",
        &pinned,
        "--only",
        "lifecycle",
        "--quiet",
    ]))
    .await;
    assert_eq!(out.status.code(), Some(0), "{}{}", text(&out.stdout), text(&out.stderr));
    // Another certificate given instead: not pinned, and no chain to it: exit 2 saying what to do.
    let other = tls_reference("other-ca").await;
    let other_ca = other.ca_file.display().to_string();
    let out = suite(args(&[
        "check",
        "--url",
        &url,
        "--cacert",
        &other_ca,
        "--only",
        "lifecycle",
    ]))
    .await;
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("--cacert FILE"), "{stderr}");
}
