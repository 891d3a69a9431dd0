//! `agentcore-mcp-suite`: parse, run, print, exit. Everything else is in the library.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use agentcore_mcp_suite::cli::{BenchFormat, BenchRun, Cli, Command, ListFormat, Plan};
use agentcore_mcp_suite::{Error, Event, checks, report, run_checks};
use clap::Parser;
use serde_json::json;

fn main() -> ExitCode {
    // A panic is a suite bug: one line on stderr, no backtrace. Inside a check it becomes that
    // check's `error` verdict and the run goes on.
    std::panic::set_hook(Box::new(|info| {
        let location = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
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
    let result = match cli.command {
        Command::List { format } => list(format),
        Command::Explain { id } => explain(&id),
        Command::Check(args) => Plan::from_args(*args).and_then(check),
        Command::Bench(args) => BenchRun::from_args(*args).and_then(bench),
        Command::Gateway(args) => args.config().and_then(gateway),
    };
    // Errors own their exit code: usage and setup 2, Ctrl-C 130.
    result.unwrap_or_else(|e| {
        eprintln!("error: {e}");
        ExitCode::from(e.exit_code())
    })
}

fn check(plan: Plan) -> Result<ExitCode, Error> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Setup(format!("cannot start the async runtime: {e}")))?;
    let progress = Progress::new(plan.progress);
    let observer = |event: Event<'_>| progress.on(event);
    let catalog = checks::catalog();
    let report = runtime.block_on(async {
        tokio::select! {
            report = run_checks(&plan.target, &plan.options, &catalog, &observer) => report.map(Some),
            _ = tokio::signal::ctrl_c() => Ok(None),
        }
    });
    progress.finish();
    let Some(report) = report? else {
        // The run was dropped, which removes its container; make sure nothing of ours is left.
        let removed = runtime.block_on(remove_our_containers(&plan.target));
        return Err(Error::Interrupted(format!("interrupted{removed}")));
    };
    for output in &plan.outputs {
        let text = report::render(&report, output.format, false);
        std::fs::write(&output.path, text)
            .map_err(|e| Error::Setup(format!("cannot write {}: {e}", output.path.display())))?;
    }
    let color = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    print(&report::render(&report, plan.format, color));
    let cold_starts_regressed = gate_cold_starts(&plan, &report)?;
    Ok(if report.passed() && !cold_starts_regressed {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// `check --save` / `--baseline` on a container target: writes the cold starts, and compares them
/// with the baseline on stderr (stdout stays the report). True when one regressed.
fn gate_cold_starts(plan: &Plan, report: &agentcore_mcp_suite::Report) -> Result<bool, Error> {
    use agentcore_mcp_suite::bench::report::render_deltas;
    use agentcore_mcp_suite::coldstarts::ColdStartFile;
    if plan.save_cold_starts.is_none() && plan.cold_start_baseline.is_none() {
        return Ok(false);
    }
    let Some(cold) = report.cold_starts.as_ref().filter(|c| c.starts > 0) else {
        eprintln!("no cold start to save or compare: the container never answered MCP (see image.starts)");
        return Ok(plan.cold_start_baseline.is_some());
    };
    if let Some(path) = &plan.save_cold_starts {
        ColdStartFile::new(&report.target, cold.clone()).save(path)?;
    }
    let Some((baseline, tolerance)) = &plan.cold_start_baseline else {
        return Ok(false);
    };
    let deltas = cold.compare(baseline, *tolerance);
    eprint!("cold starts against the baseline:\n{}", render_deltas(&deltas));
    let regressed: Vec<&str> = deltas.iter().filter(|d| d.regressed).map(|d| d.metric).collect();
    if !regressed.is_empty() {
        eprintln!("regressed against the baseline: {}", regressed.join(", "));
    }
    Ok(!regressed.is_empty())
}

/// Runs the emulator until Ctrl-C, then removes every container it started.
fn gateway(config: agentcore_mcp_suite::gateway::GatewayConfig) -> Result<ExitCode, Error> {
    use agentcore_mcp_suite::gateway::{Gateway, GatewayAuth, Upstream};
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Setup(format!("cannot start the async runtime: {e}")))?;
    runtime.block_on(async {
        let auth = match &config.auth {
            GatewayAuth::Open => "no authentication: every caller is served".to_string(),
            GatewayAuth::SigV4 { access_key, .. } => format!("SigV4 for access key {access_key}"),
            GatewayAuth::Bearer(_) => "OAuth: a bearer token is required".to_string(),
        };
        let upstream = match &config.upstream {
            Upstream::Url(url) => format!(
                "forwarding to {}",
                agentcore_mcp_suite::secrets::redact_query(url.as_str())
            ),
            Upstream::Image(spec) => match &spec.image {
                agentcore_mcp_suite::target::container::ImageSource::Local(image) => {
                    format!("a fresh container of {image} per runtime session")
                }
                other => format!("a fresh container of {other:?} per runtime session"),
            },
        };
        let gateway = Gateway::start(config).await?;
        eprintln!(
            "gateway: AgentCore data plane on {} ({auth}; {upstream}); Ctrl-C stops it",
            gateway.endpoint_url()
        );
        let _ = tokio::signal::ctrl_c().await;
        eprintln!("gateway: stopping; removing its containers");
        gateway.shutdown().await;
        Ok(ExitCode::SUCCESS)
    })
}

fn bench(run: BenchRun) -> Result<ExitCode, Error> {
    use agentcore_mcp_suite::bench::{self, report};
    // One thread, like wrk's default: the load generator should leave the cores to the server
    // it measures (on loopback they share the machine).
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Setup(format!("cannot start the async runtime: {e}")))?;
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
    let result = runtime.block_on(async {
        tokio::select! {
            result = bench::run(&run.plan, &tick) => result.map(Some),
            _ = tokio::signal::ctrl_c() => Ok(None),
        }
    });
    if live {
        eprint!("\r{:60}\r", "");
    }
    let Some(result) = result? else {
        let removed = runtime.block_on(remove_our_containers(&run.plan.target));
        return Err(Error::Interrupted(format!("interrupted{removed}")));
    };
    if let Some(path) = &run.save {
        result.save(path)?;
    }
    let deltas = run
        .baseline
        .as_ref()
        .map(|(baseline, tolerance)| report::compare(&result, baseline, *tolerance));
    print(&match run.format {
        BenchFormat::Human => report::render_human(&result, deltas.as_deref()),
        BenchFormat::Markdown => report::render_markdown(&result, deltas.as_deref()),
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
    if !regressed.is_empty() {
        eprintln!("regressed against the baseline: {}", regressed.join(", "));
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
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
            Event::Planned { jobs } => self.bar.set_length(jobs as u64),
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

async fn remove_our_containers(target: &agentcore_mcp_suite::Target) -> String {
    use agentcore_mcp_suite::target::container;
    if !matches!(target, agentcore_mcp_suite::Target::Container(_)) {
        return String::new();
    }
    let Ok(docker) = container::connect().await else {
        return String::new();
    };
    let ids = container::containers_of_this_process(&docker).await.unwrap_or_default();
    for id in &ids {
        let _ = container::remove(&docker, id).await;
    }
    format!("; {} container(s) removed", ids.len())
}

/// Writes to stdout; a closed pipe (`| head`) is not an error.
fn print(text: &str) {
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
}

/// The reference-server faults that trip check `id`.
fn faults_for(id: &str) -> Vec<&'static str> {
    let id = checks::canonical_id(id);
    agentcore_mcp_reference::FAULTS
        .iter()
        .filter(|f| f.trips().any(|t| t == id))
        .map(|f| f.name())
        .collect()
}

fn list(format: ListFormat) -> Result<ExitCode, Error> {
    let catalog = checks::catalog();
    match format {
        ListFormat::Json => {
            let entries: Vec<_> = catalog
                .iter()
                .map(|c| {
                    json!({
                        "id": c.id, "area": c.area(), "level": c.level, "scope": c.scope, "needs": c.needs,
                        "source": c.source, "rule": c.rule, "faults": faults_for(c.id),
                    })
                })
                .collect();
            print(&format!(
                "{}\n",
                serde_json::to_string_pretty(&entries).expect("the catalog serializes")
            ));
        }
        ListFormat::Human => {
            let mut text = String::new();
            for c in &catalog {
                let level = format!("{:?}", c.level).to_lowercase();
                text.push_str(&format!("{:<36} {:<6} {}\n", c.id, level, c.rule));
            }
            text.push_str(&format!("{} checks\n", catalog.len()));
            print(&text);
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn explain(id: &str) -> Result<ExitCode, Error> {
    let check = checks::find(id).ok_or_else(|| Error::Usage(format!("unknown check id `{id}` (see `list`)")))?;
    let faults = faults_for(id);
    print(&format!(
        "{}\n  rule:   {}\n  level:  {:?} ({})\n  scope:  {:?}\n  needs:  {}\n  source: {}\n  area:   checks/{}.rs\n  trip it: {}\n",
        check.id,
        check.rule,
        check.level,
        match check.level {
            checks::Level::Must => "a violation fails the run",
            checks::Level::Should => "a violation warns",
        },
        check.scope,
        if check.needs.is_empty() {
            "a POST to the MCP endpoint (any transport)".to_string()
        } else {
            let needs: Vec<_> = check
                .needs
                .iter()
                .map(|n| format!("a transport that can {}", n.describe()))
                .collect();
            needs.join("; ")
        },
        check.source,
        check.area(),
        if faults.is_empty() {
            "a container target: the images in fixtures/containers/, --deploy, or the budgets".to_string()
        } else {
            faults
                .iter()
                .map(|f| format!("--reference-fault {f}"))
                .collect::<Vec<_>>()
                .join(", ")
        }
    ));
    Ok(ExitCode::SUCCESS)
}
