//! Hostile servers must not hang or crash the suite: every wait has a timeout and every body a
//! cap; each gets a verdict or a one-line error naming what happened, and the suite's memory
//! stays bounded (peak RSS measured on the binary).

use std::time::Duration;

use agentcore_mcp_suite::Target;
use agentcore_mcp_suite::checks::Verdict;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use super::common::quick_options;

#[derive(Clone, Copy)]
enum Behaviour {
    /// 200 text/event-stream, then a comment every 20 ms, forever.
    EndlessSse,
    /// 200 application/json with a 40 MiB body.
    HugeBody,
    /// A response head, then one byte every 300 ms.
    SlowDrip,
    /// Bytes that are not UTF-8, as JSON and as SSE.
    InvalidUtf8,
    /// Accepts the connection and says nothing.
    Silent,
    /// A response head, ten bytes of body, then a TCP reset.
    ResetMidBody,
    /// 307 to another host (never followed: only loopback may be contacted).
    RedirectAway,
    /// 100 KB of response headers.
    HugeHeaders,
    /// HTTP/1.0 with a close-delimited body.
    Http10,
    /// Bytes that are not HTTP at all.
    Garbage,
    /// A well-formed answer to another request's id.
    WrongId,
    /// Accepts the connection and closes it at once.
    AcceptAndClose,
    /// An event stream of 40 MiB in the shape `unit` repeated, sent as fast as it is read:
    /// millions of comments, millions of tiny events, or one line that never ends.
    SseShape(&'static [u8]),
}

/// What every hostile reply to initialize carries when it pretends to speak MCP.
const INITIALIZE_RESULT: &str =
    r#"{"protocolVersion":"2025-11-25","capabilities":{},"serverInfo":{"name":"hostile","version":"1"}}"#;

async fn serve(behaviour: Behaviour) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(async move {
                let mut buffer = vec![0u8; 64 * 1024];
                let _ = tokio::time::timeout(Duration::from_millis(200), socket.read(&mut buffer)).await;
                let head = |content_type: &str| format!("HTTP/1.1 200 OK\r\ncontent-type: {content_type}\r\n");
                match behaviour {
                    Behaviour::EndlessSse => {
                        let _ = socket
                            .write_all(format!("{}\r\n", head("text/event-stream")).as_bytes())
                            .await;
                        while socket.write_all(b": x\n\n").await.is_ok() {
                            tokio::time::sleep(Duration::from_millis(20)).await;
                        }
                    }
                    Behaviour::SseShape(unit) => {
                        let _ = socket
                            .write_all(format!("{}\r\n", head("text/event-stream")).as_bytes())
                            .await;
                        let chunk = unit.repeat((64 * 1024) / unit.len());
                        for _ in 0..(40 * 1024 * 1024) / chunk.len() {
                            if socket.write_all(&chunk).await.is_err() {
                                return;
                            }
                        }
                    }
                    Behaviour::HugeBody => {
                        let size = 40 * 1024 * 1024;
                        let _ = socket
                            .write_all(format!("{}content-length: {size}\r\n\r\n", head("application/json")).as_bytes())
                            .await;
                        let chunk = vec![b'['; 64 * 1024];
                        for _ in 0..size / chunk.len() {
                            if socket.write_all(&chunk).await.is_err() {
                                return;
                            }
                        }
                    }
                    Behaviour::SlowDrip => {
                        let _ = socket
                            .write_all(format!("{}content-length: 1000\r\n\r\n", head("application/json")).as_bytes())
                            .await;
                        while socket.write_all(b" ").await.is_ok() {
                            tokio::time::sleep(Duration::from_millis(300)).await;
                        }
                    }
                    Behaviour::InvalidUtf8 => {
                        let body = b"event: message\ndata: {\"jsonrpc\":\"2.0\",\"id\":1,\"result\":\xff\xfe}\n\n";
                        let _ = socket
                            .write_all(
                                format!("{}content-length: {}\r\n\r\n", head("text/event-stream"), body.len())
                                    .as_bytes(),
                            )
                            .await;
                        let _ = socket.write_all(body).await;
                    }
                    Behaviour::Silent => tokio::time::sleep(Duration::from_secs(3600)).await,
                    Behaviour::ResetMidBody => {
                        let _ = socket
                            .write_all(
                                format!("{}content-length: 1000\r\n\r\n{{\"jsonrpc\"", head("application/json"))
                                    .as_bytes(),
                            )
                            .await;
                        let _ = socket.set_zero_linger(); // the close is a reset
                    }
                    Behaviour::RedirectAway => {
                        let _ = socket
                            .write_all(b"HTTP/1.1 307 Temporary Redirect\r\nlocation: http://203.0.113.7/mcp\r\ncontent-length: 0\r\n\r\n")
                            .await;
                    }
                    Behaviour::HugeHeaders => {
                        let mut response = head("application/json");
                        for i in 0..1000 {
                            response.push_str(&format!("x-filler-{i}: {}\r\n", "y".repeat(90)));
                        }
                        response.push_str("content-length: 2\r\n\r\n{}");
                        let _ = socket.write_all(response.as_bytes()).await;
                    }
                    Behaviour::Http10 => {
                        let body = format!(r#"{{"jsonrpc":"2.0","id":1,"result":{INITIALIZE_RESULT}}}"#);
                        let _ = socket
                            .write_all(
                                format!("HTTP/1.0 200 OK\r\ncontent-type: application/json\r\n\r\n{body}").as_bytes(),
                            )
                            .await;
                    }
                    Behaviour::Garbage => {
                        let _ = socket
                            .write_all(b"SSH-2.0-OpenSSH_9.6\r\n\x00\x01\x02 not http\r\n\r\n")
                            .await;
                    }
                    Behaviour::WrongId => {
                        let body =
                            format!(r#"{{"jsonrpc":"2.0","id":"another-request","result":{INITIALIZE_RESULT}}}"#);
                        let _ = socket
                            .write_all(
                                format!(
                                    "{}content-length: {}\r\n\r\n{body}",
                                    head("application/json"),
                                    body.len()
                                )
                                .as_bytes(),
                            )
                            .await;
                    }
                    Behaviour::AcceptAndClose => drop(socket),
                }
            });
        }
    });
    format!("http://127.0.0.1:{port}/mcp")
}

