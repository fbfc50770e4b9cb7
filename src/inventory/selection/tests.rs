use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::*;
use crate::cloud::scenario::Scenario;
use crate::cloud::sim::SimCloud;
use crate::cloud::wrap::Wrapped;
use crate::inventory::{self, describe_all, list_names, load_keys, load_metrics};
use crate::model::KmsMetric;

fn names(n: &[&str]) -> Vec<String> {
    n.iter().map(ToString::to_string).collect()
}

fn listing(streams: &[(&str, KmsMetric)]) -> SeriesListing {
    let mut l = SeriesListing {
        recently_active: true,
        ..Default::default()
    };
    for (s, m) in streams {
        l.add(s, *m);
    }
    l
}

#[test]
fn streams_that_can_fail_are_asked_in_full_or_left_for_the_sweep() {
    let listed = Ok(listing(&[
        ("a", KmsMetric::Disabled),
        ("a", KmsMetric::NotFound),
        ("d", KmsMetric::Disabled),
        ("gone-from-the-fleet", KmsMetric::Disabled),
    ]));
    let in_full = BTreeSet::from(["c".to_string()]);
    // a, b: cannot fail (AWS owned key); c, d, e: on customer keys.
    let can_fail = BTreeSet::from(["c".to_string(), "d".to_string(), "e".to_string()]);
    let pick = select(
        &names(&["a", "b", "c", "d", "e"]),
        &listed,
        &in_full,
        &can_fail,
    );
    let mut a = MetricSet::of(KmsMetric::Disabled);
    a.insert(KmsMetric::NotFound);
    assert_eq!(
        pick.ask,
        SeriesAsk::from([
            ("a".into(), a),
            ("c".into(), MetricSet::ALL),
            ("d".into(), MetricSet::ALL),
        ]),
        "d is listed for one metric: asked for all four, so its figure has one age"
    );
    assert!(pick.unknown.is_empty(), "b has no series: known, zero");
    assert_eq!(
        pick.not_asked,
        BTreeSet::from(["e".to_string()]),
        "e can fail and is not listed: left for the sweep, never a known zero"
    );
}

#[test]
fn when_list_metrics_fails_streams_that_cannot_fail_are_unknown() {
    let failed = Err(CloudError::Throttled("Rate exceeded".into()));
    let in_full = BTreeSet::from(["c".to_string()]);
    let can_fail = BTreeSet::from(["c".to_string(), "d".to_string()]);
    let pick = select(&names(&["a", "b", "c", "d"]), &failed, &in_full, &can_fail);
    assert_eq!(pick.ask, SeriesAsk::from([("c".into(), MetricSet::ALL)]));
    assert_eq!(
        pick.unknown.keys().collect::<Vec<_>>(),
        ["a", "b"],
        "never 0 errors"
    );
    assert!(pick.unknown["a"].contains("ListMetrics"));
    assert_eq!(pick.not_asked, BTreeSet::from(["d".to_string()]));
}

#[test]
fn the_look_back_always_asks_for_what_erred_in_the_window() {
    let t = DateTime::from_timestamp(0, 0).unwrap();
    let mut erring = KmsSeries::default();
    erring.series[KmsMetric::AccessDenied.index()] = vec![(t, 3.0)];
    let erring = BTreeMap::from([("a".to_string(), erring.clone()), ("h".to_string(), erring)]);
    // A listing older than the errors: it does not have them yet.
    let old = Ok(listing(&[("a", KmsMetric::Disabled)]));
    let in_full = BTreeSet::from(["h".to_string()]);
    let ask = look_back(&erring, &old, &in_full);
    let mut a = MetricSet::of(KmsMetric::Disabled);
    a.insert(KmsMetric::AccessDenied);
    assert_eq!(ask["a"], a);
    assert_eq!(ask["h"], MetricSet::ALL);
    let failed = Err(CloudError::Other("down".into()));
    assert_eq!(look_back(&erring, &failed, &in_full)["a"], MetricSet::ALL);
}

fn fixed() -> DateTime<Utc> {
    crate::app::testing::fixed_now()
}

/// The demo's streams, described, with their keys.
async fn demo(sim: &SimCloud) -> (Vec<String>, Vec<Stream>, KeyBook) {
    let names = list_names(sim, 100).await.unwrap();
    let streams: Vec<Stream> = describe_all(sim, &names, 4)
        .await
        .into_iter()
        .filter_map(|(_, r)| r.ok())
        .collect();
    let book = load_keys(sim, streams.iter()).await.unwrap();
    (names, streams, book)
}

