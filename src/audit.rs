//! The append-only record of every change firekeeper was asked to make: sent,
//! refused locally, accepted, rejected, and how it ended. One JSON line each,
//! in a regular file of the user's own, mode 0600, never rewritten.

use std::fs::{File, OpenOptions, Permissions};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::journal::{self, Sharing};

/// What became of a change request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditOutcome {
    /// Refused by firekeeper before anything was sent.
    Refused,
    /// About to be sent to AWS.
    Sent,
    /// AWS accepted the call; the change is under way.
    Accepted,
    /// AWS answered with an error; nothing changed.
    Rejected,
    /// The stream reached the state asked for.
    Succeeded,
    /// AWS reported ENABLING_FAILED or DISABLING_FAILED.
    Failed,
    /// No answer was had (network, timeout): the call may or may not have landed.
    Unknown,
    /// Someone else changed the stream while firekeeper was following this
    /// change: the stream is not in the state asked for.
    Superseded,
    /// Settled by a later run: CloudTrail, read to well past the call's time,
    /// has no such call, and the stream (or key) does not show it: the call
    /// never reached AWS, and its quota slot is given back.
    NeverReached,
}

impl AuditOutcome {
    /// Whether a call's last line leaves its outcome open: a later run
    /// settles it by reading (`settle`).
    pub fn open(self) -> bool {
        matches!(self, AuditOutcome::Sent | AuditOutcome::Unknown)
    }
}

/// What ties the lines of one call together, and to AWS's own record of it
/// in CloudTrail, so a later run can settle a call whose outcome was lost.
/// Absent on lines that are about no call (a request refused before one was
/// made) and on logs written before firekeeper kept them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallMark {
    /// The call's id, on every line about it: the ledger's id for a Start or
    /// Stop.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub call_id: Option<String>,
    /// AWS's id of the request, on the line of its answer: CloudTrail's
    /// `requestID` for the same call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// The access key the call is signed with, on the line written before it
    /// leaves: CloudTrail records it (`userIdentity.accessKeyId`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_key_id: Option<String>,
    /// The process that sent it: a later run leaves a call of a process
    /// still running to that process.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pid: Option<u32>,
    /// What a Start asks for: the key's ARN, or `aws-owned`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_arn: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub time: DateTime<Utc>,
    /// The caller's ARN when known.
    pub caller: Option<String>,
    pub account: Option<String>,
    pub region: String,
    /// The stream changed; empty for a change to a key alone.
    #[serde(default)]
    pub stream: String,
    /// `rotate`, `enable` or `disable` (a stream); `rotate-material`,
    /// `auto-rotation-on` or `auto-rotation-off` (a key).
    pub action: String,
    pub old_key: Option<String>,
    pub new_key: Option<String>,
    /// The key acted on, for a change to a key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    pub outcome: AuditOutcome,
    pub message: String,
    #[serde(flatten)]
    pub call: CallMark,
}

#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error("audit log {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The file is not one firekeeper may trust with the record.
    #[error("audit log {path}: {why}")]
    Untrusted { path: PathBuf, why: String },
}

/// The audit log file.
#[derive(Debug, Clone)]
pub struct AuditLog {
    path: PathBuf,
}

impl AuditLog {
    pub fn at(path: PathBuf) -> AuditLog {
        AuditLog { path }
    }

