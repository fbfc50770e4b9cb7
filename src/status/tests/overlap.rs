//! `status` overlaps its reads: CloudTrail, ListMetrics and KMS start while
//! the describes are still under way, and the report is the one the same
//! reads give one after another. Proven on tokio's paused clock by the order
//! of the calls, never by how long anything took.

use std::future::Future;
use std::sync::Mutex;

use async_trait::async_trait;
use tokio::time::{sleep, Duration, Instant};

use super::*;
use crate::cloud::wrap::Wrapped;
use crate::model::{EventPage, EventQuery, KmsKey, Lookup, SeriesListing};

/// The demo's cloud with AWS-like waits: each describe answers in a second,
/// each CloudTrail page in ten; every call's start and end are noted.
struct Slow<'a> {
    sim: &'a SimCloud,
    start: Instant,
    calls: Mutex<Vec<Call>>,
}

#[derive(Debug, Clone)]
struct Call {
    what: String,
    began: Duration,
    ended: Duration,
}

impl<'a> Slow<'a> {
    fn new(sim: &'a SimCloud) -> Self {
        Slow {
            sim,
            start: Instant::now(),
            calls: Mutex::default(),
        }
    }

    async fn noted<T>(&self, what: String, wait: u64, call: impl Future<Output = T>) -> T {
        let began = self.start.elapsed();
        sleep(Duration::from_secs(wait)).await;
        let answer = call.await;
        let ended = self.start.elapsed();
        self.calls.lock().unwrap().push(Call { what, began, ended });
        answer
    }

    fn calls(&self, prefix: &str) -> Vec<Call> {
        let calls = self.calls.lock().unwrap();
        calls
            .iter()
            .filter(|c| c.what.starts_with(prefix))
            .cloned()
            .collect()
    }

    fn first_began(&self, prefix: &str) -> Duration {
        let calls = self.calls(prefix);
        let first = calls.iter().map(|c| c.began).min();
        first.unwrap_or_else(|| panic!("no {prefix} call"))
    }
}

#[async_trait]
impl Wrapped for Slow<'_> {
    fn inner(&self) -> &dyn Cloud {
        self.sim
    }
    async fn describe_stream(&self, name: &str) -> Result<Stream, CloudError> {
        let what = format!("describe {name}");
        self.noted(what, 1, self.sim.describe_stream(name)).await
    }
    async fn describe_key(&self, key: &str) -> Result<KmsKey, CloudError> {
        self.noted("describe_key".into(), 1, self.sim.describe_key(key))
            .await
    }
    async fn list_metrics(&self, recently_active: bool) -> Result<SeriesListing, CloudError> {
        let answer = self.sim.list_metrics(recently_active);
        self.noted("list_metrics".into(), 1, answer).await
    }
    async fn lookup_events(&self, query: &EventQuery) -> Result<EventPage, CloudError> {
        let name = match &query.lookup {
            Lookup::EventName(name) => name.clone(),
            other => format!("{other:?}"),
        };
        let what = format!("lookup_events {name}");
        self.noted(what, 10, self.sim.lookup_events(query)).await
    }
}

/// The report as JSON, without what counts this client's calls so far
/// (two runs on one simulator add up).
fn json_of(report: &Report) -> serde_json::Value {
    let mut json = serde_json::to_value(report).unwrap();
    json.as_object_mut().unwrap().remove("cloudwatch");
    json
}

#[tokio::test(start_paused = true)]
async fn cloudtrail_listmetrics_and_kms_start_before_the_last_describe_ends() {
    let sim = SimCloud::new(Scenario::builtin());
    let (config, ledger) = (Config::builtin(), Ledger::in_memory());
    let now = Utc::now();
    let plain = gather_at(&sim, &config, Window::H3, &[], &ledger, now)
        .await
        .unwrap();
    let slow = Slow::new(&sim);
    let report = gather_at(&slow, &config, Window::H3, &[], &ledger, now)
        .await
        .unwrap();

    let describes = slow.calls("describe ");
    assert!(describes.len() > 20, "{describes:?}");
    let last_describe = describes.iter().map(|c| c.ended).max().unwrap();
    // The quota's Start/Stop calls, who disabled billing-export's key, the
    // listing and the keys all began while streams were still described.
    for read in [
        "lookup_events StartDeliveryStreamEncryption",
        "lookup_events DisableKey",
        "list_metrics",
        "describe_key",
    ] {
        let began = slow.first_began(read);
        assert!(
            began < last_describe,
            "{read} began at {began:?}, the last describe ended at {last_describe:?}"
        );
    }
    // GetMetricData needs every stream's key: it comes after; the report is
    // whole all the same.
    assert_eq!(json_of(&report), json_of(&plain));
    assert!(
        report.streams.iter().all(|s| s.kms_errors.is_some()),
        "every stream's metrics read"
    );
    let billing = report
        .streams
        .iter()
        .find(|s| s.name == "billing-export")
        .unwrap();
    assert!(
        billing.problems[0].contains("was disabled by dana.whitfield at "),
        "{:?}",
        billing.problems
    );
}

/// A name AWS does not have asks no ListMetrics, as before the reads
/// overlapped: the listing waits for a stream to be described.
#[tokio::test(start_paused = true)]
async fn no_stream_described_asks_no_listing() {
    let sim = SimCloud::new(Scenario::builtin());
    let slow = Slow::new(&sim);
    let only = ["no-such-stream".to_string()];
    let report = gather(
        &slow,
        &Config::builtin(),
        Window::H3,
        &only,
        &Ledger::in_memory(),
    )
    .await
    .unwrap();
    assert_eq!(report.missing, only);
    assert!(slow.calls("list_metrics").is_empty());
    assert_eq!(report.cloudwatch.list_metrics_calls, 0);
}
