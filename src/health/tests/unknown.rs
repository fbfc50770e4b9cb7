//! A value AWS sent that firekeeper does not know makes the stream
//! `unknown`, with AWS's string in the sentence: never a guessed default.

use super::*;

fn judged(s: &Stream) -> (Health, Vec<String>) {
    assess(&facts(s))
}

#[test]
fn an_unknown_encryption_status_is_unknown_not_disabled() {
    let s = stream(EncryptionStatus::parse("FOO"));
    let (h, p) = judged(&s);
    assert_eq!(h, Health::Unknown);
    assert_eq!(
        p,
        ["AWS reports encryption status FOO (not known to firekeeper): firekeeper cannot tell whether or how the stream is encrypted."]
    );
    assert_eq!(level(&facts(&s)), Health::Unknown);
    // Not read as DISABLED: no "not encrypted" finding, even when that is
    // set to critical.
    let mut f = facts(&s);
    f.unencrypted = Severity::Critical;
    assert_eq!(assess(&f).0, Health::Unknown);

    // A status AWS left out is not DISABLED either.
    let (h, p) = judged(&stream(EncryptionStatus::parse("")));
    assert_eq!(h, Health::Unknown);
    assert!(
        p[0].starts_with("AWS reports no encryption status:"),
        "{p:?}"
    );
}

#[test]
fn an_unknown_key_type_is_unknown_not_no_key() {
    let mut s = stream(EncryptionStatus::Enabled);
    s.encryption.key_type = Some(KeyType::parse("QUANTUM_CMK"));
    let (h, p) = judged(&s);
    assert_eq!(h, Health::Unknown);
    assert!(
        p[0].starts_with("AWS reports key type QUANTUM_CMK (not known to firekeeper)"),
        "{p:?}"
    );
}

#[test]
fn an_unknown_key_state_is_unknown_not_still_changing() {
    let s = on_customer_key(EncryptionStatus::Enabled);
    for (raw, said) in [
        (
            "Archived",
            "AWS reports key state Archived (not known to firekeeper) for key alias/k: firekeeper cannot tell whether Firehose can use the key.",
        ),
        (
            "",
            "AWS reports no key state for key alias/k: firekeeper cannot tell whether Firehose can use the key.",
        ),
    ] {
        let k = key(KeyState::parse(raw));
        let mut f = facts(&s);
        f.key = KeyFact::Described(&k);
        f.key_label = "alias/k";
        let (h, p) = assess(&f);
        assert_eq!(h, Health::Unknown, "{raw:?}");
        assert_eq!(p, [said]);
    }
    // Creating and Updating are KMS's own words for a key it is changing.
    let k = key(KeyState::Creating);
    let mut f = facts(&s);
    f.key = KeyFact::Described(&k);
    assert_eq!(assess(&f).0, Health::Warning);
}

#[test]
fn an_unknown_source_is_unknown_not_owned_by_the_source() {
    let mut s = stream(EncryptionStatus::Disabled);
    s.source = Source::parse("IcebergAsSource");
    s.encryption.key_type = None;
    let mut f = facts(&s);
    f.quota = Ok(None);
    let (h, p) = assess(&f);
    assert_eq!(h, Health::Unknown);
    assert!(
        p[0].starts_with("AWS reports source IcebergAsSource (not known to firekeeper)"),
        "{p:?}"
    );
}

#[test]
fn a_stream_status_outside_the_documented_set_is_unknown() {
    for known in [
        "ACTIVE",
        "CREATING",
        "CREATING_FAILED",
        "DELETING",
        "DELETING_FAILED",
        "SUSPENDED",
    ] {
        let mut s = stream(EncryptionStatus::Enabled);
        s.status = known.into();
        assert_eq!(judged(&s).0, Health::Ok, "{known}");
    }
    let mut s = stream(EncryptionStatus::Enabled);
    s.status = "HIBERNATING".into();
    let (h, p) = judged(&s);
    assert_eq!(h, Health::Unknown);
    assert!(
        p[0].starts_with("AWS reports stream status HIBERNATING (not known to firekeeper)"),
        "{p:?}"
    );
}

/// An unknown value outranks a warning; only a known critical outranks it,
/// and it is still said.
#[test]
fn an_unknown_value_ranks_as_unknown_among_other_findings() {
    let s = stream(EncryptionStatus::parse("PAUSED"));
    let mut f = facts(&s);
    f.kms_errors = Ok([3.0, 0.0, 0.0, 0.0]);
    let (h, p) = assess(&f);
    assert_eq!(h, Health::Critical);
    assert!(
        p.iter().any(|x| x.contains("encryption status PAUSED")),
        "{p:?}"
    );

    let mut s = on_customer_key(EncryptionStatus::parse("PAUSED"));
    s.status = "ACTIVE".into();
    let disabled = key(KeyState::Disabled);
    let mut f = facts(&s);
    f.key = KeyFact::Described(&disabled);
    let (h, p) = assess(&f);
    assert_eq!(h, Health::Unknown, "not known to be in use: {p:?}");
}
