//! The dashboard and `status` judge one fleet the same way, unreadable parts
//! included: the promise `fleet` exists to keep.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use async_trait::async_trait;

use crate::app::testing::{events_from, fixed_now};
use crate::app::{App, DashboardContext};
use crate::cloud::scenario::Scenario;
use crate::cloud::sim::SimCloud;
use crate::cloud::wrap::Wrapped;
use crate::cloud::{Cloud, CloudError};
use crate::config::Config;
use crate::health::Health;
use crate::model::Window;
use crate::model::{KmsKey, KmsMetrics, MetricRange, Stream};
use crate::quota::Ledger;

/// The demo, with some of it unreadable: one describe throttled, one
/// stream's metrics incomplete, one key KMS will not describe.
struct Flaky(SimCloud);

const THROTTLED: &str = "fraud-signals";
const PARTIAL: &str = "audit-trail";
const HIDDEN_KEY: &str = "5d4e1a6f-8f51-4c23-9e70-91a2b3c4d5e6";

#[async_trait]
impl Wrapped for Flaky {
    fn inner(&self) -> &dyn Cloud {
        &self.0
    }
    async fn describe_stream(&self, name: &str) -> Result<Stream, CloudError> {
        if name == THROTTLED {
            return Err(CloudError::Throttled("Rate exceeded".into()));
        }
        self.0.describe_stream(name).await
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
        asks: &crate::model::SeriesAsk,
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
    ) -> Result<crate::model::SeriesListing, CloudError> {
        let mut listing = self.0.list_metrics(recently_active).await?;
        listing
            .streams
            .insert(PARTIAL.into(), crate::model::MetricSet::ALL);
        Ok(listing)
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
        app.apply(crate::model::TargetId::FIRST, e);
    }
    let from_status: BTreeMap<&str, Health> = report
        .streams
        .iter()
        .map(|s| (s.name.as_str(), s.health))
        .collect();
    let from_dashboard: BTreeMap<&str, Health> = app
        .fleet
        .rows()
        .map(|(id, r)| (r.name.as_str(), app.health(id, r).0))
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
        let id = app.id(&s.name);
        let row = app.row(&id).unwrap();
        assert_eq!(app.health(&id, row).1, s.problems, "{}", s.name);
    }
}
