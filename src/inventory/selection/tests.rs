use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::*;
use crate::cloud::scenario::Scenario;
use crate::cloud::sim::SimCloud;
use crate::cloud::wrap::Wrapped;
use crate::cloud::KmsMetric;
use crate::inventory::{self, describe_all, list_names, load_keys, load_metrics};

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
fn only_listed_series_and_hedged_streams_are_asked_for() {
    let listed = Ok(listing(&[
        ("a", KmsMetric::Disabled),
        ("a", KmsMetric::NotFound),
        ("gone-from-the-fleet", KmsMetric::Disabled),
    ]));
    let hedge = BTreeSet::from(["c".to_string()]);
    let pick = select(&names(&["a", "b", "c"]), &listed, &hedge);
    let mut a = MetricSet::of(KmsMetric::Disabled);
    a.insert(KmsMetric::NotFound);
    assert_eq!(
        pick.ask,
        SeriesAsk::from([("a".into(), a), ("c".into(), MetricSet::ALL)])
    );
    assert!(pick.unknown.is_empty(), "b has no series: known, zero");
}

#[test]
fn when_list_metrics_fails_only_hedged_streams_are_asked_and_the_rest_unknown() {
    let failed = Err(CloudError::Throttled("Rate exceeded".into()));
    let hedge = BTreeSet::from(["c".to_string()]);
    let pick = select(&names(&["a", "b", "c"]), &failed, &hedge);
    assert_eq!(pick.ask, SeriesAsk::from([("c".into(), MetricSet::ALL)]));
    assert_eq!(
        pick.unknown.keys().collect::<Vec<_>>(),
        ["a", "b"],
        "never 0 errors"
    );
    assert!(pick.unknown["a"].contains("ListMetrics"));
}

#[test]
fn the_look_back_always_asks_for_what_erred_in_the_window() {
    let t = DateTime::from_timestamp(0, 0).unwrap();
    let mut erring = KmsSeries::default();
    erring.series[KmsMetric::AccessDenied.index()] = vec![(t, 3.0)];
    let erring = BTreeMap::from([("a".to_string(), erring.clone()), ("h".to_string(), erring)]);
    // A listing older than the errors: it does not have them yet.
    let old = Ok(listing(&[("a", KmsMetric::Disabled)]));
    let hedge = BTreeSet::from(["h".to_string()]);
    let ask = look_back(&erring, &old, &hedge);
    let mut a = MetricSet::of(KmsMetric::Disabled);
    a.insert(KmsMetric::AccessDenied);
    assert_eq!(ask["a"], a);
    assert_eq!(ask["h"], MetricSet::ALL);
    let failed = Err(CloudError::Other("down".into()));
    assert_eq!(look_back(&erring, &failed, &hedge)["a"], MetricSet::ALL);
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
async fn streams_on_unusable_keys_are_hedged_and_the_others_are_not() {
    let now = fixed();
    let sim = SimCloud::with_clock(Scenario::builtin(), Arc::new(move || now));
    let (_, streams, book) = demo(&sim).await;
    let hedge = hedged(streams.iter(), &book);
    // billing-export's key is disabled; order-events' is enabled; waf-logs
    // is on the AWS owned key.
    assert!(hedge.contains("billing-export"), "{hedge:?}");
    assert!(!hedge.contains("order-events"));
    assert!(!hedge.contains("waf-logs"));
    let keys: BTreeMap<String, String> = streams
        .iter()
        .filter_map(|s| Some((s.name.clone(), customer_key(s)?.to_string())))
        .collect();
    assert_eq!(hedged_by_key(&keys, &unusable_keys(&book)), hedge);
}

// The saving gives the same answers: over the demo, asking only for the
// listed and hedged series reads what asking for every series reads, for
// each window.
#[tokio::test]
async fn asking_for_less_reads_the_same_as_asking_for_everything() {
    let now = fixed();
    let sim = SimCloud::with_clock(Scenario::builtin(), Arc::new(move || now));
    let (names, streams, book) = demo(&sim).await;
    let hedge = hedged(streams.iter(), &book);
    for window in Window::ALL {
        let range = inventory::metric_range(window, now);
        let all = sim
            .kms_metrics(&crate::cloud::series::every_series(&names), range)
            .await
            .unwrap();
        let mut catalog = Catalog::default();
        let less = load_metrics(&sim, &names, &hedge, window, now, &mut catalog)
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
    let (names, streams, book) = demo(&cloud.0).await;
    let hedge = hedged(streams.iter(), &book);
    let mut catalog = Catalog::default();
    let m = load_metrics(&cloud, &names, &hedge, Window::H3, now, &mut catalog)
        .await
        .unwrap();
    assert!(
        m.series.contains_key("billing-export"),
        "hedged: still read"
    );
    assert!(m.unknown.contains_key("order-events"), "{:?}", m.unknown);
    assert!(
        m.unknown.contains_key("waf-logs"),
        "the key type is a hint only"
    );
    assert_eq!(m.unknown.len() + hedge.len(), names.len());
    assert_eq!(catalog.answered().count(), 0, "a failure is not kept");

    // With nothing hedged nothing at all is read: the fetch fails as a whole.
    let mut catalog = Catalog::default();
    let none = BTreeSet::new();
    let all = load_metrics(&cloud, &names, &none, Window::H3, now, &mut catalog).await;
    assert!(matches!(all, Err(CloudError::NoAnswer(_))), "{all:?}");

    // A listing kept from an earlier fetch is used: no question asked.
    let mut catalog = Catalog::keeping(Some(listed), None);
    let kept = load_metrics(&cloud, &names, &none, Window::H3, now, &mut catalog)
        .await
        .unwrap();
    assert!(kept.unknown.is_empty());
    assert!(kept.series.contains_key("billing-export"));
}
