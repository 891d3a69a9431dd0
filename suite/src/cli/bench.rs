//! `bench`: load a server, print the numbers, save them, and gate on a baseline.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use super::target_args::{TargetArgs, parse_duration};
use super::{print, until_interrupted};
use crate::baseline::parse_tolerance;
use crate::bench::hold::HoldSpec;
use crate::bench::results::{BenchReport, Shard, compare};
use crate::bench::{self, BenchSpec, Load, Mix, render};
use crate::error::Error;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum BenchFormat {
    Human,
    Json,
    Markdown,
    /// Bencher Metric Format (latency in ns with p50/p99 bounds, throughput, first event, cold
    /// starts).
    Bmf,
    /// github-action-benchmark `customSmallerIsBetter`: latency percentiles, first event and cold
    /// starts (ms).
    BenchmarkActionSmaller,
    /// github-action-benchmark `customBiggerIsBetter`: throughput (req/s).
    BenchmarkActionBigger,
}

#[derive(Args, Debug)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct BenchArgs {
    #[command(subcommand)]
    pub merge: Option<BenchCommand>,
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
    #[command(flatten)]
    pub gate: SaveAndGate,
    /// The requests sent in turn (comma-separated): tools/list, tools/call (default both).
    #[arg(long, value_enum, value_delimiter = ',', value_name = "METHOD")]
    pub mix: Vec<MixPart>,
    /// Format printed on stdout.
    #[arg(long, value_enum, default_value = "human")]
    pub format: BenchFormat,
    /// Also write FILE in FORMAT (`bmf=bench.json`, `benchmark-action-smaller=latency.json`;
    /// repeatable).
    #[arg(long, value_name = "FORMAT=FILE")]
    pub output: Vec<String>,
    /// This runner's share of a run split across N runners (`2/4`): the rate and the request
    /// count are divided, the rest is the same; `bench merge` adds the saved files up exactly.
    #[arg(long, value_name = "I/N")]
    pub shard: Option<String>,
    /// --shard counts from 0 (`0/4` … `3/4`), as a Kubernetes Indexed Job's JOB_COMPLETION_INDEX does.
    #[arg(long, requires = "shard")]
    pub shard_from_zero: bool,
    /// --arn: the runtime endpoint's InvokeAgentRuntime quota in your account, when raised above
    /// AgentCore's default of 25 a second (a --rate above it is refused otherwise).
    #[arg(long, value_name = "R/s", value_parser = parse_rate, requires = "arn")]
    pub quota: Option<f64>,
    /// Hold this many long-lived streams open while the mix runs (GET /mcp streams, or calls of
    /// --hold-call): the report says how many the server refused or dropped and whether /ping
    /// stayed healthy.
    #[arg(long, value_name = "N")]
    pub streams: Option<usize>,
    /// How long the --streams are held (default: --duration); the mix starts once they are open.
    #[arg(long, value_parser = parse_duration, requires = "streams")]
    pub hold: Option<Duration>,
    /// Hold calls of this tool (one that takes its time, e.g. `slow`) instead of GET streams; it
    /// must be read-only unless --call-policy all.
    #[arg(long, value_name = "TOOL", requires = "streams")]
    pub hold_call: Option<String>,
    /// The JSON object of arguments for --hold-call (default `{}`).
    #[arg(long, value_name = "JSON", requires = "hold_call")]
    pub hold_args: Option<String>,
    /// --arn: spread the requests over N runtime sessions in turn (N microVMs); a session's
    /// first request (cold) and the others (warm) are reported apart.
    #[arg(long, value_name = "N", requires = "arn")]
    pub sessions: Option<usize>,
    /// No progress line.
    #[arg(long)]
    pub quiet: bool,
}

