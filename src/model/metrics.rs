//! CloudWatch's KMS error series of streams, which of them exist and which
//! to ask for, and how many metrics were asked for: the model of what
//! firekeeper costs in CloudWatch.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::KmsMetric;

/// CloudWatch's public price for GetMetricData: $0.01 per 1,000 metrics requested.
pub const DOLLARS_PER_1000_METRICS: f64 = 0.01;

/// Datapoints of one metric, oldest first.
pub type Series = Vec<(DateTime<Utc>, f64)>;

/// The four KMS error series of one stream over a time range.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct KmsSeries {
    pub series: [Series; 4],
}

impl KmsSeries {
    pub fn get(&self, metric: KmsMetric) -> &Series {
        &self.series[metric.index()]
    }

    pub fn total(&self, metric: KmsMetric) -> f64 {
        self.get(metric).iter().map(|(_, v)| v).sum()
    }

    pub fn grand_total(&self) -> f64 {
        KmsMetric::ALL.iter().map(|m| self.total(*m)).sum()
    }

    /// Per-timestamp sum over the four metrics, oldest first.
    pub fn combined(&self) -> Series {
        let mut by_time: BTreeMap<DateTime<Utc>, f64> = BTreeMap::new();
        for series in &self.series {
            for (t, v) in series {
                *by_time.entry(*t).or_default() += v;
            }
        }
        by_time.into_iter().collect()
    }
}

/// What CloudWatch answered for a set of streams: the series it gave in full,
/// and the streams whose data it could not give (a failed batch, or a query
/// whose `StatusCode` was not `Complete`), with the reason. A stream in
/// none of the three had no datapoints: zero errors, known.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct KmsMetrics {
    pub series: BTreeMap<String, KmsSeries>,
    pub unknown: BTreeMap<String, String>,
    /// Streams that can have KMS errors but were not asked this time (the
    /// dashboard sweeps them less often): not known to be clean now, only
    /// as of when they were last asked.
    pub not_asked: std::collections::BTreeSet<String>,
}

/// A time range and resolution for metric queries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MetricRange {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub period_secs: i32,
}

/// Some of the four KMS error metrics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct MetricSet(u8);

impl MetricSet {
    pub const ALL: MetricSet = MetricSet(0b1111);

    pub fn of(metric: KmsMetric) -> MetricSet {
        MetricSet(1 << metric.index())
    }

    pub fn insert(&mut self, metric: KmsMetric) {
        self.0 |= Self::of(metric).0;
    }

    pub fn union(self, other: MetricSet) -> MetricSet {
        MetricSet(self.0 | other.0)
    }

    pub fn contains(self, metric: KmsMetric) -> bool {
        self.0 & Self::of(metric).0 != 0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub fn len(self) -> usize {
        self.0.count_ones() as usize
    }

    pub fn iter(self) -> impl Iterator<Item = KmsMetric> {
        KmsMetric::ALL
            .into_iter()
            .filter(move |m| self.contains(*m))
    }
}

/// The series to ask GetMetricData for: which metrics, by stream.
pub type SeriesAsk = BTreeMap<String, MetricSet>;

/// All four series of each of these streams.
pub fn every_series(names: &[String]) -> SeriesAsk {
    names.iter().map(|n| (n.clone(), MetricSet::ALL)).collect()
}

/// What ListMetrics answered for namespace AWS/Firehose and the four KMS
/// metric names, every page followed: the series that exist, by stream. A
/// stream absent from it has none of them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SeriesListing {
    pub streams: BTreeMap<String, MetricSet>,
    /// Asked with `RecentlyActive=PT3H`: only series with datapoints in the
    /// past three hours. Without it, those of the past two weeks.
    pub recently_active: bool,
}

impl SeriesListing {
    pub fn add(&mut self, stream: &str, metric: KmsMetric) {
        self.streams
            .entry(stream.to_string())
            .or_default()
            .insert(metric);
    }
}

/// What firekeeper asked of CloudWatch since `since`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CloudWatchUsage {
    /// Metrics in every GetMetricData request (each page counts again, as
    /// CloudWatch bills it).
    pub metrics_requested: u64,
    /// ListMetrics requests, pages included (not billed per metric).
    pub list_metrics_calls: u64,
    #[serde(skip)]
    pub since: DateTime<Utc>,
}

impl CloudWatchUsage {
    /// Dollars a day at the public price, at the rate since `since`; `None`
    /// before a minute has passed, when one refresh would read as a day's
    /// worth.
    pub fn dollars_per_day(&self, now: DateTime<Utc>) -> Option<f64> {
        let secs = (now - self.since).num_seconds();
        (secs >= 60).then(|| {
            let per_day = self.metrics_requested as f64 * 86_400.0 / secs as f64;
            per_day * DOLLARS_PER_1000_METRICS / 1000.0
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sets_hold_what_was_put_in() {
        let mut s = MetricSet::default();
        assert!(s.is_empty());
        s.insert(KmsMetric::Disabled);
        s.insert(KmsMetric::NotFound);
        assert_eq!(s.len(), 2);
        assert!(s.contains(KmsMetric::Disabled) && !s.contains(KmsMetric::AccessDenied));
        assert_eq!(
            s.iter().collect::<Vec<_>>(),
            [KmsMetric::Disabled, KmsMetric::NotFound]
        );
        assert_eq!(s.union(MetricSet::ALL), MetricSet::ALL);
        assert_eq!(MetricSet::ALL.len(), 4);
    }

    #[test]
    fn the_cost_per_day_is_the_rate_since_the_start() {
        let since = DateTime::from_timestamp(0, 0).unwrap();
        let usage = CloudWatchUsage {
            metrics_requested: 6_000,
            list_metrics_calls: 4,
            since,
        };
        assert_eq!(
            usage.dollars_per_day(since + chrono::Duration::seconds(59)),
            None
        );
        // 6,000 metrics an hour are 144,000 a day: $1.44.
        let per_day = usage.dollars_per_day(since + chrono::Duration::hours(1));
        assert!((per_day.unwrap() - 1.44).abs() < 1e-9, "{per_day:?}");
    }

    #[test]
    fn combined_series_adds_metrics_at_each_time() {
        let t0 = DateTime::from_timestamp(0, 0).unwrap();
        let t1 = DateTime::from_timestamp(60, 0).unwrap();
        let mut s = KmsSeries::default();
        s.series[0] = vec![(t0, 1.0), (t1, 2.0)];
        s.series[1] = vec![(t1, 3.0)];
        assert_eq!(s.combined(), vec![(t0, 1.0), (t1, 5.0)]);
        assert_eq!(s.grand_total(), 6.0);
    }
}
