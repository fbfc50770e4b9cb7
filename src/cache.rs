//! The last-known fleet on disk, so the dashboard's first frame shows streams at
//! once (marked stale) instead of an empty table while AWS is asked again.
//!
//! Snapshots are keyed by account, region and endpoint. The account is not
//! known until STS answers, so a small pointer per (profile, region, endpoint)
//! remembers which account that target last was.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use std::collections::{BTreeMap, HashMap};

use crate::app::Row;
use crate::cloud::KmsSeries;
use crate::config::Window;
use crate::health::Outage;
use crate::inventory::KeyBook;

const VERSION: u32 = 1;

#[derive(Debug, Serialize, Deserialize)]
pub struct Snapshot {
    pub version: u32,
    pub saved_at: DateTime<Utc>,
    pub account: String,
    pub region: String,
    pub endpoint: Option<String>,
    pub rows: Vec<Row>,
    pub keys: KeyBook,
    /// KMS error series and the window they cover, so the first frame shows
    /// them too.
    pub window: Window,
    pub metrics: BTreeMap<String, KmsSeries>,
    pub outages: HashMap<String, Outage>,
}

/// What of the dashboard's state is worth keeping between runs.
pub struct Saved<'a> {
    pub rows: &'a [Row],
    pub keys: &'a KeyBook,
    pub window: Window,
    pub metrics: &'a BTreeMap<String, KmsSeries>,
    pub outages: &'a HashMap<String, Outage>,
}

/// Where one target's snapshots live.
#[derive(Debug, Clone)]
pub struct Cache {
    dir: PathBuf,
    target: String,
    region: String,
    endpoint: Option<String>,
}

fn digest(parts: &[&str]) -> String {
    let mut h = DefaultHasher::new();
    parts.hash(&mut h);
    format!("{:016x}", h.finish())
}

impl Cache {
    pub fn new(dir: PathBuf, profile: Option<&str>, region: &str, endpoint: Option<&str>) -> Cache {
        Cache {
            target: digest(&[profile.unwrap_or(""), region, endpoint.unwrap_or("")]),
            dir,
            region: region.to_string(),
            endpoint: endpoint.map(str::to_string),
        }
    }

    /// The platform cache dir (`$XDG_CACHE_HOME/firekeeper`).
    pub fn default_dir() -> Option<PathBuf> {
        directories::ProjectDirs::from("", "", "firekeeper").map(|d| d.cache_dir().to_path_buf())
    }

    fn pointer(&self) -> PathBuf {
        self.dir.join(format!("target-{}", self.target))
    }

    fn snapshot_path(&self, account: &str) -> PathBuf {
        let key = digest(&[
            account,
            &self.region,
            self.endpoint.as_deref().unwrap_or(""),
        ]);
        self.dir
            .join(format!("inventory-{account}-{}-{key}.json", self.region))
    }

    /// The last snapshot of this target, if any and readable.
    pub fn load(&self) -> Option<Snapshot> {
        let account = std::fs::read_to_string(self.pointer()).ok()?;
        let text = std::fs::read(self.snapshot_path(account.trim())).ok()?;
        let snap: Snapshot = serde_json::from_slice(&text)
            .map_err(|e| tracing::warn!("ignoring unreadable cache: {e}"))
            .ok()?;
        (snap.version == VERSION && snap.region == self.region && snap.endpoint == self.endpoint)
            .then_some(snap)
    }

    /// Saves atomically: a reader sees the old snapshot or the new one.
    pub fn save(&self, account: &str, saved: Saved<'_>) -> std::io::Result<()> {
        std::fs::create_dir_all(&self.dir)?;
        let snap = Snapshot {
            version: VERSION,
            saved_at: Utc::now(),
            account: account.to_string(),
            region: self.region.clone(),
            endpoint: self.endpoint.clone(),
            rows: saved.rows.to_vec(),
            keys: saved.keys.clone(),
            window: saved.window,
            metrics: saved.metrics.clone(),
            outages: saved.outages.clone(),
        };
        write_atomic(&self.snapshot_path(account), &serde_json::to_vec(&snap)?)?;
        write_atomic(&self.pointer(), account.as_bytes())
    }
}

fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(name: &str) -> Row {
        Row {
            name: name.into(),
            stream: None,
            error: None,
            described_at: None,
        }
    }

    fn saved(rows: &[Row]) -> Saved<'_> {
        static KEYS: std::sync::OnceLock<KeyBook> = std::sync::OnceLock::new();
        static METRICS: BTreeMap<String, KmsSeries> = BTreeMap::new();
        static OUTAGES: std::sync::OnceLock<HashMap<String, Outage>> = std::sync::OnceLock::new();
        Saved {
            rows,
            keys: KEYS.get_or_init(KeyBook::default),
            window: Window::H3,
            metrics: &METRICS,
            outages: OUTAGES.get_or_init(HashMap::new),
        }
    }

    #[test]
    fn a_saved_fleet_loads_back_for_the_same_target_only() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::new(dir.path().into(), Some("prod"), "us-east-1", None);
        assert!(cache.load().is_none());
        cache
            .save("123456789012", saved(&[row("a"), row("b")]))
            .unwrap();
        let snap = cache.load().unwrap();
        assert_eq!(snap.rows.len(), 2);
        assert_eq!(snap.account, "123456789012");
        let other = Cache::new(dir.path().into(), Some("prod"), "eu-west-1", None);
        assert!(other.load().is_none(), "another region has its own cache");
        let local = Cache::new(
            dir.path().into(),
            Some("prod"),
            "us-east-1",
            Some("http://127.0.0.1:5000"),
        );
        assert!(local.load().is_none(), "another endpoint has its own cache");
    }

    #[test]
    fn a_corrupt_cache_is_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::new(dir.path().into(), None, "us-east-1", None);
        cache.save("1", saved(&[row("a")])).unwrap();
        std::fs::write(cache.snapshot_path("1"), b"{not json").unwrap();
        assert!(cache.load().is_none());
    }
}
