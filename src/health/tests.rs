use super::*;
use crate::model::trail::{START, STOP};
use crate::model::Severity;
use crate::model::{Encryption, Failure, KeyType, Source, TrailEvent};

fn stream(status: EncryptionStatus) -> Stream {
    Stream {
        name: "s".into(),
        arn: "arn".into(),
        source: Source::DirectPut,
        status: "ACTIVE".into(),
        encryption: Encryption {
            status,
            key_type: Some(KeyType::AwsOwned),
            key_arn: None,
            failure: None,
        },
    }
}

/// A customer key in `state`, as KMS describes it.
fn key(state: KeyState) -> KmsKey {
    KmsKey {
        id: "k".into(),
        arn: "arn:aws:kms:us-east-1:1:key/k".into(),
        state,
        spec: crate::model::KeySpec::SymmetricDefault,
        usage: crate::model::KeyUsage::EncryptDecrypt,
        manager: crate::model::KeyManager::Customer,
        description: String::new(),
        deletion_date: None,
        origin: crate::model::KeyOrigin::AwsKms,
        multi_region: crate::model::MultiRegion::Single,
        rotation: None,
    }
}

/// A DirectPut stream in `status` on the customer key of [`key`].
fn on_customer_key(status: EncryptionStatus) -> Stream {
    let mut s = stream(status);
    s.encryption.key_type = Some(KeyType::CustomerManaged);
    s.encryption.key_arn = Some("arn:aws:kms:us-east-1:1:key/k".into());
    s
}

fn facts(s: &Stream) -> StreamFacts<'_> {
    StreamFacts {
        stream: s,
        key: KeyFact::None,
        key_label: "AWS owned",
        kms_errors: Ok([0.0; 4]),
        window: "3h",
        outage: None,
        quota: Ok(Some(Quota::unused())),
        quota_warning_at: 5,
        unencrypted: Severity::Warning,
        describe_error: None,
        history: &crate::model::trail::NO_HISTORY,
        now: Utc::now(),
    }
}

#[test]
fn healthy_stream_is_ok_with_no_problems() {
    let s = stream(EncryptionStatus::Enabled);
    assert_eq!(assess(&facts(&s)), (Health::Ok, vec![]));
}

#[test]
fn failed_status_is_critical_and_quotes_the_failure() {
    let mut s = stream(EncryptionStatus::EnablingFailed);
    s.encryption.failure = Some(Failure {
        kind: "DISABLED_KMS_KEY".into(),
        details: "key is disabled".into(),
    });
    let (h, p) = assess(&facts(&s));
    assert_eq!(h, Health::Critical);
    assert!(p[0].contains("DISABLED_KMS_KEY") && p[0].contains("key is disabled"));
    let s = stream(EncryptionStatus::DisablingFailed);
    assert_eq!(assess(&facts(&s)).0, Health::Critical);
}

#[test]
fn kms_errors_are_critical_with_the_discard_deadline() {
    let s = stream(EncryptionStatus::Enabled);
    let mut f = facts(&s);
    f.kms_errors = Ok([0.0, 42.0, 0.0, 0.0]);
    f.outage = Some(Outage {
        since: f.now - Duration::hours(7),
        last: f.now - Duration::minutes(1),
        ongoing: true,
        older: false,
        bucket_secs: 300,
    });
    let (h, p) = assess(&f);
    assert_eq!(h, Health::Critical);
    assert!(p[0].contains("KMSKeyDisabled 42"), "{}", p[0]);
    assert!(p[0].contains("(in 17h 00m)"), "{}", p[0]);
    let since = crate::model::between(
        f.now - Duration::hours(7),
        f.now - Duration::minutes(415),
        None,
    );
    assert!(
        p[0].contains(&format!("Errors since {since} (up to 7h 00m ago)")),
        "{}",
        p[0]
    );
    assert!(
        p[0].contains("may start discarding undecryptable records from about "),
        "{}",
        p[0]
    );
}

