use super::*;
use crate::cloud::CloudError;
use crate::model::{Encryption, EncryptionStatus, KeyType, KmsSeries, Source};

fn on_key(name: &str, arn: &str) -> Stream {
    Stream {
        name: name.into(),
        arn: format!("arn:aws:firehose:us-east-1:1:deliverystream/{name}"),
        source: Source::DirectPut,
        status: "ACTIVE".into(),
        encryption: Encryption {
            status: EncryptionStatus::Enabled,
            key_type: Some(KeyType::CustomerManaged),
            key_arn: Some(arn.into()),
            failure: None,
        },
    }
}

fn aws_owned(name: &str) -> Stream {
    let mut s = on_key(name, "");
    s.encryption.key_type = Some(KeyType::AwsOwned);
    s.encryption.key_arn = None;
    s
}

fn names(n: &[&str]) -> Vec<String> {
    n.iter().map(ToString::to_string).collect()
}

fn set(n: &[&str]) -> BTreeSet<String> {
    n.iter().map(ToString::to_string).collect()
}

const K1: &str = "arn:aws:kms:us-east-1:1:key/k1";
const K2: &str = "arn:aws:kms:us-east-1:1:key/k2";
const SWEEP: Duration = Duration::from_secs(300);

/// A fleet of orders and clicks on customer keys, and waf on the AWS
/// owned key, all described.
fn described() -> SeriesState {
    described_sweeping(SWEEP)
}

fn described_sweeping(every: Duration) -> SeriesState {
    let mut state = SeriesState::new(every);
    state.described(&on_key("orders", K1));
    state.described(&on_key("clicks", K2));
    state.described(&aws_owned("waf"));
    state
}

/// What a fetch that asked in full as planned answers: errors for `erring`.
fn answer(plan: &FetchPlan, erring: &[&str]) -> KmsMetrics {
    let t = chrono::DateTime::from_timestamp(0, 0).unwrap();
    let mut m = KmsMetrics::default();
    for name in erring {
        let mut s = KmsSeries::default();
        s.series[0] = vec![(t, 2.0)];
        m.series.insert(name.to_string(), s);
    }
    m.not_asked = plan
        .can_fail
        .difference(&plan.in_full)
        .filter(|n| !erring.contains(&n.as_str()))
        .cloned()
        .collect();
    m
}

fn at(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_800_000_000 + secs, 0).unwrap()
}

#[test]
fn the_first_fetch_sweeps_and_later_ones_leave_quiet_streams_for_the_next_sweep() {
    let now = Instant::now();
    let all = names(&["clicks", "orders", "waf"]);
    let mut state = described();
    let plan = state.plan(&all, Window::H3, now);
    assert!(plan.sweep);
    assert_eq!(plan.can_fail, set(&["clicks", "orders"]), "waf cannot fail");
    assert_eq!(plan.in_full, plan.can_fail);
    let mut m = answer(&plan, &[]);
    assert!(state.fetched(&plan, &mut m, at(0), now).is_empty());

    // A minute on: nothing urgent, so nothing asked in full; each figure
    // says when it was last asked.
    let later = now + Duration::from_secs(60);
    let plan = state.plan(&all, Window::H3, later);
    assert!(!plan.sweep);
    assert!(plan.in_full.is_empty());
    let mut m = answer(&plan, &[]);
    let as_of = state.fetched(&plan, &mut m, at(60), later);
    assert_eq!(as_of.get("orders"), Some(&at(0)));
    assert_eq!(as_of.get("clicks"), Some(&at(0)));
    assert!(m.unknown.is_empty());

    // At sweep_secs every stream that can fail is asked again.
    let swept = now + SWEEP;
    let plan = state.plan(&all, Window::H3, swept);
    assert!(plan.sweep);
    assert_eq!(plan.in_full, set(&["clicks", "orders"]));
}

