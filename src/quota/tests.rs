use super::*;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{MetadataExt, PermissionsExt};

fn entry(id: &str, mins_ago: i64, outcome: Outcome, now: DateTime<Utc>) -> Entry {
    Entry {
        at: now - Duration::minutes(mins_ago),
        id: id.into(),
        account: "123456789012".into(),
        region: "us-east-1".into(),
        stream: "s".into(),
        action: Operation::Start,
        outcome,
        request_id: None,
        access_key_id: None,
        error: None,
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
        entry("a", 10, Outcome::Unsent, now),
        entry("b", 5, Outcome::Sent, now),
    ];
    assert_eq!(q(&entries, now).used, 1, "a never left, b may have landed");
}

#[test]
fn calls_aws_answered_with_an_error_are_counted_apart() {
    let now = Utc::now();
    // `refused` is what earlier versions wrote for an error answer.
    let entries = vec![
        entry("a", 10, Outcome::Sent, now),
        entry("a", 10, Outcome::Rejected, now),
        entry("b", 5, Outcome::Sent, now),
        entry("b", 5, Outcome::Refused, now),
        entry("c", 4, Outcome::Accepted, now),
    ];
    let quota = q(&entries, now);
    // Both reached AWS: counted by the safe reading, apart from the spent.
    assert_eq!((quota.used, quota.refused), (1, 2));
    assert_eq!((quota.remaining, quota.remaining_at_most), (22, 24));
}

#[test]
fn old_lines_without_a_request_id_still_parse() {
    let old = r#"{"at":"2026-11-21T10:00:00Z","id":"1-2-3","account":"123456789012","region":"us-east-1","stream":"s","action":"start","outcome":"accepted"}"#;
    let new = r#"{"at":"2026-11-21T10:00:00Z","id":"1-2-4","account":"123456789012","region":"us-east-1","stream":"s","action":"stop","outcome":"rejected","request_id":"d4b5c1e0-8a1f-4c3e-9b7a-2f6e0c9d1a23"}"#;
    let entries = parse_entries(&format!("{old}\n{new}\n"));
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0].request_id, None);
    assert_eq!(
        entries[1].request_id.as_deref(),
        Some("d4b5c1e0-8a1f-4c3e-9b7a-2f6e0c9d1a23")
    );
    // A line without one is written without one, as before.
    let line = serde_json::to_string(&entries[0]).unwrap();
    assert!(!line.contains("request_id"), "{line}");
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
        action: Operation::Start,
        access_key_id: None,
        force: false,
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
fn calls_aws_refused_keep_their_slot() {
    let ledger = Ledger::in_memory();
    let now = Utc::now();
    for _ in 0..25 {
        let id = ledger.reserve(&call(), now).unwrap().unwrap();
        ledger
            .record(&entry(&id, 0, Outcome::Rejected, now))
            .unwrap();
    }
    let q = quotas(&ledger.read().unwrap(), "123456789012", "us-east-1", now);
    assert_eq!(q["s"].remaining, 0);
    assert!(ledger.reserve(&call(), now).unwrap().is_err(), "the 26th");
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
                let outcome = [Outcome::Sent, Outcome::Accepted, Outcome::Unsent][*o as usize];
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

#[test]
fn entries_dated_ahead_of_the_clock_hold_no_slot() {
    let now = Utc::now();
    let mut skewed = entry("skewed", 0, Outcome::Accepted, now);
    skewed.at = "2099-01-01T00:00:00Z".parse().unwrap();
    // A moment ahead is another process's clock read before ours: it counts.
    let mut racing = entry("racing", 0, Outcome::Accepted, now);
    racing.at = now + Duration::seconds(30);
    let quota = q(&[skewed, racing], now);
    assert_eq!((quota.used, quota.remaining), (1, 24));
    assert!(quota.next_slot_at.unwrap() < now + Duration::hours(25));
}

#[test]
fn a_line_that_is_not_utf8_costs_only_that_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ledger.jsonl");
    let now = Utc::now();
    let good = serde_json::to_string(&entry("a", 1, Outcome::Accepted, now)).unwrap();
    let mut bytes = good.clone().into_bytes();
    bytes.extend_from_slice(b"\n{\"at\":\"\xff\xfe\"}\n");
    bytes.extend_from_slice(good.replace("\"a\"", "\"b\"").as_bytes());
    bytes.push(b'\n');
    std::fs::write(&path, bytes).unwrap();
    let read = Ledger::at(path).read().unwrap();
    assert_eq!(read.len(), 2);
}

