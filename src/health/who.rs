//! Who made the change behind a finding, by CloudTrail: "alias/payments was
//! disabled by alice at 14:02 UTC (CloudTrail)." The first question on call
//! after "what is broken", answered beside it, and only where CloudTrail's
//! record bears it out: a name beside a problem reads as its cause.

use chrono::{DateTime, Utc};

use super::{Finding, KeyFact, StreamFacts};
use crate::model::trail::{START, STOP, UNNAMED};
use crate::model::{clock, stamp};
use crate::model::{History, KeyState, TrailEvent};

/// A call that makes KMS refuse a key, and the call that undoes it: the
/// key's state is the latest of the two.
type Pair = [&'static str; 2];
const DISABLE: Pair = ["DisableKey", "EnableKey"];
const DELETION: Pair = ["ScheduleKeyDeletion", "CancelKeyDeletion"];
/// Calls that can make KMS refuse Firehose while the key still reads
/// Enabled (a policy or a grant changed), or that are harmless: nothing
/// undoes them, so they are only ever named as what may be why.
const MAY_BREAK: [&str; 4] = ["PutKeyPolicy", "CreateGrant", "RevokeGrant", "RetireGrant"];

/// Who made the change behind a finding, when CloudTrail shows it:
/// - a key seen Disabled or pending deletion: whoever made it so, when the
///   latest of the change and its undoing is the change;
/// - KMS errors: the same, when that change also came before the errors
///   began (before the end of the first erring bucket); else the latest
///   policy or grant call made before they began, as what "may be why";
/// - a failed enable: whoever disabled the key or scheduled its deletion,
///   as for the key's state;
/// - a stream left unencrypted: whoever stopped its encryption last.
pub(super) fn who_did_it(finding: Finding<'_>, f: &StreamFacts<'_>) -> Option<String> {
    let key = f.stream.encryption.key_arn.as_deref();
    let disabled = matches!(f.key, KeyFact::Described(k) if k.state == KeyState::Disabled);
    let h = f.history;
    let subject = f.key_label;
    match finding {
        // The state is seen now: every call CloudTrail shows came before.
        Finding::KeyUnusable { .. } if disabled => {
            cause(h, key?, DISABLE, None).map(|e| said(subject, e, f.now))
        }
        Finding::KeyPendingDeletion { .. } => {
            cause(h, key?, DELETION, None).map(|e| said(subject, e, f.now))
        }
        Finding::Failed => latest_cause(h, key?, None).map(|e| said(subject, e, f.now)),
        Finding::KmsErrors(_) => {
            let (_, began_by) = f.outage?.began();
            if let Some(e) = latest_cause(h, key?, Some(began_by)) {
                return Some(said(subject, e, f.now));
            }
            let e = h.latest_before(key?, &MAY_BREAK, began_by)?;
            Some(may_be_why(subject, e, f.now))
        }
        Finding::Unencrypted(_) => {
            let name = f.stream.name.as_str();
            let e = h.latest(name, &[START, STOP, "CreateDeliveryStream"])?;
            (e.name == STOP).then(|| said(name, e, f.now))
        }
        _ => None,
    }
}

/// The call that made a key what it is now, when it is `Disabled` or
/// `PendingDeletion` and CloudTrail shows that call standing: the fact
/// behind "was disabled by", for the JSON.
pub fn who_made_key<'h>(h: &'h History, key: &str, state: &KeyState) -> Option<&'h TrailEvent> {
    match state {
        KeyState::Disabled => cause(h, key, DISABLE, None),
        KeyState::PendingDeletion => cause(h, key, DELETION, None),
        _ => None,
    }
}

/// The breaking call of `pair` on `resource`, when it is the latest of the
/// pair and came before `by` (if given).
fn cause<'h>(
    h: &'h History,
    resource: &str,
    pair: Pair,
    by: Option<DateTime<Utc>>,
) -> Option<&'h TrailEvent> {
    h.latest(resource, &pair)
        .filter(|e| e.name == pair[0] && by.is_none_or(|by| e.at < by))
}

/// The later of the key's disabling and its scheduled deletion that stands
/// and came before `by` (if given).
fn latest_cause<'h>(
    h: &'h History,
    key: &str,
    by: Option<DateTime<Utc>>,
) -> Option<&'h TrailEvent> {
    [DISABLE, DELETION]
        .into_iter()
        .filter_map(|pair| cause(h, key, pair, by))
        .max_by_key(|e| e.at)
}

/// "SUBJECT was disabled by WHO at 14:02 UTC (CloudTrail)."
pub fn said(subject: &str, e: &TrailEvent, now: DateTime<Utc>) -> String {
    format!("{}.", told(subject, e, now))
}

/// "SUBJECT was given a new key policy by WHO at 14:02 UTC (CloudTrail),
/// before the errors began: it may be why."
fn may_be_why(subject: &str, e: &TrailEvent, now: DateTime<Utc>) -> String {
    format!(
        "{}, before the errors began: it may be why.",
        told(subject, e, now)
    )
}

fn told(subject: &str, e: &TrailEvent, now: DateTime<Utc>) -> String {
    let deed = e.deed().unwrap_or("was changed");
    let by = crate::text::caller(e.by.as_deref().unwrap_or(UNNAMED));
    let at = if e.at.date_naive() == now.date_naive() {
        clock(e.at)
    } else {
        stamp(e.at)
    };
    format!("{subject} {deed} by {by} at {at} (CloudTrail)")
}
