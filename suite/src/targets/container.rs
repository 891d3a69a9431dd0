//! The container target: a locally built image, run with testcontainers the way AgentCore runs it
//! (port 8000 published), timed from create to running to first /ping 200 to first MCP answer, and
//! always removed. Nothing is ever pulled: no registry is assumed reachable.
//!
//! Every container carries the label `agentcore-mcp-suite.pid=<pid>`; a run first removes
//! containers whose labelled process is gone (leftovers of a killed run).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use testcontainers::bollard::Docker;
use testcontainers::bollard::query_parameters::{
    InspectContainerOptions, KillContainerOptionsBuilder, ListContainersOptionsBuilder, RemoveContainerOptionsBuilder,
    RemoveImageOptionsBuilder, StatsOptions,
};
use testcontainers::core::{IntoContainerPort, WaitFor};
use testcontainers::runners::{AsyncBuilder, AsyncRunner};
use testcontainers::{ContainerAsync, GenericBuildableImage, GenericImage, ImageExt};

use crate::error::Error;
use crate::probe::{ContainerFacts, ImageFacts, StartTimings};
use crate::wire::plain::PlainHttp;
use crate::wire::transport::{Heard, HttpRequest, Limits, Transport};

pub const PID_LABEL: &str = "agentcore-mcp-suite.pid";
/// The PID namespace the pid label counts in: a suite running in a container is PID 1 there, and
/// only containers of its own namespace can be judged alive through /proc.
pub const PID_NAMESPACE_LABEL: &str = "agentcore-mcp-suite.pid-namespace";

/// This process's PID namespace (`pid:[4026531836]`), or "" where /proc does not say.
fn pid_namespace() -> String {
    std::fs::read_link("/proc/self/ns/pid")
        .map(|link| link.display().to_string())
        .unwrap_or_default()
}
const PORT: u16 = 8000;

/// What to run.
#[derive(Clone, Debug)]
pub struct ContainerSpec {
    pub image: ImageSource,
    /// Arguments after the image's entrypoint (e.g. `--fault no-ping`).
    pub args: Vec<String>,
    /// Readiness deadline; AgentCore allows 60 s.
    pub startup_timeout: Duration,
    /// Extra fresh containers to start and time, for cold-start percentiles.
    pub cold_starts: usize,
    /// Judge as the deploy artifact: anything but linux/arm64 fails image.arch.
    pub deploy: bool,
}

#[derive(Clone, Debug)]
pub enum ImageSource {
    /// `name[:tag]`, built locally.
    Local(String),
    /// Build this directory first (`--build DIR [--dockerfile F]`).
    Build { dir: PathBuf, dockerfile: Option<PathBuf> },
}

impl std::fmt::Display for ImageSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ImageSource::Local(image) => f.write_str(image),
            ImageSource::Build { dir, .. } => write!(f, "the image built from {}", dir.display()),
        }
    }
}

/// A running (or failed) container of the image under test.
pub struct Container {
    pub facts: ContainerFacts,
    /// Built by this run (`--build`): removed with the container.
    built: bool,
    docker: Docker,
    id: String,
    handle: tokio::sync::Mutex<Option<ContainerAsync<GenericImage>>>,
}

fn docker_error(e: impl std::fmt::Display) -> Error {
    Error::Setup(format!(
        "no Docker engine answers ({e}); start dockerd (or set DOCKER_HOST) and try again"
    ))
}

/// The Docker engine, with the API version negotiated (Debian's 20.10 speaks 1.41).
pub async fn connect() -> Result<Docker, Error> {
    let docker = Docker::connect_with_local_defaults().map_err(docker_error)?;
    let docker = docker.negotiate_version().await.map_err(docker_error)?;
    docker.ping().await.map_err(docker_error)?;
    Ok(docker)
}

/// Removes every container this process started; says how many (`; 2 container(s) removed`).
pub async fn remove_all_of_this_process() -> String {
    let Ok(docker) = connect().await else {
        return String::new();
    };
    let ids = containers_of_this_process(&docker).await.unwrap_or_default();
    for id in &ids {
        let _ = remove(&docker, id).await;
    }
    format!("; {} container(s) removed", ids.len())
}

