//! Test clouds that answer a few calls their own way (a panic, a throttle,
//! a script) and pass the rest to another cloud: a wrapper implements
//! `Wrapped`, overriding only what it changes, and is a `Cloud` by that.
//! Written once here, a new `Cloud` method is added in one place for every
//! test cloud.

use async_trait::async_trait;

use crate::cloud::{CallAnswer, Cloud, CloudError, GrantCheck};
use crate::model::{
    Aggregated, Alias, CloudWatchUsage, CredentialFacts, EventPage, EventQuery, Identity, KeyRef,
    KmsKey, KmsMetrics, MetricRange, RecordPage, RecordedStream, Recording, RotationRecord,
    SeriesAsk, SeriesListing, Stream, StreamPage,
};

/// Every `Cloud` call, by default the inner cloud's answer.
#[async_trait]
pub trait Wrapped: Send + Sync {
    /// The cloud that answers what the wrapper does not.
    fn inner(&self) -> &dyn Cloud;

    fn region(&self) -> &str {
        self.inner().region()
    }
    async fn identity(&self) -> Result<Identity, CloudError> {
        self.inner().identity().await
    }
    async fn list_streams(
        &self,
        start_after: Option<&str>,
        limit: u32,
    ) -> Result<StreamPage, CloudError> {
        self.inner().list_streams(start_after, limit).await
    }
    async fn describe_stream(&self, name: &str) -> Result<Stream, CloudError> {
        self.inner().describe_stream(name).await
    }
    async fn start_encryption(&self, name: &str, key: &KeyRef) -> CallAnswer {
        self.inner().start_encryption(name, key).await
    }
    async fn stop_encryption(&self, name: &str) -> CallAnswer {
        self.inner().stop_encryption(name).await
    }
    async fn change_turn(&self) {
        self.inner().change_turn().await;
    }
    async fn list_keys(&self) -> Result<Vec<String>, CloudError> {
        self.inner().list_keys().await
    }
    async fn list_aliases(&self) -> Result<Vec<Alias>, CloudError> {
        self.inner().list_aliases().await
    }
    async fn describe_key(&self, key: &str) -> Result<KmsKey, CloudError> {
        self.inner().describe_key(key).await
    }
    async fn key_rotations(&self, key: &str) -> Result<Vec<RotationRecord>, CloudError> {
        self.inner().key_rotations(key).await
    }
    async fn rotate_key_now(&self, key: &str) -> CallAnswer {
        self.inner().rotate_key_now(key).await
    }
    async fn set_auto_rotation(&self, key: &str, period_days: Option<u32>) -> CallAnswer {
        self.inner().set_auto_rotation(key, period_days).await
    }
    async fn grant_check(&self, key_arn: &str) -> GrantCheck {
        self.inner().grant_check(key_arn).await
    }
    async fn credentials(&self) -> CredentialFacts {
        self.inner().credentials().await
    }
    async fn kms_metrics(
        &self,
        asks: &SeriesAsk,
        range: MetricRange,
    ) -> Result<KmsMetrics, CloudError> {
        self.inner().kms_metrics(asks, range).await
    }
    async fn list_metrics(&self, recently_active: bool) -> Result<SeriesListing, CloudError> {
        self.inner().list_metrics(recently_active).await
    }
    fn cloudwatch_usage(&self) -> CloudWatchUsage {
        self.inner().cloudwatch_usage()
    }
    async fn lookup_events(&self, query: &EventQuery) -> Result<EventPage, CloudError> {
        self.inner().lookup_events(query).await
    }
    async fn config_recording(&self) -> Result<Recording, CloudError> {
        self.inner().config_recording().await
    }
    async fn recorded_streams(
        &self,
        page: Option<&str>,
    ) -> Result<RecordPage<RecordedStream>, CloudError> {
        self.inner().recorded_streams(page).await
    }
    async fn aggregated_streams(
        &self,
        aggregator: &str,
        page: Option<&str>,
    ) -> Result<RecordPage<Aggregated>, CloudError> {
        self.inner().aggregated_streams(aggregator, page).await
    }
}

#[async_trait]
impl<T: Wrapped> Cloud for T {
    fn region(&self) -> &str {
        Wrapped::region(self)
    }
    async fn identity(&self) -> Result<Identity, CloudError> {
        Wrapped::identity(self).await
    }
    async fn list_streams(
        &self,
        start_after: Option<&str>,
        limit: u32,
    ) -> Result<StreamPage, CloudError> {
        Wrapped::list_streams(self, start_after, limit).await
    }
    async fn describe_stream(&self, name: &str) -> Result<Stream, CloudError> {
        Wrapped::describe_stream(self, name).await
    }
    async fn start_encryption(&self, name: &str, key: &KeyRef) -> CallAnswer {
        Wrapped::start_encryption(self, name, key).await
    }
    async fn stop_encryption(&self, name: &str) -> CallAnswer {
        Wrapped::stop_encryption(self, name).await
    }
    async fn change_turn(&self) {
        Wrapped::change_turn(self).await;
    }
    async fn list_keys(&self) -> Result<Vec<String>, CloudError> {
        Wrapped::list_keys(self).await
    }
    async fn list_aliases(&self) -> Result<Vec<Alias>, CloudError> {
        Wrapped::list_aliases(self).await
    }
    async fn describe_key(&self, key: &str) -> Result<KmsKey, CloudError> {
        Wrapped::describe_key(self, key).await
    }
    async fn key_rotations(&self, key: &str) -> Result<Vec<RotationRecord>, CloudError> {
        Wrapped::key_rotations(self, key).await
    }
    async fn rotate_key_now(&self, key: &str) -> CallAnswer {
        Wrapped::rotate_key_now(self, key).await
    }
    async fn set_auto_rotation(&self, key: &str, period_days: Option<u32>) -> CallAnswer {
        Wrapped::set_auto_rotation(self, key, period_days).await
    }
    async fn grant_check(&self, key_arn: &str) -> GrantCheck {
        Wrapped::grant_check(self, key_arn).await
    }
    async fn credentials(&self) -> CredentialFacts {
        Wrapped::credentials(self).await
    }
    async fn kms_metrics(
        &self,
        asks: &SeriesAsk,
        range: MetricRange,
    ) -> Result<KmsMetrics, CloudError> {
        Wrapped::kms_metrics(self, asks, range).await
    }
    async fn list_metrics(&self, recently_active: bool) -> Result<SeriesListing, CloudError> {
        Wrapped::list_metrics(self, recently_active).await
    }
    fn cloudwatch_usage(&self) -> CloudWatchUsage {
        Wrapped::cloudwatch_usage(self)
    }
    async fn lookup_events(&self, query: &EventQuery) -> Result<EventPage, CloudError> {
        Wrapped::lookup_events(self, query).await
    }
    async fn config_recording(&self) -> Result<Recording, CloudError> {
        Wrapped::config_recording(self).await
    }
    async fn recorded_streams(
        &self,
        page: Option<&str>,
    ) -> Result<RecordPage<RecordedStream>, CloudError> {
        Wrapped::recorded_streams(self, page).await
    }
    async fn aggregated_streams(
        &self,
        aggregator: &str,
        page: Option<&str>,
    ) -> Result<RecordPage<Aggregated>, CloudError> {
        Wrapped::aggregated_streams(self, aggregator, page).await
    }
}
