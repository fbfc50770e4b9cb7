//! The last-known fleet on disk, so the dashboard's first frame shows streams at
//! once (marked stale) instead of an empty table while AWS is asked again.
//!
//! Snapshots are keyed by account, region and endpoint. The account is not
//! known until STS answers, so a small pointer per (profile, region, endpoint)
//! remembers which account that target last was.
//!
//! The files hold account data (stream names, key ARNs): they are 0600 in a
//! 0700 directory whatever the umask. Each is written to a temporary file
//! beside it and renamed over it; a temporary file that a crashed run left
//! behind is removed the next time the cache is read or written.

use std::hash::Hasher as _;
use std::io::Write as _;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use std::collections::{BTreeMap, HashMap};

use crate::health::Outage;
use crate::inventory::KeyBook;
use crate::model::KmsSeries;
use crate::model::Row;
use crate::model::Window;

const VERSION: u32 = 1;

/// How the temporary files of this cache are named: `.firekeeper-XXXXXX.tmp`.
const TMP_PREFIX: &str = ".firekeeper-";
const TMP_SUFFIX: &str = ".tmp";
/// A temporary file older than this is a crashed run's: writing one takes
/// milliseconds, so a younger one may be another dashboard's, mid-write.
const LEFTOVER_AGE: Duration = Duration::from_secs(60);

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

/// What of one target's part of the fleet is worth keeping between runs.
pub struct Saved {
    pub rows: Vec<Row>,
    pub keys: KeyBook,
    pub window: Window,
    pub metrics: BTreeMap<String, KmsSeries>,
    pub outages: HashMap<String, Outage>,
}

/// Where one target's snapshots live.
#[derive(Debug, Clone)]
pub struct Cache {
    dir: PathBuf,
    target: String,
    region: String,
    endpoint: Option<String>,
}

/// The hash in a cache file's name: FNV-1a over the parts, each ended by a
/// byte UTF-8 never contains (so `("ab", "c")` and `("a", "bc")` differ). FNV
/// is a fixed algorithm: the name stays the same across Rust releases,
/// platforms and runs.
///
/// The names changed once: before, they came from std's `DefaultHasher`, whose
/// output may change with any Rust release, silently losing the cache. A cache
/// written under the old names is not found; the first refresh writes a new one.
fn digest(parts: &[&str]) -> String {
    let mut h = fnv::FnvHasher::default();
    for part in parts {
        h.write(part.as_bytes());
        h.write(&[0xff]);
    }
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
        remove_leftovers(&self.dir, SystemTime::now());
        // Regular files only: a FIFO left in the cache dir must not hang
        // the start.
        let account = crate::journal::read_regular(&self.pointer(), 1024).ok()?;
        let account = String::from_utf8(account).ok()?;
        let text =
            crate::journal::read_regular(&self.snapshot_path(account.trim()), u64::MAX - 1).ok()?;
        let snap: Snapshot = serde_json::from_slice(&text)
            .map_err(|e| tracing::warn!("ignoring unreadable cache: {e}"))
            .ok()?;
        (snap.version == VERSION && snap.region == self.region && snap.endpoint == self.endpoint)
            .then_some(snap)
    }

    /// Saves atomically: a reader sees the old snapshot or the new one.
    pub fn save(&self, account: &str, saved: Saved) -> std::io::Result<()> {
        self.write(&self.snapshot(account, saved))
    }

    /// What `save` writes, taken from the state at once, so that the writing
    /// can happen on another thread.
    pub fn snapshot(&self, account: &str, saved: Saved) -> Snapshot {
        Snapshot {
            version: VERSION,
            saved_at: Utc::now(),
            account: account.to_string(),
            region: self.region.clone(),
            endpoint: self.endpoint.clone(),
            rows: saved.rows,
            keys: saved.keys,
            window: saved.window,
            metrics: saved.metrics,
            outages: saved.outages,
        }
    }

    /// Writes a snapshot atomically. Blocking file work: not for a task on
    /// the async runtime.
    pub fn write(&self, snap: &Snapshot) -> std::io::Result<()> {
        private_dir(&self.dir)?;
        remove_leftovers(&self.dir, SystemTime::now());
        let account = &snap.account;
        let json = serde_json::to_vec(snap)?;
        write_atomic(&self.dir, &self.snapshot_path(account), &json)?;
        write_atomic(&self.dir, &self.pointer(), account.as_bytes())
    }
}

/// Creates the cache dir if need be, and makes it the owner's alone, also
/// when an older version or a looser umask made it readable by others.
fn private_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
}