/// A key KMS will not use is a warning on a stream that is not on it now
/// (here DISABLING); on one ENABLED or ENABLING it is critical (`in_use`).
#[test]
fn transitions_keys_not_in_use_and_low_quota_are_warnings() {
    let s = stream(EncryptionStatus::Enabling);
    assert_eq!(assess(&facts(&s)).0, Health::Warning);

    let s = stream(EncryptionStatus::Enabled);
    let mut f = facts(&s);
    f.quota = Ok(Some(Quota {
        limit: 25,
        used: 20,
        refused: 0,
        remaining: 5,
        remaining_at_most: 5,
        next_slot_at: Some(f.now + Duration::hours(2)),
        used_here: 2,
        used_elsewhere: 18,
    }));
    let (h, p) = assess(&f);
    assert_eq!(h, Health::Warning);
    assert!(p[0].starts_with("5 of 25"), "{}", p[0]);

    let s = on_customer_key(EncryptionStatus::Disabling);
    let pending = key(KeyState::PendingDeletion);
    let mut f = facts(&s);
    f.key = KeyFact::Described(&pending);
    assert_eq!(assess(&f).0, Health::Warning);
    for state in [
        "PendingImport",
        "Unavailable",
        "PendingReplicaDeletion",
        "Disabled",
    ] {
        let key = key(KeyState::parse(state));
        let mut f = facts(&s);
        f.key = KeyFact::Described(&key);
        f.key_label = "alias/k";
        let (h, p) = assess(&f);
        assert_eq!(h, Health::Warning, "{state}");
        assert!(
            p.contains(&format!(
                "Key alias/k is {state}: Firehose cannot use it until it is Enabled."
            )),
            "{p:?}"
        );
    }
    let s = on_customer_key(EncryptionStatus::Enabled);
    let updating = key(KeyState::Updating);
    let mut f = facts(&s);
    f.key = KeyFact::Described(&updating);
    assert_eq!(assess(&f).0, Health::Warning);
}

#[test]
fn a_key_that_no_longer_exists_is_critical_even_on_an_idle_stream() {
    let s = on_customer_key(EncryptionStatus::Disabling);
    let mut f = facts(&s);
    f.key_label = "alias/gone";
    f.key = KeyFact::Gone;
    let (h, p) = assess(&f);
    assert_eq!(h, Health::Critical);
    assert_eq!(
        p[0],
        "Key alias/gone no longer exists: Firehose cannot use it."
    );
}

#[test]
fn what_could_not_be_read_makes_a_stream_unknown_never_ok() {
    let s = stream(EncryptionStatus::Enabled);
    let mut f = facts(&s);
    f.kms_errors = Err("CloudWatch did not return complete data (KMSKeyDisabled PartialData)");
    let (h, p) = assess(&f);
    assert_eq!(h, Health::Unknown);
    assert!(p[0].contains("PartialData"), "{}", p[0]);

    let mut f = facts(&s);
    f.quota = Err("the ledger could not be read (permission denied)");
    assert_eq!(assess(&f).0, Health::Unknown);

    let denied = CloudError::AccessDenied("no kms:DescribeKey".into());
    let mut f = facts(&s);
    f.key = KeyFact::Unreadable(&denied);
    assert_eq!(assess(&f).0, Health::Unknown);

    // A known critical outranks what is unknown; unknown outranks a warning.
    let mut f = facts(&s);
    f.quota = Err("unread");
    f.kms_errors = Ok([1.0, 0.0, 0.0, 0.0]);
    assert_eq!(assess(&f).0, Health::Critical);
    let e = stream(EncryptionStatus::Enabling);
    let mut f = facts(&e);
    f.quota = Err("unread");
    let (h, p) = assess(&f);
    assert_eq!(h, Health::Unknown);
    assert!(p[0].starts_with("Start/Stop quota unknown"), "{p:?}");
}

#[test]
fn unencrypted_direct_put_is_judged_by_the_setting_and_sources_are_not() {
    let mut s = stream(EncryptionStatus::Disabled);
    s.encryption.key_type = None;
    let mut f = facts(&s);
    assert_eq!(assess(&f).0, Health::Warning);
    f.unencrypted = Severity::Critical;
    assert_eq!(assess(&f).0, Health::Critical);
    f.unencrypted = Severity::Ok;
    assert_eq!(assess(&f), (Health::Ok, vec![]));
    let mut k = s.clone();
    k.source = Source::KinesisStreamAsSource;
    let mut f = facts(&k);
    f.quota = Ok(None);
    assert_eq!(assess(&f), (Health::Ok, vec![]));
}

