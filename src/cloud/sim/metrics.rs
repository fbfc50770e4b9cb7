//! The simulator's CloudWatch: datapoints from each stream's runs of KMS
//! errors, and ListMetrics answered from the same runs, as AWS would: only
//! series that had datapoints, in the past 3 hours with `RecentlyActive`,
//! else in the past two weeks.

use std::collections::BTreeMap;
use std::hash::Hasher as _;

use chrono::{DateTime, Duration, DurationRound, Utc};

use super::{Episode, SimStream};
use crate::model::{KmsMetrics, KmsSeries, MetricRange, SeriesAsk, SeriesListing};

/// Series ListMetrics gives a page.
const PAGE: usize = 500;

/// The datapoints of the asked series; a stream without any is absent.
pub(super) fn read(
    streams: &BTreeMap<String, SimStream>,
    asks: &SeriesAsk,
    range: MetricRange,
    now: DateTime<Utc>,
) -> KmsMetrics {
    let series = asks
        .iter()
        .filter_map(|(name, set)| {
            let s = streams.get(name)?;
            let asked: Vec<&Episode> = s
                .episodes
                .iter()
                .filter(|e| set.contains(e.metric))
                .collect();
            let series = series_for(name, &asked, range, now);
            (series.grand_total() > 0.0).then(|| (name.clone(), series))
        })
        .collect();
    KmsMetrics {
        series,
        ..KmsMetrics::default()
    }
}

/// The series that had errors since the cut-off.
pub(super) fn listing(
    streams: &BTreeMap<String, SimStream>,
    recently_active: bool,
    now: DateTime<Utc>,
) -> SeriesListing {
    let since = now
        - if recently_active {
            Duration::hours(3)
        } else {
            Duration::days(14)
        };
    let mut out = SeriesListing {
        recently_active,
        ..Default::default()
    };
    for (name, s) in streams {
        let active = s
            .episodes
            .iter()
            .filter(|e| e.per_minute > 0.0 && e.start < now && e.end.is_none_or(|end| end > since));
        for e in active {
            out.add(name, e.metric);
        }
    }
    out
}

/// The ListMetrics requests the listing took: one a metric name at least,
/// and one more for each further page.
pub(super) fn pages(listing: &SeriesListing) -> usize {
    crate::model::KmsMetric::ALL
        .iter()
        .map(|m| {
            let n = listing.streams.values().filter(|s| s.contains(*m)).count();
            n.div_ceil(PAGE).max(1)
        })
        .sum()
}

/// A repeatable wobble so simulated error counts look like real traffic.
fn jitter(name: &str, t: DateTime<Utc>) -> f64 {
    let mut h = fnv::FnvHasher::default();
    h.write(name.as_bytes());
    h.write(&t.timestamp().to_le_bytes());
    0.85 + (h.finish() % 1000) as f64 / 3333.0
}

fn series_for(
    name: &str,
    episodes: &[&Episode],
    range: MetricRange,
    now: DateTime<Utc>,
) -> KmsSeries {
    let mut out = KmsSeries::default();
    let period = Duration::seconds(i64::from(range.period_secs.max(60)));
    let end = range.end.min(now);
    let Ok(mut t) = range.start.duration_trunc(period) else {
        return out;
    };
    while t < end {
        let bucket_end = t + period;
        for e in episodes {
            let from = e.start.max(t).max(range.start);
            let to = e.end.unwrap_or(now).min(bucket_end).min(end);
            if to <= from {
                continue;
            }
            let minutes = (to - from).num_seconds() as f64 / 60.0;
            let value = (minutes * e.per_minute * jitter(name, t)).round();
            if value > 0.0 {
                let series = &mut out.series[e.metric.index()];
                match series.last_mut() {
                    Some((last, v)) if *last == t => *v += value,
                    _ => series.push((t, value)),
                }
            }
        }
        t = bucket_end;
    }
    out
}
