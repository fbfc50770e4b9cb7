//! Firehose allows 5 calls per second per API per account and region, shared with
//! every other caller in the account. Every Firehose call goes through one
//! limiter so firekeeper never takes more than its configured share.

use std::num::NonZeroU32;

use async_trait::async_trait;
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};

use super::{
    Alias, Cloud, CloudError, Identity, KeyRef, KmsKey, KmsMetrics, MetricRange, Stream, StreamPage,
};

/// Wraps a cloud so that its Firehose calls keep to `per_second`, evenly spaced.
pub struct Paced<C> {
    inner: C,
    limiter: DefaultDirectRateLimiter,
    /// Callers take turns in arrival order: governor alone lets whichever
    /// waiter wakes first win, and a describe the user is waiting for could
    /// lose to background work again and again.
    queue: tokio::sync::Mutex<()>,
}

impl<C: Cloud> Paced<C> {
    pub fn new(inner: C, per_second: NonZeroU32) -> Self {
        // A burst of one spaces calls evenly, which is what AWS's token bucket
        // tolerates best when other callers share the account's budget.
        let quota = Quota::per_second(per_second).allow_burst(NonZeroU32::MIN);
        Paced {
            inner,
            limiter: RateLimiter::direct(quota),
            queue: tokio::sync::Mutex::new(()),
        }
    }

    async fn turn(&self) {
        let _turn = self.queue.lock().await;
        self.limiter.until_ready().await;
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

    async fn start_encryption(&self, name: &str, key: &KeyRef) -> Result<(), CloudError> {
        self.turn().await;
        self.inner.start_encryption(name, key).await
    }

    async fn stop_encryption(&self, name: &str) -> Result<(), CloudError> {
        self.turn().await;
        self.inner.stop_encryption(name).await
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

    async fn credentials(&self) -> crate::cloud::CredentialFacts {
        self.inner.credentials().await
    }

    async fn kms_metrics(
        &self,
        streams: &[String],
        range: MetricRange,
    ) -> Result<KmsMetrics, CloudError> {
        self.inner.kms_metrics(streams, range).await
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
}
