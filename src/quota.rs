//! The durable record of StartDeliveryStreamEncryption / StopDeliveryStreamEncryption
//! calls. AWS allows 25 of them per stream per rolling 24 hours and offers no way
//! to read what is left, so firekeeper counts for itself.
//!
//! The ledger is a JSON-lines file. Each record is appended with one `write` under
//! an exclusive lock and synced before the call is sent, so a crash at any moment
//! leaves at worst a torn last line, which readers skip and writers step past.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// AWS's combined Start+Stop limit per stream per rolling 24 hours.
pub const LIMIT: u32 = 25;

/// What a recorded call was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Start,
    Stop,
}

/// What became of a recorded call, as far as quota goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Written before sending: if no later word comes, the call may have
    /// reached AWS, so it counts.
    Sent,
    /// AWS took the call; it counts.
    Accepted,
    /// AWS refused the call before acting (bad argument, stream busy): it does
    /// not count.
    Refused,
    /// AWS answered `LimitExceededException`: the stream has no calls left,
    /// whatever this ledger knew.
    LimitExceeded,
}

/// One line of the ledger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub at: DateTime<Utc>,
    /// Identifies the call so its outcome can follow it.
    pub id: String,
    pub account: String,
    pub region: String,
    pub stream: String,
    pub action: Action,
    pub outcome: Outcome,
}

/// What is left of a stream's 25 calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Quota {
    pub limit: u32,
    pub used: u32,
    pub remaining: u32,
    /// When the oldest call in the window leaves it; `None` when none is used.
    pub next_slot_at: Option<DateTime<Utc>>,
}

