//! Which KMS error series exist (CloudWatch's `ListMetrics`), which of them
//! to ask `GetMetricData` for, and how many metrics were asked for: the model
//! of what firekeeper costs in CloudWatch.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::KmsMetric;

/// CloudWatch's public price for GetMetricData: $0.01 per 1,000 metrics requested.
pub const DOLLARS_PER_1000_METRICS: f64 = 0.01;

/// Pages of one ListMetrics question followed before giving up: 500 series
/// a page, so 100 pages are 50,000 streams with that metric, ten times the
/// 5,000 streams Firehose allows a region. Reaching it means the listing is
/// not whole, so it is an error, never a short answer.
pub const LIST_PAGE_LIMIT: usize = 100;

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

/// The running count, kept by the client that makes the calls.
#[derive(Debug)]
pub struct UsageCounter {
    metrics: AtomicU64,
    list_calls: AtomicU64,
    since: DateTime<Utc>,
}

impl UsageCounter {
    pub fn new(since: DateTime<Utc>) -> UsageCounter {
        UsageCounter {
            metrics: AtomicU64::new(0),
            list_calls: AtomicU64::new(0),
            since,
        }
    }

    pub fn metrics_requested(&self, n: usize) {
        self.metrics.fetch_add(n as u64, Ordering::Relaxed);
    }

    pub fn list_metrics_call(&self) {
        self.list_calls.fetch_add(1, Ordering::Relaxed);
    }

    pub fn usage(&self) -> CloudWatchUsage {
        CloudWatchUsage {
            metrics_requested: self.metrics.load(Ordering::Relaxed),
            list_metrics_calls: self.list_calls.load(Ordering::Relaxed),
            since: self.since,
        }
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
}
