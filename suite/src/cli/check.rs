//! `check`: judge a server and print the report; with a container target, also save or gate its
//! cold starts.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use clap::Args;

use super::target_args::{TargetArgs, parse_duration};
use super::{color, print, until_interrupted};
use crate::baseline::{parse_tolerance, render_deltas};
use crate::bench::coldstarts::{self, ColdStartFile};
use crate::checks;
use crate::error::Error;
use crate::probe::{ColdStarts, ProbeSettings, Profile};
use crate::report::{self, Format, Report};
use crate::runner::expected::ExpectedFailures;
use crate::runner::{Event, RunOptions, run_checks, validate_patterns};
use crate::targets::Target;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ProfileArg {
    Agentcore,
    Mcp,
}

#[derive(Args, Debug)]
pub struct CheckArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    /// latency.cold-start warns when the first MCP answer takes longer.
    #[arg(long, default_value = "5s", value_parser = parse_duration)]
    pub cold_start_budget: Duration,
    /// image.size warns above this many megabytes (AgentCore's quota, 2 GB, fails).
    #[arg(long, default_value_t = 1000)]
    pub image_size_budget_mb: u64,
    /// agentcore: the AgentCore contract (default); mcp: the MCP specification alone.
    #[arg(long, value_enum, default_value = "agentcore")]
    pub profile: ProfileArg,
    /// Run only these checks (id or area prefix, repeatable).
    #[arg(long, value_name = "ID")]
    pub only: Vec<String>,
    /// Leave out these checks (id or area prefix, repeatable).
    #[arg(long, value_name = "ID")]
    pub skip: Vec<String>,
    /// Format printed on stdout.
    #[arg(long, value_enum, default_value = "human")]
    pub format: Format,
    /// Also write a report file: `[FORMAT=]FILE`; without FORMAT=, the extension decides
    /// (.json, .xml → junit, .md → markdown, .sarif, .txt → human). Repeatable.
    #[arg(long, value_name = "[FORMAT=]FILE")]
    pub output: Vec<String>,
    /// SARIF: the repository file every result is anchored to (code scanning needs one; a server
    /// finding has no source line). Default: the --expected-failures file, else the Dockerfile
    /// --build used, else README.md.
    #[arg(long, value_name = "PATH")]
    pub sarif_anchor: Option<PathBuf>,
    /// YAML map of check ids (optionally id@era) to the reason they may fail.
    #[arg(long, value_name = "FILE")]
    pub expected_failures: Option<PathBuf>,
    /// Compare the tool surface with one `surface --save` wrote; changes of the
    /// --surface-fail-on class fail the run (every report format shows the drift).
    #[arg(long, value_name = "FILE")]
    pub surface_baseline: Option<PathBuf>,
    /// Which surface changes fail: breaking, risky (and breaking), any, or never.
    #[arg(long, value_enum, default_value = "breaking", requires = "surface_baseline")]
    pub surface_fail_on: crate::surface::diff::FailOn,
    /// Make ping.* checks fail instead of warn.
    #[arg(long)]
    pub require_ping: bool,
    /// Samples per latency check.
    #[arg(long, default_value_t = 20)]
    pub samples: usize,
    /// p99 budget of each latency check.
    #[arg(long, default_value = "500ms", value_parser = parse_duration)]
    pub latency_budget: Duration,
    /// Also run checks that take long on purpose (sse.keepalive).
    #[arg(long)]
    pub slow_checks: bool,
    /// The longest a tool call may take while it keeps sending progress notifications (each
    /// restarts the --timeout wait); a call that runs past it is a warn naming the tool.
    #[arg(long, default_value = "60s", value_parser = parse_duration)]
    pub max_call_time: Duration,
    /// Longest silence allowed on a stream during a long request.
    #[arg(long, default_value = "15s", value_parser = parse_duration)]
    pub keepalive_max_gap: Duration,
    /// Container targets: write the cold starts measured (see --cold-starts) as JSON, with a
    /// chart beside it (.svg).
    #[arg(long, value_name = "FILE")]
    pub save: Option<PathBuf>,
    /// Container targets: compare the cold starts with a file `check --save` or `bench --save`
    /// wrote; worse by more than --tolerance exits 1.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// How much slower than the baseline the cold-start p50 may get.
    #[arg(long, default_value = "10%", requires = "baseline")]
    pub tolerance: String,
    /// No progress bar.
    #[arg(long)]
    pub quiet: bool,
}

/// An extra report file.
#[derive(Clone, Debug)]
pub struct OutputFile {
    pub format: Format,
    pub path: PathBuf,
}