impl Quota {
    pub fn unused() -> Quota {
        Quota {
            limit: LIMIT,
            used: 0,
            remaining: LIMIT,
            next_slot_at: None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error("quota ledger {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// The ledger file, or an in-memory one for the demo (whose simulated account
/// starts afresh each run, so a file would disagree with it).
#[derive(Debug, Clone)]
pub struct Ledger {
    path: Option<PathBuf>,
    memory: std::sync::Arc<std::sync::Mutex<Vec<Entry>>>,
}

impl Ledger {
    pub fn at(path: PathBuf) -> Ledger {
        Ledger {
            path: Some(path),
            memory: Default::default(),
        }
    }

    pub fn in_memory() -> Ledger {
        Ledger {
            path: None,
            memory: Default::default(),
        }
    }

    /// The configured path, or `$XDG_DATA_HOME/firekeeper/ledger.jsonl`.
    pub fn default_path() -> Option<PathBuf> {
        directories::ProjectDirs::from("", "", "firekeeper")
            .map(|d| d.data_dir().join("ledger.jsonl"))
    }

    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    fn io(&self, source: std::io::Error) -> LedgerError {
        LedgerError::Io {
            path: self.path.clone().unwrap_or_default(),
            source,
        }
    }

    /// Every readable entry; a missing file is an empty ledger.
    pub fn read(&self) -> Result<Vec<Entry>, LedgerError> {
        let Some(path) = &self.path else {
            return Ok(self
                .memory
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .clone());
        };
        let _lock = self.lock(false)?;
        self.read_unlocked(path)
    }

    fn read_unlocked(&self, path: &Path) -> Result<Vec<Entry>, LedgerError> {
        match std::fs::read_to_string(path) {
            Ok(text) => Ok(parse_entries(&text)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
            Err(e) => Err(self.io(e)),
        }
    }

    /// Locks the ledger: shared to read, exclusive to write. The lock lives
    /// on a file of its own so the ledger itself can be replaced atomically
    /// when it is compacted.
    fn lock(&self, exclusive: bool) -> Result<Option<File>, LedgerError> {
        let Some(path) = &self.path else {
            return Ok(None);
        };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| self.io(e))?;
        }
        let lock_path = path.with_extension("lock");
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(lock_path)
            .map_err(|e| self.io(e))?;
        if exclusive {
            file.lock().map_err(|e| self.io(e))?;
        } else {
            file.lock_shared().map_err(|e| self.io(e))?;
        }
        Ok(Some(file))
    }

    /// Appends one entry durably, under the lock shared with other processes.
    pub fn record(&self, entry: &Entry) -> Result<(), LedgerError> {
        let _lock = self.lock(true)?;
        self.append(entry)
    }

    /// Takes one of a stream's 25 calls, or says when the next one frees.
    /// The check and the record happen under one exclusive lock, so two
    /// firekeeper processes (two engineers on one bastion) cannot both take
    /// the last call.
    pub fn reserve(
        &self,
        call: &Call,
        now: DateTime<Utc>,
    ) -> Result<Result<String, Quota>, LedgerError> {
        let _lock = self.lock(true)?;
        let entries = match &self.path {
            Some(path) => self.read_unlocked(path)?,
            None => self
                .memory
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .clone(),
        };
        let quota = quotas(&entries, &call.account, &call.region, now)
            .remove(&call.stream)
            .unwrap_or(Quota::unused());
        if quota.remaining == 0 {
            return Ok(Err(quota));
        }
        let id = format!(
            "{}-{}-{}",
            now.timestamp_micros(),
            std::process::id(),
            entries.len()
        );
        self.append(&Entry {
            at: now,
            id: id.clone(),
            account: call.account.clone(),
            region: call.region.clone(),
            stream: call.stream.clone(),
            action: call.action,
            outcome: Outcome::Sent,
        })?;
        if entries.len() > COMPACT_AT {
            self.compact(now)?;
        }
        Ok(Ok(id))
    }

    /// Rewrites the ledger without entries too old to matter, atomically
    /// (write aside, sync, rename). Called with the exclusive lock held.
    fn compact(&self, now: DateTime<Utc>) -> Result<(), LedgerError> {
        let Some(path) = &self.path else {
            return Ok(());
        };
        let keep = now - Duration::hours(KEEP_HOURS);
        let current = self.read_unlocked(path)?;
        let mut text = String::new();
        for e in current.iter().filter(|e| e.at > keep) {
            text.push_str(&serde_json::to_string(e).map_err(|e| self.io(e.into()))?);
            text.push('\n');
        }
        let tmp = path.with_extension("compact");
        let mut file = File::create(&tmp).map_err(|e| self.io(e))?;
        file.write_all(text.as_bytes()).map_err(|e| self.io(e))?;
        file.sync_all().map_err(|e| self.io(e))?;
        std::fs::rename(&tmp, path).map_err(|e| self.io(e))
    }

    fn append(&self, entry: &Entry) -> Result<(), LedgerError> {
        let Some(path) = &self.path else {
            self.memory
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(entry.clone());
            return Ok(());
        };
        let mut file = OpenOptions::new()
            .create(true)
            .read(true)
            .append(true)
            .open(path)
            .map_err(|e| self.io(e))?;
        let mut line = serde_json::to_string(entry).map_err(|e| self.io(e.into()))?;
        line.push('\n');
        if !ends_with_newline(&mut file).map_err(|e| self.io(e))? {
            // A writer killed mid-line left a torn record; start clean after it.
            line.insert(0, '\n');
        }
        // One write: appends of one line are not interleaved with another
        // process's, and a crash leaves at most this line torn.
        file.write_all(line.as_bytes()).map_err(|e| self.io(e))?;
        file.sync_data().map_err(|e| self.io(e))
    }
}

/// One Start or Stop call about to be made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    pub account: String,
    pub region: String,
    pub stream: String,
    pub action: Action,
}

/// Entries kept when the ledger is compacted: a day for the quota, a day
/// more for people reading it.
const KEEP_HOURS: i64 = 48;
/// Compact once the ledger holds this many entries.
const COMPACT_AT: usize = 5_000;

fn ends_with_newline(file: &mut File) -> std::io::Result<bool> {
    let len = file.metadata()?.len();
    if len == 0 {
        return Ok(true);
    }
    file.seek(SeekFrom::Start(len - 1))?;
    let mut last = [0u8];
    file.read_exact(&mut last)?;
    Ok(last[0] == b'\n')
}

/// Parses ledger text, skipping lines that are torn or unreadable.
pub fn parse_entries(text: &str) -> Vec<Entry> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .filter_map(|l| match serde_json::from_str(l) {
            Ok(e) => Some(e),
            Err(err) => {
                tracing::warn!("skipping unreadable ledger line: {err}");
                None
            }
        })
        .collect()
}

/// Quota of every stream with entries, for one account and region.
pub fn quotas(
    entries: &[Entry],
    account: &str,
    region: &str,
    now: DateTime<Utc>,
) -> HashMap<String, Quota> {
    let mut by_stream: HashMap<&str, Vec<&Entry>> = HashMap::new();
    for e in entries
        .iter()
        .filter(|e| e.account == account && e.region == region)
    {
        by_stream.entry(e.stream.as_str()).or_default().push(e);
    }
    by_stream
        .into_iter()
        .map(|(stream, entries)| (stream.to_string(), quota_of(&entries, now)))
        .collect()
}

/// The rolling-window arithmetic for one stream's entries.
pub fn quota_of(entries: &[&Entry], now: DateTime<Utc>) -> Quota {
    let day = Duration::hours(24);
    // No upper bound: another process may have recorded a call a moment
    // "after" our now (clocks are read before the lock is taken).
    let in_window = |e: &&&Entry| e.at > now - day;
    // The latest word on each call decides whether it counts.
    let mut last: HashMap<&str, &Entry> = HashMap::new();
    for e in entries.iter().filter(in_window) {
        last.insert(e.id.as_str(), e);
    }
    let mut counted: Vec<DateTime<Utc>> = last
        .values()
        .filter(|e| matches!(e.outcome, Outcome::Sent | Outcome::Accepted))
        .map(|e| e.at)
        .collect();
    counted.sort();
    let exhausted_at = last
        .values()
        .filter(|e| e.outcome == Outcome::LimitExceeded)
        .map(|e| e.at)
        .max();
    let used = (counted.len() as u32).min(LIMIT);
    let oldest = counted.first().map(|t| *t + day);
    match exhausted_at {
        // AWS knows of calls this ledger does not; without knowing when they
        // were made, the only safe promise is a full day after the refusal,
        // unless a call we know of leaves the window later than that.
        Some(at) => Quota {
            limit: LIMIT,
            used: LIMIT,
            remaining: 0,
            next_slot_at: Some(oldest.map_or(at + day, |o| o.max(at + day))),
        },
        None => Quota {
            limit: LIMIT,
            used,
            remaining: LIMIT - used,
            next_slot_at: oldest,
        },
    }
}

#[cfg(test)]
mod tests {
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
}