/// Removes containers left by runs whose process is gone.
pub async fn sweep_leftovers(docker: &Docker) -> Result<usize, Error> {
    let filters = HashMap::from([("label", vec![PID_LABEL])]);
    let options = ListContainersOptionsBuilder::default()
        .all(true)
        .filters(&filters)
        .build();
    let containers = docker.list_containers(Some(options)).await.map_err(docker_error)?;
    let namespace = pid_namespace();
    let mut removed = 0;
    for container in containers {
        let label = |name: &str| {
            let labels = container.labels.as_ref();
            labels.and_then(|l| l.get(name)).cloned().unwrap_or_default()
        };
        // Another namespace's processes are invisible here: never judge them gone.
        let theirs = label(PID_NAMESPACE_LABEL);
        if !theirs.is_empty() && theirs != namespace {
            continue;
        }
        let alive = label(PID_LABEL)
            .parse::<u32>()
            .is_ok_and(|pid| std::path::Path::new(&format!("/proc/{pid}")).exists());
        if alive {
            continue;
        }
        if let Some(id) = container.id
            && remove(docker, &id).await.is_ok()
        {
            removed += 1;
        }
    }
    Ok(removed)
}

/// Removes one container, forcefully, with its volumes.
pub async fn remove(docker: &Docker, id: &str) -> Result<(), Error> {
    let force = RemoveContainerOptionsBuilder::default().force(true).v(true).build();
    docker.remove_container(id, Some(force)).await.map_err(docker_error)
}

/// Containers this process still has, for tests that assert none is left.
pub async fn containers_of_this_process(docker: &Docker) -> Result<Vec<String>, Error> {
    let pid = format!("{PID_LABEL}={}", std::process::id());
    let namespace = format!("{PID_NAMESPACE_LABEL}={}", pid_namespace());
    let filters = HashMap::from([("label", vec![pid.as_str(), namespace.as_str()])]);
    let options = ListContainersOptionsBuilder::default()
        .all(true)
        .filters(&filters)
        .build();
    let containers = docker.list_containers(Some(options)).await.map_err(docker_error)?;
    Ok(containers.into_iter().filter_map(|c| c.id).collect())
}

fn split_reference(reference: &str) -> (String, String) {
    // A colon after the last slash separates the tag (a registry port comes before a slash).
    match reference.rsplit_once(':') {
        Some((name, tag)) if !tag.contains('/') => (name.to_string(), tag.to_string()),
        _ => (reference.to_string(), "latest".to_string()),
    }
}

async fn inspect_image(docker: &Docker, reference: &str) -> Result<ImageFacts, Error> {
    let image = docker.inspect_image(reference).await.map_err(|e| {
        let missing = e.to_string().contains("404") || e.to_string().to_ascii_lowercase().contains("no such image");
        if missing {
            Error::Setup(format!(
                "image `{reference}` is not in the local Docker (nothing is pulled): build it first, \
                 e.g. `docker build -t {reference} .` or `reference-server/build-image.sh arm64 {reference}`"
            ))
        } else {
            docker_error(e)
        }
    })?;
    Ok(ImageFacts {
        reference: reference.to_string(),
        os: image.os.unwrap_or_default(),
        architecture: image.architecture.unwrap_or_default(),
        size_bytes: image.size.unwrap_or(0).max(0) as u64,
        user: image.config.and_then(|c| c.user).unwrap_or_default(),
    })
}

async fn build(dir: &Path, dockerfile: Option<&Path>) -> Result<String, Error> {
    if !dir.is_dir() {
        return Err(Error::Usage(format!("--build {}: not a directory", dir.display())));
    }
    static BUILDS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let count = BUILDS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let tag = format!("build-{}-{count}", std::process::id());
    let mut buildable =
        GenericBuildableImage::new("agentcore-mcp-suite", tag.as_str()).with_file(dir.to_path_buf(), ".");
    if let Some(dockerfile) = dockerfile {
        buildable = buildable.with_dockerfile(dockerfile.to_path_buf());
    }
    let _built: GenericImage = buildable
        .build_image()
        .await
        .map_err(|e| Error::Setup(format!("building {} failed: {e}", dir.display())))?;
    Ok(format!("agentcore-mcp-suite:{tag}"))
}

