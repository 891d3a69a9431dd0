//! Stream metrics of a run: for every streamed (SSE) response, the time to its head, first event
//! and response event, the gaps between its events, how many events it had and how long it
//! lasted, each added into a histogram (so shard files merge exactly, like the latency).

use std::collections::BTreeMap;

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

use super::histograms::{Percentiles, add_histogram, decode_histogram, encode_histogram, histogram};
use crate::wire::stream_timing::StreamTiming;

/// The histograms, by the name they are saved under: times in microseconds, events a count.
const HEAD: &str = "head";
const FIRST_EVENT: &str = "first_event";
const RESPONSE_EVENT: &str = "response_event";
const GAP: &str = "gap";
const EVENTS: &str = "events";
const DURATION: &str = "duration";
const NAMES: [&str; 6] = [HEAD, FIRST_EVENT, RESPONSE_EVENT, GAP, EVENTS, DURATION];

/// What the streamed responses of a run (or a worker's share of it) measured.
pub struct StreamTally {
    histograms: BTreeMap<&'static str, Histogram<u64>>,
}

impl Default for StreamTally {
    fn default() -> StreamTally {
        StreamTally {
            histograms: NAMES.into_iter().map(|name| (name, histogram())).collect(),
        }
    }
}

fn micros(d: std::time::Duration) -> u64 {
    d.as_micros().clamp(1, 600_000_000) as u64
}

impl StreamTally {
    fn record(&mut self, name: &str, value: u64) {
        if let Some(h) = self.histograms.get_mut(name) {
            let _ = h.record(value.max(1));
        }
    }

    pub fn add(&mut self, timing: &StreamTiming) {
        self.record(HEAD, micros(timing.head));
        if let Some(first) = timing.first_event {
            self.record(FIRST_EVENT, micros(first));
        }
        if let Some(response) = timing.response_event {
            self.record(RESPONSE_EVENT, micros(response));
        }
        for gap in &timing.gaps {
            self.record(GAP, micros(*gap));
        }
        // Counts from 1 (the histograms' floor): a stream without events is recorded as one.
        self.record(EVENTS, timing.events);
        self.record(DURATION, micros(timing.end));
    }

    pub fn add_tally(&mut self, other: &StreamTally) {
        for (name, h) in &other.histograms {
            if let Some(sum) = self.histograms.get_mut(name) {
                let _ = sum.add(h);
            }
        }
    }

    /// The numbers, with the histograms encoded for `bench merge`; `None` when nothing streamed.
    pub fn results(&self) -> Option<StreamResults> {
        let h = |name: &str| &self.histograms[name];
        let responses = h(HEAD).len();
        if responses == 0 {
            return None;
        }
        let some = |name: &str| (!h(name).is_empty()).then(|| Percentiles::of_micros(h(name)));
        Some(StreamResults {
            responses,
            head_ms: Percentiles::of_micros(h(HEAD)),
            first_event_ms: some(FIRST_EVENT),
            response_event_ms: some(RESPONSE_EVENT),
            gap_ms: some(GAP),
            gaps: h(GAP).len(),
            events_per_response: Percentiles::of_counts(h(EVENTS)),
            duration_ms: Percentiles::of_micros(h(DURATION)),
            histograms: self
                .histograms
                .iter()
                .map(|(name, h)| (name.to_string(), encode_histogram(h)))
                .collect(),
        })
    }

    /// Adds up saved results (`bench merge`): their histograms, exactly.
    pub fn merge<'a>(saved: impl Iterator<Item = &'a StreamResults>) -> Result<Option<StreamResults>, String> {
        let mut sums: BTreeMap<&'static str, Option<Histogram<u64>>> = NAMES.into_iter().map(|n| (n, None)).collect();
        let mut any = false;
        for results in saved {
            any = true;
            for (name, sum) in &mut sums {
                let encoded = results
                    .histograms
                    .get(*name)
                    .ok_or_else(|| format!("its stream metrics have no `{name}` histogram"))?;
                add_histogram(sum, decode_histogram(encoded)?)?;
            }
        }
        if !any {
            return Ok(None);
        }
        let histograms = sums
            .into_iter()
            .map(|(name, sum)| (name, sum.unwrap_or_else(histogram)))
            .collect();
        Ok(StreamTally { histograms }.results())
    }
}

