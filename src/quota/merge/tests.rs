use super::*;
use crate::model::trail::{FIREHOSE, KMS, START};

const ACCOUNT: &str = "123456789012";
const REGION: &str = "us-east-1";

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-21T12:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

/// A ledger line: call `id` on `stream`, `mins_ago`.
fn line(id: &str, stream: &str, mins_ago: i64, outcome: Outcome, rid: Option<&str>) -> Entry {
    Entry {
        at: now() - Duration::minutes(mins_ago),
        id: id.into(),
        account: ACCOUNT.into(),
        region: REGION.into(),
        stream: stream.into(),
        action: Operation::Start,
        outcome,
        request_id: rid.map(str::to_string),
        access_key_id: None,
        error: None,
    }
}

/// A call as CloudTrail shows it.
fn event(stream: &str, mins_ago: i64, by: &str, rid: &str) -> TrailEvent {
    TrailEvent {
        at: now() - Duration::minutes(mins_ago),
        name: START.into(),
        source: FIREHOSE.into(),
        by: Some(by.into()),
        resource: Some(stream.into()),
        request_id: Some(rid.into()),
        error_code: None,
        key: Some(KeyRef::AwsOwned),
        access_key_id: None,
        event_id: None,
        user_agent: None,
    }
}

fn book(entries: &[Entry], events: &[TrailEvent]) -> QuotaBook {
    merged(entries, Ok(events), ACCOUNT, REGION, now())
}

#[test]
fn a_call_in_both_records_counts_once_and_cloudtrail_says_who() {
    let entries = [
        line("a", "s", 30, Outcome::Sent, None),
        line("a", "s", 30, Outcome::Accepted, Some("req-a")),
    ];
    let events = [
        event("s", 30, "alice", "req-a"),
        event("s", 20, "terraform", "req-t"),
    ];
    let b = book(&entries, &events);
    let q = b.quota("s");
    assert_eq!((q.used, q.remaining), (2, 23));
    assert_eq!((q.used_here, q.used_elsewhere), (1, 1));
    assert_eq!(b.source, QuotaSource::LedgerAndCloudTrail);
    let calls = b.calls("s");
    assert_eq!(calls.len(), 2);
    assert_eq!(
        (calls[0].by.as_deref(), calls[0].here),
        (Some("alice"), true)
    );
    assert_eq!(calls[0].key.as_deref(), Some("aws-owned"));
    assert_eq!(
        (calls[1].by.as_deref(), calls[1].here),
        (Some("terraform"), false)
    );
}

#[test]
fn calls_older_than_a_day_do_not_count_in_either_record() {
    let entries = [
        line("old", "s", 25 * 60, Outcome::Accepted, Some("req-old")),
        line("new", "s", 60, Outcome::Accepted, Some("req-new")),
    ];
    let events = [
        event("s", 25 * 60, "bob", "req-bob"),
        event("s", 24 * 60 + 1, "bob", "req-bob-2"),
        event("s", 24 * 60 - 1, "bob", "req-bob-3"),
    ];
    let q = book(&entries, &events).quota("s");
    assert_eq!((q.used_here, q.used_elsewhere), (1, 1));
    assert_eq!(
        q.next_slot_at,
        Some(now() + Duration::minutes(1)),
        "the oldest counted call, a day on"
    );
}

#[test]
fn a_ledger_call_just_out_of_the_window_is_not_counted_again_from_cloudtrail() {
    // The ledger dated the call a moment before AWS did.
    let entries = [line(
        "a",
        "s",
        24 * 60 + 1,
        Outcome::Accepted,
        Some("req-a"),
    )];
    let events = [event("s", 24 * 60 - 1, "alice", "req-a")];
    let q = book(&entries, &events).quota("s");
    assert_eq!((q.used_here, q.used_elsewhere, q.used), (0, 0, 0));
}

#[test]
fn calls_aws_refused_count_from_either_record() {
    let entries = [
        line("a", "s", 50, Outcome::Sent, None),
        line("a", "s", 50, Outcome::Rejected, Some("req-a")),
        line("u", "s", 40, Outcome::Sent, None),
        line("u", "s", 40, Outcome::Unsent, None),
    ];
    let mut refused = event("s", 10, "maria", "req-m");
    refused.error_code = Some("ResourceInUseException".into());
    let b = book(&entries, &[refused]);
    let q = b.quota("s");
    assert_eq!(
        (q.used_here, q.used_elsewhere, q.used, q.refused),
        (1, 1, 0, 2),
        "unsent is free; refused calls are counted apart"
    );
    assert_eq!((q.remaining, q.remaining_at_most), (23, 25));
    let errors: Vec<_> = b.calls("s").iter().map(|c| c.error.clone()).collect();
    assert_eq!(
        errors,
        [
            Some("rejected".to_string()),
            Some("ResourceInUseException".to_string())
        ]
    );
}

#[test]
fn calls_are_listed_oldest_first_and_the_next_slot_is_the_oldest_a_day_on() {
    let entries = [
        line("b", "s", 100, Outcome::Accepted, Some("req-b")),
        line("d", "s", 5, Outcome::Sent, None),
    ];
    let events = [
        event("s", 50, "terraform", "req-50"),
        event("s", 300, "terraform", "req-300"),
        event("s", 100, "me", "req-b"),
    ];
    let b = book(&entries, &events);
    let ages: Vec<i64> = b
        .calls("s")
        .iter()
        .map(|c| (now() - c.at).num_minutes())
        .collect();
    assert_eq!(ages, [300, 100, 50, 5]);
    assert_eq!(
        b.quota("s").next_slot_at,
        Some(now() - Duration::minutes(300) + Duration::hours(24))
    );
}

