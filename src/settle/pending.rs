//! Which calls an earlier run left open: read from the audit log, each call's
//! lines taken together (by the call's id, or, for lines written before calls
//! had ids, by the stream or key, the action and the order of the lines).

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};

use crate::audit::{AuditEntry, AuditOutcome};
use crate::model::trail::{START, STOP};

/// One call whose last line is `sent` or `unknown`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    /// The line written before the call left.
    pub sent: AuditEntry,
    /// Its last line.
    pub last: AuditEntry,
    /// AWS's request id, when a line has it (an answer came, even a broken one).
    pub request_id: Option<String>,
    /// AWS accepted the call: only how the change ended is open.
    pub accepted: bool,
}

impl Pending {
    /// The call's id, when its lines carry one.
    pub fn call_id(&self) -> Option<&str> {
        self.sent.call.call_id.as_deref()
    }

    /// The CloudTrail event name of the call.
    pub fn event_name(&self) -> &'static str {
        match self.sent.action.as_str() {
            "disable" => STOP,
            "rotate-material" => "RotateKeyOnDemand",
            "auto-rotation-on" => "EnableKeyRotation",
            "auto-rotation-off" => "DisableKeyRotation",
            _ => START,
        }
    }

    /// A change to a key (its material's rotation), not to a stream.
    pub fn on_key(&self) -> bool {
        self.sent.stream.is_empty()
    }

    /// What CloudTrail names as the call's resource: the stream, or the
    /// key's ARN.
    pub fn resource(&self) -> &str {
        if self.on_key() {
            self.sent.key.as_deref().unwrap_or_default()
        } else {
            &self.sent.stream
        }
    }

    /// Who the call is about, for a person.
    pub fn subject(&self) -> String {
        if self.on_key() {
            format!("the key {}", self.resource())
        } else {
            self.sent.stream.clone()
        }
    }
}

/// The open calls of `account` (any, for `None`) and `region`, oldest first, that this run may
/// settle: not those of a process still running (it will say how they end,
/// unless it has been at it for over an hour, longer than any follow), and
/// none of this process's own.
pub fn pending(
    entries: &[AuditEntry],
    account: Option<&str>,
    region: &str,
    now: DateTime<Utc>,
) -> Vec<Pending> {
    let mut calls: Vec<Pending> = Vec::new();
    // Where each call's lines go: its id, or (for old lines) the open call
    // of the same stream or key and action.
    let mut by_id: HashMap<String, usize> = HashMap::new();
    let mut by_subject: HashMap<(String, String, String), usize> = HashMap::new();
    for e in entries
        .iter()
        .filter(|e| e.region == region && account.is_none_or(|a| e.account.as_deref() == Some(a)))
    {
        let subject = (
            e.stream.clone(),
            e.key.clone().unwrap_or_default(),
            e.action.clone(),
        );
        let at = match &e.call.call_id {
            Some(id) => by_id.get(id).copied(),
            None => by_subject.get(&subject).copied(),
        };
        match at {
            Some(i) if e.outcome != AuditOutcome::Sent || e.call.call_id.is_some() => {
                join(&mut calls[i], e);
            }
            _ if e.outcome == AuditOutcome::Sent => {
                let i = calls.len();
                calls.push(Pending {
                    sent: e.clone(),
                    last: e.clone(),
                    request_id: e.call.request_id.clone(),
                    accepted: false,
                });
                match &e.call.call_id {
                    Some(id) => by_id.insert(id.clone(), i),
                    None => by_subject.insert(subject, i),
                };
            }
            // A line about no call sent (a refusal before sending).
            _ => {}
        }
    }
    calls
        .into_iter()
        .filter(|c| c.last.outcome.open() && !still_running(c, now))
        .collect()
}

fn join(call: &mut Pending, line: &AuditEntry) {
    if line.call.request_id.is_some() {
        call.request_id.clone_from(&line.call.request_id);
    }
    call.accepted |= line.outcome == AuditOutcome::Accepted;
    call.last = line.clone();
}

/// Whether the process that sent the call is this one, or another still
/// running that sent it within the hour.
fn still_running(call: &Pending, now: DateTime<Utc>) -> bool {
    let Some(pid) = call.sent.call.pid else {
        return false;
    };
    if pid == std::process::id() {
        return true;
    }
    now - call.sent.time < Duration::hours(1) && alive(pid)
}

/// Whether a process with this id exists (another user's counts: its id is
/// taken).
fn alive(pid: u32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return false;
    };
    // SAFETY: signal 0 only checks that the process exists; nothing is sent.
    let found = unsafe { libc::kill(pid, 0) } == 0;
    found || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}
