//! Raw HTTP/1.1 exchanges on a fresh connection each: the suite sends exactly the method, path,
//! headers and body it is told to (malformed traffic included), times connect / first byte /
//! each chunk / full body, caps the body size, and puts a timeout on every wait.

use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

/// Where requests go: `http://host:port` plus the MCP path.
#[derive(Clone, Debug)]
pub struct Endpoint {
    pub host: String,
    pub port: u16,
    pub path: String,
}

impl Endpoint {
    /// Parses `http://host[:port][/path]`; the path defaults to `/mcp`.
    pub fn parse(url: &str) -> Result<Endpoint, String> {
        let rest = if let Some(rest) = url.strip_prefix("http://") {
            rest
        } else if url.starts_with("https://") {
            return Err(format!("`{url}`: https targets are not supported yet; use http://"));
        } else {
            return Err(format!("`{url}` is not an http:// URL"));
        };
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/mcp"),
        };
        let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
            let (host, after) = v6.split_once(']').ok_or(format!("`{url}`: unclosed IPv6 address"))?;
            (host.to_string(), after.strip_prefix(':').unwrap_or(""))
        } else {
            match authority.rsplit_once(':') {
                Some((host, port)) => (host.to_string(), port),
                None => (authority.to_string(), ""),
            }
        };
        if host.is_empty() {
            return Err(format!("`{url}` has no host"));
        }
        let port = if port.is_empty() {
            80
        } else {
            port.parse()
                .map_err(|_| format!("`{url}`: `{port}` is not a port number"))?
        };
        Ok(Endpoint {
            host,
            port,
            path: path.to_string(),
        })
    }

    /// The Host header value a client of this URL sends.
    pub fn authority(&self) -> String {
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        if self.port == 80 {
            host
        } else {
            format!("{host}:{}", self.port)
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}{}", self.authority(), self.path)
    }
}

/// One request exactly as it goes on the wire (header names as given; Host added if absent).
#[derive(Clone, Debug)]
pub struct HttpRequest {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

#[derive(Clone, Debug, Default)]
pub struct Timings {
    pub connect: Duration,
    /// Until the status line and headers arrived.
    pub first_byte: Duration,
    /// Until the body ended (or reading stopped).
    pub total: Duration,
}

#[derive(Clone, Debug)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<(String, Vec<u8>)>,
    pub body: Vec<u8>,
    /// (time since the request was sent, length) of every body chunk.
    pub chunks: Vec<(Duration, usize)>,
    pub timings: Timings,
    /// Why reading stopped before the server closed the body, if it did.
    pub cut: Option<Cut>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cut {
    /// The body grew past the size cap.
    TooLarge,
    /// The deadline passed with the body still open.
    Deadline,
    /// The caller had what it needed and the server kept the body open past the grace period.
    Lingered,
}

impl HttpResponse {
    /// First value of header `name` (case-insensitive) as text, if it is text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .and_then(|(_, v)| std::str::from_utf8(v).ok())
    }

    /// The media type of Content-Type without parameters, lowercased.
    pub fn media_type(&self) -> Option<String> {
        self.header("content-type")
            .map(|v| v.split(';').next().unwrap_or("").trim().to_ascii_lowercase())
    }
}

/// Limits every exchange obeys.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// For connecting, for the response head, and for the whole body.
    pub timeout: Duration,
    pub max_body_bytes: usize,
    /// How long to wait for the body to end once the caller has what it needs.
    pub close_grace: Duration,
}

#[derive(Debug)]
pub enum WireError {
    Connect(String),
    Timeout(&'static str),
    Protocol(String),
}

impl std::fmt::Display for WireError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WireError::Connect(e) => write!(f, "cannot connect: {e}"),
            WireError::Timeout(what) => write!(f, "timed out waiting for {what}"),
            WireError::Protocol(e) => write!(f, "HTTP error: {e}"),
        }
    }
}

/// Sends `request` on a new connection and reads the response. `enough` sees every body chunk and
/// returns true once the caller has what it needs; reading then waits at most `close_grace` for
/// the body to end.
pub async fn exchange(
    endpoint: &Endpoint,
    request: &HttpRequest,
    limits: Limits,
    mut enough: impl FnMut(&[u8]) -> bool,
) -> Result<HttpResponse, WireError> {
    let started = Instant::now();
    let deadline = started + limits.timeout;
    let address = (endpoint.host.as_str(), endpoint.port);
    let stream = tokio::time::timeout(limits.timeout, TcpStream::connect(address))
        .await
        .map_err(|_| WireError::Timeout("the TCP connection"))?
        .map_err(|e| WireError::Connect(format!("{}: {e}", endpoint.authority())))?;
    let _ = stream.set_nodelay(true);
    let connect = started.elapsed();
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| WireError::Protocol(e.to_string()))?;
    let driver = tokio::spawn(connection);

    let mut builder = hyper::Request::builder()
        .method(request.method.as_str())
        .uri(&request.path);
    if !request.headers.iter().any(|(n, _)| n.eq_ignore_ascii_case("host")) {
        builder = builder.header("host", endpoint.authority());
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
    let headers = response
        .headers()
        .iter()
        .map(|(n, v)| (n.as_str().to_string(), v.as_bytes().to_vec()))
        .collect();
    let mut body = response.into_body();
    let mut bytes = Vec::new();
    let mut chunks = Vec::new();
    let mut cut = None;
    let mut stop_at = deadline;
    loop {
        let frame = match tokio::time::timeout_at(stop_at.into(), body.frame()).await {
            Err(_) => {
                cut = Some(if stop_at < deadline {
                    Cut::Lingered
                } else {
                    Cut::Deadline
                });
                break;
            }
            Ok(None) => break,
            Ok(Some(Err(e))) => {
                driver.abort();
                return Err(WireError::Protocol(format!("reading the body: {e}")));
            }
            Ok(Some(Ok(frame))) => frame,
        };
        let Ok(data) = frame.into_data() else {
            continue;
        };
        chunks.push((sent.elapsed(), data.len()));
        bytes.extend_from_slice(&data);
        if bytes.len() > limits.max_body_bytes {
            cut = Some(Cut::TooLarge);
            break;
        }
        // `enough` sees every chunk (it may be parsing them); only its first `true` counts.
        if enough(&data) && stop_at == deadline {
            stop_at = (Instant::now() + limits.close_grace).min(deadline);
        }
    }
    driver.abort(); // closes the connection, ending a stream the server keeps open
    Ok(HttpResponse {
        status,
        headers,
        body: bytes,
        chunks,
        timings: Timings {
            connect,
            first_byte,
            total: started.elapsed(),
        },
        cut,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_urls() {
        let e = Endpoint::parse("http://127.0.0.1:8000/mcp").unwrap();
        assert_eq!((e.host.as_str(), e.port, e.path.as_str()), ("127.0.0.1", 8000, "/mcp"));
        let e = Endpoint::parse("http://localhost").unwrap();
        assert_eq!(
            (e.port, e.path.as_str(), e.authority().as_str()),
            (80, "/mcp", "localhost")
        );
        let e = Endpoint::parse("http://[::1]:9/x").unwrap();
        assert_eq!((e.host.as_str(), e.authority().as_str()), ("::1", "[::1]:9"));
        assert!(Endpoint::parse("https://x").unwrap_err().contains("https"));
        assert!(Endpoint::parse("ftp://x").is_err());
        assert!(Endpoint::parse("http://x:port").is_err());
    }
}
