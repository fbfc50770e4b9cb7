//! The transition rules over recorded sequences of observations: worsen,
//! recover, flap, unknown, quota low, discard window, target lost and back.

use super::observe::{KeySeen, StreamSeen};
use super::*;
use crate::model::TrailEvent;

fn at(mins: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_800_000_000, 0).unwrap() + Duration::minutes(mins)
}

fn rules() -> AlertRules {
    AlertRules {
        quota_low: 5,
        discard_warn: Duration::hours(6),
        settle: Duration::seconds(120),
        quiet: Duration::hours(4),
    }
}

fn stream(health: Health, reason: &str) -> StreamSeen {
    StreamSeen {
        stream: String::new(),
        target: "us-east-1".into(),
        health,
        reason: reason.into(),
        key: Some("alias/orders".into()),
        key_arn: Some("arn:aws:kms:us-east-1:1:key/k1".into()),
        by: None,
        quota_left: Some(25),
        discard_at: None,
    }
}

/// A fleet of `orders` and `clicks`, both ok.
fn fleet() -> Observation {
    let mut o = Observation::default();
    for name in ["clicks", "orders"] {
        let mut s = stream(Health::Ok, "");
        s.stream = name.into();
        o.streams.insert(name.into(), s);
    }
    o
}

fn with(mut o: Observation, name: &str, health: Health, reason: &str) -> Observation {
    let s = o.streams.get_mut(name).unwrap();
    s.health = health;
    s.reason = reason.into();
    o
}

fn alerter() -> Alerter {
    Alerter::new(rules(), BTreeMap::new(), at(0))
}

#[test]
fn a_healthy_baseline_tells_nothing_and_a_worse_stream_is_told_once() {
    let mut a = alerter();
    assert!(a.observe(fleet(), at(0)).is_empty());
    let broken = with(
        fleet(),
        "orders",
        Health::Critical,
        "Key alias/orders is Disabled.",
    );
    let told = a.observe(broken.clone(), at(1));
    assert_eq!(told.len(), 1, "{told:?}");
    assert_eq!(told[0].kind, Kind::Health);
    assert_eq!(told[0].severity, Health::Critical);
    assert_eq!(told[0].streams, ["orders"]);
    assert_eq!(
        (told[0].old.as_str(), told[0].new.as_str()),
        ("ok", "critical")
    );
    assert!(
        a.observe(broken, at(2)).is_empty(),
        "no repeat every minute"
    );
}

#[test]
fn streams_broken_for_one_reason_are_one_alert_naming_them_all() {
    let mut a = alerter();
    a.observe(fleet(), at(0));
    let why = "Key alias/orders is Disabled: producers' PutRecord calls are refused.";
    let both = with(
        with(fleet(), "orders", Health::Critical, why),
        "clicks",
        Health::Critical,
        why,
    );
    let told = a.observe(both, at(1));
    assert_eq!(told.len(), 1, "{told:?}");
    assert_eq!(told[0].streams, ["clicks", "orders"]);
    assert!(told[0].id.starts_with("health:critical:"), "{}", told[0].id);
}

#[test]
fn a_recovery_is_told_once_it_has_held_for_settle() {
    let mut a = alerter();
    a.observe(fleet(), at(0));
    a.observe(with(fleet(), "orders", Health::Critical, "down"), at(1));
    assert!(a.observe(fleet(), at(2)).is_empty(), "held for settle");
    let told = a.observe(fleet(), at(5));
    assert_eq!(told.len(), 1, "{told:?}");
    assert_eq!(told[0].kind, Kind::Recovered);
    assert_eq!(
        (told[0].old.as_str(), told[0].new.as_str()),
        ("critical", "ok")
    );
    assert!(a.observe(fleet(), at(6)).is_empty());
}

#[test]
fn a_stream_that_fails_again_within_settle_is_a_count_not_a_new_alert() {
    let mut a = alerter();
    a.observe(fleet(), at(0));
    let down = with(fleet(), "orders", Health::Critical, "down");
    assert_eq!(a.observe(down.clone(), at(1)).len(), 1);
    for m in 0..3 {
        assert!(a.observe(fleet(), at(2 + 2 * m)).is_empty(), "up again");
        // Back down within 120 s: no new alert.
        let t = at(2 + 2 * m) + Duration::seconds(30);
        assert!(a.observe(down.clone(), t).is_empty(), "flap {m}");
    }
    // It recovers for good: one recovery, with the count of flaps.
    a.observe(fleet(), at(20));
    let told = a.observe(fleet(), at(25));
    assert_eq!(told.len(), 1, "{told:?}");
    assert_eq!(told[0].kind, Kind::Recovered);
    assert_eq!(told[0].count, 3);
}

