//! Firehose allows 5 calls per second per API per account and region, shared with
//! every other caller in the account. Every Firehose call goes through one
//! limiter so firekeeper never takes more than its configured share. CloudTrail
//! allows 2 LookupEvents a second per account and region: those calls have a
//! limiter of their own.

use std::num::NonZeroU32;

use async_trait::async_trait;
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};

use crate::cloud::{CallAnswer, Cloud, CloudError};
use crate::model::{
    Aggregated, Alias, CloudWatchUsage, EventPage, EventQuery, Identity, KeyRef, KmsKey,
    KmsMetrics, MetricRange, RecordPage, RecordedStream, Recording, SeriesAsk, SeriesListing,
    Stream, StreamPage,
};

/// Wraps a cloud so that its Firehose calls keep to one pace and its
/// CloudTrail calls to another, each evenly spaced.
pub struct Paced<C> {
    inner: C,
    firehose: ApiBudget,
    cloudtrail: ApiBudget,
}

/// One API budget: a limiter, and a queue in front of it.
struct ApiBudget {
    limiter: DefaultDirectRateLimiter,
    /// Callers take turns in arrival order: governor alone lets whichever
    /// waiter wakes first win, and a describe the user is waiting for could
    /// lose to background work again and again.
    queue: tokio::sync::Mutex<()>,
}

impl ApiBudget {
    fn new(per_second: NonZeroU32) -> ApiBudget {
        // A burst of one spaces calls evenly, which is what AWS's token bucket
        // tolerates best when other callers share the account's budget.
        let quota = Quota::per_second(per_second).allow_burst(NonZeroU32::MIN);
        ApiBudget {
            limiter: RateLimiter::direct(quota),
            queue: tokio::sync::Mutex::new(()),
        }
    }

    async fn turn(&self) {
        let _turn = self.queue.lock().await;
        self.limiter.until_ready().await;
    }
}

impl<C: Cloud> Paced<C> {
    /// Firehose calls at `firehose` a second, LookupEvents at `cloudtrail`.
    pub fn new(inner: C, firehose: NonZeroU32, cloudtrail: NonZeroU32) -> Self {
        Paced {
            inner,
            firehose: ApiBudget::new(firehose),
            cloudtrail: ApiBudget::new(cloudtrail),
        }
    }

    async fn turn(&self) {
        self.firehose.turn().await;
    }
}

#[async_trait]
impl<C: Cloud> Cloud for Paced<C> {
    fn region(&self) -> &str {
        self.inner.region()
    }

    async fn identity(&self) -> Result<Identity, CloudError> {
        self.inner.identity().await
    }

    async fn list_streams(
        &self,
        start_after: Option<&str>,
        limit: u32,
    ) -> Result<StreamPage, CloudError> {
        self.turn().await;
        self.inner.list_streams(start_after, limit).await
    }

    async fn describe_stream(&self, name: &str) -> Result<Stream, CloudError> {
        self.turn().await;
        self.inner.describe_stream(name).await
    }

    // A Start or Stop takes its turn first (`change_turn`), before it is
    // audited as sent: here it leaves at once, so a change stopped while it
    // waited for the pace never left, and its slot is given back.
    async fn start_encryption(&self, name: &str, key: &KeyRef) -> CallAnswer {
        self.inner.start_encryption(name, key).await
    }

    async fn stop_encryption(&self, name: &str) -> CallAnswer {
        self.inner.stop_encryption(name).await
    }

    async fn change_turn(&self) {
        self.turn().await;
    }

    async fn list_keys(&self) -> Result<Vec<String>, CloudError> {
        self.inner.list_keys().await
    }

    async fn list_aliases(&self) -> Result<Vec<Alias>, CloudError> {
        self.inner.list_aliases().await
    }

    async fn describe_key(&self, key: &str) -> Result<KmsKey, CloudError> {
        self.inner.describe_key(key).await
    }

    async fn key_rotations(
        &self,
        key: &str,
    ) -> Result<Vec<crate::model::RotationRecord>, CloudError> {
        self.inner.key_rotations(key).await
    }

    async fn rotate_key_now(&self, key: &str) -> crate::cloud::CallAnswer {
        self.inner.rotate_key_now(key).await
    }

