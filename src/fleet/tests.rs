//! The dashboard and `status` judge one fleet the same way, unreadable parts
//! included: the promise `fleet` exists to keep.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use async_trait::async_trait;

use crate::app::testing::{events_from, fixed_now};
use crate::app::{App, DashboardContext};
use crate::cloud::scenario::Scenario;
use crate::cloud::sim::SimCloud;
use crate::cloud::{
    Alias, Cloud, CloudError, Identity, KeyRef, KmsKey, KmsMetrics, MetricRange, Stream, StreamPage,
};
use crate::config::Config;
use crate::health::Health;
use crate::model::Window;
use crate::quota::Ledger;

/// The demo, with some of it unreadable: one describe throttled, one
/// stream's metrics incomplete, one key KMS will not describe.
struct Flaky(SimCloud);

const THROTTLED: &str = "fraud-signals";
const PARTIAL: &str = "audit-trail";
const HIDDEN_KEY: &str = "5d4e1a6f-8f51-4c23-9e70-91a2b3c4d5e6";

#[async_trait]
impl Cloud for Flaky {
    fn region(&self) -> &str {
        self.0.region()
    }
    async fn identity(&self) -> Result<Identity, CloudError> {
        self.0.identity().await
    }
    async fn key_rotations(
        &self,
        key: &str,
    ) -> Result<Vec<crate::cloud::RotationRecord>, CloudError> {
        self.0.key_rotations(key).await
    }
    async fn rotate_key_now(&self, key: &str) -> crate::cloud::CallAnswer {
        self.0.rotate_key_now(key).await
    }
    async fn set_auto_rotation(
        &self,
        key: &str,
        period_days: Option<u32>,
    ) -> crate::cloud::CallAnswer {
        self.0.set_auto_rotation(key, period_days).await
    }
    async fn list_streams(
        &self,
        after: Option<&str>,
        limit: u32,
    ) -> Result<StreamPage, CloudError> {
        self.0.list_streams(after, limit).await
    }
    async fn describe_stream(&self, name: &str) -> Result<Stream, CloudError> {
        if name == THROTTLED {
            return Err(CloudError::Throttled("Rate exceeded".into()));
        }
        self.0.describe_stream(name).await
    }
    async fn start_encryption(&self, name: &str, key: &KeyRef) -> crate::cloud::CallAnswer {
        self.0.start_encryption(name, key).await
    }
    async fn stop_encryption(&self, name: &str) -> crate::cloud::CallAnswer {
        self.0.stop_encryption(name).await
    }
    async fn list_keys(&self) -> Result<Vec<String>, CloudError> {
        self.0.list_keys().await
    }
    async fn list_aliases(&self) -> Result<Vec<Alias>, CloudError> {
        self.0.list_aliases().await
    }
    async fn describe_key(&self, key: &str) -> Result<KmsKey, CloudError> {
        if key.contains(HIDDEN_KEY) {
            return Err(CloudError::AccessDenied(
                "not allowed: kms:DescribeKey".into(),
            ));
        }
        self.0.describe_key(key).await
    }
    async fn kms_metrics(
        &self,
        asks: &crate::cloud::SeriesAsk,
        range: MetricRange,
    ) -> Result<KmsMetrics, CloudError> {
        let mut m = self.0.kms_metrics(asks, range).await?;
        if asks.contains_key(PARTIAL) {
            m.series.remove(PARTIAL);
            m.unknown.insert(
                PARTIAL.into(),
                "CloudWatch did not return complete data (KMSKeyDisabled PartialData)".into(),
            );
        }
        Ok(m)
    }
    /// CloudWatch lists the partial stream's series: it is asked for.
    async fn list_metrics(
        &self,
        recently_active: bool,
    ) -> Result<crate::cloud::SeriesListing, CloudError> {
        let mut listing = self.0.list_metrics(recently_active).await?;
        listing
            .streams
            .insert(PARTIAL.into(), crate::cloud::MetricSet::ALL);
        Ok(listing)
    }
    fn cloudwatch_usage(&self) -> crate::cloud::CloudWatchUsage {
        self.0.cloudwatch_usage()
    }
    async fn lookup_events(
        &self,
        query: &crate::cloud::EventQuery,
    ) -> Result<crate::cloud::EventPage, CloudError> {
        self.0.lookup_events(query).await
    }
}

fn flaky() -> Flaky {
    let now = fixed_now();
    Flaky(SimCloud::with_clock(
        Scenario::builtin(),
        Arc::new(move || now),
    ))
}

#[tokio::test]
async fn dashboard_and_status_give_every_stream_the_same_health() {
    let cloud = flaky();
    let config = Config::builtin();
    let window = Window::H3;
    let report = crate::status::gather_at(
        &cloud,
        &config,
        window,
        &[],
        &Ledger::in_memory(),
        fixed_now(),
    )
    .await
    .unwrap();
    let mut app = App::new(DashboardContext::default(), &config, window, fixed_now());
    for e in events_from(&cloud, window, fixed_now()).await {
        app.apply(e);
    }
    let from_status: BTreeMap<&str, Health> = report
        .streams
        .iter()
        .map(|s| (s.name.as_str(), s.health))
        .collect();
    let from_dashboard: BTreeMap<&str, Health> = app
        .rows
        .iter()
        .map(|r| (r.name.as_str(), app.health(r).0))
        .collect();
    assert_eq!(from_status, from_dashboard);
    // The unreadable parts are unknown in both, never ok.
    assert_eq!(from_status[THROTTLED], Health::Unknown);
    assert_eq!(from_status[PARTIAL], Health::Unknown);
    assert_eq!(
        from_status["lambda-logs"],
        Health::Unknown,
        "on the hidden key"
    );
    // And the rest is still judged: all four healths appear.
    let seen: BTreeSet<Health> = from_status.values().copied().collect();
    assert_eq!(seen.len(), 4, "{seen:?}");
    // Problems agree word for word, too.
    for s in &report.streams {
        let row = app.row(&s.name).unwrap();
        assert_eq!(app.health(row).1, s.problems, "{}", s.name);
    }
}
