//! The wire: transports (raw plain HTTP, HTTPS through reqwest, AgentCore's InvokeAgentRuntime)
//! behind one seam, the strict SSE parser, the timing of
//! streamed responses and JSON-RPC framing.

pub mod agentcore;
pub mod http;
pub mod jsonrpc;
pub mod plain;
pub mod platform;
pub mod reqwest_transport;
pub mod sse;
pub mod stream_timing;
pub mod transport;
