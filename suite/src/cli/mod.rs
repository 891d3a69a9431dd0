//! The command line: clap parses raw arguments into one module per subcommand, each validates
//! them into what the rest of the code uses (`CheckRun`, `SurfaceRun`, `BenchRun`, `EmulatorConfig`) and runs
//! it. Every outcome but success is an [`Error`], which owns the exit code (0 pass, 1 a check
//! failed or a metric regressed, 2 usage or setup error, 130 Ctrl-C); `main` only prints it.

pub mod bench;
pub mod check;
pub mod emulate;
pub mod explain;
pub mod list;
pub mod surface;
pub mod target_args;

use std::future::Future;
use std::io::{IsTerminal, Write};

use clap::{Parser, Subcommand};

use crate::error::Error;
use crate::targets::Target;

#[derive(Parser, Debug)]
#[command(
    name = "agentcore-mcp-suite",
    version,
    about = "Conformance suite for MCP servers on Amazon Bedrock AgentCore Runtime"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Check a server (with no target: the embedded reference server).
    Check(Box<check::CheckArgs>),
    /// List the check catalog.
    List {
        #[arg(long, value_enum, default_value = "human")]
        format: list::ListFormat,
    },
    /// Explain one check: its rule, level, source and the reference-server fault that trips it.
    Explain { id: String },
    /// Record the tool surface (tools, resources, prompts; list methods only); save it, and gate
    /// on drift from a saved baseline.
    Surface(Box<surface::SurfaceArgs>),
    /// Load a server for latency and throughput; save the numbers and gate on a baseline.
    Bench(Box<bench::BenchArgs>),
    /// Run a local emulator of the AgentCore data plane (InvokeAgentRuntime) in front of a server.
    /// (`gateway`, its old name, still works.)
    #[command(alias = "gateway")]
    Emulate(Box<emulate::EmulateArgs>),
}

/// Validates the arguments and runs the command on one async runtime.
pub fn run(cli: Cli) -> Result<(), Error> {
    // `bench` keeps to one thread, like wrk's default: the load generator should leave the cores
    // to the server it measures (on loopback they share the machine).
    let mut builder = match cli.command {
        Command::Bench(_) => tokio::runtime::Builder::new_current_thread(),
        _ => tokio::runtime::Builder::new_multi_thread(),
    };
    let runtime = builder
        .enable_all()
        .build()
        .map_err(|e| Error::Setup(format!("cannot start the async runtime: {e}")))?;
    match cli.command {
        Command::List { format } => list::run(format),
        Command::Explain { id } => explain::run(&id),
        Command::Check(args) => {
            let run = check::CheckRun::from_args(*args)?;
            runtime.block_on(check::run(run))
        }
        Command::Surface(args) => {
            let run = surface::SurfaceRun::from_args(*args)?;
            runtime.block_on(surface::run(run))
        }
        Command::Bench(mut args) => match args.merge.take() {
            Some(bench::BenchCommand::Merge(merge)) => bench::merge(merge),
            None => {
                let run = bench::BenchRun::from_args(*args)?;
                runtime.block_on(bench::run(run))
            }
        },
        Command::Emulate(args) => {
            let config = args.config()?;
            runtime.block_on(emulate::run(config))
        }
    }
}

/// Runs `work` until it ends or Ctrl-C. On Ctrl-C the work is dropped (which removes what it
/// started) and the target sweeps what might be left: `Error::Interrupted`.
async fn until_interrupted<T>(target: &Target, work: impl Future<Output = Result<T, Error>>) -> Result<T, Error> {
    tokio::select! {
        result = work => result,
        _ = interrupted() => {
            let removed = target.clean_up_after_interrupt().await;
            Err(Error::Interrupted(format!("interrupted{removed}")))
        }
    }
}

/// Ctrl-C, or SIGTERM (`docker stop`, `kill`, a CI runner cancelling the job): both clean up.
/// As PID 1 in a container the suite would otherwise ignore SIGTERM until Docker kills it.
pub(crate) async fn interrupted() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = terminate.recv() => {}
            },
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Whether stdout gets colour: a terminal, and no `NO_COLOR`.
fn color() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none()
}

/// Writes to stdout; a closed pipe (`| head`) is not an error.
fn print(text: &str) {
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
}
