//! Plain HTTP/1.1 on a fresh connection per request (or, for latency.keep-alive, several requests
//! on one kept-alive connection), built by hand on hyper's connection API.
//! Why not reqwest here: conformance checks must send exactly what they say — no Accept header at
//! all (reqwest always adds `Accept: */*`), any Host, malformed bodies — and time the connection
//! they opened themselves. reqwest serves HTTPS and proxies (`tls.rs`).

use std::time::Instant;

use http_body_util::Full;
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use super::transport::{
    Enough, Exchange, Exchanges, Head, Heard, HttpRequest, HttpResponse, Limits, Observes, Transport, WireError,
    head_of, read_response,
};

type Sender = hyper::client::conn::http1::SendRequest<Full<Bytes>>;

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
        let (mut sender, driver) = self.open(limits.timeout).await?;

        let sent = Instant::now();
        let (head, body) = self.request_head(&mut sender, request, started, deadline).await?;
        let response = read_response(head, body, started, sent, limits, enough).await;
        drop(driver);
        response
    }
}

struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl PlainHttp {
    /// Requests in turn on one connection; each response read to its end before the next.
    async fn send_kept_alive(&self, requests: &[HttpRequest], limits: Limits) -> Result<Vec<HttpResponse>, WireError> {
        let (mut sender, _driver) = self.open(limits.timeout).await?;
        let mut responses = Vec::with_capacity(requests.len());
        for request in requests {
            let started = Instant::now();
            tokio::time::timeout(limits.timeout, sender.ready())
                .await
                .map_err(|_| WireError::Timeout("the connection to be ready again"))?
                .map_err(|e| WireError::Protocol(format!("the server closed the kept-alive connection: {e}")))?;
            let deadline = started + limits.timeout;
            let (head, body) = self.request_head(&mut sender, request, started, deadline).await?;
            let read = read_response(head, body, started, started, limits, &mut |_| Heard::More).await?;
            if read.cut.is_some() {
                return Err(WireError::Protocol(
                    "a response did not end, so the connection cannot be reused".into(),
                ));
            }
            responses.push(read);
        }
        Ok(responses)
    }

    /// A new connection (Nagle off) and its driver; dropping the driver closes the connection,
    /// ending a stream the server keeps open.
    async fn open(&self, timeout: std::time::Duration) -> Result<(Sender, AbortOnDrop<hyper::Result<()>>), WireError> {
        let stream = tokio::time::timeout(timeout, TcpStream::connect((self.host.as_str(), self.port)))
            .await
            .map_err(|_| WireError::Timeout("the TCP connection"))?
            .map_err(|e| WireError::Connect(format!("{}: {e}", self.authority)))?;
        let _ = stream.set_nodelay(true);
        let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| WireError::Protocol(e.to_string()))?;
        Ok((sender, AbortOnDrop(tokio::spawn(connection))))
    }

    /// Sends `request` on an open connection and waits (until `deadline`) for the response head.
    async fn request_head(
        &self,
        sender: &mut Sender,
        request: &HttpRequest,
        started: Instant,
        deadline: Instant,
    ) -> Result<(Head, hyper::body::Incoming), WireError> {
        let response = tokio::time::timeout_at(deadline.into(), sender.send_request(self.build(request)?))
            .await
            .map_err(|_| WireError::Timeout("the response head"))?
            .map_err(|e| WireError::Protocol(e.to_string()))?;
        let head = Head {
            status: response.status().as_u16(),
            headers: head_of(response.headers()),
            first_byte: started.elapsed(),
        };
        Ok((head, response.into_body()))
    }

    /// The request exactly as asked, with Host added when absent.
    fn build(&self, request: &HttpRequest) -> Result<hyper::Request<Full<Bytes>>, WireError> {
        let mut builder = hyper::Request::builder()
            .method(request.method.as_str())
            .uri(&request.path);
        if request.header("host").is_none() {
            builder = builder.header("host", &self.authority);
        }
        for (name, value) in &request.headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        builder
            .body(Full::new(Bytes::from(request.body.clone())))
            .map_err(|e| WireError::Protocol(format!("cannot build the request: {e}")))
    }
}

impl Transport for PlainHttp {
    fn name(&self) -> &str {
        "plain HTTP"
    }

    fn observes(&self) -> Observes {
        Observes::DIRECT
    }

    fn exchange<'a>(&'a self, request: &'a HttpRequest, limits: Limits, enough: Enough<'a>) -> Exchange<'a> {
        Box::pin(self.send(request, limits, enough))
    }

    fn exchange_kept_alive<'a>(&'a self, requests: &'a [HttpRequest], limits: Limits) -> Exchanges<'a> {
        Box::pin(self.send_kept_alive(requests, limits))
    }
}
