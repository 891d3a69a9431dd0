//! `bench --arn … --sessions N`: the requests spread over N runtime sessions in turn — N microVMs
//! on AgentCore, N containers behind `emulate --image`. A session's first request pays for
//! starting it (cold); the others find it running (warm). Both are kept apart, as histograms that
//! merge exactly across shards. On a stateful server each runtime session is a server of its
//! own, so the first request there opens its MCP session too (initialize, initialized), as a
//! client would.

use std::collections::BTreeMap;

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

use super::histograms::{Percentiles, add_histogram, decode_histogram, encode_histogram, histogram};
use crate::wire::agentcore::contract::new_runtime_session_id;

/// The run's runtime sessions, fresh ids of their own (so shards never share one), and on a
/// stateful server the MCP session each one opened.
pub struct SessionPlan {
    ids: Vec<String>,
    mcp_sessions: Vec<tokio::sync::OnceCell<Result<String, String>>>,
}

impl SessionPlan {
    pub fn new(sessions: usize) -> SessionPlan {
        let n = sessions.max(1);
        SessionPlan {
            ids: (0..n).map(|_| new_runtime_session_id()).collect(),
            mcp_sessions: (0..n).map(|_| tokio::sync::OnceCell::new()).collect(),
        }
    }

    /// The MCP session of request `slot`'s runtime session: opened once, by whichever request
    /// gets there first (`Err` says why it could not be).
    pub fn mcp_session(&self, slot: u64) -> &tokio::sync::OnceCell<Result<String, String>> {
        &self.mcp_sessions[(slot % self.ids.len() as u64) as usize]
    }

    /// The session request `slot` goes to, and whether it is the session's first request.
    pub fn for_slot(&self, slot: u64) -> (&str, bool) {
        let n = self.ids.len() as u64;
        (&self.ids[(slot % n) as usize], slot < n)
    }
}

/// Cold and warm latencies, in microseconds.
pub struct SessionTally {
    cold: Histogram<u64>,
    warm: Histogram<u64>,
}

impl Default for SessionTally {
    fn default() -> SessionTally {
        SessionTally {
            cold: histogram(),
            warm: histogram(),
        }
    }
}

impl SessionTally {
    pub fn record(&mut self, cold: bool, micros: u64) {
        let _ = if cold { &mut self.cold } else { &mut self.warm }.record(micros);
    }

    pub fn add_tally(&mut self, other: &SessionTally) {
        let _ = self.cold.add(&other.cold);
        let _ = self.warm.add(&other.warm);
    }

    pub fn results(&self, sessions: usize) -> RuntimeSessions {
        RuntimeSessions {
            sessions: sessions as u64,
            cold: self.cold.len(),
            warm: self.warm.len(),
            cold_ms: Percentiles::of_micros(&self.cold),
            warm_ms: (!self.warm.is_empty()).then(|| Percentiles::of_micros(&self.warm)),
            histograms: BTreeMap::from([
                ("cold".to_string(), encode_histogram(&self.cold)),
                ("warm".to_string(), encode_histogram(&self.warm)),
            ]),
        }
    }
}

/// What `--sessions` measured, as saved.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RuntimeSessions {
    pub sessions: u64,
    /// First requests on a new session, and their latency.
    pub cold: u64,
    pub cold_ms: Percentiles,
    /// Every other request, and its latency.
    pub warm: u64,
    pub warm_ms: Option<Percentiles>,
    /// The two histograms (as `results.histogram`), so that shard files merge exactly.
    pub histograms: BTreeMap<String, String>,
}

impl RuntimeSessions {
    /// Adds up the runtime sessions of shard files.
    pub fn merge<'a>(files: impl Iterator<Item = &'a RuntimeSessions>) -> Result<Option<RuntimeSessions>, String> {
        let (mut sessions, mut cold, mut warm) = (0, None, None);
        let mut any = false;
        for file in files {
            any = true;
            sessions += file.sessions;
            for (name, sum) in [("cold", &mut cold), ("warm", &mut warm)] {
                let encoded = file
                    .histograms
                    .get(name)
                    .ok_or_else(|| format!("its runtime sessions have no `{name}` histogram"))?;
                add_histogram(sum, decode_histogram(encoded)?)?;
            }
        }
        let tally = SessionTally {
            cold: cold.unwrap_or_else(histogram),
            warm: warm.unwrap_or_else(histogram),
        };
        Ok(any.then(|| tally.results(sessions as usize)))
    }

    /// One line for summaries.
    pub fn summary(&self) -> String {
        let mut line = format!(
            "{} runtime sessions: a session's first request (cold) p50 {} ms · p99 {} ms · max {} ms ({} requests)",
            self.sessions, self.cold_ms.p50, self.cold_ms.p99, self.cold_ms.max, self.cold
        );
        if let Some(warm) = &self.warm_ms {
            line.push_str(&format!(
                "; warm p50 {} ms · p99 {} ms ({} requests)",
                warm.p50, warm.p99, self.warm
            ));
        }
        line
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_take_requests_in_turn_and_merge_exactly() {
        let plan = SessionPlan::new(3);
        let firsts: Vec<bool> = (0..7).map(|slot| plan.for_slot(slot).1).collect();
        assert_eq!(firsts, [true, true, true, false, false, false, false]);
        assert_eq!(plan.for_slot(1).0, plan.for_slot(4).0);
        assert_ne!(plan.for_slot(0).0, plan.for_slot(1).0);
        let (mut a, mut b) = (SessionTally::default(), SessionTally::default());
        a.record(true, 900_000);
        a.record(false, 2_000);
        b.record(true, 800_000);
        let merged = RuntimeSessions::merge([a.results(1), b.results(1)].iter())
            .unwrap()
            .unwrap();
        assert_eq!((merged.sessions, merged.cold, merged.warm), (2, 2, 1));
        assert!(merged.cold_ms.max > 899.0 && merged.warm_ms.unwrap().max < 3.0);
        assert!(RuntimeSessions::merge(std::iter::empty()).unwrap().is_none());
    }
}
