//! The cache holds account data: its files are the owner's alone whatever the
//! umask. The umask is the process's, so this runs in a test binary of its own.

// Test code: a failed unwrap is a failed test, which is what it should be.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, HashMap};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use firekeeper::cache::{Cache, Saved};
use firekeeper::inventory::KeyBook;
use firekeeper::model::Row;
use firekeeper::model::Window;

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn cache_files_are_0600_in_a_0700_dir_whatever_the_umask() {
    let keys = KeyBook::default();
    let metrics = BTreeMap::new();
    let outages = HashMap::new();
    let rows = [Row {
        name: "orders".into(),
        stream: None,
        error: None,
        described_at: None,
        provenance: Default::default(),
    }];
    // Wide open, group-writable, and already private.
    for umask in [0o000, 0o002, 0o077] {
        let home = tempfile::tempdir().unwrap();
        let dir = home.path().join("cache").join("firekeeper");
        let cache = Cache::new(dir.clone(), Some("prod"), "eu-west-1", None);
        // SAFETY: umask only sets the process's file mode mask; nothing else
        // in this test binary creates files meanwhile.
        let before = unsafe { libc::umask(umask) };
        let result = cache.save(
            "123456789012",
            Saved {
                rows: rows.to_vec(),
                keys: keys.clone(),
                window: Window::H3,
                metrics: metrics.clone(),
                outages: outages.clone(),
            },
        );
        unsafe { libc::umask(before) };
        result.unwrap_or_else(|e| panic!("umask {umask:03o}: {e}"));
        assert_eq!(mode(&dir), 0o700, "umask {umask:03o}");
        let files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        assert_eq!(files.len(), 2, "{files:?}");
        for f in files {
            assert_eq!(mode(&f), 0o600, "umask {umask:03o}: {}", f.display());
        }
        assert_eq!(cache.load().unwrap().rows.len(), 1);
    }
}
