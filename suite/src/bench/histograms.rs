//! HDR histograms as `bench` keeps them: microseconds from 1 µs to 10 min at three significant
//! digits, saved as base64 of their V2 + DEFLATE encoding so that files from several runners add
//! up exactly, and read back as percentiles.

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

/// A histogram from 1 to 600,000,000 (10 min in µs), 3 significant digits.
pub fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 600_000_000, 3).expect("static histogram bounds are valid")
}

/// The histogram as base64 of its V2 + DEFLATE encoding.
pub fn encode_histogram(histogram: &Histogram<u64>) -> String {
    use base64::Engine;
    let mut bytes = Vec::new();
    use hdrhistogram::serialization::Serializer;
    hdrhistogram::serialization::V2DeflateSerializer::new()
        .serialize(histogram, &mut bytes)
        .expect("a histogram serializes into memory");
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// The histogram `encode_histogram` wrote.
pub fn decode_histogram(text: &str) -> Result<Histogram<u64>, String> {
    use base64::Engine;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text)
        .map_err(|e| format!("the histogram is not base64: {e}"))?;
    hdrhistogram::serialization::Deserializer::new()
        .deserialize(&mut bytes.as_slice())
        .map_err(|e| format!("the histogram does not decode: {e:?}"))
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Percentiles {
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    pub p999: f64,
    pub max: f64,
    pub mean: f64,
}

/// Microseconds as milliseconds, to 0.01.
pub fn ms(micros: u64) -> f64 {
    (micros as f64 / 10.0).round() / 100.0
}

impl Percentiles {
    /// A histogram of microseconds, in milliseconds.
    pub fn of_micros(histogram: &Histogram<u64>) -> Percentiles {
        let at = |q: f64| ms(histogram.value_at_quantile(q));
        Percentiles {
            p50: at(0.5),
            p90: at(0.9),
            p99: at(0.99),
            p999: at(0.999),
            max: ms(histogram.max()),
            mean: (histogram.mean() / 10.0).round() / 100.0,
        }
    }

    /// A histogram of counts, as counts.
    pub fn of_counts(histogram: &Histogram<u64>) -> Percentiles {
        let at = |q: f64| histogram.value_at_quantile(q) as f64;
        Percentiles {
            p50: at(0.5),
            p90: at(0.9),
            p99: at(0.99),
            p999: at(0.999),
            max: histogram.max() as f64,
            mean: (histogram.mean() * 100.0).round() / 100.0,
        }
    }

    /// As a chart row (`crate::chart::timings_svg`), of `samples` samples.
    pub fn timing(&self, samples: u64) -> crate::stats::Timing {
        crate::stats::Timing {
            samples: samples as usize,
            p50_ms: self.p50,
            p90_ms: self.p90,
            p99_ms: self.p99,
            max_ms: self.max,
        }
    }
}

/// Adds `histogram` to `sum` (the first one becomes the sum).
pub fn add_histogram(sum: &mut Option<Histogram<u64>>, histogram: Histogram<u64>) -> Result<(), String> {
    match sum {
        None => *sum = Some(histogram),
        Some(sum) => sum
            .add(&histogram)
            .map_err(|e| format!("cannot add its histogram: {e}"))?,
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn histogram_of(samples: &[u64]) -> Histogram<u64> {
        let mut h = Histogram::new_with_bounds(1, 600_000_000, 3).unwrap();
        for s in samples {
            h.record(*s).unwrap();
        }
        h
    }

    #[test]
    fn a_histogram_survives_its_encoding() {
        let h = histogram_of(&[5, 50, 500, 5_000, 500_000]);
        let text = encode_histogram(&h);
        assert!(text.len() < 200, "{text}");
        assert_eq!(decode_histogram(&text).unwrap(), h);
        assert!(decode_histogram("not base64!").is_err());
        assert!(decode_histogram("aGVsbG8=").is_err());
    }

    proptest! {
        /// Adding the shards' histograms, through their saved encoding, gives the histogram of
        /// all their samples: every percentile exact.
        #[test]
        fn merged_histograms_equal_the_histogram_of_the_union(
            shards in proptest::collection::vec(proptest::collection::vec(1u64..10_000_000, 0..200), 1..6)
        ) {
            let all: Vec<u64> = shards.iter().flatten().copied().collect();
            let mut merged: Option<Histogram<u64>> = None;
            for shard in &shards {
                let decoded = decode_histogram(&encode_histogram(&histogram_of(shard))).unwrap();
                match &mut merged {
                    None => merged = Some(decoded),
                    Some(sum) => sum.add(&decoded).unwrap(),
                }
            }
            let (merged, union) = (merged.unwrap(), histogram_of(&all));
            prop_assert_eq!(merged.len(), all.len() as u64);
            for q in [0.5, 0.9, 0.99, 0.999, 1.0] {
                prop_assert_eq!(merged.value_at_quantile(q), union.value_at_quantile(q));
            }
        }
    }
}
