use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use async_trait::async_trait;

use super::*;
use crate::cloud::scenario::Scenario;
use crate::cloud::sim::SimCloud;
use crate::cloud::wrap::Wrapped;
use crate::model::{EventPage, KeyRef};

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
    let book = trail()
        .book(&cloud, &[], ACCOUNT, Utc::now())
        .await
        .unwrap();
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
    let calls = read_calls(&cloud, later, Instant::now() + Duration::from_secs(60))
        .await
        .unwrap();
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
    let book = trail()
        .book(&cloud, &[], ACCOUNT, Utc::now())
        .await
        .unwrap();
    let why = book.source.reason().unwrap();
    assert!(why.contains("allow cloudtrail:LookupEvents"), "{why}");
    assert_eq!(
        book.quota("shipping-updates").used,
        0,
        "the ledger knows none"
    );
    assert_eq!(cloud.lookups(), 1, "the first refusal ends the read");

    *cloud.fail.lock().unwrap() = Some(CloudError::Throttled("Rate exceeded".into()));
    let book = trail()
        .book(&cloud, &[], ACCOUNT, Utc::now())
        .await
        .unwrap();
    assert!(
        book.source.reason().unwrap().contains("throttled"),
        "{:?}",
        book.source
    );

    let off = Trail::off()
        .book(&cloud, &[], ACCOUNT, Utc::now())
        .await
        .unwrap();
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
        "CloudTrail's event history was not read within 60 s"
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
    let book = trail()
        .book(&cloud, &[entry], ACCOUNT, Utc::now())
        .await
        .unwrap();
    let q = book.quota("shipping-updates");
    // One of the 22 is a call AWS refused (ResourceInUseException).
    assert_eq!(
        (q.used, q.refused, q.used_here, q.used_elsewhere),
        (22, 1, 1, 22)
    );
    let mine = book.calls("shipping-updates").last().unwrap().clone();
    assert_eq!((mine.here, mine.by.as_deref()), (true, Some("firekeeper")));
}

/// A region with `pages` full pages of Starts (50 a page, one a minute back
/// from now) and no Stops, each page taking `slow` to come.
struct Busy {
    sim: SimCloud,
    pages: usize,
    slow: Duration,
    asked: AtomicUsize,
}

impl Busy {
    fn new(pages: usize, slow: Duration) -> Busy {
        Busy {
            sim: SimCloud::new(Scenario::builtin()),
            pages,
            slow,
            asked: AtomicUsize::new(0),
        }
    }
}

#[async_trait]
impl Wrapped for Busy {
    fn inner(&self) -> &dyn Cloud {
        &self.sim
    }
    async fn lookup_events(&self, query: &EventQuery) -> Result<EventPage, CloudError> {
        self.asked.fetch_add(1, Ordering::SeqCst);
        tokio::time::sleep(self.slow).await;
        if query.lookup != crate::model::Lookup::EventName(START.into()) {
            return Ok(EventPage::default());
        }
        let page: usize = query
            .next_token
            .as_deref()
            .map_or(0, |t| t.parse().unwrap());
        let events = (0..crate::model::trail::PAGE)
            .map(|i| {
                let n = page * crate::model::trail::PAGE + i;
                TrailEvent {
                    at: query.end - chrono::Duration::seconds(n as i64 * 10),
                    name: START.into(),
                    source: crate::model::trail::FIREHOSE.into(),
                    by: Some("terraform".into()),
                    resource: Some(format!("s-{}", n % 400)),
                    request_id: Some(format!("r-{n}")),
                    error_code: None,
                    key: Some(KeyRef::AwsOwned),
                    access_key_id: None,
                    event_id: Some(format!("e-{n}")),
                    user_agent: None,
                }
            })
            .collect();
        let next = page + 1;
        Ok(EventPage {
            events,
            next_token: (next < self.pages).then(|| next.to_string()),
        })
    }
}

#[tokio::test]
async fn the_quota_reads_every_page_back_to_the_day_boundary_not_a_fixed_count() {
    // 150 pages: more than the 100 the read once stopped at.
    let cloud = Busy::new(150, Duration::ZERO);
    let book = trail()
        .book(&cloud, &[], ACCOUNT, Utc::now())
        .await
        .unwrap();
    let counted: u32 = book.quotas.values().map(|q| q.used_elsewhere).sum();
    assert_eq!(counted, 150 * 50, "every Start of the day");
    assert_eq!(
        cloud.asked.load(Ordering::SeqCst),
        151,
        "150 pages, and the Stops"
    );
}

#[tokio::test(start_paused = true)]
async fn a_read_that_cannot_reach_the_day_boundary_in_time_gives_no_count() {
    // A page a second (CloudTrail's pace), 120 pages, 60 s to read them in.
    let cloud = Busy::new(120, Duration::from_secs(1));
    let t = Trail::new(true, Duration::from_secs(60), Duration::from_secs(60));
    let why = t
        .book(&cloud, &[], ACCOUNT, Utc::now())
        .await
        .expect_err("unknown, never a short count");
    assert!(
        why.contains("more StartDeliveryStreamEncryption calls"),
        "{why}"
    );
    assert!(why.contains("would be short"), "{why}");
    let asked = cloud.asked.load(Ordering::SeqCst);
    assert!(
        (60..=62).contains(&asked),
        "paged for the patience: {asked}"
    );
    // A change checks the same read: it is refused, not counted short.
    let calls = t.calls(&cloud, Utc::now()).await;
    assert!(calls.is_err());
}

#[test]
fn a_look_starts_an_hour_before_the_last_one_ended_and_at_most_a_day_back() {
    let end = Utc::now();
    let day = chrono::Duration::hours(24);
    assert_eq!(look_since(None, end), end - day);
    let last = end - chrono::Duration::minutes(1);
    assert_eq!(
        look_since(Some(last), end),
        last - chrono::Duration::minutes(60)
    );
    let long_ago = end - chrono::Duration::hours(30);
    assert_eq!(look_since(Some(long_ago), end), end - day);
}
