//! Settling, at the start of a run, the calls an earlier run left open: a
//! Start, Stop or key rotation whose audit ends at `sent` (a crash, kill -9)
//! or `unknown` (a lost answer, a signal while the call was in flight, a
//! change left while followed). Each is settled by reading, never by sending
//! again: by CloudTrail's record of the call (its `requestID`, or, when the
//! answer and its id were lost, the access key the call was signed with, the
//! stream or key and the time), else by describing the stream or key. It gets
//! a final line, and the ledger is corrected to match: a call that never
//! reached AWS gives its slot back. What cannot be told yet stays `unknown`,
//! with why, and the next run tries again.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::time::Instant;

use crate::audit::{AuditEntry, AuditError, AuditLog, AuditOutcome, CallMark};
use crate::cloud::Cloud;
use crate::model::stamp;
use crate::model::{EncryptionStatus, KeyType, RotationKind, Stream, TrailEvent};
use crate::quota::{Entry, Ledger, LedgerError, Operation, Outcome, FUTURE_SLACK_MINUTES};
use crate::trail::{read_back, Read, LATE_MINUTES};

mod pending;

pub use pending::{pending, Pending};

/// How long after its `sent` line a call may reach AWS: the last look and the
/// call's own deadline take seconds; the rest is slack for clocks.
const REACHED_WITHIN_MINUTES: i64 = 15;
/// How far back LookupEvents reaches: "the last 90 days of management
/// events" (CloudTrail User Guide, "Working with CloudTrail event history").
const HISTORY_DAYS: i64 = 90;

/// Where one account and region's calls are recorded, and how CloudTrail may
/// be read for them.
pub struct Books<'a> {
    pub audit: &'a AuditLog,
    pub ledger: &'a Ledger,
    /// `None` until STS has named it: asked only if the region has an open
    /// call.
    pub account: Option<&'a str>,
    pub region: &'a str,
    /// `None` when CloudTrail is off (`[cloudtrail] enabled = false`); else
    /// how long its pages may be read for.
    pub trail: Option<Duration>,
}

/// What became of an open call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Settlement {
    /// AWS accepted it: CloudTrail has it, or the stream or key shows it.
    Accepted {
        how: String,
        request_id: Option<String>,
    },
    /// CloudTrail has it, refused with this error code.
    Refused {
        code: String,
        request_id: Option<String>,
    },
    /// An accepted change whose end was not seen: how it ended, by reading.
    Ended { outcome: AuditOutcome, how: String },
    /// CloudTrail, read to over an hour past the call, has no such call, and
    /// the stream or key does not show it.
    NeverReached { how: String },
    /// Not known yet, and why.
    NotYet(String),
}

impl Settlement {
    /// The audit line's outcome and message.
    fn line(&self) -> (AuditOutcome, String) {
        match self {
            Settlement::Accepted { how, .. } => {
                (AuditOutcome::Accepted, format!("settled: accepted ({how})"))
            }
            Settlement::Refused { code, .. } => (
                AuditOutcome::Rejected,
                format!("settled: refused ({code}): CloudTrail has the call, refused by AWS"),
            ),
            Settlement::Ended { outcome, how } => (*outcome, format!("settled: {how}")),
            Settlement::NeverReached { how } => (
                AuditOutcome::NeverReached,
                format!("settled: never reached AWS ({how}); its quota slot is given back"),
            ),
            Settlement::NotYet(why) => (
                AuditOutcome::Unknown,
                format!("not settled yet: {why}; the next run looks again"),
            ),
        }
    }

    /// What the ledger's last word on the call becomes, if anything.
    fn ledger(&self) -> Option<(Outcome, Option<String>)> {
        match self {
            Settlement::Accepted { request_id, .. } => {
                Some((Outcome::Accepted, request_id.clone()))
            }
            Settlement::Refused { request_id, .. } => Some((Outcome::Rejected, request_id.clone())),
            Settlement::NeverReached { .. } => Some((Outcome::Unsent, None)),
            Settlement::Ended { .. } | Settlement::NotYet(_) => None,
        }
    }
}

/// One open call and what this run found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settled {
    pub call: Pending,
    pub verdict: Settlement,
}

