//! image — the container artifact AgentCore runs (container targets only): architecture, start
//! within the runtime's 60 s initialization limit, port 8000 reachable from outside, size, user,
//! and a prompt stop on SIGTERM.

use super::{Check, Level, Outcome, Phase, Runs, Scope, check_fn};
use crate::probe::ContainerFacts;
use crate::probe::Cx;
use crate::wire::transport::WireError;

const CONTRACT: &str = "AGENTCORE runtime-mcp-protocol-contract.html (ARM64 container, 0.0.0.0:8000)";
/// AgentCore's image size quota (the older quota was 1 GB; the current one is 2 GB).
const SIZE_LIMIT: u64 = 2 * 1000 * 1000 * 1000;

pub const CHECKS: &[Check] = &[
    Check {
        id: "image.arch",
        level: Level::Must,
        scope: Scope::Server,
        needs: &[],
        runs: Runs::ON_IMAGES,
        source: CONTRACT,
        rule: "the image is linux/arm64 (fails with --deploy, warns otherwise)",
        run: check_fn!(arch),
    },
    Check {
        id: "image.starts",
        level: Level::Must,
        scope: Scope::Server,
        needs: &[],
        runs: Runs::ON_IMAGES,
        source: "AGENTCORE runtime initialization limit (60 s)",
        rule: "the container runs and answers MCP within 60 s (or --startup-timeout)",
        run: check_fn!(starts),
    },
    Check {
        id: "image.port-8000",
        level: Level::Must,
        scope: Scope::Server,
        needs: &[],
        runs: Runs::ON_IMAGES,
        source: CONTRACT,
        rule: "the server answers through the published port 8000, i.e. it binds 0.0.0.0:8000",
        run: check_fn!(port_8000),
    },
    Check {
        id: "image.size",
        level: Level::Must,
        scope: Scope::Server,
        needs: &[],
        runs: Runs::ON_IMAGES,
        source: "AGENTCORE quotas (image size 2 GB; 1 GB before)",
        rule: "the image is under 2 GB (fail) and under --image-size-budget (warn)",
        run: check_fn!(size),
    },
    Check {
        id: "image.non-root",
        level: Level::Should,
        scope: Scope::Server,
        needs: &[],
        runs: Runs::ON_IMAGES,
        source: "container hardening practice (CIS Docker 4.1)",
        rule: "the image runs as a non-root user",
        run: check_fn!(non_root),
    },
    Check {
        id: "image.sigterm",
        level: Level::Should,
        scope: Scope::Server,
        needs: &[],
        runs: Runs::ON_IMAGES.in_phase(Phase::Final),
        source: "Docker stop semantics: SIGKILL 10 s after SIGTERM",
        rule: "the container stops within 10 s of SIGTERM",
        run: check_fn!(sigterm),
    },
];

fn container(cx: &Cx) -> Result<&ContainerFacts, Outcome> {
    cx.facts()
        .container
        .as_ref()
        .ok_or_else(|| Outcome::skip("the target is not a container (use --image or --build)"))
}

async fn arch(cx: &Cx) -> Result<Outcome, WireError> {
    let c = match container(cx) {
        Ok(c) => c,
        Err(skip) => return Ok(skip),
    };
    let platform = format!("{}/{}", c.image.os, c.image.architecture);
    Ok(if platform == "linux/arm64" {
        Outcome::pass("linux/arm64")
    } else if c.deploy {
        Outcome::fail(format!("{platform}: AgentCore runs linux/arm64 containers"))
    } else {
        Outcome::warn(format!(
            "{platform}: fine locally, but AgentCore runs linux/arm64 (fails with --deploy)"
        ))
    })
}

