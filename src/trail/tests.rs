use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use async_trait::async_trait;

use super::*;
use crate::cloud::scenario::Scenario;
use crate::cloud::sim::SimCloud;
use crate::cloud::wrap::Wrapped;
use crate::cloud::{EventPage, KeyRef};

/// The demo's cloud, counting LookupEvents calls and failing or holding
/// them when told to.
struct Counted {
    sim: SimCloud,
    lookups: AtomicUsize,
    fail: Mutex<Option<CloudError>>,
    hang: bool,
}

impl Counted {
    fn new(scenario: Scenario) -> Counted {
        Counted {
            sim: SimCloud::new(scenario),
            lookups: AtomicUsize::new(0),
            fail: Mutex::new(None),
            hang: false,
        }
    }

    fn lookups(&self) -> usize {
        self.lookups.load(Ordering::SeqCst)
    }
}

#[async_trait]
impl Wrapped for Counted {
    fn inner(&self) -> &dyn Cloud {
        &self.sim
    }
    async fn lookup_events(&self, query: &EventQuery) -> Result<EventPage, CloudError> {
        self.lookups.fetch_add(1, Ordering::SeqCst);
        if self.hang {
            std::future::pending::<()>().await;
        }
        if let Some(e) = self.fail.lock().unwrap().clone() {
            return Err(e);
        }
        self.sim.lookup_events(query).await
    }
}

fn trail() -> Trail {
    Trail::new(true, Duration::from_secs(60), Duration::from_secs(60))
}

const ACCOUNT: &str = "123456789012";

#[tokio::test]
async fn the_demo_stream_has_22_calls_by_others_and_3_left() {
    let cloud = Counted::new(Scenario::builtin());
    let book = trail().book(&cloud, &[], ACCOUNT, Utc::now()).await;
    assert_eq!(book.source, quota::QuotaSource::LedgerAndCloudTrail);
    let q = book.quota("shipping-updates");
    assert_eq!((q.used, q.refused, q.remaining), (21, 1, 3));
    assert_eq!((q.used_here, q.used_elsewhere), (0, 22));
    let calls = book.calls("shipping-updates");
    let terraform = calls
        .iter()
        .filter(|c| c.by.as_deref() == Some("terraform"))
        .count();
    assert_eq!(terraform, 20, "mostly terraform");
    assert!(calls.windows(2).all(|w| w[0].at <= w[1].at), "oldest first");
    assert_eq!(
        book.quotas.len(),
        1,
        "a DisableKey spends no stream's quota"
    );
    // Two queries, one per event name: not one per stream.
    assert_eq!(cloud.lookups(), 2);
}

#[tokio::test]
async fn every_page_is_read_and_the_read_is_kept_for_the_poll() {
    let mut scenario = Scenario::builtin();
    scenario.cloudtrail_lag_secs = 0;
    let cloud = Counted::new(scenario);
    // 61 more Starts and Stops (most refused for the day: they count too).
    for i in 0..61 {
        let _ = if i % 2 == 0 {
            cloud
                .sim
                .start_encryption("dev-scratch", &KeyRef::AwsOwned)
                .await
        } else {
            cloud.sim.stop_encryption("dev-scratch").await
        };
    }
    let later = Utc::now();
    let calls = read_calls(&cloud, later).await.unwrap();
    assert_eq!(calls.len(), 22 + 61);
    // Starts: 20 + 31, two pages; Stops: 2 + 30, one.
    assert_eq!(cloud.lookups(), 3, "⌈51/50⌉ + ⌈32/50⌉");

    let t = trail();
    let first = t.calls(&cloud, later).await.unwrap();
    let kept = t.calls(&cloud, later).await.unwrap();
    assert!(Arc::ptr_eq(&first, &kept), "the same read");
    assert_eq!(cloud.lookups(), 6);
    t.forget().await;
    t.calls(&cloud, later).await.unwrap();
    assert_eq!(cloud.lookups(), 9);
}

#[tokio::test(start_paused = true)]
async fn a_read_is_asked_again_once_the_poll_has_passed() {
    let cloud = Counted::new(Scenario::builtin());
    let t = trail();
    t.calls(&cloud, Utc::now()).await.unwrap();
    tokio::time::advance(Duration::from_secs(59)).await;
    t.calls(&cloud, Utc::now()).await.unwrap();
    assert_eq!(cloud.lookups(), 2);
    tokio::time::advance(Duration::from_secs(1)).await;
    t.calls(&cloud, Utc::now()).await.unwrap();
    assert_eq!(cloud.lookups(), 4);
}

#[tokio::test]
async fn when_cloudtrail_cannot_be_read_the_ledger_counts_alone_and_says_why() {
    let cloud = Counted::new(Scenario::builtin());
    *cloud.fail.lock().unwrap() = Some(CloudError::AccessDenied(
        "not authorized to perform: cloudtrail:LookupEvents".into(),
    ));
    let book = trail().book(&cloud, &[], ACCOUNT, Utc::now()).await;
    let why = book.source.reason().unwrap();
    assert!(why.contains("allow cloudtrail:LookupEvents"), "{why}");
    assert_eq!(
        book.quota("shipping-updates").used,
        0,
        "the ledger knows none"
    );
    assert_eq!(cloud.lookups(), 1, "the first refusal ends the read");

    *cloud.fail.lock().unwrap() = Some(CloudError::Throttled("Rate exceeded".into()));
    let book = trail().book(&cloud, &[], ACCOUNT, Utc::now()).await;
    assert!(
        book.source.reason().unwrap().contains("throttled"),
        "{:?}",
        book.source
    );

    let off = Trail::off().book(&cloud, &[], ACCOUNT, Utc::now()).await;
    assert_eq!(
        off.source.reason(),
        Some("CloudTrail is off ([cloudtrail] enabled = false)")
    );
    assert_eq!(cloud.lookups(), 2, "off asks nothing");
}

#[tokio::test(start_paused = true)]
async fn a_read_that_does_not_end_gives_way_to_the_ledger() {
    let mut cloud = Counted::new(Scenario::builtin());
    cloud.hang = true;
    let t = Trail::new(true, Duration::from_secs(60), Duration::from_secs(30));
    let calls = t.calls(&cloud, Utc::now()).await;
    assert_eq!(
        calls.unwrap_err(),
        "CloudTrail's event history was not read within 30 s"
    );
}

#[tokio::test]
async fn the_ledgers_own_calls_count_once_once_cloudtrail_shows_them() {
    let mut scenario = Scenario::builtin();
    scenario.cloudtrail_lag_secs = 0;
    let cloud = Counted::new(scenario);
    let answer = cloud.sim.stop_encryption("shipping-updates").await;
    let entry = Entry {
        at: Utc::now(),
        id: "1".into(),
        account: ACCOUNT.into(),
        region: "us-east-1".into(),
        stream: "shipping-updates".into(),
        action: quota::Operation::Stop,
        outcome: quota::Outcome::Accepted,
        request_id: answer.request_id,
        access_key_id: None,
        error: None,
    };
    let book = trail().book(&cloud, &[entry], ACCOUNT, Utc::now()).await;
    let q = book.quota("shipping-updates");
    // One of the 22 is a call AWS refused (ResourceInUseException).
    assert_eq!(
        (q.used, q.refused, q.used_here, q.used_elsewhere),
        (22, 1, 1, 22)
    );
    let mine = book.calls("shipping-updates").last().unwrap().clone();
    assert_eq!((mine.here, mine.by.as_deref()), (true, Some("firekeeper")));
}