fn parse_output(spec: &str) -> Result<OutputFile, Error> {
    let named = |name: &str| match name {
        "human" | "txt" => Some(Format::Human),
        "json" => Some(Format::Json),
        "junit" | "xml" => Some(Format::Junit),
        "markdown" | "md" => Some(Format::Markdown),
        "sarif" => Some(Format::Sarif),
        "html" | "htm" => Some(Format::Html),
        _ => None,
    };
    if let Some((format, path)) = spec.split_once('=')
        && let Some(format) = named(format)
    {
        return Ok(OutputFile {
            format,
            path: path.into(),
        });
    }
    let path = PathBuf::from(spec);
    let format = path
        .extension()
        .and_then(|e| e.to_str())
        .and_then(named)
        .ok_or_else(|| Error::Usage(format!("--output {spec}: say the format, e.g. junit={spec}")))?;
    Ok(OutputFile { format, path })
}

/// A validated `check` invocation.
pub struct CheckRun {
    pub target: Target,
    pub options: RunOptions,
    pub format: Format,
    pub outputs: Vec<OutputFile>,
    /// The repository-relative file SARIF results are anchored to.
    pub sarif_anchor: String,
    /// Draw a progress bar on stderr when the run takes longer than a second.
    pub progress: bool,
    /// Container targets: where to save the cold starts (`--save`).
    pub save_cold_starts: Option<PathBuf>,
    /// Container targets: the baseline's cold starts and the tolerance (0.10 = 10%).
    pub cold_start_baseline: Option<(ColdStarts, f64)>,
}

impl CheckRun {
    pub fn from_args(args: CheckArgs) -> Result<CheckRun, Error> {
        let target = args.target.target()?;
        let expected = match &args.expected_failures {
            None => ExpectedFailures::default(),
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| Error::Usage(format!("cannot read {}: {e}", path.display())))?;
                ExpectedFailures::parse(&text, &path.display().to_string())?
            }
        };
        let outputs = args.output.iter().map(|o| parse_output(o)).collect::<Result<_, _>>()?;
        let sarif_anchor = sarif_anchor(&args)?;
        if args.samples == 0 {
            return Err(Error::Usage("--samples must be at least 1".into()));
        }
        validate_patterns(&args.only)?;
        validate_patterns(&args.skip)?;
        if (args.save.is_some() || args.baseline.is_some()) && !matches!(target, Target::Container(_)) {
            return Err(Error::Usage(
                "--save and --baseline record cold starts: they need --image or --build (bench --save records load)"
                    .into(),
            ));
        }
        let tolerance = parse_tolerance(&args.tolerance)?;
        let cold_start_baseline = match &args.baseline {
            Some(path) => Some((coldstarts::load_baseline(path)?, tolerance)),
            None => None,
        };
        Ok(CheckRun {
            target,
            options: RunOptions {
                probe: ProbeSettings {
                    profile: match args.profile {
                        ProfileArg::Agentcore => Profile::Agentcore,
                        ProfileArg::Mcp => Profile::Mcp,
                    },
                    timeout: args.target.timeout,
                    headers: args.target.headers()?,
                    require_ping: args.require_ping,
                    samples: args.samples,
                    latency_budget: args.latency_budget,
                    slow_checks: args.slow_checks,
                    keepalive_max_gap: args.keepalive_max_gap,
                    image_size_budget: args.image_size_budget_mb.saturating_mul(1000 * 1000),
                    cold_start_budget: args.cold_start_budget,
                    max_call_time: args.max_call_time,
                    call_policy: args.target.call_policy,
                    calls: args.target.calls()?,
                },
                tls: args.target.tls()?,
                wait: args.target.wait,
                surface_gate: match &args.surface_baseline {
                    Some(path) => Some(crate::surface::SurfaceGate {
                        baseline: crate::surface::Surface::load(path, "--surface-baseline")?,
                        path: path.display().to_string(),
                        fail_on: args.surface_fail_on,
                    }),
                    None => None,
                },
                only: args.only,
                skip: args.skip,
                expected,
            },
            format: args.format,
            outputs,
            sarif_anchor,
            progress: !args.quiet,
            save_cold_starts: args.save,
            cold_start_baseline,
        })
    }
}

/// The file SARIF results are anchored to, as a path relative to the repository (the working
/// directory): `--sarif-anchor`, else the expected-failures file, else the Dockerfile `--build`
/// used, else README.md. Code scanning refuses absolute paths and results without a file; a
/// default outside the working directory is passed over, an explicit one is a usage error.
fn sarif_anchor(args: &CheckArgs) -> Result<String, Error> {
    let here = std::env::current_dir().map_err(|e| Error::Setup(format!("the working directory: {e}")))?;
    let inside = |path: &std::path::Path| -> Option<String> {
        let relative = if path.is_absolute() {
            path.strip_prefix(&here).ok()?
        } else {
            path
        };
        let text = relative.to_string_lossy().replace('\\', "/");
        Some(text.trim_start_matches("./").to_string())
    };
    if let Some(explicit) = &args.sarif_anchor {
        return inside(explicit).ok_or_else(|| {
            Error::Usage(format!(
                "--sarif-anchor {}: SARIF needs a path inside the repository (the working directory)",
                explicit.display()
            ))
        });
    }
    let build_dockerfile = args
        .target
        .build
        .as_ref()
        .map(|dir| args.target.dockerfile.clone().unwrap_or_else(|| dir.join("Dockerfile")));
    Ok([args.expected_failures.clone(), build_dockerfile]
        .into_iter()
        .flatten()
        .find_map(|path| inside(&path))
        .unwrap_or_else(|| report::sarif::DEFAULT_ANCHOR.to_string()))
}

