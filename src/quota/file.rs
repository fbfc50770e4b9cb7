//! The ledger's file: read and appended under a lock shared with other
//! processes, and compacted by an atomic rewrite.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;

use chrono::{DateTime, Duration, Utc};

use super::{parse_lines, Entry, Ledger, LedgerError, FUTURE_SLACK_MINUTES, KEEP_HOURS};
use crate::journal;

impl Ledger {
    pub(super) fn read_unlocked(&self, target: &Path) -> Result<Vec<Entry>, LedgerError> {
        match journal::read_regular(target, u64::MAX - 1) {
            Ok(bytes) => Ok(parse_lines(&bytes)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
            Err(e) => Err(self.io(e)),
        }
    }

    /// Locks the ledger: shared to read, exclusive to write. The lock lives
    /// on a file of its own so the ledger itself can be replaced atomically
    /// when it is compacted.
    pub(super) fn lock(&self, target: &Path, exclusive: bool) -> Result<Option<File>, LedgerError> {
        // A FIFO, a device or /dev/null is refused before anything is made
        // beside it (no `/dev/null.lock`).
        journal::ensure_regular(target).map_err(|e| self.io(e))?;
        let sharing = self.sharing(target);
        if let Some(dir) = target.parent() {
            if exclusive || !dir.exists() {
                journal::create_dir(dir, sharing).map_err(|e| self.io(e))?;
            }
        }
        let lock_path = target.with_extension("lock");
        // An error about the lock names the lock file, not the ledger.
        let about_lock = |source| LedgerError::Io {
            path: lock_path.clone(),
            source,
        };
        let file = match journal::open_append(&lock_path, sharing) {
            Ok(file) => file,
            // flock works on a file opened to read: a colleague allowed only
            // to read the ledger still waits for writers.
            Err(e) if !exclusive && e.kind() == std::io::ErrorKind::PermissionDenied => {
                journal::open_regular(&lock_path, std::fs::OpenOptions::new().read(true))
                    .map_err(about_lock)?
            }
            Err(e) => return Err(about_lock(e)),
        };
        self.wait_for_lock(&file, exclusive, &lock_path)?;
        Ok(Some(file))
    }

    /// Takes the lock on `file`, trying again with short sleeps: a blocking
    /// `flock` would wait without limit behind a stuck process, and the
    /// caller (a change waiting to send, the dashboard's quota column) must
    /// instead hear that the ledger is locked.
    fn wait_for_lock(
        &self,
        file: &File,
        exclusive: bool,
        lock_path: &Path,
    ) -> Result<(), LedgerError> {
        let start = std::time::Instant::now();
        let mut pause = std::time::Duration::from_millis(1);
        loop {
            let tried = if exclusive {
                file.try_lock()
            } else {
                file.try_lock_shared()
            };
            match tried {
                Ok(()) => return Ok(()),
                Err(std::fs::TryLockError::Error(source)) => {
                    return Err(LedgerError::Io {
                        path: lock_path.to_path_buf(),
                        source,
                    })
                }
                Err(std::fs::TryLockError::WouldBlock) => {}
            }
            let waited = start.elapsed();
            if waited >= self.lock_patience {
                return Err(LedgerError::Locked {
                    path: self.path.clone().unwrap_or_default(),
                    lock: lock_path.to_path_buf(),
                    waited,
                });
            }
            std::thread::sleep(pause.min(self.lock_patience - waited));
            // Short first, as a writer's hold is milliseconds; then no
            // busier than 40 tries a second.
            pause = (pause * 2).min(std::time::Duration::from_millis(25));
        }
    }

    /// Rewrites the ledger without entries too old to matter, atomically:
    /// written aside in the ledger's own directory, given the ledger's
    /// owner, group and mode, synced, renamed over it. A copy that cannot
    /// keep all three would lock someone out, so then nothing is compacted.
    /// Called with the exclusive lock held.
    pub(super) fn compact(&self, target: &Path, now: DateTime<Utc>) -> Result<(), LedgerError> {
        let meta = std::fs::metadata(target).map_err(|e| self.io(e))?;
        let me = journal::euid();
        if me != 0 && meta.uid() != me {
            tracing::info!(
                "not compacting {}: it belongs to uid {}, and a rewritten copy would belong to uid {me}",
                target.display(),
                meta.uid()
            );
            return Ok(());
        }
        // Dropping old entries trusts this machine's clock. The ledger's
        // mtime, just set by our own append, is the file system's clock (a
        // file server's, for a shared mount): if the two disagree, a clock
        // ahead could drop a colleague's live calls, so do not compact.
        let written_at: DateTime<Utc> = meta.modified().map_err(|e| self.io(e))?.into();
        if (written_at - now).abs() > Duration::minutes(FUTURE_SLACK_MINUTES) {
            tracing::warn!(
                "not compacting {}: this machine's clock ({now}) and the ledger's file system ({written_at}) disagree",
                target.display()
            );
            return Ok(());
        }
        let keep = now - Duration::hours(KEEP_HOURS);
        let current = self.read_unlocked(target)?;
        let mut text = String::new();
        for e in current.iter().filter(|e| e.at > keep) {
            text.push_str(&serde_json::to_string(e).map_err(|e| self.io(e.into()))?);
            text.push('\n');
        }
        let name = target
            .file_name()
            .map_or("ledger".into(), |n| n.to_string_lossy());
        // Any copy left aside is a crashed compaction's (they happen under
        // the exclusive lock, which this process holds): clear them, so a
        // leftover can never block compaction for good.
        let prefix = format!(".{name}.compact-");
        if let Some(dir) = target.parent() {
            for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
                if entry.file_name().to_string_lossy().starts_with(&prefix) {
                    let _ = std::fs::remove_file(entry.path());
                }
            }
        }
        let tmp = target.with_file_name(format!("{prefix}{}", std::process::id()));
        let written = (|| -> std::io::Result<()> {
            let mut file = OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&tmp)?;
            let owner = (me == 0).then_some(meta.uid());
            std::os::unix::fs::fchown(&file, owner, Some(meta.gid()))?;
            file.set_permissions(std::fs::Permissions::from_mode(meta.mode() & 0o7777))?;
            let now_meta = file.metadata()?;
            if (now_meta.uid(), now_meta.gid(), now_meta.mode())
                != (meta.uid(), meta.gid(), meta.mode())
            {
                return Err(std::io::Error::other(
                    "the rewritten copy could not keep the ledger's owner, group and mode",
                ));
            }
            file.write_all(text.as_bytes())?;
            file.sync_all()?;
            std::fs::rename(&tmp, target)?;
            if let Some(dir) = target.parent() {
                File::open(dir)?.sync_all()?;
            }
            Ok(())
        })();
        if written.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        written.map_err(|e| self.io(e))
    }

    pub(super) fn append(&self, target: Option<&Path>, entry: &Entry) -> Result<(), LedgerError> {
        let Some(target) = target else {
            self.memory
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .push(entry.clone());
            return Ok(());
        };
        let mut file =
            journal::open_append(target, self.sharing(target)).map_err(|e| self.io(e))?;
        let line = serde_json::to_string(entry).map_err(|e| self.io(e.into()))?;
        journal::append_line(&mut file, &line).map_err(|e| self.io(e))
    }
}