async fn starts(cx: &Cx) -> Result<Outcome, WireError> {
    let c = match container(cx) {
        Ok(c) => c,
        Err(skip) => return Ok(skip),
    };
    let ms = |d: std::time::Duration| format!("{:.0} ms", d.as_secs_f64() * 1000.0);
    Ok(match (&c.ready, c.start.mcp) {
        (Ok(()), Some(took)) if took.as_secs() < super::util::INIT_LIMIT_SECS => Outcome::pass(format!(
            "running after {}, first MCP answer {} after create",
            ms(c.start.running),
            ms(took)
        )),
        (Ok(()), Some(took)) => Outcome::fail(format!(
            "first MCP answer after {}: over AgentCore's 60 s limit",
            ms(took)
        )),
        _ => {
            let why = c.ready.clone().err().unwrap_or_else(|| "no MCP answer".into());
            let logs = if c.logs.is_empty() { "(none)" } else { c.logs.as_str() };
            Outcome::fail(format!("the container never answered: {why}")).with(format!("container output: {logs}"))
        }
    })
}

async fn port_8000(cx: &Cx) -> Result<Outcome, WireError> {
    let c = match container(cx) {
        Ok(c) => c,
        Err(skip) => return Ok(skip),
    };
    Ok(match &c.ready {
        Ok(()) => Outcome::pass(format!("answered through 127.0.0.1:{} → container port 8000", c.port)),
        Err(why) if why.contains("exited") => {
            Outcome::skip("the container exited before it could be reached; see image.starts")
        }
        Err(_) => Outcome::fail(
            "the container runs but nothing answers through the published port 8000: the server binds \
             127.0.0.1 (unreachable from outside the container) or another port; AgentCore needs 0.0.0.0:8000",
        ),
    })
}

fn megabytes(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1e6)
}

async fn size(cx: &Cx) -> Result<Outcome, WireError> {
    let c = match container(cx) {
        Ok(c) => c,
        Err(skip) => return Ok(skip),
    };
    Ok(judge_size(c.image.size_bytes, cx.settings().image_size_budget))
}

fn judge_size(size: u64, budget: u64) -> Outcome {
    if size > SIZE_LIMIT {
        Outcome::fail(format!("{} is over AgentCore's 2 GB image quota", megabytes(size)))
    } else if size > budget {
        Outcome::warn(format!("{} is over the {} budget", megabytes(size), megabytes(budget)))
    } else {
        Outcome::pass(megabytes(size))
    }
}

async fn non_root(cx: &Cx) -> Result<Outcome, WireError> {
    let c = match container(cx) {
        Ok(c) => c,
        Err(skip) => return Ok(skip),
    };
    let user = c.image.user.trim();
    let root = user.is_empty() || user == "root" || user == "0" || user.starts_with("0:") || user.starts_with("root:");
    Ok(if root {
        Outcome::warn(format!(
            "runs as root (USER {}); a compromised server then owns the whole container",
            if user.is_empty() { "not set" } else { user }
        ))
    } else {
        Outcome::pass(format!("USER {user}"))
    })
}

async fn sigterm(cx: &Cx) -> Result<Outcome, WireError> {
    let c = match container(cx) {
        Ok(c) => c,
        Err(skip) => return Ok(skip),
    };
    let Some(result) = c.sigterm.get() else {
        return Ok(Outcome::skip(
            "the run did not send SIGTERM (the container was already gone)",
        ));
    };
    Ok(match result.clone() {
        Err(why) => Outcome::skip(format!("cannot send SIGTERM: {why}")),
        Ok(took) if took.as_secs() < 10 => {
            Outcome::pass(format!("stopped {:.0} ms after SIGTERM", took.as_secs_f64() * 1000.0))
        }
        Ok(took) => Outcome::warn(format!(
            "still running {:.1} s after SIGTERM: it ignores the signal and gets killed",
            took.as_secs_f64()
        )),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::Verdict;

    #[test]
    fn size_fails_over_the_quota_and_warns_over_the_budget() {
        let budget = 1000 * 1000 * 1000;
        assert_eq!(judge_size(3 * 1000 * 1000, budget).verdict, Verdict::Pass);
        assert_eq!(judge_size(1500 * 1000 * 1000, budget).verdict, Verdict::Warn);
        assert_eq!(judge_size(2100 * 1000 * 1000, budget).verdict, Verdict::Fail);
    }
}