impl ContainerSpec {
    /// Builds (if asked), inspects, cold-starts the extra containers, and starts the one to check.
    pub async fn start(&self, timeout: Duration) -> Result<Container, Error> {
        let docker = connect().await?;
        sweep_leftovers(&docker).await?;
        let reference = match &self.image {
            ImageSource::Local(reference) => reference.clone(),
            ImageSource::Build { dir, dockerfile } => build(dir, dockerfile.as_deref()).await?,
        };
        let image = inspect_image(&docker, &reference).await?;
        let mut cold_starts = Vec::new();
        for _ in 0..self.cold_starts {
            let (handle, started) = self.launch(&reference).await?;
            let (timings, ready, _) = self.observe(&docker, &handle, started, timeout).await;
            let _ = handle.rm().await;
            if ready.is_err() {
                break; // the container under test will show why
            }
            cold_starts.push(timings);
        }
        let (handle, started) = self.launch(&reference).await?;
        let (start, ready, port) = self.observe(&docker, &handle, started, timeout).await;
        let logs = if ready.is_err() {
            last_lines(&handle).await
        } else {
            String::new()
        };
        Ok(Container {
            facts: ContainerFacts {
                image,
                deploy: self.deploy,
                startup_timeout: self.startup_timeout,
                start,
                ready,
                cold_starts,
                port,
                logs,
                sigterm: std::sync::OnceLock::new(),
            },
            built: matches!(self.image, ImageSource::Build { .. }),
            id: handle.id().to_string(),
            docker,
            handle: tokio::sync::Mutex::new(Some(handle)),
        })
    }

    /// Times one started container until it answers, exits or runs out of time; returns the port too.
    async fn observe(
        &self,
        docker: &Docker,
        handle: &ContainerAsync<GenericImage>,
        started: Instant,
        timeout: Duration,
    ) -> (StartTimings, Result<(), String>, u16) {
        match published_port(handle).await {
            Ok(port) => {
                let (timings, ready) =
                    wait_ready(docker, handle.id(), port, started, self.startup_timeout, timeout).await;
                (timings, ready, port)
            }
            // A container that already exited has no port mapping left to look up.
            Err(e) => {
                let why = match exited(docker, handle.id()).await {
                    Some(exit) => exit,
                    None => e.to_string(),
                };
                (
                    StartTimings {
                        running: started.elapsed(),
                        ..StartTimings::default()
                    },
                    Err(why),
                    0,
                )
            }
        }
    }

    /// Creates and starts one labelled container; returns it and when the create call began.
    async fn launch(&self, reference: &str) -> Result<(ContainerAsync<GenericImage>, Instant), Error> {
        let (name, tag) = split_reference(reference);
        let request = GenericImage::new(name, tag)
            .with_exposed_port(PORT.tcp())
            .with_wait_for(WaitFor::Nothing)
            .with_label(PID_LABEL, std::process::id().to_string())
            .with_label(PID_NAMESPACE_LABEL, pid_namespace())
            .with_cmd(self.args.clone());
        let started = Instant::now();
        let handle = request
            .start()
            .await
            .map_err(|e| Error::Setup(format!("cannot start a container of `{reference}`: {e}")))?;
        Ok((handle, started))
    }
}

async fn published_port(handle: &ContainerAsync<GenericImage>) -> Result<u16, Error> {
    handle
        .get_host_port_ipv4(PORT.tcp())
        .await
        .map_err(|e| Error::Setup(format!("container port {PORT} is not published: {e}")))
}