/// Where a run's (or a merge's) results go, and the baseline they are gated on.
#[derive(Args, Debug)]
pub struct SaveAndGate {
    /// Write the results as JSON (and a latency chart beside it, .svg); `bench merge` and
    /// `--baseline` read it.
    #[arg(long, value_name = "FILE")]
    pub save: Option<PathBuf>,
    /// Compare with a saved run; a metric worse by more than --tolerance exits 1.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// How much worse than the baseline a metric may get.
    #[arg(long, default_value = "10%", requires = "baseline")]
    pub tolerance: String,
}

impl SaveAndGate {
    /// The baseline, read and checked, with the tolerance.
    fn baseline(&self) -> Result<Option<(BenchReport, f64)>, Error> {
        let tolerance = parse_tolerance(&self.tolerance)?;
        match &self.baseline {
            Some(path) => Ok(Some((BenchReport::load(path, "--baseline")?, tolerance))),
            None => Ok(None),
        }
    }
}

#[derive(clap::Subcommand, Debug)]
pub enum BenchCommand {
    /// Add up the files `bench --save` wrote on several runners (shards of one run): exact
    /// percentiles from their histograms, summed requests and errors, throughput over the union
    /// of their time windows.
    Merge(MergeArgs),
}

#[derive(Args, Debug)]
pub struct MergeArgs {
    /// The saved shard files.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    #[command(flatten)]
    pub gate: SaveAndGate,
    #[arg(long, value_enum, default_value = "human")]
    pub format: BenchFormat,
    #[arg(long, value_name = "FORMAT=FILE")]
    pub output: Vec<String>,
}

/// AgentCore's default InvokeAgentRuntime quota per endpoint, and the rate `bench --arn` offers
/// when told none: under the quota, so the run measures the server and not the throttle.
const DEFAULT_QUOTA: f64 = 25.0;
const ARN_DEFAULT_RATE: f64 = 20.0;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum MixPart {
    #[value(name = "tools/list")]
    ToolsList,
    #[value(name = "tools/call")]
    ToolsCall,
}

/// `500`, `500/s`: a positive number of requests a second.
pub(super) fn parse_rate(text: &str) -> Result<f64, String> {
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
    pub outputs: Vec<(BenchFormat, PathBuf)>,
    pub progress: bool,
}

/// `FORMAT=FILE` pairs of `--output`.
fn parse_outputs(specs: &[String]) -> Result<Vec<(BenchFormat, PathBuf)>, Error> {
    specs
        .iter()
        .map(|spec| {
            let (format, path) = spec
                .split_once('=')
                .ok_or_else(|| Error::Usage(format!("--output {spec}: expected FORMAT=FILE")))?;
            let format = <BenchFormat as clap::ValueEnum>::from_str(format, true).map_err(|_| {
                Error::Usage(format!(
                    "--output {spec}: FORMAT is human, json, markdown, bmf, benchmark-action-smaller or benchmark-action-bigger"
                ))
            })?;
            Ok((format, PathBuf::from(path)))
        })
        .collect()
}