    async fn set_auto_rotation(
        &self,
        key: &str,
        period_days: Option<u32>,
    ) -> crate::cloud::CallAnswer {
        self.inner.set_auto_rotation(key, period_days).await
    }

    async fn grant_check(&self, key_arn: &str) -> crate::cloud::GrantCheck {
        self.inner.grant_check(key_arn).await
    }

    async fn credentials(&self) -> crate::model::CredentialFacts {
        self.inner.credentials().await
    }

    async fn kms_metrics(
        &self,
        asks: &SeriesAsk,
        range: MetricRange,
    ) -> Result<KmsMetrics, CloudError> {
        self.inner.kms_metrics(asks, range).await
    }

    async fn list_metrics(&self, recently_active: bool) -> Result<SeriesListing, CloudError> {
        self.inner.list_metrics(recently_active).await
    }

    fn cloudwatch_usage(&self) -> CloudWatchUsage {
        self.inner.cloudwatch_usage()
    }

    async fn lookup_events(&self, query: &EventQuery) -> Result<EventPage, CloudError> {
        self.cloudtrail.turn().await;
        self.inner.lookup_events(query).await
    }

    // AWS Config's calls spend none of Firehose's or CloudTrail's budget:
    // a cold start reads its pages as fast as AWS Config answers them.
    async fn config_recording(&self) -> Result<Recording, CloudError> {
        self.inner.config_recording().await
    }

    async fn recorded_streams(
        &self,
        page: Option<&str>,
    ) -> Result<RecordPage<RecordedStream>, CloudError> {
        self.inner.recorded_streams(page).await
    }

    async fn aggregated_streams(
        &self,
        aggregator: &str,
        page: Option<&str>,
    ) -> Result<RecordPage<Aggregated>, CloudError> {
        self.inner.aggregated_streams(aggregator, page).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cloud::scenario::Scenario;
    use crate::cloud::sim::SimCloud;

    // governor keeps real time, so this takes a real second.
    #[tokio::test]
    async fn calls_keep_to_the_pace_and_are_served_in_arrival_order() {
        let paced = Paced::new(
            SimCloud::new(Scenario::builtin()),
            NonZeroU32::new(4).unwrap(),
            NonZeroU32::MIN,
        );
        let names = [
            "audit-trail",
            "billing-export",
            "cdc-customers",
            "dev-scratch",
            "waf-logs",
        ];
        let start = std::time::Instant::now();
        let order = std::sync::Mutex::new(Vec::new());
        let calls = names.iter().map(|n| {
            let (paced, order) = (&paced, &order);
            async move {
                paced.describe_stream(n).await.unwrap();
                order.lock().unwrap().push(*n);
            }
        });
        futures::future::join_all(calls).await;
        assert_eq!(*order.lock().unwrap(), names, "first come, first served");
        // Five calls at 4/s, evenly spaced: the fifth goes out a second later.
        assert!(start.elapsed() >= std::time::Duration::from_millis(950));
    }

    // LookupEvents has a budget of its own (2 a second per account and
    // region): history reads keep to it, and Firehose calls do not wait on it.
    #[tokio::test]
    async fn history_reads_keep_their_own_pace() {
        use crate::model::trail::Lookup;
        let paced = Paced::new(
            SimCloud::new(Scenario::builtin()),
            NonZeroU32::new(100).unwrap(),
            NonZeroU32::new(2).unwrap(),
        );
        let now = chrono::Utc::now();
        let query = EventQuery {
            lookup: Lookup::EventName("DisableKey".into()),
            start: now - chrono::Duration::hours(24),
            end: now,
            next_token: None,
        };
        let start = std::time::Instant::now();
        let reads = futures::future::join_all((0..3).map(|_| paced.lookup_events(&query)));
        let describes = async {
            for _ in 0..5 {
                paced.describe_stream("waf-logs").await.unwrap();
            }
            start.elapsed()
        };
        let (reads, described_in) = tokio::join!(reads, describes);
        assert!(reads.iter().all(Result::is_ok));
        assert!(
            described_in < std::time::Duration::from_millis(500),
            "describes did not wait for history reads: {described_in:?}"
        );
        // Three reads at 2/s, evenly spaced: the third a second after the first.
        assert!(start.elapsed() >= std::time::Duration::from_millis(950));
    }
}
