//! What was last sent for each alert id, kept in the state dir so a restart
//! does not page the team again for what it was already told (within
//! `[alerts] ack_hours`, unless it got worse).

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{Alert, Kind};
use crate::health::Health;
use crate::journal::{self, Sharing};

/// The last alert sent for an id: enough to tell a repeat from news.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SentAlert {
    pub kind: Kind,
    pub severity: Health,
    pub new: String,
    pub at: DateTime<Utc>,
}

impl SentAlert {
    pub fn of(a: &Alert, at: DateTime<Utc>) -> SentAlert {
        SentAlert {
            kind: a.kind,
            severity: a.severity,
            new: a.new.clone(),
            at,
        }
    }
}

/// Every scope's entries: one file for every dashboard and `watch` of this
/// user, each under its own scope (the targets it watches).
type Book<T> = BTreeMap<String, BTreeMap<String, T>>;

/// `$XDG_STATE_HOME/firekeeper/alerts.json`: the alerts sent.
pub fn default_path() -> Option<PathBuf> {
    in_state_dir("alerts.json")
}

/// `$XDG_STATE_HOME/firekeeper/acks.json`: the acknowledgements (`a`).
pub fn acks_path() -> Option<PathBuf> {
    in_state_dir("acks.json")
}

fn in_state_dir(file: &str) -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "firekeeper").map(|d| {
        d.state_dir()
            .unwrap_or_else(|| d.data_local_dir())
            .join(file)
    })
}

/// What was sent in `scope`; nothing when the file is missing or cannot be
/// read (then every current problem is news once more: a repeat, never a
/// silence).
pub fn load(path: &Path, scope: &str) -> BTreeMap<String, SentAlert> {
    load_map(path, scope)
}

/// The entries of `scope` in a book file; none when it cannot be read.
pub fn load_map<T: serde::de::DeserializeOwned>(path: &Path, scope: &str) -> BTreeMap<String, T> {
    let Ok(bytes) = journal::read_regular(path, 16 * 1024 * 1024) else {
        return BTreeMap::new();
    };
    let mut book: Book<T> = serde_json::from_slice(&bytes).unwrap_or_default();
    book.remove(scope).unwrap_or_default()
}

/// Keeps what was sent in `scope`, beside the other scopes, dropping what
/// is older than `keep`. Written to a temporary file and renamed, so a
/// crash leaves the old file or the new, never half of one.
pub fn save(
    path: &Path,
    scope: &str,
    sent: &BTreeMap<String, SentAlert>,
    keep: chrono::Duration,
    now: DateTime<Utc>,
) -> std::io::Result<()> {
    let fresh = sent
        .iter()
        .filter(|(_, s)| now - s.at < keep)
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    save_map(path, scope, fresh)
}

/// Puts `entries` under `scope` in a book file, beside the other scopes.
pub fn save_map<T: Serialize + serde::de::DeserializeOwned>(
    path: &Path,
    scope: &str,
    entries: BTreeMap<String, T>,
) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    journal::create_dir(dir, Sharing::Private)?;
    let mut book: Book<T> = journal::read_regular(path, 16 * 1024 * 1024)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default();
    book.insert(scope.to_string(), entries);
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    tmp.write_all(&serde_json::to_vec(&book)?)?;
    tmp.as_file().sync_data()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}
