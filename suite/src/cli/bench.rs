//! `bench`: load a server, print the numbers, save them, and gate on a baseline.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use super::target_args::{TargetArgs, parse_duration};
use super::{print, until_interrupted};
use crate::baseline::parse_tolerance;
use crate::bench::results::{BenchReport, compare};
use crate::bench::{self, BenchSpec, Load, Mix, render};
use crate::error::Error;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum BenchFormat {
    Human,
    Json,
    Markdown,
}

#[derive(Args, Debug)]
pub struct BenchArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    /// Closed loop: this many requests in flight, each sent when the last is answered (default
    /// 8); with --rate, the most in flight.
    #[arg(long)]
    pub concurrency: Option<usize>,
    /// Open loop: offer this many requests a second on a fixed schedule (latency counted from
    /// each request's scheduled start).
    #[arg(long, value_name = "R/s", value_parser = parse_rate)]
    pub rate: Option<f64>,
    /// Stop after this long (10s, 1m); with --requests, whichever comes first.
    #[arg(long, value_parser = parse_duration)]
    pub duration: Option<Duration>,
    /// Stop after this many requests.
    #[arg(long)]
    pub requests: Option<u64>,
    /// Write the results as JSON (and a latency chart beside it, .svg).
    #[arg(long, value_name = "FILE")]
    pub save: Option<PathBuf>,
    /// Compare with a saved run; a metric worse by more than --tolerance exits 1.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// How much worse than the baseline a metric may get.
    #[arg(long, default_value = "10%", requires = "baseline")]
    pub tolerance: String,
    /// The requests sent in turn (comma-separated): tools/list, tools/call (default both).
    #[arg(long, value_enum, value_delimiter = ',', value_name = "METHOD")]
    pub mix: Vec<MixPart>,
    /// Format printed on stdout.
    #[arg(long, value_enum, default_value = "human")]
    pub format: BenchFormat,
    /// No progress line.
    #[arg(long)]
    pub quiet: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum MixPart {
    #[value(name = "tools/list")]
    ToolsList,
    #[value(name = "tools/call")]
    ToolsCall,
}

/// `500`, `500/s`: a positive number of requests a second.
fn parse_rate(text: &str) -> Result<f64, String> {
    let number = text.trim().trim_end_matches("/s");
    match number.parse::<f64>() {
        Ok(rate) if rate > 0.0 && rate.is_finite() => Ok(rate),
        _ => Err(format!("`{text}` is not a positive rate like 500/s")),
    }
}

/// A validated `bench` invocation.
pub struct BenchRun {
    pub spec: BenchSpec,
    pub save: Option<PathBuf>,
    pub baseline: Option<(BenchReport, f64)>,
    pub format: BenchFormat,
    pub progress: bool,
}

impl BenchRun {
    pub fn from_args(args: BenchArgs) -> Result<BenchRun, Error> {
        if args.duration.is_none() && args.requests.is_none() {
            return Err(Error::Usage(
                "bench needs a bound: --duration (e.g. 10s) and/or --requests N".into(),
            ));
        }
        if args.requests == Some(0) || args.concurrency == Some(0) {
            return Err(Error::Usage("--requests and --concurrency must be above zero".into()));
        }
        let load = match args.rate {
            Some(rate) => Load::Open {
                rate,
                concurrency: args.concurrency.unwrap_or(64),
            },
            None => Load::Closed {
                concurrency: args.concurrency.unwrap_or(8),
            },
        };
        let mix = if args.mix.is_empty() {
            Mix::default()
        } else {
            Mix {
                list: args.mix.contains(&MixPart::ToolsList),
                call: args.mix.contains(&MixPart::ToolsCall),
            }
        };
        if !mix.call && !args.target.call.is_empty() {
            return Err(Error::Usage("--call needs tools/call in --mix".into()));
        }
        let tolerance = parse_tolerance(&args.tolerance)?;
        let baseline = match &args.baseline {
            Some(path) => Some((BenchReport::load(path)?, tolerance)),
            None => None,
        };
        Ok(BenchRun {
            spec: BenchSpec {
                target: args.target.target()?,
                tls: args.target.tls()?,
                load,
                duration: args.duration,
                requests: args.requests,
                headers: args.target.headers()?,
                timeout: args.target.timeout,
                call_policy: args.target.call_policy,
                calls: args.target.calls()?,
                mix,
                wait: args.target.wait,
            },
            save: args.save,
            baseline,
            format: args.format,
            progress: !args.quiet,
        })
    }
}

/// Runs the load and prints the results; exit 1 (`Error::Failed`) when a metric regressed.
pub async fn run(run: BenchRun) -> Result<(), Error> {
    let live = run.progress && std::io::stderr().is_terminal();
    let tick = |t: bench::Tick| {
        if live {
            let rate = t.done as f64 / t.elapsed.as_secs_f64().max(1e-9);
            eprint!(
                "\r{:>5.1} s  {} requests  {rate:.0} req/s  {} errors   ",
                t.elapsed.as_secs_f64(),
                t.done,
                t.errors
            );
        }
    };
    let result = until_interrupted(
        &run.spec.target,
        bench::run(&run.spec, &tick, &super::target_args::wait_progress),
    )
    .await;
    if live {
        eprint!("\r{:60}\r", "");
    }
    let result = result?;
    if let Some(path) = &run.save {
        bench::save(&result, path)?;
    }
    let deltas = run
        .baseline
        .as_ref()
        .map(|(baseline, tolerance)| compare(&result, baseline, *tolerance));
    print(&match run.format {
        BenchFormat::Human => render::render_human(&result, deltas.as_deref()),
        BenchFormat::Markdown => render::render_markdown(&result, deltas.as_deref()),
        BenchFormat::Json => format!(
            "{}\n",
            serde_json::to_string_pretty(&result).expect("a bench report serializes")
        ),
    });
    let regressed: Vec<&str> = deltas
        .iter()
        .flatten()
        .filter(|d| d.regressed)
        .map(|d| d.metric)
        .collect();
    if regressed.is_empty() {
        Ok(())
    } else {
        Err(Error::Failed(format!(
            "regressed against the baseline: {}",
            regressed.join(", ")
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates() {
        assert_eq!(parse_rate("500/s"), Ok(500.0));
        assert_eq!(parse_rate("2.5"), Ok(2.5));
        assert!(parse_rate("0").is_err());
        assert!(parse_rate("fast").is_err());
    }
}
