//! Who is named beside a problem: only a caller whose change stands (the
//! latest of it and its undoing) and came before what it explains, and a
//! policy or grant change only as what "may be why", when the errors began
//! after it.

use super::*;

const KEY: &str = "arn:aws:kms:us-east-1:1:key/k";

fn noon() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-21T12:00:00Z")
        .unwrap()
        .to_utc()
}

fn call(name: &str, by: &str, minutes_ago: i64) -> TrailEvent {
    TrailEvent {
        at: noon() - Duration::minutes(minutes_ago),
        name: name.into(),
        source: "kms.amazonaws.com".into(),
        by: Some(by.into()),
        resource: Some(KEY.into()),
        request_id: Some(format!("r-{name}-{by}-{minutes_ago}")),
        error_code: None,
        key: None,
        access_key_id: None,
        event_id: None,
        user_agent: None,
    }
}

/// Errors whose first 5-minute bucket began `minutes_ago`, still arriving.
fn errors_from(minutes_ago: i64) -> Outage {
    Outage {
        since: noon() - Duration::minutes(minutes_ago),
        last: noon() - Duration::minutes(1),
        ongoing: true,
        older: false,
        bucket_secs: 300,
    }
}

/// The problems of a stream ENABLED on the key, in `state`, with `calls`
/// in CloudTrail and errors since `errors`.
fn problems(state: KeyState, calls: Vec<TrailEvent>, errors: Option<Outage>) -> Vec<String> {
    let s = on_customer_key(EncryptionStatus::Enabled);
    let k = key(state);
    let mut history = History::default();
    history.add(calls, noon());
    let mut f = facts(&s);
    f.now = noon();
    f.key = KeyFact::Described(&k);
    f.key_label = "alias/fk-a";
    f.history = &history;
    if let Some(o) = errors {
        f.kms_errors = Ok([0.0, 9.0, 0.0, 0.0]);
        f.outage = Some(o);
    }
    assess(&f).1
}

fn named(problems: &[String]) -> String {
    problems.join(" ")
}

#[test]
fn a_key_disabled_again_is_named_for_the_last_one_to_disable_it_once_cloudtrail_shows_it() {
    let alice = call("DisableKey", "alice", 50);
    let bob = call("EnableKey", "bob", 40);
    let carol = call("DisableKey", "carol", 10);
    // Carol's call is not in CloudTrail yet: no one is named, alice least.
    let before = problems(KeyState::Disabled, vec![alice.clone(), bob.clone()], None);
    assert!(!named(&before).contains("disabled by"), "{before:?}");
    assert!(!named(&before).contains("alice"), "{before:?}");
    let after = problems(KeyState::Disabled, vec![alice, bob, carol], None);
    assert!(
        named(&after).contains("alias/fk-a was disabled by carol at 11:50 UTC (CloudTrail)."),
        "{after:?}"
    );
    // Likewise a deletion cancelled and scheduled again.
    let calls = vec![
        call("ScheduleKeyDeletion", "alice", 50),
        call("CancelKeyDeletion", "bob", 40),
    ];
    let p = problems(KeyState::PendingDeletion, calls, None);
    assert!(!named(&p).contains("scheduled for deletion by"), "{p:?}");
}

#[test]
fn a_change_after_the_errors_began_is_not_named_as_their_cause() {
    // Errors since 11:00-11:05; the key was disabled at 11:30.
    let p = problems(
        KeyState::Enabled,
        vec![call("DisableKey", "dana", 30)],
        Some(errors_from(60)),
    );
    assert!(!named(&p).contains("dana"), "{p:?}");
    // Disabled within the first erring bucket: it may have begun them.
    let p = problems(
        KeyState::Enabled,
        vec![call("DisableKey", "dana", 58)],
        Some(errors_from(60)),
    );
    assert!(
        named(&p).contains("alias/fk-a was disabled by dana at 11:02 UTC (CloudTrail)."),
        "{p:?}"
    );
}