#[test]
fn outage_starts_at_the_first_error_of_the_current_run() {
    let now = DateTime::parse_from_rfc3339("2026-11-21T12:00:00Z")
        .unwrap()
        .to_utc();
    let at = |m: i64| now - Duration::minutes(m);
    let mut series = KmsSeries::default();
    // An old run that ended, then a current one from 120 minutes ago.
    series.series[1] = vec![(at(600), 1.0), (at(590), 1.0)];
    series.series[1].extend((0..=120).rev().map(|m| (at(m), 2.0)));
    let o = outage(&series, at(24 * 60), now, 60).unwrap();
    assert_eq!(o.since, at(120));
    assert!(o.ongoing && !o.older);
    let o = outage(&series, at(121), now, 60).unwrap();
    assert!(o.older, "the run reaches the start of the data");
    assert_eq!(o.discard_from(), at(120) + Duration::hours(24));

    let mut old = KmsSeries::default();
    old.series[0] = vec![(at(300), 1.0)];
    assert!(!outage(&old, at(1440), now, 60).unwrap().ongoing);
    assert!(outage(&KmsSeries::default(), at(1440), now, 60).is_none());
}

#[test]
fn a_disabled_key_says_who_disabled_it_and_when_by_cloudtrail() {
    let arn = "arn:aws:kms:us-east-1:1:key/k";
    let mut s = stream(EncryptionStatus::Enabled);
    s.encryption.key_type = Some(KeyType::CustomerManaged);
    s.encryption.key_arn = Some(arn.into());
    let key = KmsKey {
        id: "k".into(),
        arn: arn.into(),
        state: KeyState::Disabled,
        spec: crate::model::KeySpec::SymmetricDefault,
        usage: crate::model::KeyUsage::EncryptDecrypt,
        manager: crate::model::KeyManager::Customer,
        description: String::new(),
        deletion_date: None,
        origin: crate::model::KeyOrigin::AwsKms,
        multi_region: crate::model::MultiRegion::Single,
        rotation: None,
    };
    let mut history = History::default();
    let mut f = facts(&s);
    let disabled = |by: &str, hours_ago: i64| TrailEvent {
        at: f.now - Duration::hours(hours_ago),
        name: "DisableKey".into(),
        source: "kms.amazonaws.com".into(),
        by: Some(by.into()),
        resource: Some(arn.into()),
        request_id: Some(format!("r-{by}")),
        error_code: None,
        key: None,
        access_key_id: None,
        event_id: None,
        user_agent: None,
    };
    let (older, latest) = (disabled("ana", 30), disabled("alice@example.com", 0));
    history.add(vec![older, latest.clone()], f.now);
    f.key = KeyFact::Described(&key);
    f.key_label = "alias/payments";
    f.kms_errors = Ok([0.0, 12.0, 0.0, 0.0]);
    f.history = &history;
    let (_, p) = assess(&f);
    let said = format!(
        "alias/payments was disabled by alice@example.com at {} (CloudTrail).",
        crate::model::clock(latest.at)
    );
    assert!(
        p[0].ends_with(&said),
        "with the first problem it explains: {p:?}"
    );
    assert_eq!(
        p.iter().filter(|x| x.contains("was disabled by")).count(),
        1
    );
    // A day before: the date is said too.
    let earlier = disabled("ana", 30);
    assert!(
        super::said("alias/payments", &earlier, f.now).contains(&crate::model::stamp(earlier.at))
    );
}

#[test]
fn a_refused_or_undone_change_names_nobody() {
    let mut s = stream(EncryptionStatus::Disabled);
    s.name = "orders".into();
    let f0 = facts(&s);
    let call = |name: &str, by: &str, mins_ago: i64, error: Option<&str>| TrailEvent {
        at: f0.now - Duration::minutes(mins_ago),
        name: name.into(),
        source: "firehose.amazonaws.com".into(),
        by: Some(by.into()),
        resource: Some("orders".into()),
        request_id: Some(format!("r-{by}-{mins_ago}")),
        error_code: error.map(str::to_string),
        key: None,
        access_key_id: None,
        event_id: None,
        user_agent: None,
    };
    let unencrypted = |history: &History| {
        let mut f = facts(&s);
        f.history = history;
        assert_eq!(assess(&f).1.len(), 1);
        assess(&f).1.remove(0)
    };
    // Stopped by maria; a later Stop that AWS refused changed nothing.
    let mut history = History::default();
    history.add(
        vec![
            call(STOP, "maria", 30, None),
            call(STOP, "mallory", 10, Some("AccessDeniedException")),
        ],
        f0.now,
    );
    let p = unencrypted(&history);
    assert!(
        p.contains("orders had encryption stopped by maria at"),
        "{p}"
    );
    // Started again after: the Stop is not why it is unencrypted now.
    history.add(vec![call(START, "ops", 5, None)], f0.now);
    assert!(!unencrypted(&history).contains(" by "), "{history:?}");
}

mod in_use;
mod since;
mod unknown;
mod who;
