//! `agentcore-mcp-reference`: bind, serve, stop gracefully. Everything else is in the library.

use std::process::ExitCode;
use std::time::Duration;

use agentcore_mcp_reference::{Config, FAULTS, Fault, Faults, router, without_nagle};
use clap::Parser;

/// Reference MCP server for the Amazon Bedrock AgentCore runtime contract.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// Address to bind (AgentCore requires 0.0.0.0).
    #[arg(long, default_value = "0.0.0.0")]
    host: String,
    /// Port to bind (AgentCore requires 8000).
    #[arg(long, default_value_t = 8000)]
    port: u16,
    /// Answer with application/json instead of an SSE stream.
    #[arg(long)]
    json_response: bool,
    /// Break one rule on purpose (repeatable); see --list-faults.
    #[arg(long = "fault", value_name = "NAME")]
    faults: Vec<String>,
    /// Print every fault with the check it trips, then exit.
    #[arg(long)]
    list_faults: bool,
    /// Also allow this Origin (repeatable); localhost and 127.0.0.1 are always allowed.
    #[arg(long = "allow-origin", value_name = "ORIGIN")]
    allowed_origins: Vec<String>,
    /// Largest request body in bytes; larger ones get 413.
    #[arg(long, default_value_t = 4 * 1024 * 1024)]
    max_body_bytes: usize,
    /// Milliseconds between SSE keep-alive comments during long requests.
    #[arg(long, default_value_t = 15_000)]
    keepalive_ms: u64,
    /// Mint a session id at initialize and require it on every later request (the SDKs' default).
    #[arg(long)]
    stateful: bool,
    /// With --stateful: seconds a session may sit unused before it is gone (404).
    #[arg(long, default_value_t = 1800)]
    session_idle_timeout: u64,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    if args.list_faults {
        for fault in FAULTS {
            println!(
                "{:<32} {:<36} {}",
                fault.name(),
                fault.trips().collect::<Vec<_>>().join(" "),
                fault.breaks()
            );
        }
        return ExitCode::SUCCESS;
    }
    let faults = match Faults::parse(args.faults.iter().map(String::as_str)) {
        Ok(faults) => faults,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::from(2);
        }
    };
    let config = Config {
        json_response: args.json_response,
        faults,
        max_body_bytes: args.max_body_bytes,
        allowed_origins: args.allowed_origins,
        keepalive: Duration::from_millis(args.keepalive_ms.max(1)),
        stateful: args.stateful,
        session_idle_timeout: Duration::from_secs(args.session_idle_timeout),
    };
    if config.faults.has(Fault::SlowStart) {
        // Start-up work (loading a model, warming a cache) that a release added.
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    let address = format!("{}:{}", args.host, args.port);
    let listener = match tokio::net::TcpListener::bind(&address).await {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!("error: cannot listen on {address}: {e}");
            return ExitCode::from(2);
        }
    };
    let faults: Vec<_> = config.faults.names().collect();
    println!(
        "listening on {} (faults: {})",
        listener.local_addr().map(|a| a.to_string()).unwrap_or(address),
        if faults.is_empty() {
            "none".to_string()
        } else {
            faults.join(", ")
        }
    );
    let honour_sigterm = !config.faults.has(Fault::IgnoreSigterm);
    let listener = without_nagle(listener, &config);
    let serve = axum::serve(listener, router(config)).with_graceful_shutdown(shutdown_signal(honour_sigterm));
    // In-flight requests get a second to finish after the signal; then the process exits anyway.
    tokio::select! {
        result = serve => if let Err(e) = result {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        },
        _ = async { shutdown_signal(honour_sigterm).await; tokio::time::sleep(Duration::from_secs(1)).await } => {}
    }
    ExitCode::SUCCESS
}

/// Resolves on SIGINT, and on SIGTERM unless told to ignore it (the `ignore-sigterm` fault).
async fn shutdown_signal(honour_sigterm: bool) {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        // A handler is installed either way: as PID 1 in a container, a process without one never
        // sees SIGTERM at all; with the fault, the handler is simply never read.
        if let Ok(mut terminate) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = terminate.recv(), if honour_sigterm => {}
            }
            return;
        }
    }
    let _ = honour_sigterm;
    let _ = tokio::signal::ctrl_c().await;
}
