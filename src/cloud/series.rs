//! How many metrics this client asked CloudWatch for, counted as it asks
//! (the model of the answer is `model::metrics`).

use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, Utc};

use crate::model::CloudWatchUsage;

/// Pages of one ListMetrics question followed before giving up: 500 series
/// a page, so 100 pages are 50,000 streams with that metric, ten times the
/// 5,000 streams Firehose allows a region. Reaching it means the listing is
/// not whole, so it is an error, never a short answer.
pub const LIST_PAGE_LIMIT: usize = 100;

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
