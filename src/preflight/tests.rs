use super::*;
use crate::cloud::GrantCheck;
use crate::model::{CredentialFacts, Encryption, Failure, KeyManager, KeyRef, Source};

fn stream() -> Stream {
    Stream {
        name: "orders".into(),
        arn: "arn:aws:firehose:us-east-1:1:deliverystream/orders".into(),
        source: Source::DirectPut,
        status: "ACTIVE".into(),
        encryption: Encryption {
            status: EncryptionStatus::Enabled,
            key_type: Some(KeyType::CustomerManaged),
            key_arn: Some("arn:aws:kms:us-east-1:1:key/old".into()),
            failure: None,
        },
    }
}

fn key(id: &str) -> KmsKey {
    KmsKey {
        id: id.into(),
        arn: format!("arn:aws:kms:us-east-1:1:key/{id}"),
        state: KeyState::Enabled,
        spec: KeySpec::SymmetricDefault,
        usage: KeyUsage::EncryptDecrypt,
        manager: KeyManager::Customer,
        description: String::new(),
        deletion_date: None,
        origin: crate::model::KeyOrigin::AwsKms,
        multi_region: crate::model::MultiRegion::Single,
        rotation: Some(crate::model::KeyRotation {
            automatic: true,
            ..Default::default()
        }),
    }
}

fn verdict(s: &Stream, change: EncryptionCall) -> Verdict {
    verdict_with(s, change, |_| {})
}