#[test]
fn unsent_reservations_give_their_slot_back() {
    let ledger = Ledger::in_memory();
    let now = Utc::now();
    let id = ledger.reserve(&call(), now).unwrap().unwrap();
    ledger.record(&entry(&id, 0, Outcome::Unsent, now)).unwrap();
    let q = quotas(&ledger.read().unwrap(), "123456789012", "us-east-1", now);
    assert_eq!(q["s"].remaining, 25);
}

fn old_entries(path: &Path, n: usize, now: DateTime<Utc>) {
    let mut text = String::new();
    for i in 0..n {
        let mut e = entry(&format!("old{i}"), 0, Outcome::Accepted, now);
        e.at = now - Duration::days(10);
        text.push_str(&serde_json::to_string(&e).unwrap());
        text.push('\n');
    }
    std::fs::write(path, text).unwrap();
}

#[test]
fn a_symlinked_ledger_is_used_and_compacted_through_its_target() {
    let dir = tempfile::tempdir().unwrap();
    let shared = dir.path().join("team");
    std::fs::create_dir(&shared).unwrap();
    let target = shared.join("ledger.jsonl");
    let link = dir.path().join("mine/ledger.jsonl");
    std::fs::create_dir(link.parent().unwrap()).unwrap();
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let now = Utc::now();
    old_entries(&target, 5, now);
    let ledger = Ledger::at(link.clone()).compacting_at(3);
    let id = ledger.reserve(&call(), now).unwrap().unwrap();
    ledger
        .record(&entry(&id, 0, Outcome::Accepted, now))
        .unwrap();
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink(),
        "the link is still a link"
    );
    let at_target = parse_entries(&std::fs::read_to_string(&target).unwrap());
    assert_eq!(
        at_target.len(),
        2,
        "old entries compacted away at the target"
    );
    assert_eq!(at_target[1].outcome, Outcome::Accepted);
    assert!(
        shared.join("ledger.lock").exists(),
        "locked beside the target"
    );
    assert!(!link.with_extension("lock").exists());
}

#[test]
fn compaction_keeps_owner_group_and_mode() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ledger.jsonl");
    let now = Utc::now();
    old_entries(&path, 5, now);
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o664)).unwrap();
    let root = journal::euid() == 0;
    if root {
        // A file of a colleague's, in the team's group.
        std::os::unix::fs::chown(&path, Some(4321), Some(4322)).unwrap();
    }
    let before = std::fs::metadata(&path).unwrap();
    Ledger::shared(path.clone())
        .compacting_at(3)
        .reserve(&call(), now)
        .unwrap()
        .unwrap();
    let after = std::fs::metadata(&path).unwrap();
    assert_eq!(
        (after.uid(), after.gid(), after.mode()),
        (before.uid(), before.gid(), before.mode())
    );
    assert_eq!(
        Ledger::at(path).read().unwrap().len(),
        1,
        "it was compacted"
    );
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| n.to_string_lossy().contains("compact"))
        .collect();
    assert!(
        leftovers.is_empty(),
        "no temporary file left: {leftovers:?}"
    );
}

#[test]
fn a_ledger_in_a_group_writable_directory_is_made_group_writable() {
    let dir = tempfile::tempdir().unwrap();
    let team = dir.path().join("team");
    std::fs::create_dir(&team).unwrap();
    std::fs::set_permissions(&team, std::fs::Permissions::from_mode(0o2770)).unwrap();
    let ledger = Ledger::at(team.join("ledger.jsonl"));
    ledger.reserve(&call(), Utc::now()).unwrap().unwrap();
    for name in ["ledger.jsonl", "ledger.lock"] {
        let mode = std::fs::metadata(team.join(name)).unwrap().mode() & 0o777;
        assert_eq!(mode, 0o660, "{name}");
    }
    let private = dir.path().join("private/data/ledger.jsonl");
    Ledger::at(private.clone())
        .reserve(&call(), Utc::now())
        .unwrap()
        .unwrap();
    let mode = |p: &Path| std::fs::metadata(p).unwrap().mode() & 0o777;
    assert_eq!(mode(&private), 0o600);
    assert_eq!(mode(private.parent().unwrap()), 0o700);
}