#[test]
fn a_stream_not_yet_described_can_fail_and_one_never_asked_is_asked_at_once() {
    let now = Instant::now();
    let mut state = described();
    let plan = state.plan(&names(&["orders", "waf"]), Window::H3, now);
    state.fetched(&plan, &mut answer(&plan, &[]), at(0), now);
    // "new" appeared in the listing after the sweep and is not described.
    let later = now + Duration::from_secs(60);
    let plan = state.plan(&names(&["new", "orders", "waf"]), Window::H3, later);
    assert_eq!(plan.in_full, set(&["new"]), "never asked: asked now");
    assert!(
        plan.can_fail.contains("new"),
        "undescribed: may be on a customer key"
    );
}

#[test]
fn a_figure_never_asked_is_unknown_never_zero() {
    let now = Instant::now();
    let mut state = described();
    let plan = FetchPlan {
        names: names(&["orders"]),
        can_fail: set(&["orders"]),
        in_full: BTreeSet::new(),
        sweep: false,
    };
    let mut m = KmsMetrics {
        not_asked: set(&["orders"]),
        ..KmsMetrics::default()
    };
    let as_of = state.fetched(&plan, &mut m, at(0), now);
    assert!(as_of.is_empty());
    assert!(m.unknown["orders"].contains("not been asked"), "{m:?}");
}

#[test]
fn erring_streams_are_asked_every_fetch() {
    let now = Instant::now();
    let all = names(&["clicks", "orders", "waf"]);
    let mut state = described();
    let plan = state.plan(&all, Window::H3, now);
    state.fetched(&plan, &mut answer(&plan, &["orders"]), at(0), now);
    let later = now + Duration::from_secs(60);
    assert_eq!(
        state.plan(&all, Window::H3, later).in_full,
        set(&["orders"])
    );
}

#[test]
fn a_key_changed_in_cloudtrail_has_its_streams_asked_at_once_then_for_half_an_hour() {
    let now = Instant::now();
    let all = names(&["clicks", "orders", "waf"]);
    // No sweep within the half hour, to see the alert alone.
    let mut state = described_sweeping(Duration::from_secs(86_400));
    let plan = state.plan(&all, Window::H3, now);
    state.fetched(&plan, &mut answer(&plan, &[]), at(0), now);
    let quiet = now + Duration::from_secs(60);
    state.plan(&all, Window::H3, quiet);
    assert!(!state.urgent_grew(quiet));

    state.alert("k1", quiet);
    assert!(state.urgent_grew(quiet), "the next fetch is due now");
    assert_eq!(
        state.plan(&all, Window::H3, quiet).in_full,
        set(&["orders"])
    );
    assert!(
        !state.urgent_grew(quiet),
        "once asked for, not again and again"
    );
    let still = quiet + ALERT_FOR - Duration::from_secs(1);
    assert_eq!(
        state.plan(&all, Window::H3, still).in_full,
        set(&["orders"])
    );
    let over = quiet + ALERT_FOR;
    assert!(state.plan(&all, Window::H3, over).in_full.is_empty());
}

#[test]
fn a_key_that_becomes_unusable_asks_for_its_streams_in_full_at_once() {
    let now = Instant::now();
    let all = names(&["clicks", "orders"]);
    let mut state = described();
    let plan = state.plan(&all, Window::H3, now);
    state.fetched(&plan, &mut answer(&plan, &[]), at(0), now);
    state.plan(&all, Window::H3, now);
    let mut book = KeyBook::default();
    book.errors
        .insert("k1".into(), CloudError::NotFound("k1".into()));
    state.keys(&book);
    assert!(state.urgent_grew(now));
    assert_eq!(state.plan(&all, Window::H3, now).in_full, set(&["orders"]));
    state.gone("orders");
    assert!(state
        .plan(&["clicks".to_string()], Window::H3, now)
        .in_full
        .is_empty());
}

#[test]
fn another_window_starts_with_a_sweep() {
    let now = Instant::now();
    let all = names(&["orders"]);
    let mut state = described();
    let plan = state.plan(&all, Window::H3, now);
    state.fetched(&plan, &mut answer(&plan, &[]), at(0), now);
    let plan = state.plan(&all, Window::H24, now + Duration::from_secs(60));
    assert!(plan.sweep, "figures of 3h say nothing of 24h");
}
