//! `surface`: record what a client sees of a server, save it, compare it with a baseline and
//! gate on drift. Only list methods are called, so no call policy applies.

use std::path::PathBuf;

use clap::Args;

use super::target_args::TargetArgs;
use super::{print, until_interrupted};
use crate::error::Error;
use crate::probe::ProbeSettings;
use crate::runner::{RunOptions, record_surface};
use crate::surface::Surface;
use crate::surface::diff::{FailOn, diff};
use crate::surface::render::{self, Drift};

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum SurfaceFormat {
    Human,
    /// The surface as canonical JSON (as --save writes it), or the drift as JSON.
    Json,
    Markdown,
    /// The drift as JUnit (needs --baseline): one test case per change.
    Junit,
}

#[derive(Args, Debug)]
pub struct SurfaceArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    /// Write the surface as canonical JSON (sorted keys): commit it, and it diffs cleanly.
    #[arg(long, value_name = "FILE")]
    pub save: Option<PathBuf>,
    /// Compare with a saved surface; changes of the --fail-on class exit 1.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Which changes fail: breaking, risky (and breaking), any, or never.
    #[arg(long, value_enum, default_value = "breaking", requires = "baseline")]
    pub fail_on: FailOn,
    /// After a reviewed change: show the drift, then rewrite the baseline with the surface now
    /// served (exit 0).
    #[arg(long, requires = "baseline")]
    pub update: bool,
    /// Format printed on stdout.
    #[arg(long, value_enum, default_value = "human")]
    pub format: SurfaceFormat,
    /// Also write the drift (or the surface) to FILE in FORMAT (`markdown=drift.md`,
    /// `junit=drift.xml`; repeatable).
    #[arg(long, value_name = "FORMAT=FILE")]
    pub output: Vec<String>,
}

/// A validated `surface` invocation.
pub struct SurfaceRun {
    target: crate::targets::Target,
    options: RunOptions,
    save: Option<PathBuf>,
    baseline: Option<(PathBuf, Surface)>,
    fail_on: FailOn,
    update: bool,
    format: SurfaceFormat,
    outputs: Vec<(SurfaceFormat, PathBuf)>,
}

impl SurfaceRun {
    pub fn from_args(args: SurfaceArgs) -> Result<SurfaceRun, Error> {
        // A bad baseline is refused before anything starts.
        let baseline = match &args.baseline {
            Some(path) => Some((path.clone(), Surface::load(path, "--baseline")?)),
            None => None,
        };
        let mut outputs = Vec::new();
        for spec in &args.output {
            let (format, path) = spec
                .split_once('=')
                .ok_or_else(|| Error::Usage(format!("--output {spec}: expected FORMAT=FILE")))?;
            let format = <SurfaceFormat as clap::ValueEnum>::from_str(format, true)
                .map_err(|_| Error::Usage(format!("--output {spec}: FORMAT is human, json, markdown or junit")))?;
            outputs.push((format, PathBuf::from(path)));
        }
        let junit = args.format == SurfaceFormat::Junit || outputs.iter().any(|(f, _)| *f == SurfaceFormat::Junit);
        if junit && baseline.is_none() {
            return Err(Error::Usage(
                "the junit format shows a drift: it needs --baseline FILE".into(),
            ));
        }
        Ok(SurfaceRun {
            target: args.target.target()?,
            options: RunOptions {
                probe: ProbeSettings {
                    timeout: args.target.timeout,
                    headers: args.target.headers()?,
                    ..ProbeSettings::default()
                },
                tls: args.target.tls()?,
                wait: args.target.wait,
                ..RunOptions::default()
            },
            save: args.save,
            baseline,
            fail_on: args.fail_on,
            update: args.update,
            format: args.format,
            outputs,
        })
    }
}

fn render_surface(surface: &Surface, format: SurfaceFormat) -> String {
    match format {
        SurfaceFormat::Human => render::surface_human(surface),
        SurfaceFormat::Json => surface.to_json(),
        SurfaceFormat::Markdown => render::surface_markdown(surface),
        SurfaceFormat::Junit => unreachable!("refused in from_args"),
    }
}

fn render_drift(drift: &Drift, format: SurfaceFormat) -> String {
    match format {
        SurfaceFormat::Human => render::human(drift),
        SurfaceFormat::Json => render::json(drift),
        SurfaceFormat::Markdown => render::markdown(drift),
        SurfaceFormat::Junit => render::junit(drift),
    }
}

pub async fn run(run: SurfaceRun) -> Result<(), Error> {
    let recording = record_surface(&run.target, &run.options, &super::target_args::wait_progress);
    let surface = until_interrupted(&run.target, recording).await?;
    if let Some(path) = &run.save {
        surface.save(path)?;
    }
    let Some((path, baseline)) = &run.baseline else {
        for (format, file) in &run.outputs {
            crate::baseline::write(file, &render_surface(&surface, *format))?;
        }
        print(&render_surface(&surface, run.format));
        return Ok(());
    };
    let drift = Drift {
        target: surface.target.clone(),
        baseline: path.display().to_string(),
        baseline_recorded_at: baseline.recorded_at.clone(),
        recorded_at: surface.recorded_at.clone(),
        fail_on: run.fail_on,
        changes: diff(baseline, &surface),
    };
    for (format, file) in &run.outputs {
        crate::baseline::write(file, &render_drift(&drift, *format))?;
    }
    print(&render_drift(&drift, run.format));
    if run.update {
        surface.save(path)?;
        eprintln!("surface: {} rewritten with the surface now served", path.display());
        return Ok(());
    }
    let tripped = drift.tripped();
    if tripped.is_empty() {
        return Ok(());
    }
    let named: Vec<String> = tripped
        .iter()
        .map(|c| format!("{} ({})", c.what, c.class.name()))
        .collect();
    Err(Error::Failed(format!(
        "surface drift fails --fail-on {}: {}",
        render::fail_on_name(run.fail_on),
        named.join("; ")
    )))
}