impl BenchRun {
    pub fn from_args(args: BenchArgs) -> Result<BenchRun, Error> {
        if args.duration.is_none() && args.requests.is_none() {
            return Err(Error::Usage(
                "bench needs a bound: --duration (e.g. 10s) and/or --requests N".into(),
            ));
        }
        if args.requests == Some(0) || args.concurrency == Some(0) || args.sessions == Some(0) {
            return Err(Error::Usage(
                "--requests, --concurrency and --sessions must be above zero".into(),
            ));
        }
        let through_platform = args.target.arn.is_some();
        // Through AgentCore: an open loop under the endpoint's quota unless told otherwise.
        let rate = match (args.rate, args.concurrency) {
            (None, None) if through_platform => Some(ARN_DEFAULT_RATE),
            (rate, _) => rate,
        };
        let quota = args.quota.unwrap_or(DEFAULT_QUOTA);
        if through_platform && let Some(rate) = rate.filter(|r| *r > quota) {
            return Err(Error::Usage(format!(
                "--rate {rate}/s is above the runtime endpoint's quota of {quota} InvokeAgentRuntime calls a second \
                 (AgentCore's default is 25): the run would measure the throttle; pass --quota R if your account's quota is higher"
            )));
        }
        let load = match rate {
            Some(rate) => Load::Open {
                rate,
                concurrency: args.concurrency.unwrap_or(64),
            },
            None => Load::Closed {
                concurrency: args.concurrency.unwrap_or(8),
            },
        };
        let outputs = parse_outputs(&args.output)?;
        let shard = match &args.shard {
            Some(text) => Some(Shard::parse(text, args.shard_from_zero).map_err(Error::Usage)?),
            None => None,
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
        let hold = hold_spec(&args)?;
        let baseline = args.gate.baseline()?;
        Ok(BenchRun {
            spec: BenchSpec {
                target: args.target.target()?.for_load(quota),
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
                shard,
                hold,
                sessions: args.sessions,
            },
            save: args.gate.save,
            baseline,
            format: args.format,
            outputs,
            progress: !args.quiet,
        })
    }
}

/// `--streams N [--hold D] [--hold-call TOOL [--hold-args JSON]]`.
fn hold_spec(args: &BenchArgs) -> Result<Option<HoldSpec>, Error> {
    let Some(streams) = args.streams else {
        return Ok(None);
    };
    if streams == 0 {
        return Err(Error::Usage("--streams must be above zero".into()));
    }
    let Some(hold) = args.hold.or(args.duration) else {
        return Err(Error::Usage(
            "--streams needs to know how long to hold them: --hold DURATION (or --duration)".into(),
        ));
    };
    let call = match &args.hold_call {
        Some(tool) => {
            let text = args.hold_args.as_deref().unwrap_or("{}");
            match serde_json::from_str::<serde_json::Value>(text) {
                Ok(arguments) if arguments.is_object() => Some((tool.clone(), arguments)),
                _ => {
                    return Err(Error::Usage(format!(
                        "--hold-args for `{tool}`: `{text}` is not a JSON object"
                    )));
                }
            }
        }
        None => None,
    };
    Ok(Some(HoldSpec { streams, hold, call }))
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
    show(&result, run.baseline.as_ref(), run.format, &run.outputs)
}

/// Prints `result` in `format`, writes the `--output` files, and gates on the baseline: exit 1
/// (`Error::Failed`) naming each metric that regressed.
fn show(
    result: &BenchReport,
    baseline: Option<&(BenchReport, f64)>,
    format: BenchFormat,
    outputs: &[(BenchFormat, PathBuf)],
) -> Result<(), Error> {
    let deltas = baseline.map(|(baseline, tolerance)| compare(result, baseline, *tolerance));
    let rendered = |format| match format {
        BenchFormat::Human => render::render_human(result, deltas.as_deref()),
        BenchFormat::Markdown => render::render_markdown(result, deltas.as_deref()),
        BenchFormat::Json => format!(
            "{}\n",
            serde_json::to_string_pretty(result).expect("a bench report serializes")
        ),
        BenchFormat::Bmf => render::bmf(result),
        BenchFormat::BenchmarkActionSmaller => render::benchmark_action(result, true),
        BenchFormat::BenchmarkActionBigger => render::benchmark_action(result, false),
    };
    for (format, path) in outputs {
        crate::baseline::write(path, &rendered(*format))?;
    }
    print(&rendered(format));
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

/// `bench merge`: loads every file (refusing bad ones with one line, exit 2), adds them up,
/// saves and shows the merged results like a run's.
pub fn merge(args: MergeArgs) -> Result<(), Error> {
    let files = args
        .files
        .iter()
        .map(|path| Ok((path.display().to_string(), BenchReport::load(path, "bench merge:")?)))
        .collect::<Result<Vec<_>, Error>>()?;
    let baseline = args.gate.baseline()?;
    let outputs = parse_outputs(&args.output)?;
    let merged = BenchReport::merge(&files)?;
    if let Some(path) = &args.gate.save {
        bench::save(&merged, path)?;
    }
    show(&merged, baseline.as_ref(), args.format, &outputs)
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
