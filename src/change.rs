//! Changing a stream's encryption, the one way both the command line and the
//! dashboard do it: plan (describe, resolve the key, pre-flight), send (quota
//! ledger and audit around the call), follow (until AWS settles), explain.

use std::sync::Arc;
use std::time::Duration;

use crate::audit::{AuditError, AuditLog, CallMark};
use crate::cloud::CloudError;
use crate::inventory::never_got_key;
use crate::model::EncryptionCall;
use crate::model::{EncryptionStatus, Failure, KeyRef, Stream};
use crate::preflight::Verdict;
use crate::quota::{Ledger, LedgerError, Quota, QuotaSource, RefusedCalls};
use crate::trail::Trail;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    Switch { stream: String, key: KeyRef },
    Disable { stream: String },
}

impl Request {
    pub fn stream(&self) -> &str {
        match self {
            Request::Switch { stream, .. } | Request::Disable { stream } => stream,
        }
    }
}

/// Where changes are recorded and who makes them.
#[derive(Debug, Clone)]
pub struct ChangeContext {
    pub account: Option<String>,
    pub caller: Option<String>,
    pub region: String,
    pub ledger: Ledger,
    /// CloudTrail's Start/Stop events, counted with the ledger's calls.
    pub trail: Trail,
    pub audit: AuditLog,
    pub read_only: bool,
    /// Set by the user to stop a run of changes (a move off a key): a change
    /// not yet sent when it is set stays unsent, its slot given back.
    pub stop: StopSwitch,
    /// The user chose to send past refusals AWS may not share (calls AWS
    /// refused counted against the quota, a grant dry run KMS denied):
    /// `--force`, or `send` typed in the dashboard.
    pub force: bool,
}

/// The user's "send no more": shared by every change of a run.
#[derive(Debug, Clone, Default)]
pub struct StopSwitch(Arc<std::sync::atomic::AtomicBool>);

impl StopSwitch {
    pub fn stop(&self) {
        self.0.store(true, std::sync::atomic::Ordering::SeqCst);
    }

    pub fn stopped(&self) -> bool {
        self.0.load(std::sync::atomic::Ordering::SeqCst)
    }
}

/// A change ready to confirm: what it does and what the checks said.
#[derive(Debug, Clone)]
pub struct Plan {
    pub stream: Stream,
    pub change: EncryptionCall,
    /// `rotate` (a switch to another key: the audit log's and the screen's
    /// word), `enable` or `disable`.
    pub action: &'static str,
    pub old_label: String,
    pub new_label: String,
    pub quota: Quota,
    /// The calls AWS refused among the quota's, with their codes.
    pub refused: RefusedCalls,
    /// Whether the quota was counted with CloudTrail, or by the ledger
    /// alone and why: the send must count the same way.
    pub quota_source: QuotaSource,
    pub verdict: Verdict,
}

impl Plan {
    /// Quota left once this call is made.
    pub fn quota_after(&self) -> u32 {
        self.quota.remaining.saturating_sub(1)
    }

    /// Whether Firehose encrypted the stream before this change: a failed
    /// change leaves such a stream on its old key, and any other not encrypted.
    pub fn was_encrypted(&self) -> bool {
        is_encrypted(&self.stream)
    }
}

/// Whether Firehose encrypts this stream's records now, by its description.
pub fn is_encrypted(stream: &Stream) -> bool {
    let enc = &stream.encryption;
    match enc.status {
        EncryptionStatus::Enabled
        | EncryptionStatus::Disabling
        | EncryptionStatus::DisablingFailed => true,
        EncryptionStatus::EnablingFailed => !never_got_key(enc),
        // Preflight refuses a change to a stream in a status firekeeper does
        // not know, so no sentence is built on this answer.
        EncryptionStatus::Enabling
        | EncryptionStatus::Disabled
        | EncryptionStatus::Other(_)
        | EncryptionStatus::NotRecorded => false,
    }
}

/// A call that left firekeeper: AWS accepted it, or its answer was lost and
/// only reading the stream can tell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    /// The ledger's id for the call.
    pub id: String,
    /// Why the outcome is not known, when it is not.
    pub unclear: Option<CloudError>,
    /// What every later audit line of the call carries.
    pub mark: CallMark,
}

#[derive(Debug, thiserror::Error)]
pub enum ChangeError {
    /// Refused by firekeeper: nothing was sent.
    #[error("refused, nothing was sent: {0}")]
    Refused(String),
    /// AWS refused the call, in words that say what to do instead.
    #[error("AWS refused: {0}")]
    Rejected(String),
    #[error(transparent)]
    Cloud(#[from] CloudError),
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    #[error(transparent)]
    Audit(#[from] AuditError),
}

/// How a change ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ending {
    Done,
    Failed(Option<Failure>),
    /// Still changing when firekeeper stopped waiting.
    TimedOut,
    /// The call's answer was lost and the stream never showed it: AWS
    /// probably did not apply it, but firekeeper cannot be sure.
    Unconfirmed,
    /// Someone else changed the stream while it was followed; `now` names
    /// what it is encrypted with (or "no encryption") as it stands.
    Superseded {
        now: String,
    },
}

/// How often and how long to watch a change, for the CLI and the dashboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChangeTiming {
    pub poll: Duration,
    /// How long to follow an accepted change before giving up waiting.
    pub patience: Duration,
    /// How long to look for a sign of a call whose answer was lost.
    pub confirm_within: Duration,
}

impl Default for ChangeTiming {
    fn default() -> Self {
        ChangeTiming {
            poll: Duration::from_secs(3),
            patience: Duration::from_secs(15 * 60),
            confirm_within: Duration::from_secs(60),
        }
    }
}

/// What happened so far, for whoever shows progress.
#[derive(Debug)]
pub enum Step<'a> {
    /// AWS accepted the call.
    Accepted,
    /// The call's answer was lost; the stream is being read to find out.
    Unclear(&'a CloudError),
    /// Reading showed that AWS had applied the call.
    Confirmed,
    /// A fresh description while following.
    Seen(&'a Stream),
}
mod explain;
mod follow;
mod guard;
pub mod moving;
mod plan;
mod record;
mod send;

pub use explain::explain;
pub use follow::{carry_out, confirm_by_reading, follow, moved, overtaken, settled};
use guard::Watch;
pub(crate) use guard::{InFlight, IN_FLIGHT};
pub(crate) use plan::named_key;
pub use plan::plan;
pub use record::refuse;
use record::{audit_entry, ledger_call, ledger_entry, on_disk, refused, request_entry, write_down};
pub use send::{accepted_past_refused, changed_since, key_is_full, send, SEND_ANYWAY};

#[cfg(test)]
mod tests;
