//! Firehose allows 5 calls per second per API per account and region, shared with
//! every other caller in the account. Every Firehose call goes through one
//! limiter so firekeeper never takes more than its configured share.

use std::collections::BTreeMap;
use std::num::NonZeroU32;

use async_trait::async_trait;
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};

use super::{
    Alias, Cloud, CloudError, Identity, KeyChoice, KmsKey, KmsSeries, MetricRange, Stream,
    StreamPage,
};

/// Wraps a cloud so that its Firehose calls keep to `per_second`, evenly spaced.
pub struct Paced<C> {
    inner: C,
    limiter: DefaultDirectRateLimiter,
}

impl<C: Cloud> Paced<C> {
    pub fn new(inner: C, per_second: NonZeroU32) -> Self {
        // A burst of one spaces calls evenly, which is what AWS's token bucket
        // tolerates best when other callers share the account's budget.
        let quota = Quota::per_second(per_second).allow_burst(NonZeroU32::MIN);
        Paced {
            inner,
            limiter: RateLimiter::direct(quota),
        }
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
        self.limiter.until_ready().await;
        self.inner.list_streams(start_after, limit).await
    }

    async fn describe_stream(&self, name: &str) -> Result<Stream, CloudError> {
        self.limiter.until_ready().await;
        self.inner.describe_stream(name).await
    }

    async fn start_encryption(&self, name: &str, key: &KeyChoice) -> Result<(), CloudError> {
        self.limiter.until_ready().await;
        self.inner.start_encryption(name, key).await
    }

    async fn stop_encryption(&self, name: &str) -> Result<(), CloudError> {
        self.limiter.until_ready().await;
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

    async fn kms_metrics(
        &self,
        streams: &[String],
        range: MetricRange,
    ) -> Result<BTreeMap<String, KmsSeries>, CloudError> {
        self.inner.kms_metrics(streams, range).await
    }
}
