//! The append-only record of every change firekeeper was asked to make: sent,
//! refused locally, accepted, rejected, and how it ended. One JSON line each,
//! in a file created 0600 and never rewritten.

use std::fs::OpenOptions;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

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
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub time: DateTime<Utc>,
    /// The caller's ARN when known.
    pub caller: Option<String>,
    pub account: Option<String>,
    pub region: String,
    pub stream: String,
    /// `rotate`, `enable` or `disable`.
    pub action: String,
    pub old_key: Option<String>,
    pub new_key: Option<String>,
    pub outcome: AuditOutcome,
    pub message: String,
}

#[derive(Debug, thiserror::Error)]
#[error("audit log {path}: {source}")]
pub struct AuditError {
    path: PathBuf,
    source: std::io::Error,
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

    /// Appends one line, synced. The file is created readable by its owner only.
    pub fn append(&self, entry: &AuditEntry) -> Result<(), AuditError> {
        let err = |source| AuditError {
            path: self.path.clone(),
            source,
        };
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir).map_err(err)?;
        }
        let mut file = OpenOptions::new()
            .create(true)
            .append(true)
            .mode(0o600)
            .open(&self.path)
            .map_err(err)?;
        let mut line = serde_json::to_string(entry).map_err(|e| err(e.into()))?;
        line.push('\n');
        file.write_all(line.as_bytes()).map_err(err)?;
        file.sync_data().map_err(err)
    }

    pub fn read(&self) -> Vec<AuditEntry> {
        std::fs::read_to_string(&self.path)
            .unwrap_or_default()
            .lines()
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
            outcome,
            message: "ok".into(),
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
}
