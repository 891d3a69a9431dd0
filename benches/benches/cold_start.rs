//! Cold starts of the reference server: as a process (exec → first `GET /ping` 200 → first
//! tools/list answer, on loopback) and as a container (`docker run` → first MCP answer, through
//! the suite's container target; skipped loudly without Docker or the image).
//!
//! Needs the release binary: `cargo build --release -p agentcore-mcp-reference`, then
//! `cargo bench -p agentcore-mcp-benches --bench cold_start`. AGENTCORE_REFERENCE_BIN overrides
//! the path (e.g. to compare a static build); AGENTCORE_REFERENCE_IMAGE the image
//! (default agentcore-mcp-reference:amd64, built by reference-server/build-image.sh amd64).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use criterion::{Criterion, SamplingMode, criterion_group, criterion_main};

fn binary() -> Option<PathBuf> {
    let path = std::env::var_os("AGENTCORE_REFERENCE_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../target/release/agentcore-mcp-reference"
            ))
        });
    path.exists().then_some(path)
}

/// Sends `request` on a new connection; true when the answer is 200 and its body contains `wanted`.
fn answered(port: u16, request: &str, wanted: &str) -> bool {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(1)));
    if stream.write_all(request.as_bytes()).is_err() {
        return false;
    }
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response);
    let text = String::from_utf8_lossy(&response);
    text.starts_with("HTTP/1.1 200") && text.contains(wanted)
}

fn ping_ok(port: u16) -> bool {
    answered(
        port,
        "GET /ping HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\n\r\n",
        "Healthy",
    )
}

fn tools_list_ok(port: u16) -> bool {
    let body = r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#;
    let request = format!(
        "POST /mcp HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\ncontent-type: application/json\r\n\
         accept: application/json, text/event-stream\r\nmcp-protocol-version: 2025-11-25\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
    answered(port, &request, "\"tools\"")
}

/// Starts the binary on a free port and returns the time until /ping answered 200 and then
/// tools/list answered.
pub fn exec_to_first_tools_list(binary: &PathBuf) -> Duration {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let started = Instant::now();
    let mut child = Command::new(binary)
        .args(["--host", "127.0.0.1", "--port", &port.to_string()])
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    while !ping_ok(port) {
        assert!(started.elapsed() < Duration::from_secs(10), "no /ping 200 within 10 s");
        std::thread::sleep(Duration::from_micros(200));
    }
    assert!(tools_list_ok(port), "tools/list did not answer after /ping");
    let elapsed = started.elapsed();
    let _ = child.kill();
    let _ = child.wait();
    elapsed
}

fn cold_start(c: &mut Criterion) {
    let Some(binary) = binary() else {
        eprintln!("SKIPPED: build the release binary first (cargo build --release -p agentcore-mcp-reference)");
        return;
    };
    let mut group = c.benchmark_group("cold start");
    group.sampling_mode(SamplingMode::Flat).sample_size(20);
    group.bench_function("process: exec to /ping 200 to first tools/list", |b| {
        b.iter_custom(|iterations| (0..iterations).map(|_| exec_to_first_tools_list(&binary)).sum())
    });
    group.finish();
}

/// `docker run` → first MCP answer, as the suite's container target measures it.
fn container_cold_start(c: &mut Criterion) {
    use agentcore_mcp_suite::targets::container::{ContainerSpec, ImageSource};
    let image = std::env::var("AGENTCORE_REFERENCE_IMAGE").unwrap_or_else(|_| "agentcore-mcp-reference:amd64".into());
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let spec = ContainerSpec {
        image: ImageSource::Local(image.clone()),
        args: Vec::new(),
        startup_timeout: Duration::from_secs(60),
        cold_starts: 0,
        deploy: false,
    };
    let start_once = || -> Result<Duration, String> {
        runtime.block_on(async {
            let container = spec.start(Duration::from_secs(5)).await.map_err(|e| e.to_string())?;
            let took = container.facts.start.mcp;
            container.remove().await;
            took.ok_or_else(|| container.facts.ready.clone().err().unwrap_or_default())
        })
    };
    if let Err(why) = start_once() {
        eprintln!("SKIPPED: container cold start needs Docker and the image {image}: {why}");
        return;
    }
    let mut group = c.benchmark_group("cold start");
    group.sampling_mode(SamplingMode::Flat).sample_size(10);
    group.bench_function("container: docker run to first MCP answer", |b| {
        b.iter_custom(|iterations| {
            (0..iterations)
                .map(|_| start_once().expect("the container starts"))
                .sum()
        })
    });
    group.finish();
}

criterion_group!(benches, cold_start, container_cold_start);
criterion_main!(benches);