#[tokio::test]
async fn only_direct_put_streams_on_customer_keys_can_fail() {
    let now = fixed();
    let sim = SimCloud::with_clock(Scenario::builtin(), Arc::new(move || now));
    let (_, streams, book) = demo(&sim).await;
    let can = that_can_fail(streams.iter());
    // billing-export's key is disabled, order-events' enabled: both can
    // fail, whatever KMS says of the key today.
    assert!(can.contains("billing-export"), "{can:?}");
    assert!(can.contains("order-events"), "{can:?}");
    assert!(!can.contains("waf-logs"), "the AWS owned key");
    assert!(!can.contains("dev-scratch"), "not encrypted");
    assert!(
        !can.contains("clickstream-raw"),
        "the Kinesis source owns it"
    );
    let keys: BTreeMap<String, String> = streams
        .iter()
        .filter_map(|s| Some((s.name.clone(), customer_key(s)?.to_string())))
        .collect();
    let unusable = on_keys(&keys, &unusable_keys(&book));
    assert!(unusable.contains("billing-export") && !unusable.contains("order-events"));
}

#[test]
fn a_key_type_or_source_aws_added_later_can_fail() {
    use crate::model::{Encryption, EncryptionStatus};
    let stream = |source: Source, key_type: Option<KeyType>| Stream {
        name: "s".into(),
        arn: "arn:aws:firehose:us-east-1:1:deliverystream/s".into(),
        source,
        status: "ACTIVE".into(),
        encryption: Encryption {
            status: EncryptionStatus::Enabling,
            key_type,
            key_arn: Some("arn:aws:kms:us-east-1:1:key/k".into()),
            failure: None,
        },
    };
    assert!(can_fail(&stream(
        Source::DirectPut,
        Some(KeyType::CustomerManaged)
    )));
    assert!(can_fail(&stream(Source::DirectPut, None)), "type not said");
    assert!(can_fail(&stream(
        Source::Other("IcebergAsSource".into()),
        Some(KeyType::CustomerManaged)
    )));
    assert!(!can_fail(&stream(
        Source::DirectPut,
        Some(KeyType::AwsOwned)
    )));
    assert!(!can_fail(&stream(
        Source::MskAsSource,
        Some(KeyType::CustomerManaged)
    )));
}

// The saving gives the same answers: over the demo, asking in full only
// for the streams that can fail, and for the rest only the listed series,
// reads what asking for every series reads, for each window.
#[tokio::test]
async fn asking_for_less_reads_the_same_as_asking_for_everything() {
    let now = fixed();
    let sim = SimCloud::with_clock(Scenario::builtin(), Arc::new(move || now));
    let (names, streams, _) = demo(&sim).await;
    let in_full = that_can_fail(streams.iter());
    for window in Window::ALL {
        let range = inventory::metric_range(window, now);
        let all = sim
            .kms_metrics(&crate::model::every_series(&names), range)
            .await
            .unwrap();
        let mut catalog = Catalog::default();
        let less = load_metrics(&sim, &names, &in_full, &in_full, window, now, &mut catalog)
            .await
            .unwrap();
        assert_eq!(less, all, "{window:?}");
    }
    let asked = sim.cloudwatch_usage().metrics_requested;
    assert!(asked > 0);
}

/// A cloud whose ListMetrics fails: the streams it would have cleared are
/// unknown, and a listing kept from before is used without asking.
struct NoListing(SimCloud);

#[async_trait::async_trait]
impl Wrapped for NoListing {
    fn inner(&self) -> &dyn Cloud {
        &self.0
    }
    async fn list_metrics(&self, _: bool) -> Result<SeriesListing, CloudError> {
        Err(CloudError::NoAnswer(
            "monitoring ListMetrics within 20 s".into(),
        ))
    }
}

#[tokio::test]
async fn a_failed_listing_leaves_streams_unknown_never_clean() {
    let now = fixed();
    let sim = SimCloud::with_clock(Scenario::builtin(), Arc::new(move || now));
    let listed = sim.list_metrics(true).await.unwrap();
    let cloud = NoListing(sim);
    let (names, streams, _) = demo(&cloud.0).await;
    let in_full = that_can_fail(streams.iter());
    let mut catalog = Catalog::default();
    let m = load_metrics(
        &cloud,
        &names,
        &in_full,
        &in_full,
        Window::H3,
        now,
        &mut catalog,
    )
    .await
    .unwrap();
    assert!(
        m.series.contains_key("billing-export"),
        "it can fail: still read"
    );
    assert!(!m.unknown.contains_key("order-events"), "{:?}", m.unknown);
    assert!(
        m.unknown.contains_key("waf-logs"),
        "the AWS owned key's stream is unknown without the listing"
    );
    assert_eq!(m.unknown.len() + in_full.len(), names.len());
    assert_eq!(catalog.answered().count(), 0, "a failure is not kept");

    // With nothing asked in full nothing at all is read: the fetch fails
    // as a whole.
    let mut catalog = Catalog::default();
    let none = BTreeSet::new();
    let all = load_metrics(&cloud, &names, &none, &none, Window::H3, now, &mut catalog).await;
    assert!(matches!(all, Err(CloudError::NoAnswer(_))), "{all:?}");

    // A listing kept from an earlier fetch is used: no question asked.
    let mut catalog = Catalog::keeping(Some(listed), None);
    let kept = load_metrics(&cloud, &names, &none, &none, Window::H3, now, &mut catalog)
        .await
        .unwrap();
    assert!(kept.unknown.is_empty());
    assert!(kept.series.contains_key("billing-export"));
}
