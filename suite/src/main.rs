//! `agentcore-mcp-suite`: parse, run, print the error, exit. Everything else is in the library.

use std::process::ExitCode;

use agentcore_mcp_suite::cli::{self, Cli};
use clap::Parser;

fn main() -> ExitCode {
    // A panic is a suite bug: one line on stderr, no backtrace. Inside a check it becomes that
    // check's `error` verdict and the run goes on.
    std::panic::set_hook(Box::new(|info| {
        let location = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        let payload = info.payload();
        let message = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        eprintln!("internal error{location}: {message}");
    }));
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        // --help and --version print as usual; a usage error is its first paragraph and clap's
        // tips on one line (what is missing, or the flag meant, is on clap's later lines), exit 2.
        Err(e) if !e.use_stderr() => e.exit(),
        Err(e) => {
            let rendered = e.render().to_string();
            let mut first: Vec<&str> = rendered
                .lines()
                .take_while(|l| !l.trim().is_empty())
                .map(str::trim)
                .collect();
            first.extend(rendered.lines().map(str::trim).filter(|l| l.starts_with("tip:")));
            let line = if first.is_empty() {
                "error: bad arguments".to_string()
            } else {
                first.join(" ")
            };
            eprintln!("{line}");
            return ExitCode::from(2);
        }
    };
    match cli::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            match &error {
                agentcore_mcp_suite::Error::Failed(why) if why.is_empty() => {}
                agentcore_mcp_suite::Error::Failed(why) => eprintln!("{why}"),
                other => eprintln!("error: {other}"),
            }
            ExitCode::from(error.exit_code())
        }
    }
}