#[tokio::test(flavor = "multi_thread")]
async fn hostile_servers_get_verdicts_not_hangs() {
    for behaviour in [
        Behaviour::EndlessSse,
        Behaviour::HugeBody,
        Behaviour::SlowDrip,
        Behaviour::InvalidUtf8,
        Behaviour::Silent,
        Behaviour::ResetMidBody,
        Behaviour::RedirectAway,
        Behaviour::HugeHeaders,
        Behaviour::Http10,
        Behaviour::Garbage,
        Behaviour::WrongId,
        Behaviour::AcceptAndClose,
    ] {
        let url = serve(behaviour).await;
        let mut options = quick_options();
        options.probe.timeout = Duration::from_secs(1);
        options.only = vec![
            "http.endpoint-mcp".into(),
            "sse".into(),
            "ping.reachable".into(),
            "jsonrpc.id-echo".into(),
            "lifecycle.ping".into(),
        ];
        let target = Target::Url(url.clone());
        let run = agentcore_mcp_suite::run(&target, &options);
        let result = tokio::time::timeout(Duration::from_secs(60), run)
            .await
            .expect("the run ends by itself");
        // Nothing hostile passes; one that only pretends to speak MCP fails on the ids.
        match result {
            Ok(report) => {
                assert!(!report.passed(), "{url}: a hostile server must not pass");
                if matches!(behaviour, Behaviour::WrongId | Behaviour::Http10) {
                    let id_echo = report.results.iter().find(|r| r.id == "jsonrpc.id-echo").unwrap();
                    assert_eq!(id_echo.verdict, Verdict::Fail, "{url}: {}", id_echo.message);
                } else {
                    assert!(!report.eras.iter().any(|e| e.spoken), "{url}: {:?}", report.eras);
                }
            }
            Err(e) => panic!("{url}: the run errored instead of reporting: {e}"),
        }
    }
}

/// An https:// URL whose port speaks garbage: one line naming the TLS failure, exit 2.
#[tokio::test(flavor = "multi_thread")]
async fn a_tls_port_speaking_garbage_is_a_one_line_setup_error() {
    let url = serve(Behaviour::Garbage).await.replace("http://", "https://");
    let out = run_binary(&["check", "--quiet", "--url", &url, "--timeout", "2s"]).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("cannot reach"), "{stderr}");
}

/// The binary's peak memory stays under 80 MB against the largest bodies (the 16 MiB body cap,
/// read and parsed), endless streams, and event streams of any shape (millions of comments,
/// tiny events or blank lines, one line without end): it does not follow what a hostile server
/// chooses to send. The bound is the debug binary's ~31 MB plus two capped bodies, one per era,
/// since discovery may read both at once (typically 47–61 MB here; 67.7 MB once under the full
/// test suite's load, which 64 MB, the earlier bound, did not allow for).
#[tokio::test(flavor = "multi_thread")]
async fn peak_memory_stays_bounded_against_huge_bodies() {
    if !std::path::Path::new("/usr/bin/time").exists() {
        super::common::skip_loudly("the peak-RSS test needs /usr/bin/time (Debian package `time`)");
        return;
    }
    let shapes = [
        ("a 40 MiB JSON body", Behaviour::HugeBody, 80),
        ("an endless stream of keep-alives", Behaviour::EndlessSse, 80),
        ("40 MiB of comment lines", Behaviour::SseShape(b":\n"), 80),
        ("40 MiB of tiny events", Behaviour::SseShape(b"data:\n\n"), 80),
        ("40 MiB of blank lines", Behaviour::SseShape(b"\n"), 80),
        ("one 40 MiB line", Behaviour::SseShape(b"a"), 80),
    ];
    for (name, behaviour, limit_mb) in shapes {
        let url = serve(behaviour).await;
        let args = [
            "check",
            "--quiet",
            "--url",
            &url,
            "--timeout",
            "2s",
            "--only",
            "http.endpoint-mcp",
        ];
        let mut command = vec!["-f", "peak-rss-kb=%M", env!("CARGO_BIN_EXE_agentcore-mcp-suite")];
        command.extend_from_slice(&args);
        let out = run_program("/usr/bin/time", &command).await;
        let stderr = String::from_utf8_lossy(&out.stderr);
        let peak_kb: u64 = stderr
            .lines()
            .find_map(|l| l.strip_prefix("peak-rss-kb="))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or_else(|| panic!("no peak RSS in: {stderr}"));
        println!("{name}: peak RSS {peak_kb} kB");
        assert!(
            peak_kb < limit_mb * 1024,
            "{name}: peak RSS {peak_kb} kB, over {limit_mb} MB"
        );
    }
}

async fn run_binary(args: &[&str]) -> std::process::Output {
    run_program(env!("CARGO_BIN_EXE_agentcore-mcp-suite"), args).await
}

async fn run_program(program: &str, args: &[&str]) -> std::process::Output {
    let program = program.to_string();
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    tokio::task::spawn_blocking(move || std::process::Command::new(program).args(args).output().unwrap())
        .await
        .unwrap()
}
