//! `agentcore-mcp-suite`: parse, run, print, exit. Everything else is in the library.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use agentcore_mcp_suite::cli::{Cli, Command, ListFormat, Plan};
use agentcore_mcp_suite::{Error, checks, report, run};
use clap::Parser;
use serde_json::json;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::List { format } => list(format),
        Command::Explain { id } => explain(&id),
        Command::Check(args) => Plan::from_args(*args).and_then(check),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

fn check(plan: Plan) -> Result<ExitCode, Error> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Setup(format!("cannot start the async runtime: {e}")))?;
    let report = runtime.block_on(async {
        tokio::select! {
            report = run(&plan.target, &plan.options) => report.map(Some),
            _ = tokio::signal::ctrl_c() => Ok(None),
        }
    })?;
    let Some(report) = report else {
        // The run was dropped, which removes its container; make sure nothing of ours is left.
        let removed = runtime.block_on(remove_our_containers(&plan.target));
        eprintln!("interrupted{removed}");
        return Ok(ExitCode::from(130));
    };
    for output in &plan.outputs {
        let text = report::render(&report, output.format, false);
        std::fs::write(&output.path, text)
            .map_err(|e| Error::Setup(format!("cannot write {}: {e}", output.path.display())))?;
    }
    let color = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    print(&report::render(&report, plan.format, color));
    Ok(if report.passed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
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
    agentcore_mcp_reference::FAULTS
        .iter()
        .filter(|f| f.trips().any(|t| t == id))
        .map(|f| f.name)
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
                        "id": c.id, "area": c.area(), "level": c.level, "scope": c.scope,
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
        "{}\n  rule:   {}\n  level:  {:?} ({})\n  scope:  {:?}\n  source: {}\n  area:   checks/{}.rs\n  trip it: {}\n",
        check.id,
        check.rule,
        check.level,
        match check.level {
            checks::Level::Must => "a violation fails the run",
            checks::Level::Should => "a violation warns",
        },
        check.scope,
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
