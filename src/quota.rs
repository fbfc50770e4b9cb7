//! The durable record of StartDeliveryStreamEncryption / StopDeliveryStreamEncryption
//! calls. AWS allows 25 of them per stream per rolling 24 hours and offers no way
//! to read what is left, so firekeeper counts for itself.
//!
//! The ledger is a JSON-lines file. Each record is appended with one `write` under
//! an exclusive lock and synced before the call is sent, so a crash at any moment
//! leaves at worst a torn last line, which readers skip and writers step past.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::journal::{self, Sharing};
use crate::model;
use crate::model::TrailEvent;

mod file;
mod merge;

pub use merge::{
    merged, refused_sentence, stream_quota, CountedCall, QuotaBook, QuotaSource, RefusedCalls,
};

/// AWS's combined Start+Stop limit per stream per rolling 24 hours.
pub const LIMIT: u32 = crate::model::QUOTA_LIMIT;

/// What a recorded call was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Operation {
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
    /// AWS answered with an error (written by firekeeper before it counted
    /// such calls; see `Rejected`): the call reached AWS, so it counts.
    Refused,
    /// AWS answered with an error (a bad argument, a busy stream, the key's
    /// 500-stream limit): the call reached AWS, and AWS does not say that a
    /// refused call is free, so it counts.
    Rejected,
    /// AWS answered `LimitExceededException`: the stream has no calls left,
    /// whatever this ledger knew.
    LimitExceeded,
    /// Reserved, then nothing was sent (the audit log could not be written,
    /// the last look at the stream refused, the process was stopped): the
    /// slot is given back.
    Unsent,
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
    pub action: Operation,
    pub outcome: Outcome,
    /// AWS's id of the request, on the line of its answer (success or
    /// error): CloudTrail records the same id, so the call is counted once.
    /// Absent on lines written before the answer, and on older ledgers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// The access key the call was signed with, on the line written before
    /// sending: CloudTrail records it too, so a call whose answer (and
    /// request id) was lost is still recognised there and counted once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_key_id: Option<String>,
    /// AWS's error code, on the line of an error answer
    /// (`AccessDeniedException`): such a call is counted apart, as refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// What is left of a stream's 25 calls.
///
/// AWS documents the limit ("a combined limit of 25 calls per Firehose
/// stream per 24 hours", StartDeliveryStreamEncryption API reference) but
/// not whether a call it refused (AccessDenied, throttled, invalid) counts
/// against it. So refused calls are counted apart: `used` is the calls that
/// spent a slot or may have (accepted, or sent with no answer), `refused`
/// the calls AWS answered with an error. `remaining` is the safe reading,
/// refused calls counted; `remaining_at_most` what is left if they are free.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Quota {
    pub limit: u32,
    pub used: u32,
    /// Calls of the last 24 hours AWS answered with an error; their codes
    /// are on the calls. `status` reports them as an object of its own.
    #[serde(skip)]
    pub refused: u32,
    pub remaining: u32,
    /// What is left if refused calls do not count; `remaining` when there
    /// are none, or when AWS itself said the stream has no calls left.
    pub remaining_at_most: u32,
    /// When the oldest call in the window leaves it; `None` when none is used.
    pub next_slot_at: Option<DateTime<Utc>>,
    /// Calls of the last 24 hours in this machine's ledger.
    pub used_here: u32,
    /// Calls of the last 24 hours CloudTrail shows and the ledger does not.
    pub used_elsewhere: u32,
}

impl Quota {
    /// "the next frees at 2026-11-22 14:05 UTC (in 3h 05m)", when a call is
    /// in the window: the one sentence every screen and message uses.
    pub fn next_slot(&self, now: DateTime<Utc>) -> Option<String> {
        self.next_slot_at
            .map(|t| format!("the next frees at {}", model::when(t, now)))
    }

    /// "22 of them by others", when CloudTrail shows calls the ledger does
    /// not: the one phrase every message uses.
    pub fn by_others(&self) -> Option<String> {
        (self.used_elsewhere > 0).then(|| format!("{} of them by others", self.used_elsewhere))
    }

    /// Whether only calls AWS refused stand between the stream and a call:
    /// by the safe reading none is left, but one may be if refused calls
    /// are free, which AWS does not document either way.
    pub fn only_refused_in_the_way(&self) -> bool {
        self.remaining == 0 && self.remaining_at_most > 0
    }

    pub fn unused() -> Quota {
        Quota {
            limit: LIMIT,
            used: 0,
            refused: 0,
            remaining: LIMIT,
            remaining_at_most: LIMIT,
            next_slot_at: None,
            used_here: 0,
            used_elsewhere: 0,
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
    /// Another process held the lock for longer than firekeeper waits.
    #[error(
        "the quota ledger {} is locked by another process (waited {:.1} s); another firekeeper may be recording a call: try again in a moment, and if it stays locked, find the process holding {} (e.g. `fuser -v {}`)",
        path.display(), waited.as_secs_f32(), lock.display(), lock.display()
    )]
    Locked {
        path: PathBuf,
        lock: PathBuf,
        waited: std::time::Duration,
    },
    /// The file system did not answer in time (a hung network disk): the
    /// work goes on in the background, and nothing waits for it.
    #[error(
        "the quota ledger {} did not answer within {} s (a hung network file system?): the quota is not known",
        path.display(), waited.as_secs()
    )]
    NoAnswer {
        path: PathBuf,
        waited: std::time::Duration,
    },
}

