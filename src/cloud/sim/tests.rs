use super::*;
use crate::cloud::scenario::Scenario;
use crate::model::every_series;
use crate::model::trail::Lookup;

struct Harness {
    sim: SimCloud,
    now: Arc<Mutex<DateTime<Utc>>>,
}

impl Harness {
    fn new() -> Harness {
        let now = Arc::new(Mutex::new(
            DateTime::parse_from_rfc3339("2026-11-21T12:00:00Z")
                .unwrap()
                .with_timezone(&Utc),
        ));
        let clock_now = now.clone();
        let sim = SimCloud::with_clock(
            Scenario::builtin(),
            Arc::new(move || *clock_now.lock().unwrap()),
        );
        Harness { sim, now }
    }

    fn advance(&self, secs: i64) {
        *self.now.lock().unwrap() += Duration::seconds(secs);
    }

    fn now(&self) -> DateTime<Utc> {
        *self.now.lock().unwrap()
    }

    async fn encryption(&self, name: &str) -> Encryption {
        self.sim.describe_stream(name).await.unwrap().encryption
    }

    async fn key_arn(&self, alias: &str) -> String {
        self.sim.describe_key(alias).await.unwrap().arn
    }
}

#[tokio::test]
async fn start_is_asynchronous_enabling_then_enabled() {
    let h = Harness::new();
    let new_key = h.key_arn("alias/orders-events-2026").await;
    let choice = KeyRef::Customer(new_key.clone());
    h.sim
        .start_encryption("order-events", &choice)
        .await
        .result
        .unwrap();
    let e = h.encryption("order-events").await;
    assert_eq!(e.status, EncryptionStatus::Enabling);
    h.advance(5);
    let e = h.encryption("order-events").await;
    assert_eq!(e.status, EncryptionStatus::Enabled);
    assert_eq!(e.key_arn.as_deref(), Some(new_key.as_str()));
    assert_eq!(e.key_type, Some(KeyType::CustomerManaged));
}

#[tokio::test]
async fn failed_change_keeps_the_old_key_and_says_why() {
    let h = Harness::new();
    let old = h.encryption("order-events").await.key_arn.unwrap();
    for (alias, kind) in [
        ("alias/legacy-billing", "DISABLED_KMS_KEY"),
        ("alias/retired-clickstream", "INVALID_KMS_KEY"),
        ("alias/signing-rsa", "INVALID_KMS_KEY"),
    ] {
        let arn = h.key_arn(alias).await;
        h.sim
            .start_encryption("order-events", &KeyRef::Customer(arn))
            .await
            .result
            .unwrap();
        h.advance(5);
        let e = h.encryption("order-events").await;
        assert_eq!(e.status, EncryptionStatus::EnablingFailed, "{alias}");
        assert_eq!(
            e.key_arn.as_deref(),
            Some(old.as_str()),
            "{alias} keeps old key"
        );
        assert_eq!(e.failure.unwrap().kind, kind);
    }
}

#[tokio::test]
async fn failed_enable_on_unencrypted_stream_leaves_it_unencrypted_of_errors() {
    let h = Harness::new();
    let arn = h.key_arn("alias/legacy-billing").await;
    h.sim
        .start_encryption("dev-scratch", &KeyRef::Customer(arn))
        .await
        .result
        .unwrap();
    h.advance(5);
    let e = h.encryption("dev-scratch").await;
    assert_eq!(e.status, EncryptionStatus::EnablingFailed);
    // Nothing was ever encrypted, so KMS cannot refuse the stream's data.
    let range = MetricRange {
        start: h.now() - Duration::hours(1),
        end: h.now(),
        period_secs: 60,
    };
    let m = h
        .sim
        .kms_metrics(&every_series(&["dev-scratch".into()]), range)
        .await
        .unwrap()
        .series;
    assert!(m.is_empty());
}

#[tokio::test]
async fn the_twenty_sixth_call_in_24_hours_is_refused() {
    let h = Harness::new();
    for i in 0..CALLS_PER_DAY {
        if i % 2 == 0 {
            h.sim
                .start_encryption("waf-logs", &KeyRef::AwsOwned)
                .await
                .result
                .unwrap();
        } else {
            h.sim.stop_encryption("waf-logs").await.result.unwrap();
        }
        h.advance(60);
    }
    let err = h.sim.stop_encryption("waf-logs").await.result.unwrap_err();
    assert!(matches!(err, CloudError::LimitExceeded(_)), "{err}");
    // The first call leaves the rolling window 24 hours after it was made.
    h.advance(24 * 3600 - 25 * 60 + 1);
    h.sim.stop_encryption("waf-logs").await.result.unwrap();
}

