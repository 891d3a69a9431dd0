//! Hostile servers must not hang or crash the suite: every wait has a timeout and every body a cap.

use std::time::Duration;

use agentcore_mcp_suite::Target;
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
}

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
    ] {
        let url = serve(behaviour).await;
        let mut options = quick_options();
        options.probe.timeout = Duration::from_secs(1);
        options.only = vec!["http.endpoint-mcp".into(), "sse".into(), "ping.reachable".into()];
        let target = Target::Url(url.clone());
        let run = agentcore_mcp_suite::run(&target, &options);
        let result = tokio::time::timeout(Duration::from_secs(60), run)
            .await
            .expect("the run ends by itself");
        // Nothing hostile speaks MCP: the eras are absent and the run does not pass.
        match result {
            Ok(report) => {
                assert!(!report.eras.iter().any(|e| e.spoken), "{url}: {:?}", report.eras);
                assert!(!report.passed(), "{url}: a server that speaks no MCP must not pass");
            }
            Err(e) => panic!("{url}: the run errored instead of reporting: {e}"),
        }
    }
}