/// How long any one piece of ledger work may take, lock wait included,
/// before firekeeper stops waiting for it: like a network call's deadline.
const LEDGER_DEADLINE_AFTER_LOCK: std::time::Duration = std::time::Duration::from_secs(10);

/// How long to wait for another process's lock on the ledger before saying
/// so: a writer holds it for one read and one synced append, milliseconds,
/// so seconds mean it is stuck (a stopped process, a hung network disk).
pub const LOCK_PATIENCE: std::time::Duration = std::time::Duration::from_secs(5);

/// The ledger file, or an in-memory one for the demo (whose simulated account
/// starts afresh each run, so a file would disagree with it).
#[derive(Debug, Clone)]
pub struct Ledger {
    path: Option<PathBuf>,
    /// Set for a ledger the team shares (`[ledger] path`): its files are made
    /// group-writable. Otherwise the directory decides.
    shared: bool,
    compact_at: usize,
    /// How long to wait for the lock: `LOCK_PATIENCE`, shorter in tests.
    lock_patience: std::time::Duration,
    memory: std::sync::Arc<std::sync::Mutex<Vec<Entry>>>,
}

impl Ledger {
    /// A ledger of the user's own (the XDG default): private files, unless
    /// its directory is group-writable, the sign of a team's directory.
    pub fn at(path: PathBuf) -> Ledger {
        Ledger {
            path: Some(path),
            shared: false,
            compact_at: compact_at(),
            lock_patience: LOCK_PATIENCE,
            memory: Default::default(),
        }
    }

    /// A ledger a team shares (`[ledger] path`): files it creates are 0660
    /// so every member of the group can read and write them.
    pub fn shared(path: PathBuf) -> Ledger {
        Ledger {
            shared: true,
            ..Ledger::at(path)
        }
    }

    pub fn in_memory() -> Ledger {
        Ledger {
            path: None,
            shared: false,
            compact_at: COMPACT_AT,
            lock_patience: LOCK_PATIENCE,
            memory: Default::default(),
        }
    }

    /// Compacts once the ledger holds more than `lines` entries.
    pub fn compacting_at(mut self, lines: usize) -> Ledger {
        self.compact_at = lines;
        self
    }

