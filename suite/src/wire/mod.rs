//! The wire: raw HTTP exchanges, the strict SSE parser and JSON-RPC framing.

pub mod http;
pub mod jsonrpc;
pub mod sse;