/// Polls until a POST /mcp `ping` is answered (GET /ping's first 200 is timed on the way), the
/// container exits, or the startup timeout passes. Dials 127.0.0.1 itself (testcontainers may resolve a bridge address).
async fn wait_ready(
    docker: &Docker,
    id: &str,
    port: u16,
    started: Instant,
    startup_timeout: Duration,
    timeout: Duration,
) -> (StartTimings, Result<(), String>) {
    let mut timings = StartTimings {
        running: started.elapsed(),
        ..StartTimings::default()
    };
    let server = PlainHttp::new("127.0.0.1", port);
    let limits = Limits {
        timeout: timeout.min(Duration::from_secs(2)),
        max_body_bytes: 1 << 20,
        close_grace: Duration::from_millis(200),
        body_watch: None,
        max_total: None,
    };
    let ping = HttpRequest::new("GET", "/ping");
    let mcp = HttpRequest {
        method: "POST".into(),
        path: "/mcp".into(),
        headers: vec![
            ("content-type".into(), "application/json".into()),
            ("accept".into(), "application/json, text/event-stream".into()),
        ],
        body: br#"{"jsonrpc":"2.0","id":"ready","method":"ping"}"#.to_vec(),
    };
    let mut polls = 0u32;
    loop {
        if timings.ping.is_none()
            && server
                .exchange(&ping, limits, &mut |_| Heard::More)
                .await
                .is_ok_and(|r| r.status == 200)
        {
            timings.ping = Some(started.elapsed());
        }
        let answered = server
            .exchange(&mcp, limits, &mut |chunk| {
                if chunk.windows(8).any(|w| w == b"\"ready\"") {
                    Heard::Answer
                } else {
                    Heard::More
                }
            })
            .await
            .is_ok_and(|r| answers_ready(&r.body));
        if answered {
            timings.mcp = Some(started.elapsed());
            return (timings, Ok(()));
        }
        polls += 1;
        if polls.is_multiple_of(10)
            && let Some(exit) = exited(docker, id).await
        {
            return (timings, Err(exit));
        }
        if started.elapsed() > startup_timeout {
            let why = format!(
                "no MCP answer through the published port within {} s: is the server bound to 0.0.0.0:{PORT}?",
                startup_timeout.as_secs_f64()
            );
            return (timings, Err(why));
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Whether `body` answers the readiness ping: a result, or a JSON-RPC error (a stateful server
/// refuses a ping without a session id, and that refusal is the MCP server answering).
fn answers_ready(body: &[u8]) -> bool {
    let has = |needle: &[u8]| body.windows(needle.len()).any(|w| w == needle);
    has(b"\"ready\"") && (has(b"\"result\"") || has(b"\"error\""))
}

/// `Some(description)` when the container is no longer running.
async fn exited(docker: &Docker, id: &str) -> Option<String> {
    let state = docker
        .inspect_container(id, None::<InspectContainerOptions>)
        .await
        .ok()?
        .state?;
    if state.running == Some(true) {
        return None;
    }
    Some(format!(
        "the container exited with code {}{}",
        state.exit_code.unwrap_or(-1),
        state
            .error
            .filter(|e| !e.is_empty())
            .map(|e| format!(": {e}"))
            .unwrap_or_default()
    ))
}

/// The container's last output lines, for evidence.
async fn last_lines(container: &ContainerAsync<GenericImage>) -> String {
    let out = container.stdout_to_vec().await.unwrap_or_default();
    let err = container.stderr_to_vec().await.unwrap_or_default();
    let text = String::from_utf8_lossy(&[out, err].concat()).into_owned();
    let mut lines: Vec<&str> = text.lines().rev().take(5).collect();
    lines.reverse();
    lines.join(" | ")
}

impl Container {
    /// The container's memory now, as `docker stats` shows it: the cgroup's usage less its
    /// inactive page cache (`inactive_file` on cgroup v2, `total_inactive_file` on v1).
    pub async fn memory_bytes(&self) -> Option<u64> {
        use futures_util::StreamExt;
        let once = StatsOptions {
            stream: false,
            one_shot: true,
        };
        let stats = self.docker.stats(&self.id, Some(once)).next().await?.ok()?;
        let memory = stats.memory_stats?;
        let cache = memory
            .stats
            .as_ref()
            .and_then(|s| s.get("inactive_file").or_else(|| s.get("total_inactive_file")).copied());
        Some(memory.usage?.saturating_sub(cache.unwrap_or(0)))
    }

    /// Sends SIGTERM and measures how long the container takes to stop (at most 10 s + 1).
    pub async fn sigterm(&self) -> Result<Duration, String> {
        if exited(&self.docker, &self.id).await.is_some() {
            return Err("the container is not running".into());
        }
        let sent = Instant::now();
        let signal = KillContainerOptionsBuilder::default().signal("SIGTERM").build();
        self.docker
            .kill_container(&self.id, Some(signal))
            .await
            .map_err(|e| e.to_string())?;
        while sent.elapsed() < Duration::from_secs(11) {
            if exited(&self.docker, &self.id).await.is_some() {
                return Ok(sent.elapsed());
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Ok(sent.elapsed())
    }

    /// Removes the container now (Drop would too, but a run should not end with it alive).
    pub async fn remove(&self) {
        let handle = self.handle.lock().await.take();
        if let Some(handle) = handle {
            let _ = handle.rm().await;
        }
        if self.built {
            let force = RemoveImageOptionsBuilder::default().force(true).build();
            let _ = self
                .docker
                .remove_image(&self.facts.image.reference, Some(force), None)
                .await;
        }
    }
}