/// Runs the checks and prints the report; exit 1 (`Error::Failed`) when a check failed or a cold
/// start regressed.
pub async fn run(run: CheckRun) -> Result<(), Error> {
    let progress = Progress::new(run.progress);
    let observer = |event: Event<'_>| progress.on(event);
    let catalog = checks::catalog();
    let report = until_interrupted(&run.target, run_checks(&run.target, &run.options, &catalog, &observer)).await;
    progress.finish();
    let report = report?;
    for output in &run.outputs {
        let text = report::render_anchored(&report, output.format, false, &run.sarif_anchor);
        std::fs::write(&output.path, text)
            .map_err(|e| Error::Setup(format!("cannot write {}: {e}", output.path.display())))?;
    }
    print(&report::render_anchored(
        &report,
        run.format,
        color(),
        &run.sarif_anchor,
    ));
    let cold_starts_regressed = gate_cold_starts(&run, &report)?;
    match (report.passed(), cold_starts_regressed) {
        (true, None) => Ok(()),
        (false, _) => Err(Error::Failed(String::new())),
        (true, Some(regressed)) => Err(Error::Failed(regressed)),
    }
}

/// `check --save` / `--baseline` on a container target: writes the cold starts, and compares them
/// with the baseline on stderr (stdout stays the report). Says what regressed, if anything did.
fn gate_cold_starts(run: &CheckRun, report: &Report) -> Result<Option<String>, Error> {
    if run.save_cold_starts.is_none() && run.cold_start_baseline.is_none() {
        return Ok(None);
    }
    let Some(cold) = report.cold_starts.as_ref().filter(|c| c.starts > 0) else {
        let never = "no cold start to save or compare: the container never answered MCP (see image.starts)";
        if run.cold_start_baseline.is_some() {
            return Ok(Some(never.to_string()));
        }
        eprintln!("{never}");
        return Ok(None);
    };
    if let Some(path) = &run.save_cold_starts {
        ColdStartFile::new(&report.target, cold.clone()).save(path)?;
    }
    let Some((baseline, tolerance)) = &run.cold_start_baseline else {
        return Ok(None);
    };
    let deltas = cold.compare(baseline, *tolerance);
    eprint!("cold starts against the baseline:\n{}", render_deltas(&deltas));
    let regressed: Vec<&str> = deltas.iter().filter(|d| d.regressed).map(|d| d.metric).collect();
    Ok((!regressed.is_empty()).then(|| format!("regressed against the baseline: {}", regressed.join(", "))))
}

/// The progress bar on stderr: only on a terminal, and only once a run takes over a second.
struct Progress {
    bar: indicatif::ProgressBar,
    shown_after: Option<Instant>,
}

impl Progress {
    fn new(enabled: bool) -> Progress {
        let bar = indicatif::ProgressBar::hidden();
        if let Ok(style) = indicatif::ProgressStyle::with_template("{spinner} checking {pos}/{len} {wide_bar}") {
            bar.set_style(style);
        }
        let shown_after = (enabled && std::io::stderr().is_terminal()).then(|| Instant::now() + Duration::from_secs(1));
        Progress { bar, shown_after }
    }

    fn on(&self, event: Event<'_>) {
        match event {
            Event::Waiting { waited, last_seen } => super::target_args::wait_progress(waited, last_seen),
            Event::Planned { jobs } => {
                if std::io::stderr().is_terminal() {
                    eprint!("\r\x1b[2K"); // clears a --wait progress line
                }
                self.bar.set_length(jobs as u64)
            }
            Event::Started { .. } => {}
            Event::Finished(_) => self.bar.inc(1),
        }
        if self.shown_after.is_some_and(|at| Instant::now() >= at) && self.bar.is_hidden() {
            self.bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
            self.bar.enable_steady_tick(Duration::from_millis(120));
        }
    }

    fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outputs() {
        assert_eq!(parse_output("r.xml").unwrap().format, Format::Junit);
        assert_eq!(parse_output("json=out").unwrap().format, Format::Json);
        assert!(parse_output("report").is_err());
        assert_eq!(parse_output("scan.sarif").unwrap().format, Format::Sarif);
        assert_eq!(parse_output("report.html").unwrap().format, Format::Html);
    }
}