#[tokio::test]
async fn aws_refuses_what_it_should() {
    let h = Harness::new();
    let aws = KeyRef::AwsOwned;
    let err = h
        .sim
        .start_encryption("clickstream-raw", &aws)
        .await
        .result
        .unwrap_err();
    assert!(matches!(err, CloudError::InvalidArgument(_)), "{err}");
    let err = h
        .sim
        .start_encryption("nightly-backfill", &aws)
        .await
        .result
        .unwrap_err();
    assert!(matches!(err, CloudError::InUse(_)), "CREATING: {err}");
    let err = h
        .sim
        .start_encryption("fraud-signals", &aws)
        .await
        .result
        .unwrap_err();
    assert!(matches!(err, CloudError::InUse(_)), "ENABLING: {err}");
    let err = h
        .sim
        .start_encryption("no-such-stream", &aws)
        .await
        .result
        .unwrap_err();
    assert!(matches!(err, CloudError::NotFound(_)), "{err}");
    // Refused calls do not use up the quota.
    assert!(h.sim.state.lock().unwrap().streams["clickstream-raw"]
        .calls
        .is_empty());
}

#[tokio::test]
async fn stop_goes_through_disabling() {
    let h = Harness::new();
    h.sim
        .stop_encryption("checkout-events")
        .await
        .result
        .unwrap();
    assert_eq!(
        h.encryption("checkout-events").await.status,
        EncryptionStatus::Disabling
    );
    h.advance(5);
    assert_eq!(h.encryption("checkout-events").await, Encryption::default());
}

#[tokio::test]
async fn disabled_key_produces_errors_every_minute_until_the_stream_moves() {
    let h = Harness::new();
    let range = |h: &Harness, hours: i64| MetricRange {
        start: h.now() - Duration::hours(hours),
        end: h.now(),
        period_secs: 60,
    };
    let names = vec!["billing-export".to_string(), "order-events".to_string()];
    let m = h
        .sim
        .kms_metrics(&every_series(&names), range(&h, 24))
        .await
        .unwrap()
        .series;
    assert!(
        !m.contains_key("order-events"),
        "a healthy stream has no errors"
    );
    let disabled = m["billing-export"].get(KmsMetric::Disabled);
    // Disabled an hour before the demo began: one datapoint a minute since.
    assert!((55..=61).contains(&disabled.len()), "{}", disabled.len());
    assert!(disabled.first().unwrap().0 >= h.now() - Duration::hours(1) - Duration::minutes(1));

    let arn = h.key_arn("alias/orders-events").await;
    h.sim
        .start_encryption("billing-export", &KeyRef::Customer(arn))
        .await
        .result
        .unwrap();
    h.advance(3600);
    let m = h
        .sim
        .kms_metrics(&every_series(&names), range(&h, 1))
        .await
        .unwrap()
        .series;
    let recent = m
        .get("billing-export")
        .map(|s| s.get(KmsMetric::Disabled).clone());
    assert!(
        recent
            .unwrap_or_default()
            .iter()
            .all(|(t, _)| *t < h.now() - Duration::minutes(59)),
        "no errors once the stream is on a working key"
    );
}

#[tokio::test]
async fn listing_pages_in_name_order() {
    let h = Harness::new();
    let first = h.sim.list_streams(None, 10).await.unwrap();
    assert_eq!(first.names.len(), 10);
    assert!(first.has_more);
    assert!(first.names.windows(2).all(|w| w[0] < w[1]));
    let next = h
        .sim
        .list_streams(first.names.last().map(String::as_str), 10_000)
        .await
        .unwrap();
    assert!(!next.has_more);
    assert!(next.names[0] > first.names[9]);
}

