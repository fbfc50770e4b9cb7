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
    /// AWS answered with an error that may still have spent a call (the
    /// key's 500-stream limit): it counts, but says nothing of what is left.
    Rejected,
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
        .filter(|e| {
            matches!(
                e.outcome,
                Outcome::Sent | Outcome::Accepted | Outcome::Rejected
            )
        })
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
mod tests;