#[test]
fn a_stream_past_25_merged_calls_has_none_left() {
    let entries: Vec<Entry> = (0..3)
        .map(|i| line(&format!("c{i}"), "s", i, Outcome::Accepted, None))
        .collect();
    let events: Vec<TrailEvent> = (0..23)
        .map(|i| event("s", 60 + i, "terraform", &format!("req-{i}")))
        .collect();
    let q = book(&entries, &events).quota("s");
    assert_eq!((q.used, q.remaining), (25, 0));
    assert_eq!((q.used_here, q.used_elsewhere), (3, 23), "the raw counts");
}

#[test]
fn without_cloudtrail_the_ledger_alone_counts_and_says_why() {
    let entries = [line("a", "s", 10, Outcome::Accepted, Some("req-a"))];
    let b = merged(&entries, Err("access denied"), ACCOUNT, REGION, now());
    assert_eq!(b.source, QuotaSource::Ledger("access denied".into()));
    assert_eq!(
        (b.source.name(), b.source.reason()),
        ("ledger", Some("access denied"))
    );
    let q = b.quota("s");
    assert_eq!((q.used, q.used_here, q.used_elsewhere), (1, 1, 0));
    assert_eq!(b.calls("s")[0].by, None);
    assert_eq!(b.quota("other"), Quota::unused());
    assert_eq!(QuotaSource::LedgerAndCloudTrail.name(), "ledger+cloudtrail");
}

#[test]
fn only_starts_and_stops_of_named_streams_count() {
    let mut disable = event(
        "arn:aws:kms:us-east-1:123456789012:key/k",
        10,
        "dana",
        "req-k",
    );
    disable.name = "DisableKey".into();
    disable.source = KMS.into();
    let mut nameless = event("s", 10, "x", "req-x");
    nameless.resource = None;
    let mut elsewhere = line("z", "s", 10, Outcome::Accepted, None);
    elsewhere.region = "eu-west-1".into();
    let b = book(&[elsewhere], &[disable, nameless]);
    assert!(b.quotas.is_empty(), "{b:?}");
    assert!(b.calls.is_empty());
}

#[test]
fn an_exhausted_stream_stays_exhausted_a_day_whatever_cloudtrail_shows() {
    let entries = [line("x", "s", 30, Outcome::LimitExceeded, Some("req-x"))];
    let events = [event("s", 600, "terraform", "req-t")];
    let q = book(&entries, &events).quota("s");
    assert_eq!((q.used, q.remaining), (25, 0));
    assert_eq!(
        q.next_slot_at,
        Some(now() - Duration::minutes(30) + Duration::hours(24)),
        "a day after AWS said so, as that is later than the oldest call"
    );
}

/// A call whose answer was lost: the line written before sending (with the
/// access key), then what reading the stream settled, no request id.
fn unanswered(id: &str, mins_ago: i64, key: &str) -> [Entry; 2] {
    let mut sent = line(id, "s", mins_ago, Outcome::Sent, None);
    sent.access_key_id = Some(key.into());
    [sent, line(id, "s", mins_ago, Outcome::Accepted, None)]
}

fn signed(mins_ago: i64, by: &str, rid: &str, key: &str) -> TrailEvent {
    TrailEvent {
        access_key_id: Some(key.into()),
        ..event("s", mins_ago, by, rid)
    }
}

#[test]
fn a_call_whose_answer_was_lost_is_known_in_cloudtrail_by_its_access_key() {
    let entries = unanswered("a", 30, "AKIAOURS");
    // AWS received it a minute after the reservation; a colleague's Start
    // at the same moment, with their own key, is theirs.
    let events = [
        signed(29, "ops", "req-a", "AKIAOURS"),
        signed(29, "maria", "req-m", "AKIATHEIRS"),
    ];
    let b = book(&entries, &events);
    let q = b.quota("s");
    assert_eq!((q.used, q.used_here, q.used_elsewhere), (2, 1, 1));
    let ours: Vec<_> = b.calls("s").iter().filter(|c| c.here).collect();
    assert_eq!(ours[0].by.as_deref(), Some("ops"));
}

#[test]
fn an_unanswered_call_takes_one_event_and_only_one_near_its_time() {
    let entries = unanswered("a", 60, "AKIAOURS");
    // The same key an hour later is another call (another run, same user),
    // and so is a second event at the same time: counted, never merged.
    let events = [
        signed(59, "ops", "req-1", "AKIAOURS"),
        signed(59, "ops", "req-2", "AKIAOURS"),
        signed(1, "ops", "req-3", "AKIAOURS"),
    ];
    let q = book(&entries, &events).quota("s");
    assert_eq!((q.used, q.used_here, q.used_elsewhere), (3, 1, 2));
    // A ledger call with no access key (older ledgers) is never matched.
    let mut old = unanswered("b", 30, "x");
    old[0].access_key_id = None;
    let q = book(&old, &[signed(29, "ops", "req-b", "x")]).quota("s");
    assert_eq!((q.used, q.used_here, q.used_elsewhere), (2, 1, 1));
}