/// Writes a temporary file beside `path` and renames it over `path`. Should
/// anything fail, the temporary file is removed when dropped.
fn write_atomic(dir: &Path, path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut tmp = tempfile::Builder::new()
        .prefix(TMP_PREFIX)
        .suffix(TMP_SUFFIX)
        .tempfile_in(dir)?;
    // tempfile asks for 0600 already; a umask can only take bits away, and
    // the file is set explicitly so that none is missing either.
    tmp.as_file()
        .set_permissions(std::fs::Permissions::from_mode(0o600))?;
    tmp.write_all(bytes)?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// Whether a file in the cache dir is a temporary one: ours, or the
/// `NAME.tmpPID` files of versions before tempfile.
fn is_temporary(name: &str) -> bool {
    if name.starts_with(TMP_PREFIX) && name.ends_with(TMP_SUFFIX) {
        return true;
    }
    let old = name.starts_with("inventory-") || name.starts_with("target-");
    old && name
        .rsplit_once(".tmp")
        .is_some_and(|(_, pid)| !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()))
}

/// Removes temporary files that crashed runs left in `dir`. Best effort:
/// the cache works the same with them there.
fn remove_leftovers(dir: &Path, now: SystemTime) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        if !name.to_str().is_some_and(is_temporary) {
            continue;
        }
        let old = entry
            .metadata()
            .and_then(|m| m.modified())
            .is_ok_and(|t| now.duration_since(t).unwrap_or_default() >= LEFTOVER_AGE);
        if old {
            match std::fs::remove_file(entry.path()) {
                Ok(()) => tracing::info!("removed a leftover cache file: {name:?}"),
                Err(e) => tracing::warn!("cannot remove a leftover cache file {name:?}: {e}"),
            }
        }
    }
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
            provenance: Default::default(),
        }
    }

    fn saved(rows: &[Row]) -> Saved {
        Saved {
            rows: rows.to_vec(),
            keys: KeyBook::default(),
            window: Window::H3,
            metrics: BTreeMap::new(),
            outages: HashMap::new(),
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

    fn names_in(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        names
    }

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn saving_leaves_only_private_files_and_no_temporary_one() {
        let home = tempfile::tempdir().unwrap();
        let dir = home.path().join("firekeeper");
        // As an older version left it: readable by everyone.
        std::fs::create_dir(&dir).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        let cache = Cache::new(dir.clone(), None, "us-east-1", None);
        for _ in 0..3 {
            cache.save("123456789012", saved(&[row("a")])).unwrap();
        }
        let names = names_in(&dir);
        assert_eq!(names.len(), 2, "a snapshot and a pointer: {names:?}");
        assert!(names
            .iter()
            .any(|n| n.starts_with("inventory-123456789012-")));
        assert!(names.iter().any(|n| n.starts_with("target-")));
        assert_eq!(mode(&dir), 0o700);
        for name in names {
            assert_eq!(mode(&dir.join(&name)), 0o600, "{name}");
        }
    }

    #[test]
    fn a_crashed_runs_temporary_files_are_removed_next_time() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::new(dir.path().into(), None, "us-east-1", None);
        cache.save("1", saved(&[row("a")])).unwrap();
        let crashed = SystemTime::now() - Duration::from_secs(600);
        let mut leftovers = Vec::new();
        for name in [
            "inventory-1-us-east-1-0123456789abcdef.tmp4242",
            "target-0123456789abcdef.tmp4242",
            ".firekeeper-Ab12Cd.tmp",
        ] {
            let file = std::fs::File::create(dir.path().join(name)).unwrap();
            file.set_modified(crashed).unwrap();
            leftovers.push(name);
        }
        // Another dashboard's file, being written right now, and files that
        // are not the cache's to remove.
        let keep = [".firekeeper-Xy98Zw.tmp", "notes.tmp1", "inventory.tmpx"];
        for name in keep {
            let file = std::fs::File::create(dir.path().join(name)).unwrap();
            if name != keep[0] {
                file.set_modified(crashed).unwrap();
            }
        }
        assert!(cache.load().is_some(), "the snapshot itself is untouched");
        let names = names_in(dir.path());
        for name in leftovers {
            assert!(!names.iter().any(|n| n == name), "{name} left: {names:?}");
        }
        for name in keep {
            assert!(names.iter().any(|n| n == name), "{name} removed: {names:?}");
        }
    }

    #[test]
    fn file_names_do_not_depend_on_the_rust_release() {
        let dir = PathBuf::from("/c");
        let cache = Cache::new(dir.clone(), Some("prod"), "us-east-1", None);
        // Pinned: FNV-1a of "prod\xffus-east-1\xff\xff", as any FNV-1a
        // implementation computes it. If this changes, every user's cache is lost.
        assert_eq!(cache.pointer(), dir.join("target-3285819672c997f1"));
        assert_eq!(
            cache.snapshot_path("123456789012"),
            dir.join("inventory-123456789012-us-east-1-db130598f5f36cee.json")
        );
        let local = Cache::new(dir, None, "us-east-1", Some("http://127.0.0.1:5000"));
        assert_ne!(local.pointer(), cache.pointer());
        assert_ne!(digest(&["ab", "c"]), digest(&["a", "bc"]));
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