#[test]
fn can_no_longer_tell_is_said_once_for_the_whole_fleet() {
    let mut a = alerter();
    a.observe(fleet(), at(0));
    let why = "KMS error metrics could not be read from CloudWatch: throttled.";
    let blind = with(
        with(fleet(), "orders", Health::Unknown, why),
        "clicks",
        Health::Unknown,
        why,
    );
    let told = a.observe(blind.clone(), at(1));
    assert_eq!(told.len(), 1, "{told:?}");
    assert_eq!(told[0].severity, Health::Unknown);
    assert_eq!(told[0].streams.len(), 2);
    for m in 2..10 {
        assert!(
            a.observe(blind.clone(), at(m)).is_empty(),
            "not one a minute"
        );
    }
}

#[test]
fn a_critical_stream_that_can_no_longer_be_told_is_no_recovery() {
    let mut a = alerter();
    a.observe(fleet(), at(0));
    a.observe(with(fleet(), "orders", Health::Critical, "down"), at(1));
    let why = "KMS error metrics could not be read from CloudWatch.";
    let told = a.observe(with(fleet(), "orders", Health::Unknown, why), at(2));
    assert_eq!(told.len(), 1, "{told:?}");
    assert_eq!(
        (told[0].kind, told[0].severity),
        (Kind::Health, Health::Unknown)
    );
    assert_eq!(
        (told[0].old.as_str(), told[0].new.as_str()),
        ("critical", "unknown")
    );
    assert!(a
        .observe(with(fleet(), "orders", Health::Unknown, why), at(5))
        .is_empty());
}

#[test]
fn a_recovery_that_turns_unknown_within_settle_is_said_not_counted_as_a_flap() {
    let mut a = alerter();
    a.observe(fleet(), at(0));
    a.observe(with(fleet(), "orders", Health::Critical, "down"), at(1));
    assert!(a.observe(fleet(), at(2)).is_empty(), "held for settle");
    let why = "KMS error metrics could not be read from CloudWatch.";
    let t = at(2) + Duration::seconds(30);
    let told = a.observe(with(fleet(), "orders", Health::Unknown, why), t);
    assert_eq!(told.len(), 1, "never silence: {told:?}");
    assert_eq!(told[0].severity, Health::Unknown);
}

#[test]
fn a_quota_falling_to_quota_low_is_told_once() {
    let mut a = alerter();
    a.observe(fleet(), at(0));
    let mut low = fleet();
    low.streams.get_mut("orders").unwrap().quota_left = Some(5);
    let told = a.observe(low.clone(), at(1));
    assert_eq!(told.len(), 1, "{told:?}");
    assert_eq!(told[0].kind, Kind::QuotaLow);
    assert_eq!((told[0].old.as_str(), told[0].new.as_str()), ("25", "5"));
    low.streams.get_mut("orders").unwrap().quota_left = Some(4);
    assert!(a.observe(low, at(2)).is_empty(), "already low");
}

#[test]
fn the_discard_deadline_coming_within_discard_warn_is_told_once() {
    let mut a = alerter();
    let mut erring = with(fleet(), "orders", Health::Critical, "KMS refused Firehose.");
    erring.streams.get_mut("orders").unwrap().discard_at = Some(at(0) + Duration::hours(10));
    a.observe(fleet(), at(0));
    let told = a.observe(erring.clone(), at(1));
    assert!(
        told.iter().all(|t| t.kind != Kind::DiscardSoon),
        "10 h left"
    );
    let later = at(0) + Duration::hours(5);
    let told = a.observe(erring.clone(), later);
    assert_eq!(told.len(), 1, "{told:?}");
    assert_eq!(told[0].kind, Kind::DiscardSoon);
    assert!(
        told[0].sentence.contains("from about"),
        "{}",
        told[0].sentence
    );
    assert!(a.observe(erring, later + Duration::minutes(1)).is_empty());
}

