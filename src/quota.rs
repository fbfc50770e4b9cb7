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
        let mut file = match File::open(path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(self.io(e)),
        };
        file.lock_shared().map_err(|e| self.io(e))?;
        let mut text = String::new();
        file.read_to_string(&mut text).map_err(|e| self.io(e))?;
        Ok(parse_entries(&text))
    }

    /// Appends one entry durably, under the lock shared with other processes.
    pub fn record(&self, entry: &Entry) -> Result<(), LedgerError> {
        let Some(path) = &self.path else {
            self.memory
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(entry.clone());
            return Ok(());
        };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| self.io(e))?;
        }
        let mut file = OpenOptions::new()
            .create(true)
            .read(true)
            .append(true)
            .open(path)
            .map_err(|e| self.io(e))?;
        file.lock().map_err(|e| self.io(e))?;
        let mut line = serde_json::to_string(entry).map_err(|e| self.io(e.into()))?;
        line.push('\n');
        if !ends_with_newline(&mut file).map_err(|e| self.io(e))? {
            // A writer killed mid-line left a torn record; start clean after it.
            line.insert(0, '\n');
        }
        file.write_all(line.as_bytes()).map_err(|e| self.io(e))?;
        file.sync_data().map_err(|e| self.io(e))
    }
}

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
    let in_window = |e: &&&Entry| e.at > now - day && e.at <= now;
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

    #[test]
    fn missing_file_is_an_empty_ledger() {
        let dir = tempfile::tempdir().unwrap();
        assert!(Ledger::at(dir.path().join("none.jsonl"))
            .read()
            .unwrap()
            .is_empty());
    }
}