#[test]
fn a_policy_or_grant_change_is_what_may_be_why_only_when_the_errors_began_after_it() {
    for (name, deed) in [
        ("PutKeyPolicy", "was given a new key policy"),
        ("CreateGrant", "was granted to a principal"),
        ("RevokeGrant", "had a grant revoked"),
        ("RetireGrant", "had a grant retired"),
    ] {
        let p = problems(
            KeyState::Enabled,
            vec![call(name, "erin", 65)],
            Some(errors_from(60)),
        );
        let said = format!(
            "alias/fk-a {deed} by erin at 10:55 UTC (CloudTrail), before the errors began: it may be why."
        );
        assert!(named(&p).contains(&said), "{name}: {p:?}");
    }
    // A harmless policy change made after the errors began is not named.
    let p = problems(
        KeyState::Enabled,
        vec![call("PutKeyPolicy", "erin", 30)],
        Some(errors_from(60)),
    );
    assert!(!named(&p).contains("erin"), "{p:?}");
    // Without knowing when the errors began, nothing is named beside them.
    let p = problems(
        KeyState::Enabled,
        vec![call("PutKeyPolicy", "erin", 65)],
        None,
    );
    assert!(!named(&p).contains("erin"), "{p:?}");
    // A standing disable before the errors outranks a policy change.
    let p = problems(
        KeyState::Enabled,
        vec![
            call("PutKeyPolicy", "erin", 65),
            call("DisableKey", "dana", 62),
        ],
        Some(errors_from(60)),
    );
    assert!(named(&p).contains("disabled by dana"), "{p:?}");
    assert!(!named(&p).contains("erin"), "{p:?}");
}

#[test]
fn a_run_found_in_5_minute_buckets_is_told_to_the_minute_a_finer_series_gives() {
    let run = errors_from(60);
    let mut fine = KmsSeries::default();
    let at = |m: i64| noon() - Duration::minutes(m);
    fine.series[1] = vec![(at(62), 0.0), (at(58), 4.0), (at(57), 2.0)];
    let r = refined(run, &fine, 60);
    assert_eq!((r.since, r.bucket_secs), (at(58), 60));
    assert_eq!(r.began(), (at(58), at(57)));
    // A finer series that starts after the bucket says nothing of it.
    let mut late = KmsSeries::default();
    late.series[1] = vec![(at(30), 4.0)];
    assert_eq!(refined(run, &late, 60), run);
    assert_eq!(refined(run, &fine, 300), run, "not finer");
}

#[test]
fn a_bucket_is_said_as_one() {
    let from = noon() - Duration::minutes(80);
    let to = from + Duration::minutes(5);
    assert_eq!(
        crate::model::between(from, to, Some(noon())),
        "between 10:40 and 10:45 UTC"
    );
    assert_eq!(
        crate::model::between(from, to, None),
        "between 2026-11-21 10:40 and 10:45 UTC"
    );
    let midnight = noon() - Duration::hours(12) - Duration::minutes(5);
    assert_eq!(
        crate::model::between(midnight, midnight + Duration::minutes(5), Some(noon())),
        "between 2026-11-20 23:55 and 2026-11-21 00:00 UTC"
    );
    let o = errors_from(80);
    let s = since_sentence(&o, noon());
    assert_eq!(
        s,
        "Errors since between 2026-11-21 10:40 and 10:45 UTC (up to 1h 20m ago); Firehose may \
         start discarding undecryptable records from about 2026-11-22 10:40 UTC (in 22h 40m)."
    );
    let old = Outage { older: true, ..o };
    assert_eq!(
        since_sentence(&old, noon()),
        "Errors since before 2026-11-21 10:45 UTC: records older than 24 h may already be discarded."
    );
    let stopped = Outage {
        ongoing: false,
        last: noon() - Duration::minutes(20),
        ..o
    };
    assert_eq!(
        since_sentence(&stopped, noon()),
        "The last errors came between 2026-11-21 11:40 and 11:45 UTC."
    );
}
