//! Statistics over timed samples: percentiles, as the latency checks report them.

use std::time::Duration;

use serde::Serialize;

/// A timed check's distribution, as numbers (reports chart them; the message says them in words).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Timing {
    pub samples: usize,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

impl Timing {
    /// The percentiles of `sorted` samples; `None` for none.
    pub fn of(sorted: &[Duration]) -> Option<Timing> {
        let ms = |d: Duration| (d.as_secs_f64() * 1000.0 * 10.0).round() / 10.0;
        Some(Timing {
            samples: sorted.len(),
            p50_ms: ms(percentile(sorted, 0.5)),
            p90_ms: ms(percentile(sorted, 0.9)),
            p99_ms: ms(percentile(sorted, 0.99)),
            max_ms: ms(*sorted.last()?),
        })
    }
}

/// Nearest-rank percentile of sorted samples; zero for none.
pub fn percentile(sorted: &[Duration], q: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = (q * sorted.len() as f64).ceil().max(1.0) as usize;
    sorted[rank.min(sorted.len()) - 1]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let samples: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        assert_eq!(percentile(&samples, 0.5), Duration::from_millis(50));
        assert_eq!(percentile(&samples, 0.99), Duration::from_millis(99));
        assert_eq!(percentile(&samples[..1], 0.99), Duration::from_millis(1));
        assert_eq!(percentile(&[], 0.5), Duration::ZERO);
        let timing = Timing::of(&samples).unwrap();
        assert_eq!(
            (timing.samples, timing.p50_ms, timing.p99_ms, timing.max_ms),
            (100, 50.0, 99.0, 100.0)
        );
        assert_eq!(Timing::of(&[]), None);
    }
}