fn verdict_with(
    s: &Stream,
    change: EncryptionCall,
    tweak: impl FnOnce(&mut ChangeFacts<'_>),
) -> Verdict {
    let mut f = ChangeFacts {
        stream: s,
        change: &change,
        region: "us-east-1",
        quota: Some(Quota::unused()),
        refused: None,
        grant: Some(&GrantCheck::WouldSucceed),
        account: Some("1"),
        streams_on_key: Some(3),
        kms_errors_now: 0.0,
        errors_window: "1h",
        credentials: CredentialFacts::default(),
        now: Utc::now(),
    };
    tweak(&mut f);
    check(&f, "alias/new")
}

fn refused_because(v: &Verdict, words: &str) {
    assert!(
        v.refusals.iter().any(|r| r.contains(words)),
        "expected a refusal about {words:?}, got {v:?}"
    );
}

#[test]
fn a_good_switch_passes() {
    let v = verdict(
        &stream(),
        EncryptionCall::Start(KeyRef::Customer(key("new"))),
    );
    assert_eq!(v, Verdict::default());
}

#[test]
fn only_direct_put_streams() {
    let mut s = stream();
    s.source = Source::KinesisStreamAsSource;
    refused_because(&verdict(&s, EncryptionCall::Stop), "DirectPut streams only");
}

#[test]
fn only_active_settled_streams() {
    let mut s = stream();
    s.status = "CREATING".into();
    refused_because(&verdict(&s, EncryptionCall::Stop), "not ACTIVE");
    let mut s = stream();
    s.encryption.status = EncryptionStatus::Enabling;
    refused_because(
        &verdict(&s, EncryptionCall::Start(KeyRef::AwsOwned)),
        "wait until the current change settles",
    );
}

#[test]
fn only_enabled_symmetric_encrypt_decrypt_keys_of_the_region() {
    let s = stream();
    for (state, words) in [
        (KeyState::Disabled, "is Disabled"),
        (KeyState::PendingDeletion, "pending deletion"),
        (KeyState::PendingImport, "is PendingImport"),
        (KeyState::Unavailable, "is Unavailable"),
    ] {
        let mut k = key("new");
        k.state = state;
        refused_because(
            &verdict(&s, EncryptionCall::Start(KeyRef::Customer(k))),
            words,
        );
    }
    let mut k = key("new");
    k.spec = KeySpec::Rsa2048;
    refused_because(
        &verdict(&s, EncryptionCall::Start(KeyRef::Customer(k))),
        "symmetric",
    );
    let mut k = key("new");
    k.usage = KeyUsage::SignVerify;
    refused_because(
        &verdict(&s, EncryptionCall::Start(KeyRef::Customer(k))),
        "ENCRYPT_DECRYPT",
    );
    let mut k = key("new");
    k.arn = "arn:aws:kms:eu-west-1:1:key/new".into();
    refused_because(
        &verdict(&s, EncryptionCall::Start(KeyRef::Customer(k))),
        "is in eu-west-1",
    );
}

/// A spec, usage or state KMS added later is refused with KMS's word for
/// it; one KMS did not report is not a reason to refuse.
#[test]
fn a_key_value_firekeeper_does_not_know_is_refused_by_name() {
    let s = stream();
    let start = |k: KmsKey| verdict(&s, EncryptionCall::Start(KeyRef::Customer(k)));
    let mut k = key("new");
    k.spec = KeySpec::parse("PQC_9000");
    refused_because(
        &start(k),
        "is PQC_9000: Firehose supports only symmetric keys",
    );
    let mut k = key("new");
    k.usage = KeyUsage::parse("WRAP_UNWRAP");
    refused_because(&start(k), "has usage WRAP_UNWRAP, not ENCRYPT_DECRYPT");
    let mut k = key("new");
    k.state = KeyState::parse("Archived");
    refused_because(&start(k), "is Archived, not Enabled");
    let mut k = key("new");
    k.state = KeyState::parse("");
    refused_because(&start(k), "has no state KMS reported");
    let mut k = key("new");
    (k.spec, k.usage) = (KeySpec::Unreported, KeyUsage::Unreported);
    assert_eq!(start(k), Verdict::default());
}

/// A stream described with a value firekeeper does not know is not
/// changed: neither what it would replace nor whether SSE applies is known.
#[test]
fn a_stream_value_firekeeper_does_not_know_refuses_any_change() {
    let mut s = stream();
    s.encryption.status = EncryptionStatus::parse("PAUSED");
    for change in [
        EncryptionCall::Stop,
        EncryptionCall::Start(KeyRef::Customer(key("new"))),
    ] {
        refused_because(
            &verdict(&s, change),
            "AWS reports encryption status PAUSED for orders, not known to firekeeper",
        );
    }
    let mut s = stream();
    s.encryption.key_type = Some(KeyType::parse("QUANTUM_CMK"));
    refused_because(
        &verdict(&s, EncryptionCall::Start(KeyRef::AwsOwned)),
        "key type QUANTUM_CMK for orders, not known to firekeeper",
    );
    let mut s = stream();
    s.source = Source::parse("IcebergAsSource");
    let v = verdict(&s, EncryptionCall::Stop);
    refused_because(
        &v,
        "source IcebergAsSource for orders, not known to firekeeper",
    );
    assert!(
        !v.refusals.iter().any(|r| r.contains("owns encryption")),
        "an unknown source is not said to own encryption: {v:?}"
    );
    assert_eq!(
        stream_refusals(&s, None, Utc::now()).len(),
        1,
        "said before the key picker opens"
    );
}

#[test]
fn not_the_key_already_in_use() {
    refused_because(
        &verdict(
            &stream(),
            EncryptionCall::Start(KeyRef::Customer(key("old"))),
        ),
        "already encrypted with",
    );
    let mut s = stream();
    s.encryption.key_type = Some(KeyType::AwsOwned);
    s.encryption.key_arn = None;
    refused_because(
        &verdict(&s, EncryptionCall::Start(KeyRef::AwsOwned)),
        "already encrypted",
    );
    // After a failed change the same key may be tried again.
    let mut s = stream();
    s.encryption.status = EncryptionStatus::EnablingFailed;
    s.encryption.failure = Some(Failure {
        kind: "DISABLED_KMS_KEY".into(),
        details: "x".into(),
    });
    assert!(verdict(&s, EncryptionCall::Start(KeyRef::Customer(key("old")))).allowed());
}

#[test]
fn stopping_needs_an_encrypted_stream_and_warns() {
    let v = verdict(&stream(), EncryptionCall::Stop);
    assert!(v.allowed());
    assert!(v.warnings[0].contains("without Firehose encryption"));
    let mut s = stream();
    s.encryption = Encryption::default();
    refused_because(&verdict(&s, EncryptionCall::Stop), "not encrypted");
}

#[test]
fn no_quota_left_is_refused_with_the_next_free_slot() {
    let v = verdict_with(&stream(), EncryptionCall::Stop, |f| {
        f.quota = Some(Quota {
            limit: 25,
            used: 25,
            refused: 0,
            remaining: 0,
            remaining_at_most: 0,
            next_slot_at: Some(f.now + chrono::Duration::minutes(90)),
            used_here: 0,
            used_elsewhere: 25,
        });
    });
    refused_because(&v, "no Start/Stop calls left");
    refused_because(&v, "(in 1h 30m)");
}

#[test]
fn warnings_for_old_sessions_busy_keys_and_current_errors() {
    let v = verdict_with(
        &stream(),
        EncryptionCall::Start(KeyRef::Customer(key("new"))),
        |f| {
            f.credentials.temporary = true;
            f.streams_on_key = Some(500);
            f.kms_errors_now = 12.0;
        },
    );
    assert!(v.allowed(), "warnings do not refuse");
    assert_eq!(v.warnings.len(), 3, "{v:?}");
    assert!(v.warnings.iter().any(|w| w.contains("6 hours")));
    assert!(v.warnings.iter().any(|w| w.contains("500 streams")));
    assert!(v.warnings.iter().any(|w| w.contains("12 errors")));
}

#[test]
fn a_grant_kms_denies_is_refused_but_may_be_sent_anyway() {
    let change = EncryptionCall::Start(KeyRef::Customer(key("new")));
    // Leaked: the facts borrow it for the length of the check.
    let denied: &'static GrantCheck = Box::leak(Box::new(GrantCheck::Denied(
        "AccessDeniedException: not authorized".into(),
    )));
    let v = verdict_with(&stream(), change.clone(), |f| f.grant = Some(denied));
    assert!(v.refusals.is_empty() && v.forceable(), "{v:?}");
    assert!(
        v.overridable[0].contains(
            "(AccessDeniedException: not authorized): a Start would fail with KMS_ACCESS_DENIED"
        ),
        "{v:?}"
    );
    assert!(!v.sendable(false) && v.sendable(true));
    let unknown: &'static GrantCheck = Box::leak(Box::new(GrantCheck::Unknown("throttled".into())));
    let v = verdict_with(&stream(), change.clone(), |f| f.grant = Some(unknown));
    assert!(v.allowed(), "{v:?}");
    assert!(
        v.warnings.iter().any(|w| w.contains("KMS did not say")),
        "{v:?}"
    );
    // A key of another account is said, and left to the dry run.
    let v = verdict_with(&stream(), change, |f| f.account = Some("2"));
    assert!(v.allowed(), "{v:?}");
    assert!(
        v.warnings
            .iter()
            .any(|w| w.contains("belongs to account 1, not 2")),
        "{v:?}"
    );
}

#[test]
fn a_day_filled_by_refused_calls_may_be_sent_anyway_one_aws_ended_may_not() {
    let only_refused = Quota {
        used: 9,
        refused: 16,
        remaining: 0,
        remaining_at_most: 16,
        ..Quota::unused()
    };
    let v = verdict_with(&stream(), EncryptionCall::Stop, |f| {
        f.quota = Some(only_refused);
    });
    assert!(v.refusals.is_empty() && v.forceable(), "{v:?}");
    assert!(
        v.overridable[0].contains(
            "16 of the 25 calls counted against orders in 24 hours are calls AWS refused"
        ),
        "{v:?}"
    );
    assert!(stream_refusals(&stream(), Some(&only_refused), Utc::now()).is_empty());
    // AWS said no call is left: nothing to send past.
    let ended = Quota {
        remaining_at_most: 0,
        ..only_refused
    };
    let v = verdict_with(&stream(), EncryptionCall::Stop, |f| f.quota = Some(ended));
    assert!(!v.forceable(), "{v:?}");
    refused_because(&v, "no Start/Stop calls left");
}