#[tokio::test]
async fn keys_resolve_by_id_arn_alias_and_alias_arn() {
    let h = Harness::new();
    let k = h.sim.describe_key("alias/payments").await.unwrap();
    for form in [
        k.id.clone(),
        k.arn.clone(),
        "alias/pci".to_string(),
        "arn:aws:kms:us-east-1:123456789012:alias/payments".to_string(),
    ] {
        assert_eq!(h.sim.describe_key(&form).await.unwrap().id, k.id, "{form}");
    }
    let ids = h.sim.list_keys().await.unwrap();
    assert!(
        !ids.iter().any(|id| id.starts_with("91825ea3")),
        "other region's key is not listed"
    );
}

fn history(lookup: Lookup, h: &Harness) -> EventQuery {
    EventQuery {
        lookup,
        start: h.now() - Duration::hours(24),
        end: h.now(),
        next_token: None,
    }
}

#[tokio::test]
async fn every_start_and_stop_is_in_the_event_history_refused_or_not() {
    use crate::model::trail;
    let h = Harness::new();
    let key = KeyRef::Customer(h.key_arn("alias/orders-events-2026").await);
    h.sim
        .start_encryption("order-events", &key)
        .await
        .result
        .unwrap();
    h.advance(1);
    // Still ENABLING: AWS refuses, and CloudTrail records the refusal.
    h.sim
        .stop_encryption("order-events")
        .await
        .result
        .unwrap_err();
    // The demo's CloudTrail shows calls 5 minutes after they are made.
    h.advance(300);
    let query = history(Lookup::ResourceName("order-events".into()), &h);
    let page = h.sim.lookup_events(&query).await.unwrap();
    assert_eq!(page.next_token, None);
    let [stop, start] = &page.events[..] else {
        panic!("two events: {page:?}");
    };
    assert_eq!(
        (stop.name.as_str(), start.name.as_str()),
        (trail::STOP, trail::START),
        "newest first"
    );
    assert_eq!(stop.error_code.as_deref(), Some("ResourceInUseException"));
    assert_eq!(stop.key, None);
    assert_eq!(start.error_code, None);
    assert_eq!(start.key, Some(key));
    assert_eq!(start.by.as_deref(), Some("firekeeper"));
    assert_eq!(start.source, trail::FIREHOSE);
    assert_eq!(start.at, h.now() - Duration::seconds(301));
    assert!(start.request_id.is_some() && start.request_id != stop.request_id);
    let by_name = history(Lookup::EventName(trail::STOP.into()), &h);
    let stops = h.sim.lookup_events(&by_name).await.unwrap().events;
    assert_eq!(stops[0], *stop, "the newest Stop, before the demo's own");
    assert!(stops.iter().all(|e| e.name == trail::STOP));
}

#[tokio::test]
async fn the_event_history_pages_by_50_newest_first_within_the_range() {
    let h = Harness::new();
    let first = h.now();
    // 60 calls: 25 taken, then refused for the day; every one is recorded.
    for i in 0..60 {
        if i % 2 == 0 {
            let _ = h
                .sim
                .start_encryption("dev-scratch", &KeyRef::AwsOwned)
                .await;
        } else {
            let _ = h.sim.stop_encryption("dev-scratch").await;
        }
        h.advance(5);
    }
    h.advance(300);
    let mut query = history(Lookup::ResourceName("dev-scratch".into()), &h);
    let one = h.sim.lookup_events(&query).await.unwrap();
    assert_eq!(one.events.len(), 50);
    query.next_token = one.next_token.clone();
    assert!(query.next_token.is_some());
    let two = h.sim.lookup_events(&query).await.unwrap();
    assert_eq!((two.events.len(), two.next_token.as_deref()), (10, None));
    let times: Vec<_> = one.events.iter().chain(&two.events).map(|e| e.at).collect();
    assert!(
        times.windows(2).all(|w| w[0] > w[1]),
        "newest first, across pages"
    );
    assert_eq!(*times.last().unwrap(), first);
    let refused = one.events.iter().chain(&two.events);
    assert_eq!(
        refused
            .filter(|e| e.error_code.as_deref() == Some("LimitExceededException"))
            .count(),
        35
    );
    // Both ends of the range are inclusive.
    query.start = first + Duration::seconds(50);
    query.end = first + Duration::seconds(100);
    query.next_token = None;
    assert_eq!(h.sim.lookup_events(&query).await.unwrap().events.len(), 11);
    query.next_token = Some("nonsense".into());
    assert!(matches!(
        h.sim.lookup_events(&query).await,
        Err(CloudError::InvalidArgument(_))
    ));
}

