use super::*;

fn entry(id: &str, mins_ago: i64, outcome: Outcome, now: DateTime<Utc>) -> Entry {
    Entry {
        at: now - Duration::minutes(mins_ago),
        id: id.into(),
        account: "123456789012".into(),
        region: "us-east-1".into(),
        stream: "s".into(),
        action: Action::Start,
        outcome,
    }
}

fn q(entries: &[Entry], now: DateTime<Utc>) -> Quota {
    quotas(entries, "123456789012", "us-east-1", now)
        .remove("s")
        .unwrap_or(Quota::unused())
}

#[test]
fn calls_in_the_last_day_count_and_the_oldest_frees_first() {
    let now = Utc::now();
    let entries = vec![
        entry("a", 23 * 60, Outcome::Accepted, now),
        entry("b", 60, Outcome::Accepted, now),
        entry("c", 25 * 60, Outcome::Accepted, now),
    ];
    let quota = q(&entries, now);
    assert_eq!((quota.used, quota.remaining), (2, 23));
    assert_eq!(quota.next_slot_at, Some(now + Duration::minutes(60)));
}

#[test]
fn the_last_word_on_a_call_decides() {
    let now = Utc::now();
    let entries = vec![
        entry("a", 10, Outcome::Sent, now),
        entry("a", 10, Outcome::Refused, now),
        entry("b", 5, Outcome::Sent, now),
    ];
    assert_eq!(q(&entries, now).used, 1, "a was refused, b may have landed");
}

#[test]
fn limit_exceeded_means_none_left_for_a_day() {
    let now = Utc::now();
    let entries = vec![entry("x", 30, Outcome::LimitExceeded, now)];
    let quota = q(&entries, now);
    assert_eq!(quota.remaining, 0);
    assert_eq!(
        quota.next_slot_at,
        Some(now - Duration::minutes(30) + Duration::hours(24))
    );
}

#[test]
fn other_accounts_and_regions_do_not_count() {
    let now = Utc::now();
    let mut e = entry("a", 1, Outcome::Accepted, now);
    e.region = "eu-west-1".into();
    assert_eq!(q(&[e], now), Quota::unused());
}

#[test]
fn file_ledger_survives_a_torn_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sub/ledger.jsonl");
    let ledger = Ledger::at(path.clone());
    let now = Utc::now();
    ledger
        .record(&entry("a", 1, Outcome::Accepted, now))
        .unwrap();
    // A writer killed mid-line.
    let mut f = OpenOptions::new().append(true).open(&path).unwrap();
    f.write_all(b"{\"at\":\"2026-").unwrap();
    ledger
        .record(&entry("b", 0, Outcome::Accepted, now))
        .unwrap();
    let read = ledger.read().unwrap();
    assert_eq!(
        read.iter().map(|e| e.id.as_str()).collect::<Vec<_>>(),
        ["a", "b"]
    );
}

fn call() -> Call {
    Call {
        account: "123456789012".into(),
        region: "us-east-1".into(),
        stream: "s".into(),
        action: Action::Start,
    }
}

#[test]
fn reserve_takes_25_calls_then_says_when_the_next_frees() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = Ledger::at(dir.path().join("ledger.jsonl"));
    let start = Utc::now() - Duration::hours(2);
    for i in 0..25 {
        let at = start + Duration::minutes(i);
        let id = ledger.reserve(&call(), at).unwrap().unwrap();
        let outcome = if i % 5 == 0 {
            Outcome::Sent
        } else {
            Outcome::Accepted
        };
        let mut e = entry(&id, 0, outcome, at);
        e.at = at;
        ledger.record(&e).unwrap();
    }
    let now = start + Duration::minutes(30);
    let refused = ledger.reserve(&call(), now).unwrap().unwrap_err();
    assert_eq!(refused.remaining, 0);
    assert_eq!(refused.next_slot_at, Some(start + Duration::hours(24)));
    // A day after the first call, one slot is free again.
    let later = start + Duration::hours(24) + Duration::seconds(1);
    assert!(ledger.reserve(&call(), later).unwrap().is_ok());
}

#[test]
fn refused_calls_give_their_slot_back() {
    let ledger = Ledger::in_memory();
    let now = Utc::now();
    for _ in 0..30 {
        let id = ledger.reserve(&call(), now).unwrap().unwrap();
        ledger
            .record(&entry(&id, 0, Outcome::Refused, now))
            .unwrap();
    }
    let q = quotas(&ledger.read().unwrap(), "123456789012", "us-east-1", now);
    assert_eq!(q["s"].remaining, 25);
}

#[test]
fn compaction_keeps_what_the_quota_needs() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ledger.jsonl");
    let ledger = Ledger::at(path.clone());
    let now = Utc::now();
    let mut text = String::new();
    for i in 0..(COMPACT_AT + 1) {
        let mut e = entry(&format!("old{i}"), 0, Outcome::Accepted, now);
        e.at = now - Duration::days(10);
        text.push_str(&serde_json::to_string(&e).unwrap());
        text.push('\n');
    }
    std::fs::write(&path, text).unwrap();
    ledger.reserve(&call(), now).unwrap().unwrap();
    let left = ledger.read().unwrap();
    assert_eq!(left.len(), 1, "only the fresh call is kept");
}

proptest::proptest! {
    /// Whatever the calls and their outcomes, remaining is 25 minus the
    /// counted calls of the last 24 hours, and the next slot frees a day
    /// after the oldest of them.
    #[test]
    fn rolling_window_arithmetic(
        calls in proptest::collection::vec((0i64..(48 * 60), 0u8..3), 0..60)
    ) {
        let now = Utc::now();
        let entries: Vec<Entry> = calls
            .iter()
            .enumerate()
            .map(|(i, (mins_ago, o))| {
                let outcome = [Outcome::Sent, Outcome::Accepted, Outcome::Refused][*o as usize];
                entry(&format!("c{i}"), *mins_ago, outcome, now)
            })
            .collect();
        let q = q(&entries, now);
        let counted: Vec<i64> = calls
            .iter()
            .filter(|(m, o)| *m < 24 * 60 && *o != 2)
            .map(|(m, _)| *m)
            .collect();
        let used = counted.len().min(25) as u32;
        proptest::prop_assert_eq!(q.used, used);
        proptest::prop_assert_eq!(q.remaining, 25 - used);
        let oldest = counted.iter().max().map(|m| now - Duration::minutes(*m) + Duration::hours(24));
        proptest::prop_assert_eq!(q.next_slot_at, oldest);
        proptest::prop_assert!(q.next_slot_at.is_none_or(|t| t > now && t <= now + Duration::hours(24)));
    }
}

#[test]
fn missing_file_is_an_empty_ledger() {
    let dir = tempfile::tempdir().unwrap();
    assert!(Ledger::at(dir.path().join("none.jsonl"))
        .read()
        .unwrap()
        .is_empty());
}
