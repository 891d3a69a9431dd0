//! Plain HTTP/1.1 on a fresh connection per request, built by hand on hyper's connection API.
//! Why not reqwest here: conformance checks must send exactly what they say — no Accept header at
//! all (reqwest always adds `Accept: */*`), any Host, malformed bodies — and time the connection
//! they opened themselves. reqwest serves HTTPS and proxies (`tls.rs`).

use std::time::Instant;

use http_body_util::Full;
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use super::transport::{
    Enough, Exchange, HttpRequest, HttpResponse, Limits, Observes, Timings, Transport, WireError, head_of, read_body,
};

/// Raw HTTP to `host:port`; sees and sends everything.
pub struct PlainHttp {
    host: String,
    port: u16,
    /// The Host header a client of this URL sends.
    authority: String,
}

impl PlainHttp {
    pub fn new(host: &str, port: u16) -> PlainHttp {
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        let shown = if bare.contains(':') {
            format!("[{bare}]")
        } else {
            bare.to_string()
        };
        PlainHttp {
            host: bare.to_string(),
            port,
            authority: if port == 80 { shown } else { format!("{shown}:{port}") },
        }
    }

    async fn send(&self, request: &HttpRequest, limits: Limits, enough: Enough<'_>) -> Result<HttpResponse, WireError> {
        let started = Instant::now();
        let deadline = started + limits.timeout;
        let stream = tokio::time::timeout(limits.timeout, TcpStream::connect((self.host.as_str(), self.port)))
            .await
            .map_err(|_| WireError::Timeout("the TCP connection"))?
            .map_err(|e| WireError::Connect(format!("{}: {e}", self.authority)))?;
        let _ = stream.set_nodelay(true);
        let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| WireError::Protocol(e.to_string()))?;
        // Aborting the driver closes the connection, ending a stream the server keeps open.
        let driver = AbortOnDrop(tokio::spawn(connection));

        let mut builder = hyper::Request::builder()
            .method(request.method.as_str())
            .uri(&request.path);
        if request.header("host").is_none() {
            builder = builder.header("host", &self.authority);
        }
        for (name, value) in &request.headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        let hyper_request = builder
            .body(Full::new(Bytes::from(request.body.clone())))
            .map_err(|e| WireError::Protocol(format!("cannot build the request: {e}")))?;

        let sent = Instant::now();
        let response = tokio::time::timeout_at(deadline.into(), sender.send_request(hyper_request))
            .await
            .map_err(|_| WireError::Timeout("the response head"))?
            .map_err(|e| WireError::Protocol(e.to_string()))?;
        let first_byte = started.elapsed();
        let status = response.status().as_u16();
        let headers = head_of(response.headers());
        let (body, chunks, cut) = read_body(response.into_body(), sent, deadline, limits, enough).await?;
        drop(driver);
        Ok(HttpResponse {
            status,
            headers,
            body,
            chunks,
            timings: Timings {
                first_byte,
                total: started.elapsed(),
            },
            cut,
        })
    }
}

struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl Transport for PlainHttp {
    fn name(&self) -> &str {
        "plain HTTP"
    }

    fn observes(&self) -> Observes {
        Observes::EVERYTHING
    }

    fn exchange<'a>(&'a self, request: &'a HttpRequest, limits: Limits, enough: Enough<'a>) -> Exchange<'a> {
        Box::pin(self.send(request, limits, enough))
    }
}