impl Settled {
    /// The call and its outcome, in one sentence for a person.
    pub fn sentence(&self) -> String {
        format!(
            "{}: {} sent at {} by an earlier run: {}",
            self.call.subject(),
            self.call.event_name(),
            stamp(self.call.sent.time),
            self.verdict.line().1
        )
    }

    /// Whether this run wrote a final line for it.
    pub fn ended(&self) -> bool {
        !matches!(self.verdict, Settlement::NotYet(_))
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SettleError {
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    #[error(transparent)]
    Audit(#[from] AuditError),
    #[error("the audit log could not be read: {0}")]
    Read(std::io::Error),
    #[error("the account could not be told, so its open calls were not settled: {0}")]
    Account(crate::cloud::CloudError),
}

/// Settles every call an earlier run left open in this account and region.
/// Asks AWS nothing when there is none. What it writes is written whole, even
/// if this is dropped meanwhile.
pub async fn settle(cloud: &dyn Cloud, books: Books<'_>) -> Result<Vec<Settled>, SettleError> {
    if books.ledger.path().is_none() {
        // A ledger kept in memory is the demo's: its simulated account
        // starts afresh each run, so an earlier run's calls were made to a
        // simulation that no longer exists.
        return Ok(Vec::new());
    }
    let audit = books.audit.clone();
    let log = crate::journal::off_runtime(move || audit.read())
        .await
        .map_err(SettleError::Read)?;
    let now = Utc::now();
    if pending(&log, books.account, books.region, now).is_empty() {
        return Ok(Vec::new());
    }
    let account = match books.account {
        Some(account) => account.to_string(),
        None => {
            cloud
                .identity()
                .await
                .map_err(SettleError::Account)?
                .account
        }
    };
    let books = Books {
        account: Some(&account),
        ..books
    };
    let open = pending(&log, Some(&account), books.region, now);
    let entries = books.ledger.read_async().await?;
    let heard = hear(cloud, &open, books.trail, now).await;
    let known = known_request_ids(&log, &entries);
    let mut settled = Vec::new();
    for call in open {
        let verdict = judge(cloud, &call, &heard, &known, &entries, now).await;
        write(&books, &call, &verdict, &entries).await?;
        settled.push(Settled { call, verdict });
    }
    Ok(settled)
}

/// CloudTrail's events of each name the open calls need, from a little before
/// the oldest of them to now; or why not.
type Heard = HashMap<&'static str, Result<Read, String>>;

async fn hear(
    cloud: &dyn Cloud,
    open: &[Pending],
    trail: Option<Duration>,
    now: DateTime<Utc>,
) -> Heard {
    let mut heard = Heard::new();
    let Some(patience) = trail else {
        for call in open {
            heard.insert(
                call.event_name(),
                Err("CloudTrail is off ([cloudtrail] enabled = false)".into()),
            );
        }
        return heard;
    };
    let until = Instant::now() + patience;
    let oldest = now - chrono::Duration::days(HISTORY_DAYS);
    for call in open.iter().filter(|c| !c.accepted) {
        let name = call.event_name();
        if heard.contains_key(name) {
            continue;
        }
        let first = open
            .iter()
            .filter(|c| c.event_name() == name)
            .map(|c| c.sent.time)
            .min()
            .unwrap_or(now);
        let since = (first - chrono::Duration::minutes(FUTURE_SLACK_MINUTES)).max(oldest);
        let read =
            tokio::time::timeout(patience * 2, read_back(cloud, name, since, now, until)).await;
        let read = match read {
            Ok(Ok(read)) => Ok(read),
            Ok(Err(e)) => Err(format!("CloudTrail could not be read ({e})")),
            Err(_) => Err(format!(
                "CloudTrail did not answer within {} s",
                (patience * 2).as_secs()
            )),
        };
        heard.insert(name, read);
    }
    heard
}

/// Request ids already known as other calls' (the ledger's answers, the
/// audit's): an event with one of them is never taken for an open call.
fn known_request_ids(log: &[AuditEntry], entries: &[Entry]) -> HashSet<String> {
    log.iter()
        .filter_map(|e| e.call.request_id.clone())
        .chain(entries.iter().filter_map(|e| e.request_id.clone()))
        .collect()
}

async fn judge(
    cloud: &dyn Cloud,
    call: &Pending,
    heard: &Heard,
    known: &HashSet<String>,
    entries: &[Entry],
    now: DateTime<Utc>,
) -> Settlement {
    if call.accepted {
        return ending(cloud, call).await;
    }
    let read = heard.get(call.event_name());
    let access_key = access_key(call, entries);
    if let Some(Ok(read)) = read {
        if let Some(e) = find(call, read, access_key.as_deref(), known) {
            return from_event(e);
        }
    }
    let shown = shows(cloud, call).await;
    if let Some(how) = shown.as_ref().ok().and_then(Option::as_ref) {
        return Settlement::Accepted {
            how: format!("{how}, as this call asked; CloudTrail does not show the call yet"),
            request_id: None,
        };
    }
    let late = call.sent.time + chrono::Duration::minutes(LATE_MINUTES);
    match read {
        Some(Ok(read)) if read.complete && now >= late => Settlement::NeverReached {
            how: format!(
                "CloudTrail, read to {}, over an hour past the call, has no such call, and {}",
                stamp(now),
                match &shown {
                    Ok(_) => format!("{} does not show it", call.subject()),
                    Err(why) => format!("{} could not be read to check ({why})", call.subject()),
                }
            ),
        },
        Some(Ok(read)) if read.complete => Settlement::NotYet(format!(
            "CloudTrail does not show the call yet; it shows calls within about 5 minutes on average, with no upper bound, so firekeeper waits until {} (an hour after the call) before saying it never reached AWS",
            stamp(late)
        )),
        Some(Ok(_)) => Settlement::NotYet("CloudTrail's events could not all be read in time".into()),
        Some(Err(why)) => Settlement::NotYet(why.clone()),
        None => Settlement::NotYet("CloudTrail was not read".into()),
    }
}

/// The access key the call was signed with: on its `sent` line, or for a
/// line written before the audit kept it, on the ledger's reservation.
fn access_key(call: &Pending, entries: &[Entry]) -> Option<String> {
    call.sent.call.access_key_id.clone().or_else(|| {
        ledger_line(call, entries)
            .and_then(|id| entries.iter().find(|e| e.id == id))
            .and_then(|e| e.access_key_id.clone())
    })
}

/// CloudTrail's event of this call: by its request id, or, when the answer
/// was lost, made by firekeeper (its user agent) with the call's access key,
/// about its stream or key, within minutes of its `sent` line (the nearest),
/// and no other call's.
fn find<'a>(
    call: &Pending,
    read: &'a Read,
    access_key: Option<&str>,
    known: &HashSet<String>,
) -> Option<&'a TrailEvent> {
    let named = |e: &&TrailEvent| e.name == call.event_name();
    if let Some(rid) = &call.request_id {
        if let Some(e) = read
            .events
            .iter()
            .filter(named)
            .find(|e| e.request_id.as_ref() == Some(rid))
        {
            return Some(e);
        }
    }
    let key = access_key?;
    let sent = call.sent.time;
    let fits = |at: DateTime<Utc>| {
        at >= sent - chrono::Duration::minutes(FUTURE_SLACK_MINUTES)
            && at <= sent + chrono::Duration::minutes(REACHED_WITHIN_MINUTES)
    };
    // Lines with a call id were written by a firekeeper that names itself in
    // its user agent; older ones did not, so for them the key must do.
    let ours = |e: &&TrailEvent| call.call_id().is_none() || e.by_firekeeper();
    read.events
        .iter()
        .filter(named)
        .filter(ours)
        .filter(|e| e.access_key_id.as_deref() == Some(key))
        .filter(|e| e.resource.as_deref() == Some(call.resource()))
        .filter(|e| fits(e.at))
        .filter(|e| e.request_id.as_ref().is_none_or(|r| !known.contains(r)))
        .min_by_key(|e| (e.at - sent).abs())
}

fn from_event(e: &TrailEvent) -> Settlement {
    let by = e.by.as_ref().map_or(String::new(), |b| format!(", by {b}"));
    let request = e.request_id.as_deref().unwrap_or("without a request id");
    match &e.error_code {
        None => Settlement::Accepted {
            how: format!(
                "CloudTrail has the call: request {request}, at {}{by}",
                stamp(e.at)
            ),
            request_id: e.request_id.clone(),
        },
        Some(code) => Settlement::Refused {
            code: code.clone(),
            request_id: e.request_id.clone(),
        },
    }
}

/// Whether the stream or key shows what the call asked for (`Ok(Some)`, in
/// words), does not (`Ok(None)`), or could not be read.
async fn shows(cloud: &dyn Cloud, call: &Pending) -> Result<Option<String>, String> {
    if call.on_key() {
        return key_shows(cloud, call).await;
    }
    let stream = cloud
        .describe_stream(&call.sent.stream)
        .await
        .map_err(|e| e.to_string())?;
    Ok(stream_shows(call, &stream).then(|| state(&stream)))
}

/// A stream that shows the call's change: a Stop, any sign of stopping; a
/// Start, the key it asked for, enabling, enabled or failed to enable. The
/// checks before sending refuse a change to what the stream already is, so
/// this state came after the call was made (by it, or by another of the same
/// change: either way the change took, and the slot counts).
fn stream_shows(call: &Pending, s: &Stream) -> bool {
    use EncryptionStatus as E;
    let e = &s.encryption;
    if call.event_name() == crate::model::trail::STOP {
        return matches!(e.status, E::Disabling | E::Disabled | E::DisablingFailed);
    }
    let started = matches!(e.status, E::Enabling | E::Enabled | E::EnablingFailed);
    let key = match call.sent.call.key_arn.as_deref() {
        Some("aws-owned") => e.key_type == Some(KeyType::AwsOwned),
        Some(arn) => e.key_arn.as_deref() == Some(arn),
        // A line from before the audit kept the key: reading cannot tell.
        None => false,
    };
    started && key
}

/// The stream's encryption, in words.
fn state(s: &Stream) -> String {
    let e = &s.encryption;
    match (&e.key_type, &e.key_arn) {
        (Some(KeyType::AwsOwned), _) => {
            format!("{} is {} with the AWS owned key", s.name, e.status)
        }
        (_, Some(arn)) => format!("{} is {} with {arn}", s.name, e.status),
        _ => format!("{} is {}", s.name, e.status),
    }
}

/// Whether the key shows the rotation change the call asked for.
async fn key_shows(cloud: &dyn Cloud, call: &Pending) -> Result<Option<String>, String> {
    let arn = call.resource();
    let key = cloud.describe_key(arn).await.map_err(|e| e.to_string())?;
    let rotation = key
        .rotation
        .ok_or_else(|| "KMS would not say how it rotates".to_string())?;
    let since = call.sent.time - chrono::Duration::minutes(1);
    let shown = match call.sent.action.as_str() {
        "auto-rotation-on" => rotation.automatic,
        "auto-rotation-off" => !rotation.automatic,
        _ => {
            let listed = cloud.key_rotations(arn).await.map_err(|e| e.to_string())?;
            rotation.on_demand_since.is_some_and(|t| t >= since)
                || listed
                    .iter()
                    .any(|r| r.kind == RotationKind::OnDemand && r.at >= since)
        }
    };
    Ok(shown.then(|| format!("the key {arn} shows it")))
}

/// How an accepted change ended, as the stream (or key) shows it now.
async fn ending(cloud: &dyn Cloud, call: &Pending) -> Settlement {
    if call.on_key() {
        return match key_shows(cloud, call).await {
            Ok(Some(how)) => Settlement::Ended {
                outcome: AuditOutcome::Succeeded,
                how: format!("succeeded ({how})"),
            },
            Ok(None) => Settlement::NotYet("the key does not show the change done yet".into()),
            Err(why) => Settlement::NotYet(format!("the key could not be read ({why})")),
        };
    }
    match cloud.describe_stream(&call.sent.stream).await {
        Ok(s) => stream_ending(call, &s),
        Err(e) => Settlement::NotYet(format!("{} could not be described ({e})", call.sent.stream)),
    }
}

fn stream_ending(call: &Pending, s: &Stream) -> Settlement {
    use EncryptionStatus as E;
    let now = state(s);
    let (outcome, how) = match &s.encryption.status {
        E::Enabling | E::Disabling => {
            return Settlement::NotYet(format!("{now}: AWS has not finished"));
        }
        E::EnablingFailed | E::DisablingFailed if stream_shows(call, s) => {
            let why = s.encryption.failure.as_ref().map_or(String::new(), |f| {
                format!("; AWS said {}: {}", f.kind, f.details.trim())
            });
            (AuditOutcome::Failed, format!("failed ({now}{why})"))
        }
        E::Enabled | E::Disabled if stream_shows(call, s) => {
            (AuditOutcome::Succeeded, format!("succeeded ({now})"))
        }
        _ => (
            AuditOutcome::Superseded,
            format!("superseded ({now}: not what this change asked for; changed since)"),
        ),
    };
    Settlement::Ended { outcome, how }
}

/// The ledger's id for the call: its own id, or for lines written before the
/// audit kept ids, the reservation of the same stream and action made just
/// before its `sent` line.
fn ledger_line(call: &Pending, entries: &[Entry]) -> Option<String> {
    if call.on_key() {
        return None;
    }
    if let Some(id) = call.call_id() {
        return entries.iter().any(|e| e.id == id).then(|| id.to_string());
    }
    let action = operation(call);
    let sent = call.sent.time;
    entries
        .iter()
        .filter(|e| e.stream == call.sent.stream && e.action == action)
        .filter(|e| e.outcome == Outcome::Sent && e.request_id.is_none())
        .filter(|e| e.at <= sent + chrono::Duration::seconds(5))
        .filter(|e| e.at >= sent - chrono::Duration::minutes(2))
        .min_by_key(|e| (sent - e.at).abs())
        .map(|e| e.id.clone())
}

fn operation(call: &Pending) -> Operation {
    if call.event_name() == crate::model::trail::STOP {
        Operation::Stop
    } else {
        Operation::Start
    }
}

/// The call's final line (or its `unknown` line, if it still ended at
/// `sent`), and the ledger's correction, written together off the runtime.
async fn write(
    books: &Books<'_>,
    call: &Pending,
    verdict: &Settlement,
    entries: &[Entry],
) -> Result<(), SettleError> {
    if matches!(verdict, Settlement::NotYet(_)) && call.last.outcome != AuditOutcome::Sent {
        // Already `unknown`, with its reason: a line a run would only repeat.
        return Ok(());
    }
    let (outcome, message) = verdict.line();
    let line = AuditEntry {
        time: Utc::now(),
        outcome,
        message,
        call: CallMark {
            call_id: call.sent.call.call_id.clone(),
            request_id: verdict.ledger().and_then(|(_, rid)| rid),
            ..CallMark::default()
        },
        ..call.sent.clone()
    };
    let correction =
        ledger_line(call, entries)
            .zip(verdict.ledger())
            .map(|(id, (outcome, rid))| {
                let at = entries
                    .iter()
                    .filter(|e| e.id == id)
                    .map(|e| e.at)
                    .min()
                    .unwrap_or(call.sent.time);
                Entry {
                    at,
                    id,
                    account: books.account.unwrap_or_default().to_string(),
                    region: books.region.to_string(),
                    stream: call.sent.stream.clone(),
                    action: operation(call),
                    outcome,
                    request_id: rid,
                    access_key_id: None,
                    // Settled by reading: AWS's error code, if any, is on
                    // the audit's line.
                    error: None,
                }
            });
    let (ledger, audit) = (books.ledger.clone(), books.audit.clone());
    let last = call.last.clone();
    ledger
        .off_runtime(move |ledger| {
            // Another run starting at the same moment may have settled it
            // meanwhile: its line is the last word.
            let still_last = audit
                .read()
                .iter()
                .rev()
                .find(|e| e.call.call_id.is_some() && e.call.call_id == line.call.call_id)
                .is_none_or(|e| *e == last);
            if !still_last {
                return Ok(());
            }
            // Both are attempted: a ledger that cannot be written must not
            // also cost the audit its line.
            let recorded = correction.map_or(Ok(()), |c| ledger.record(&c));
            let audited = audit.append(&line);
            recorded?;
            audited?;
            Ok::<(), SettleError>(())
        })
        .await
}

#[cfg(test)]
mod tests;