/// Holds the ledger's lock as another process would (flock locks belong to
/// an open file, so a second open in this process contends like one).
fn hold_lock(ledger_path: &Path) -> File {
    let file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(ledger_path.with_extension("lock"))
        .unwrap();
    file.lock().unwrap();
    file
}

#[test]
fn a_ledger_locked_too_long_is_an_error_not_a_hang() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ledger.jsonl");
    let ledger = Ledger::at(path.clone()).lock_patience(std::time::Duration::from_millis(100));
    let now = Utc::now();
    ledger
        .record(&entry("a", 1, Outcome::Accepted, now))
        .unwrap();
    let held = hold_lock(&path);

    let start = std::time::Instant::now();
    let err = ledger.reserve(&call(), now).unwrap_err();
    let waited = start.elapsed();
    assert!(matches!(err, LedgerError::Locked { .. }), "{err}");
    let text = err.to_string();
    assert!(
        text.starts_with(&format!(
            "the quota ledger {} is locked by another process",
            path.display()
        )),
        "{text}"
    );
    assert!(text.contains("ledger.lock"), "names the lock file: {text}");
    assert!(
        waited >= std::time::Duration::from_millis(100)
            && waited < std::time::Duration::from_secs(2),
        "waited {waited:?}"
    );
    assert!(matches!(
        ledger.record(&entry("b", 0, Outcome::Accepted, now)),
        Err(LedgerError::Locked { .. })
    ));
    // Readers need no lock to be correct: they read anyway.
    assert_eq!(ledger.read().unwrap().len(), 1);

    drop(held);
    ledger.reserve(&call(), now).unwrap().unwrap();
}

#[test]
fn a_lock_released_while_waiting_is_taken() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ledger.jsonl");
    let ledger = Ledger::at(path.clone());
    let held = hold_lock(&path);
    let release = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(150));
        drop(held);
    });
    let start = std::time::Instant::now();
    ledger.reserve(&call(), Utc::now()).unwrap().unwrap();
    assert!(start.elapsed() >= std::time::Duration::from_millis(150));
    release.join().unwrap();
    assert_eq!(ledger.read().unwrap().len(), 1);
}

#[test]
fn a_clock_ahead_of_the_ledgers_file_system_does_not_compact() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ledger.jsonl");
    let real_now = Utc::now();
    // A colleague's live call, and this machine's clock two days ahead.
    let mut text = serde_json::to_string(&entry("live", 60, Outcome::Accepted, real_now)).unwrap();
    text.push('\n');
    std::fs::write(&path, text).unwrap();
    let ahead = real_now + Duration::days(2);
    Ledger::at(path.clone())
        .compacting_at(1)
        .reserve(&call(), ahead)
        .unwrap()
        .unwrap();
    let ids: Vec<String> = Ledger::at(path)
        .read()
        .unwrap()
        .into_iter()
        .map(|e| e.id)
        .collect();
    assert!(
        ids.contains(&"live".to_string()),
        "not compacted away: {ids:?}"
    );
}

#[test]
fn a_crashed_compactions_copy_does_not_block_the_next() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ledger.jsonl");
    let now = Utc::now();
    old_entries(&path, 5, now);
    let leftover = dir
        .path()
        .join(format!(".ledger.jsonl.compact-{}", std::process::id()));
    std::fs::write(&leftover, "half").unwrap();
    Ledger::at(path.clone())
        .compacting_at(3)
        .reserve(&call(), now)
        .unwrap()
        .unwrap();
    assert_eq!(Ledger::at(path).read().unwrap().len(), 1, "compacted");
    assert!(!leftover.exists());
}