#[tokio::test]
async fn the_demo_history_holds_others_calls_and_who_disabled_the_key() {
    use crate::model::trail;
    let h = Harness::new();
    let query = history(Lookup::ResourceName("shipping-updates".into()), &h);
    let calls = h.sim.lookup_events(&query).await.unwrap().events;
    assert_eq!(calls.len(), 22, "22 of the stream's 25 calls are spent");
    let by = |who: &str| {
        calls
            .iter()
            .filter(|e| e.by.as_deref() == Some(who))
            .count()
    };
    assert_eq!((by("terraform"), by("maria.garcia")), (20, 2));
    assert!(calls.iter().all(|e| e.at > h.now() - Duration::hours(24)));
    assert_eq!(calls.iter().filter(|e| e.error_code.is_some()).count(), 1);
    let terraform_key = h.key_arn("alias/orders-events").await;
    assert!(calls
        .iter()
        .filter(|e| e.name == trail::START)
        .all(|e| e.key == Some(KeyRef::Customer(terraform_key.clone()))));
    let ids: std::collections::BTreeSet<_> = calls.iter().map(|e| e.request_id.clone()).collect();
    assert_eq!(ids.len(), 22, "every call has its own request id");

    let query = history(Lookup::EventName("DisableKey".into()), &h);
    let [disabled] = &h.sim.lookup_events(&query).await.unwrap().events[..] else {
        panic!("one DisableKey");
    };
    assert_eq!(disabled.by.as_deref(), Some("dana.whitfield"));
    assert_eq!(disabled.source, trail::KMS);
    assert_eq!(
        disabled.resource,
        Some(h.key_arn("alias/legacy-billing").await)
    );
    assert_eq!(
        disabled.at,
        h.now() - Duration::hours(1),
        "when its errors began"
    );

    // AWS counts the 21 it accepted: four more, then none.
    for i in 0..5 {
        let answer = h
            .sim
            .start_encryption("shipping-updates", &KeyRef::AwsOwned)
            .await;
        assert_eq!(answer.result.is_ok(), i < 4, "call {i}: {answer:?}");
        h.advance(5);
    }
}

#[tokio::test]
async fn a_call_shows_in_the_history_minutes_after_it_is_made() {
    let h = Harness::new();
    let answer = h.sim.stop_encryption("waf-logs").await;
    assert!(answer.result.is_ok() && answer.request_id.is_some());
    let query = |h: &Harness| history(Lookup::ResourceName("waf-logs".into()), h);
    assert!(h
        .sim
        .lookup_events(&query(&h))
        .await
        .unwrap()
        .events
        .is_empty());
    h.advance(299);
    assert!(h
        .sim
        .lookup_events(&query(&h))
        .await
        .unwrap()
        .events
        .is_empty());
    h.advance(1);
    let events = h.sim.lookup_events(&query(&h)).await.unwrap().events;
    assert_eq!(events.len(), 1);
    assert_eq!(
        events[0].request_id, answer.request_id,
        "the id AWS answered with"
    );
}

// ListMetrics as AWS answers it: only series that had datapoints, and with
// RecentlyActive only those of the past 3 hours.
#[tokio::test]
async fn list_metrics_names_only_series_with_datapoints_recent_or_not() {
    let h = Harness::new();
    let arn = h.key_arn("alias/orders-events").await;
    let recent = h.sim.list_metrics(true).await.unwrap();
    assert!(recent.recently_active);
    let disabled = recent.streams["billing-export"];
    assert!(disabled.contains(KmsMetric::Disabled), "{recent:?}");
    assert!(
        !recent.streams.contains_key("order-events"),
        "no errors, no series"
    );
    // The stream moves to a good key: its errors stop, and three hours
    // later its series is no longer recently active, though it still exists.
    h.sim
        .start_encryption("billing-export", &KeyRef::Customer(arn))
        .await
        .result
        .unwrap();
    h.advance(4 * 3600);
    let recent = h.sim.list_metrics(true).await.unwrap();
    assert!(!recent.streams.contains_key("billing-export"), "{recent:?}");
    let all = h.sim.list_metrics(false).await.unwrap();
    assert!(all.streams["billing-export"].contains(KmsMetric::Disabled));
    let usage = h.sim.cloudwatch_usage();
    assert_eq!(
        usage.list_metrics_calls, 12,
        "four metric names, one page each"
    );
}