    /// Gives up waiting for another process's lock after `patience`.
    pub fn lock_patience(mut self, patience: std::time::Duration) -> Ledger {
        self.lock_patience = patience;
        self
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

    /// Where the ledger really is: a symlinked ledger is used through its
    /// target, so every process locks, appends and compacts the same file.
    fn target(&self) -> Option<PathBuf> {
        self.path.as_deref().map(journal::resolve_links)
    }

    fn sharing(&self, target: &Path) -> Sharing {
        if self.shared || target.parent().is_some_and(journal::group_writable) {
            Sharing::Group
        } else {
            Sharing::Private
        }
    }

    /// Runs `work` on a clone of this ledger off the async runtime (see
    /// `journal::off_runtime`): every read, reservation and record from
    /// async code goes through here.
    pub async fn off_runtime<T, E>(
        &self,
        work: impl FnOnce(Ledger) -> Result<T, E> + Send + 'static,
    ) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<LedgerError> + Send + 'static,
    {
        let ledger = self.clone();
        let deadline = self.lock_patience + LEDGER_DEADLINE_AFTER_LOCK;
        match tokio::time::timeout(deadline, journal::off_runtime(move || work(ledger))).await {
            Ok(Ok(done)) => done,
            Ok(Err(e)) => Err(self.io(e).into()),
            Err(_) => Err(LedgerError::NoAnswer {
                path: self.path.clone().unwrap_or_default(),
                waited: deadline,
            }
            .into()),
        }
    }

    /// `read`, from async code.
    pub async fn read_async(&self) -> Result<Vec<Entry>, LedgerError> {
        self.off_runtime(|ledger| ledger.read()).await
    }

    /// Every readable entry; a missing file is an empty ledger. Lines that
    /// are torn, not UTF-8 or not entries are skipped and logged; only a
    /// file that cannot be read at all is an error.
    pub fn read(&self) -> Result<Vec<Entry>, LedgerError> {
        let Some(target) = self.target() else {
            return Ok(self
                .memory
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .clone());
        };
        // Readers need no lock to be correct (appends are single writes and
        // compaction renames atomically): one who cannot take it, in a
        // directory they may only read, still reads.
        let _lock = self.lock(&target, false).unwrap_or_else(|e| {
            tracing::warn!("reading the ledger without its lock: {e}");
            None
        });
        self.read_unlocked(&target)
    }

    /// Appends one entry durably, under the lock shared with other processes.
    pub fn record(&self, entry: &Entry) -> Result<(), LedgerError> {
        let target = self.target();
        let _lock = match &target {
            Some(t) => self.lock(t, true)?,
            None => None,
        };
        self.append(target.as_deref(), entry)
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
        self.reserve_counting(call, now, &[])
    }

    /// `reserve`, counting as well the calls CloudTrail shows (`heard`, the
    /// region's Start/Stop events): the merged count is checked under the
    /// lock, so the 26th call is refused here whoever made the other 25.
    pub fn reserve_counting(
        &self,
        call: &Call,
        now: DateTime<Utc>,
        heard: &[TrailEvent],
    ) -> Result<Result<String, Quota>, LedgerError> {
        let target = self.target();
        let _lock = match &target {
            Some(t) => self.lock(t, true)?,
            None => None,
        };
        let entries = match &target {
            Some(t) => self.read_unlocked(t)?,
            None => self
                .memory
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .clone(),
        };
        let mine: Vec<&Entry> = entries
            .iter()
            .filter(|e| {
                (e.account.as_str(), e.region.as_str(), e.stream.as_str())
                    == (&call.account, &call.region, &call.stream)
            })
            .collect();
        let theirs: Vec<&TrailEvent> = heard
            .iter()
            .filter(|e| e.resource.as_deref() == Some(call.stream.as_str()))
            .collect();
        let (quota, _) = stream_quota(&mine, &theirs, now);
        // Forced, a call is taken when only refused calls fill the day: AWS
        // then says whether they counted. Never past a full day of others.
        let forced = call.force && quota.only_refused_in_the_way();
        if quota.remaining == 0 && !forced {
            return Ok(Err(quota));
        }
        let id = format!(
            "{}-{}-{}",
            now.timestamp_micros(),
            std::process::id(),
            entries.len()
        );
        self.append(
            target.as_deref(),
            &Entry {
                at: now,
                id: id.clone(),
                account: call.account.clone(),
                region: call.region.clone(),
                stream: call.stream.clone(),
                action: call.action,
                outcome: Outcome::Sent,
                request_id: None,
                access_key_id: call.access_key_id.clone(),
                error: None,
            },
        )?;
        if let Some(t) = target
            .as_deref()
            .filter(|_| entries.len() >= self.compact_at)
        {
            // Housekeeping: the reservation stands whatever becomes of it.
            if let Err(e) = self.compact(t, now) {
                tracing::warn!("ledger not compacted: {e}");
            }
        }
        Ok(Ok(id))
    }
}

/// Compaction threshold; `FIREKEEPER_LEDGER_COMPACT_AT` lowers it so tests can
/// compact a shared ledger without writing thousands of calls.
fn compact_at() -> usize {
    std::env::var("FIREKEEPER_LEDGER_COMPACT_AT")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(COMPACT_AT)
}

/// One Start or Stop call about to be made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    pub account: String,
    pub region: String,
    pub stream: String,
    pub action: Operation,
    /// The access key the call will be signed with, when known.
    pub access_key_id: Option<String>,
    /// The user chose to send even if only calls AWS refused fill the day
    /// (`--force`, or `send` typed in the dashboard).
    pub force: bool,
}

/// Entries kept when the ledger is compacted: a day for the quota, a day
/// more for people reading it.
const KEEP_HOURS: i64 = 48;
/// How far ahead of this machine's clock an entry may be dated and still count.
pub const FUTURE_SLACK_MINUTES: i64 = 5;
/// Compact once the ledger holds this many entries.
const COMPACT_AT: usize = 5_000;

/// Parses ledger text, skipping lines that are torn or unreadable.
pub fn parse_entries(text: &str) -> Vec<Entry> {
    parse_lines(text.as_bytes())
}

fn parse_lines(bytes: &[u8]) -> Vec<Entry> {
    let entries: Vec<Entry> = journal::lines(bytes, "quota ledger")
        .filter_map(|l| match serde_json::from_str(l) {
            Ok(e) => Some(e),
            Err(err) => {
                tracing::warn!("skipping unreadable ledger line: {err}");
                None
            }
        })
        .collect();
    let latest = Utc::now() + Duration::minutes(FUTURE_SLACK_MINUTES);
    let ahead = entries.iter().filter(|e| e.at > latest).count();
    if ahead > 0 {
        tracing::warn!(
            "ignoring {ahead} ledger entries dated more than {FUTURE_SLACK_MINUTES} minutes ahead of this machine's clock (clock skew, or bad lines)"
        );
    }
    entries
}

/// Quota of every stream with entries, for one account and region, by the
/// ledger alone.
pub fn quotas(
    entries: &[Entry],
    account: &str,
    region: &str,
    now: DateTime<Utc>,
) -> HashMap<String, Quota> {
    merged(entries, Err("not asked"), account, region, now).quotas
}

/// The rolling-window arithmetic for one stream's entries, by the ledger alone.
pub fn quota_of(entries: &[&Entry], now: DateTime<Utc>) -> Quota {
    stream_quota(entries, &[], now).0
}

#[cfg(test)]
mod tests;