#[test]
fn a_target_lost_and_back_is_two_alerts() {
    let mut a = alerter();
    a.observe(fleet(), at(0));
    let mut lost = fleet();
    lost.unreadable
        .insert("eu-west-1".into(), "access denied".into());
    let told = a.observe(lost.clone(), at(1));
    assert_eq!(told.len(), 1, "{told:?}");
    assert_eq!(
        (told[0].kind, told[0].severity),
        (Kind::Target, Health::Unknown)
    );
    assert!(a.observe(lost, at(2)).is_empty());
    let told = a.observe(fleet(), at(3));
    assert_eq!(told.len(), 1);
    assert_eq!(told[0].new, "readable");
}

#[test]
fn a_key_in_use_disabled_then_enabled_is_two_alerts_naming_who() {
    let mut a = alerter();
    let key = |state: &str| KeySeen {
        label: "alias/orders".into(),
        state: state.into(),
        streams: vec!["orders".into()],
        by: Some(format!(
            "alias/orders was {state} by carol at 02:10 UTC (CloudTrail)."
        )),
        by_who: Some("carol".into()),
    };
    let mut on = fleet();
    on.keys.insert("arn:k1".into(), key("Enabled"));
    a.observe(on.clone(), at(0));
    let mut off = on.clone();
    off.keys.insert("arn:k1".into(), key("Disabled"));
    let told = a.observe(off, at(1));
    assert_eq!(told.len(), 1, "{told:?}");
    assert_eq!(told[0].kind, Kind::KeyState);
    assert_eq!(told[0].by.as_deref(), Some("carol"));
    assert_eq!(told[0].streams, ["orders"]);
    let told = a.observe(on, at(2));
    assert_eq!(told[0].new, "Enabled");
    assert_eq!(told[0].severity, Health::Ok);
}

#[test]
fn after_a_restart_what_was_told_within_quiet_is_not_told_again_unless_worse() {
    let mut a = alerter();
    a.observe(fleet(), at(0));
    let warn = with(fleet(), "orders", Health::Warning, "quota low");
    a.observe(warn.clone(), at(1));
    let sent = a.sent().clone();

    // Restarted an hour later: the same warning is not news.
    let mut again = Alerter::new(rules(), sent.clone(), at(60));
    assert!(again.observe(warn, at(60)).is_empty());
    // Worse than what was told: news.
    let mut again = Alerter::new(rules(), sent.clone(), at(60));
    let crit = with(fleet(), "orders", Health::Critical, "down");
    assert_eq!(again.observe(crit, at(60)).len(), 1);
    // Past `quiet`: told again.
    let mut later = Alerter::new(rules(), sent, at(300));
    let warn = with(fleet(), "orders", Health::Warning, "quota low");
    assert_eq!(later.observe(warn, at(300)).len(), 1);
}

#[test]
fn a_change_by_someone_else_is_told_once_with_who() {
    let mut a = alerter();
    a.observe(fleet(), at(0));
    let mut o = fleet();
    o.changes.push(TrailEvent {
        at: at(1),
        name: "PutKeyPolicy".into(),
        source: crate::model::trail::KMS.into(),
        by: Some("mallory".into()),
        resource: Some("arn:aws:kms:us-east-1:1:key/k1".into()),
        request_id: Some("req-1".into()),
        error_code: None,
        key: None,
        access_key_id: Some("AKIAOTHER".into()),
        event_id: Some("e-1".into()),
        user_agent: None,
    });
    let told = a.observe(o.clone(), at(2));
    assert_eq!(told.len(), 1, "{told:?}");
    assert_eq!(told[0].kind, Kind::Change);
    assert_eq!(told[0].by.as_deref(), Some("mallory"));
    assert_eq!(told[0].streams, ["clicks", "orders"], "both on the key");
    assert!(a.observe(o, at(3)).is_empty(), "once");
}

#[test]
fn alerts_serialise_with_a_stable_shape_and_read_as_one_line() {
    let mut a = alerter();
    a.observe(fleet(), at(0));
    let told = a.observe(
        with(fleet(), "orders", Health::Critical, "Key x\nis Disabled."),
        at(1),
    );
    let json = serde_json::to_value(&told[0]).unwrap();
    assert_eq!(json["kind"], "health");
    assert_eq!(json["severity"], "critical");
    assert_eq!(json["id"], "health:orders");
    let line = told[0].line();
    assert!(
        line.contains("CRITICAL orders: Key x⏎is Disabled."),
        "{line}"
    );
    assert!(!line.contains('\n'));
}
