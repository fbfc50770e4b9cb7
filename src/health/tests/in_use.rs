//! A customer key KMS will not use, on a stream ENABLED or ENABLING on it:
//! Firehose refuses producers' records now, errors counted or not.

use super::*;

const REFUSED: &str = ", and producers' PutRecord and PutRecordBatch calls are refused (InvalidKMSResourceException).";

/// Every state in which KMS will not use a key, and KMS's word for it.
const UNUSABLE: [&str; 5] = [
    "Disabled",
    "PendingDeletion",
    "PendingImport",
    "Unavailable",
    "PendingReplicaDeletion",
];

#[test]
fn an_unusable_key_on_an_enabled_or_enabling_stream_is_critical_with_no_errors_yet() {
    for status in [EncryptionStatus::Enabled, EncryptionStatus::Enabling] {
        let s = on_customer_key(status.clone());
        for state in UNUSABLE {
            let key = key(KeyState::parse(state));
            let mut f = facts(&s);
            f.key = KeyFact::Described(&key);
            f.key_label = "alias/fk-a";
            assert_eq!(f.kms_errors, Ok([0.0; 4]), "no metric has arrived");
            let (h, p) = assess(&f);
            assert_eq!(h, Health::Critical, "{status} {state}: {p:?}");
            assert_eq!(level(&f), Health::Critical, "the table agrees");
            let said = match state {
                "PendingDeletion" => {
                    format!("Key alias/fk-a is pending deletion: Firehose cannot use it{REFUSED}")
                }
                _ => format!("Key alias/fk-a is {state}: Firehose cannot use it{REFUSED}"),
            };
            assert_eq!(p[0], said, "{status} {state}");
        }
        let mut f = facts(&s);
        f.key = KeyFact::Gone;
        f.key_label = "alias/fk-a";
        let (h, p) = assess(&f);
        assert_eq!(h, Health::Critical);
        assert_eq!(
            p[0],
            format!("Key alias/fk-a no longer exists: Firehose cannot use it{REFUSED}")
        );
    }
}

/// The key is said first, as the cause, and the KMS errors after it.
#[test]
fn the_refusing_key_comes_before_the_errors_it_causes() {
    let s = on_customer_key(EncryptionStatus::Enabled);
    let disabled = key(KeyState::Disabled);
    let mut f = facts(&s);
    f.key = KeyFact::Described(&disabled);
    f.key_label = "alias/fk-a";
    f.kms_errors = Ok([0.0, 5.0, 0.0, 0.0]);
    let (h, p) = assess(&f);
    assert_eq!(h, Health::Critical);
    assert!(p[0].starts_with("Key alias/fk-a is Disabled"), "{p:?}");
    assert!(p[1].starts_with("KMS refused Firehose 5 times"), "{p:?}");
}

/// ENABLING_FAILED with the failed key never taken: the stream is not on
/// it, so the key is no reason for critical and no producer is refused for
/// it (the failure itself is critical, as before).
#[test]
fn a_key_that_never_took_does_not_refuse_producers() {
    let mut s = on_customer_key(EncryptionStatus::EnablingFailed);
    s.encryption.failure = Some(Failure {
        kind: "DISABLED_KMS_KEY".into(),
        details: "KMS key arn:aws:kms:us-east-1:1:key/k is disabled.".into(),
    });
    assert!(crate::inventory::never_got_key(&s.encryption));
    for state in UNUSABLE {
        let key = key(KeyState::parse(state));
        let mut f = facts(&s);
        f.key = KeyFact::Described(&key);
        f.key_label = "alias/fk-a";
        let (h, p) = assess(&f);
        assert_eq!(h, Health::Critical, "the failed enable");
        assert!(p[0].starts_with("Enabling or changing encryption failed"));
        assert!(!p.iter().any(|x| x.contains("PutRecord")), "{state}: {p:?}");
        let found = findings(&f);
        assert!(
            found.iter().any(|x| matches!(
                x,
                Finding::KeyUnusable { in_use: false }
                    | Finding::KeyPendingDeletion { in_use: false }
            ) && x.health() == Health::Warning),
            "{state}: {found:?}"
        );
    }
    // Without the failure, the same key on a DISABLED stream is a warning.
    let s = on_customer_key(EncryptionStatus::Disabled);
    let disabled = key(KeyState::Disabled);
    let mut f = facts(&s);
    f.key = KeyFact::Described(&disabled);
    f.unencrypted = Severity::Ok;
    assert_eq!(assess(&f).0, Health::Warning);
}

/// Who disabled or scheduled the key for deletion is said with the critical
/// finding itself, even before any error is counted.
#[test]
fn the_critical_key_says_who_changed_it() {
    let arn = "arn:aws:kms:us-east-1:1:key/k";
    let s = on_customer_key(EncryptionStatus::Enabled);
    for (state, call, deed) in [
        (KeyState::Disabled, "DisableKey", "was disabled"),
        (
            KeyState::PendingDeletion,
            "ScheduleKeyDeletion",
            "was scheduled for deletion",
        ),
    ] {
        let k = key(state);
        let mut f = facts(&s);
        let mut history = History::default();
        let event = TrailEvent {
            at: f.now - Duration::minutes(5),
            name: call.into(),
            source: "kms.amazonaws.com".into(),
            by: Some("mallory".into()),
            resource: Some(arn.into()),
            request_id: Some("r-1".into()),
            error_code: None,
            key: None,
            access_key_id: None,
            event_id: None,
            user_agent: None,
        };
        history.add(vec![event.clone()], f.now);
        f.key = KeyFact::Described(&k);
        f.key_label = "alias/fk-a";
        f.history = &history;
        let (h, p) = assess(&f);
        assert_eq!(h, Health::Critical);
        assert_eq!(p.len(), 1, "{p:?}");
        assert!(p[0].contains(REFUSED), "{p:?}");
        assert!(
            p[0].ends_with(&format!(
                "alias/fk-a {deed} by mallory at {} (CloudTrail).",
                crate::model::clock(event.at)
            )),
            "{p:?}"
        );
    }
}
