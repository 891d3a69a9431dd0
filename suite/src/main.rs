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
        // --help and --version print as usual; a usage error is its first line, exit 2.
        Err(e) if !e.use_stderr() => e.exit(),
        Err(e) => {
            let rendered = e.render().to_string();
            eprintln!("{}", rendered.lines().next().unwrap_or("error: bad arguments"));
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