    /// `$XDG_DATA_HOME/firekeeper/audit.jsonl`; the demo keeps its own.
    pub fn default_path(demo: bool) -> Option<PathBuf> {
        let name = if demo {
            "demo-audit.jsonl"
        } else {
            "audit.jsonl"
        };
        directories::ProjectDirs::from("", "", "firekeeper").map(|d| d.data_dir().join(name))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one line, synced, after repairing a torn last line.
    pub fn append(&self, entry: &AuditEntry) -> Result<(), AuditError> {
        let mut file = self.open()?;
        let line = serde_json::to_string(entry).map_err(|e| self.io(e.into()))?;
        journal::append_line(&mut file, &line).map_err(|e| self.io(e))
    }

    /// `append`, from async code: off the async runtime (see
    /// `journal::off_runtime`).
    pub async fn append_async(&self, entry: AuditEntry) -> Result<(), AuditError> {
        let log = self.clone();
        match journal::off_runtime(move || log.append(&entry)).await {
            Ok(done) => done,
            Err(e) => Err(self.io(e)),
        }
    }

    /// Checks, before anything is reserved or sent, that a line could be
    /// written now.
    pub fn writable(&self) -> Result<(), AuditError> {
        self.open().map(drop)
    }

    fn io(&self, source: std::io::Error) -> AuditError {
        AuditError::Io {
            path: self.path.clone(),
            source,
        }
    }

    fn untrusted(&self, why: String) -> AuditError {
        AuditError::Untrusted {
            path: self.path.clone(),
            why,
        }
    }

    /// Opens the log to append: a regular file owned by this user, mode
    /// 0600. A symlink could send the record into someone else's file and a
    /// file of someone else's could be rewritten by them, so both are
    /// refused rather than followed.
    fn open(&self) -> Result<File, AuditError> {
        if let Some(dir) = self.path.parent() {
            journal::create_dir(dir, Sharing::Private).map_err(|e| self.io(e))?;
        }
        let open = |create_new: bool| {
            OpenOptions::new()
                .read(true)
                .append(true)
                .create_new(create_new)
                .mode(0o600)
                // No following a link; and no waiting on a FIFO put in its
                // place (refused below, as anything but a regular file).
                .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
                .open(&self.path)
        };
        let file = match open(true) {
            Ok(file) => {
                // The umask cannot widen 0600, but set it exactly anyway.
                file.set_permissions(Permissions::from_mode(0o600))
                    .map_err(|e| self.io(e))?;
                file
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                open(false).map_err(|e| match e.raw_os_error() {
                    Some(libc::ELOOP) => self.untrusted(
                        "is a symbolic link; firekeeper writes its audit log only to a regular file of your own (remove the link)".into(),
                    ),
                    _ => self.io(e),
                })?
            }
            Err(e) => return Err(self.io(e)),
        };
        let meta = file.metadata().map_err(|e| self.io(e))?;
        if !meta.is_file() {
            return Err(self.untrusted(
                "is not a regular file; firekeeper writes its audit log only to a regular file of your own".into(),
            ));
        }
        let me = journal::euid();
        if meta.uid() != me {
            return Err(self.untrusted(format!(
                "belongs to uid {}, not to you (uid {me}); firekeeper writes its audit log only to a file of your own",
                meta.uid()
            )));
        }
        if meta.mode() & 0o777 != 0o600 {
            tracing::info!(
                "audit log {}: mode {:o} set back to 600",
                self.path.display(),
                meta.mode() & 0o777
            );
            file.set_permissions(Permissions::from_mode(0o600))
                .map_err(|e| self.io(e))?;
        }
        Ok(file)
    }

    /// Every readable entry; torn, non-UTF-8 and unparsable lines are skipped.
    pub fn read(&self) -> Vec<AuditEntry> {
        let bytes = journal::read_regular(&self.path, u64::MAX - 1).unwrap_or_default();
        journal::lines(&bytes, "audit log")
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn entry(outcome: AuditOutcome) -> AuditEntry {
        AuditEntry {
            time: Utc::now(),
            caller: Some("arn:aws:iam::123456789012:user/ops".into()),
            account: Some("123456789012".into()),
            region: "us-east-1".into(),
            stream: "orders".into(),
            action: "rotate".into(),
            old_key: Some("alias/old".into()),
            new_key: Some("alias/new".into()),
            key: None,
            outcome,
            message: "ok".into(),
            call: CallMark::default(),
        }
    }

    #[test]
    fn lines_are_appended_to_a_private_file() {
        let dir = tempfile::tempdir().unwrap();
        let log = AuditLog::at(dir.path().join("sub/audit.jsonl"));
        log.append(&entry(AuditOutcome::Sent)).unwrap();
        log.append(&entry(AuditOutcome::Accepted)).unwrap();
        let mode = std::fs::metadata(log.path()).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let read = log.read();
        assert_eq!(read.len(), 2);
        assert_eq!(read[1].outcome, AuditOutcome::Accepted);
    }

    #[test]
    fn a_torn_last_line_is_stepped_past() {
        let dir = tempfile::tempdir().unwrap();
        let log = AuditLog::at(dir.path().join("audit.jsonl"));
        log.append(&entry(AuditOutcome::Sent)).unwrap();
        // A writer killed mid-line.
        let mut f = OpenOptions::new().append(true).open(log.path()).unwrap();
        std::io::Write::write_all(&mut f, b"{\"time\":\"2026-").unwrap();
        log.append(&entry(AuditOutcome::Accepted)).unwrap();
        let read = log.read();
        assert_eq!(read.len(), 2, "the torn line is lost, the next is whole");
        assert_eq!(read[1].outcome, AuditOutcome::Accepted);
    }

    #[test]
    fn a_symlink_a_directory_or_a_foreign_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let elsewhere = dir.path().join("elsewhere.jsonl");
        std::fs::write(&elsewhere, "").unwrap();
        let link = dir.path().join("link.jsonl");
        std::os::unix::fs::symlink(&elsewhere, &link).unwrap();
        let err = AuditLog::at(link)
            .append(&entry(AuditOutcome::Sent))
            .unwrap_err();
        assert!(err.to_string().contains("symbolic link"), "{err}");
        assert_eq!(std::fs::read_to_string(&elsewhere).unwrap(), "");

        let a_dir = dir.path().join("dir.jsonl");
        std::fs::create_dir(&a_dir).unwrap();
        assert!(AuditLog::at(a_dir).writable().is_err());

        if journal::euid() == 0 {
            let foreign = dir.path().join("foreign.jsonl");
            std::fs::write(&foreign, "").unwrap();
            std::os::unix::fs::chown(&foreign, Some(4321), None).unwrap();
            let err = AuditLog::at(foreign).writable().unwrap_err();
            assert!(err.to_string().contains("belongs to uid 4321"), "{err}");
        }
    }

    #[test]
    fn a_widened_mode_is_set_back_to_private() {
        let dir = tempfile::tempdir().unwrap();
        let log = AuditLog::at(dir.path().join("audit.jsonl"));
        log.append(&entry(AuditOutcome::Sent)).unwrap();
        std::fs::set_permissions(log.path(), Permissions::from_mode(0o666)).unwrap();
        log.append(&entry(AuditOutcome::Sent)).unwrap();
        let mode = std::fs::metadata(log.path()).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}