/// The streamed responses' numbers, as saved.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct StreamResults {
    /// How many responses were event streams (and so are timed here).
    pub responses: u64,
    /// From the request being sent (not its scheduled start) to the response head.
    pub head_ms: Percentiles,
    pub first_event_ms: Option<Percentiles>,
    /// To the event carrying the JSON-RPC response.
    pub response_event_ms: Option<Percentiles>,
    /// Between consecutive events of one response.
    pub gap_ms: Option<Percentiles>,
    pub gaps: u64,
    pub events_per_response: Percentiles,
    /// To the end of the stream.
    pub duration_ms: Percentiles,
    /// The histograms themselves (as `results.histogram`), so that shard files merge exactly.
    pub histograms: BTreeMap<String, String>,
}

impl StreamResults {
    /// Chart rows (`crate::chart::timings_svg`) of the times.
    pub fn chart_rows(&self) -> Vec<(String, crate::stats::Timing)> {
        let n = self.responses;
        let mut rows = vec![("response head".to_string(), self.head_ms.timing(n))];
        if let Some(first) = &self.first_event_ms {
            rows.push(("first event".into(), first.timing(n)));
        }
        if let Some(response) = &self.response_event_ms {
            rows.push(("response event".into(), response.timing(n)));
        }
        if let Some(gap) = &self.gap_ms {
            rows.push(("gap between events".into(), gap.timing(self.gaps)));
        }
        rows.push(("stream end".into(), self.duration_ms.timing(n)));
        rows
    }

    /// One line of the times' p50/p99 (gaps with max), for summaries.
    pub fn summary(&self) -> String {
        let pair = |p: &Percentiles| format!("p50 {} · p99 {}", p.p50, p.p99);
        let mut parts = vec![format!("head {}", pair(&self.head_ms))];
        if let Some(first) = &self.first_event_ms {
            parts.push(format!("first event {}", pair(first)));
        }
        if let Some(response) = &self.response_event_ms {
            parts.push(format!("response event {}", pair(response)));
        }
        if let Some(gap) = &self.gap_ms {
            parts.push(format!("gaps {} · max {}", pair(gap), gap.max));
        }
        parts.push(format!("end {}", pair(&self.duration_ms)));
        format!(
            "{} ms; events per response p50 {} · max {}",
            parts.join("; "),
            self.events_per_response.p50,
            self.events_per_response.max
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn timing(events: u64, gaps_ms: &[u64]) -> StreamTiming {
        let ms = Duration::from_millis;
        StreamTiming {
            head: ms(1),
            first_event: Some(ms(2)),
            response_event: Some(ms(10)),
            response: None,
            events,
            gaps: gaps_ms.iter().map(|g| ms(*g)).collect(),
            end: ms(11),
        }
    }

    #[test]
    fn saved_tallies_merge_into_the_tally_of_all() {
        let (mut a, mut b, mut all) = (StreamTally::default(), StreamTally::default(), StreamTally::default());
        for (tally, t) in [(&mut a, timing(3, &[4, 4])), (&mut b, timing(5, &[1, 2, 3, 40]))] {
            tally.add(&t);
            all.add(&t);
        }
        let merged = StreamTally::merge([a.results().unwrap(), b.results().unwrap()].iter())
            .unwrap()
            .unwrap();
        let all = all.results().unwrap();
        assert_eq!((merged.responses, merged.gaps), (2, 6));
        assert_eq!(merged.histograms, all.histograms);
        assert_eq!(merged.events_per_response.max, 5.0);
        // Within the histograms' three significant digits.
        assert!((merged.gap_ms.as_ref().unwrap().max - 40.0).abs() < 0.1);
        assert_eq!(merged.chart_rows().len(), 5);
        assert!(
            merged.summary().contains("gaps p50 3 · p99 40.03 · max 40.03"),
            "{}",
            merged.summary()
        );
        assert!(StreamTally::default().results().is_none());
        assert!(StreamTally::merge(std::iter::empty()).unwrap().is_none());
    }
}
