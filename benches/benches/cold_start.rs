//! Cold start of the reference server binary: exec → first `GET /ping` 200, on loopback.
//!
//! Needs the release binary: `cargo build --release -p agentcore-mcp-reference`, then
//! `cargo bench -p agentcore-mcp-benches --bench cold_start`. AGENTCORE_REFERENCE_BIN overrides
//! the path (e.g. to compare a static build).

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

fn ping_ok(port: u16) -> bool {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(1)));
    if stream
        .write_all(b"GET /ping HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\n\r\n")
        .is_err()
    {
        return false;
    }
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).is_ok() && &head[9..12] == b"200"
}

/// Starts the binary on a free port and returns the time until /ping answered 200.
pub fn exec_to_first_ping(binary: &PathBuf) -> Duration {
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
    group.bench_function("exec to first /ping 200", |b| {
        b.iter_custom(|iterations| (0..iterations).map(|_| exec_to_first_ping(&binary)).sum())
    });
    group.finish();
}

criterion_group!(benches, cold_start);
criterion_main!(benches);
