//! The rules that turn what AWS reports into ok / warning / critical, and into
//! sentences an on-call engineer can act on.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use crate::cloud::trail::{START, STOP};
use crate::cloud::{
    CloudError, EncryptionStatus, History, KeyState, KmsKey, KmsMetric, KmsSeries, Source, Stream,
    TrailEvent,
};
use crate::model::{ago, clock, stamp, when, Severity};
use crate::quota::Quota;

/// How long Firehose keeps records it cannot decrypt before discarding them.
pub const RETENTION_HOURS: i64 = 24;

/// How a stream stands. Ordered by how much it should worry someone:
/// `unknown` outranks `warning` because an unread fact may hide something
/// critical, and only a known critical outranks it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Health {
    Ok,
    Warning,
    Unknown,
    Critical,
}

impl Health {
    pub fn as_str(self) -> &'static str {
        match self {
            Health::Ok => "ok",
            Health::Warning => "warning",
            Health::Unknown => "unknown",
            Health::Critical => "critical",
        }
    }
}

impl From<Severity> for Option<Health> {
    fn from(s: Severity) -> Option<Health> {
        match s {
            Severity::Ok => None,
            Severity::Warning => Some(Health::Warning),
            Severity::Critical => Some(Health::Critical),
        }
    }
}

/// A run of KMS errors, and when Firehose starts throwing data away because of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Outage {
    /// The first error of the current run.
    pub since: DateTime<Utc>,
    /// The latest datapoint with errors.
    pub last: DateTime<Utc>,
    /// Errors are still arriving.
    pub ongoing: bool,
    /// The run began before the data looked at: it is older than `since`.
    pub older: bool,
}

impl Outage {
    /// Records that failed at `since` and are still undecryptable are
    /// discarded from this moment on.
    pub fn discard_at(&self) -> DateTime<Utc> {
        self.since + Duration::hours(RETENTION_HOURS)
    }
}

/// Finds the current run of KMS errors: from the latest datapoint with errors
/// back to the first one with no gap longer than `max_gap` before it. `from` is
/// where the data starts: a run reaching it may be older.
pub fn outage(
    series: &KmsSeries,
    from: DateTime<Utc>,
    now: DateTime<Utc>,
    period_secs: i32,
) -> Option<Outage> {
    let points: Vec<DateTime<Utc>> = series
        .combined()
        .into_iter()
        .filter(|(_, v)| *v > 0.0)
        .map(|(t, _)| t)
        .collect();
    let last = *points.last()?;
    let max_gap = Duration::seconds(i64::from(period_secs) * 2).max(Duration::minutes(15));
    let since = points
        .windows(2)
        .rev()
        .take_while(|w| w[1] - w[0] <= max_gap)
        .last()
        .map_or(last, |w| w[0]);
    Some(Outage {
        since,
        last,
        ongoing: now - last <= max_gap + Duration::seconds(i64::from(period_secs)),
        older: since - from <= Duration::seconds(i64::from(period_secs)),
    })
}

/// Since when a stream has had KMS errors within the data looked at: the
/// first and latest buckets with errors in it (gaps and all, unlike
/// [`outage`], which follows only the current run), whether they are still
/// arriving by the same rule as [`outage`], and whether the first one is at
/// `from`, where the data starts (so they may have begun before it).
pub fn errors_since(
    series: &KmsSeries,
    from: DateTime<Utc>,
    now: DateTime<Utc>,
    period_secs: i32,
) -> Option<Outage> {
    let mut erring = series.combined().into_iter().filter(|(_, v)| *v > 0.0);
    let (since, _) = erring.next()?;
    let last = erring.next_back().map_or(since, |(t, _)| t);
    let period = Duration::seconds(i64::from(period_secs));
    let max_gap = (period * 2).max(Duration::minutes(15));
    Some(Outage {
        since,
        last,
        ongoing: now - last <= max_gap + period,
        older: since - from <= period,
    })
}

/// A key's deletion date in the tense it calls for: "deletes 2026-11-27 09:00
/// UTC" while it is to come, "deleted …" once it has passed.
pub fn deletion(at: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let verb = if at > now { "deletes" } else { "deleted" };
    format!("{verb} {}", stamp(at))
}

/// What is known of a stream's customer key.
#[derive(Debug, Clone, Copy)]
pub enum KeyFact<'a> {
    /// No customer key: AWS owned, or not encrypted.
    None,
    Described(&'a KmsKey),
    /// KMS says the key does not exist.
    Gone,
    /// KMS would not say, for this reason.
    Unreadable(&'a CloudError),
    /// Not asked yet.
    NotYet,
}

/// Everything the rules look at for one stream.
pub struct StreamFacts<'a> {
    pub stream: &'a Stream,
    pub key: KeyFact<'a>,
    pub key_label: &'a str,
    /// Per-metric sums over the window, or why CloudWatch could not say.
    pub kms_errors: Result<[f64; 4], &'a str>,
    pub window: &'a str,
    pub outage: Option<Outage>,
    /// `Ok(None)` when quota does not apply (the source owns encryption);
    /// `Err` says why it is not known.
    pub quota: Result<Option<Quota>, &'a str>,
    pub quota_warning_at: u32,
    /// How an unencrypted DirectPut stream is judged.
    pub unencrypted: Severity,
    /// Set when the latest describe failed and this description is older.
    pub describe_error: Option<&'a str>,
    /// Who changed streams and keys lately, by CloudTrail.
    pub history: &'a History,
    pub now: DateTime<Utc>,
}

/// One thing wrong with a stream, or not known about it, before it is put
/// into words.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Finding<'a> {
    Failed,
    KmsErrors(f64),
    /// KMS says the key does not exist; `in_use` as for `KeyUnusable`.
    KeyGone {
        in_use: bool,
    },
    Stale(&'a str),
    MetricsUnknown(&'a str),
    /// Why KMS would not describe the key; `None`: not asked yet.
    KeyUnknown(Option<&'a CloudError>),
    QuotaUnknown(&'a str),
    /// A value AWS sent that firekeeper does not know, and AWS's string.
    NotKnown(not_known::Field, &'a str),
    Transition,
    /// Disabled, PendingImport, Unavailable or PendingReplicaDeletion: KMS
    /// will not use the key. `in_use`: the stream is ENABLED or ENABLING on
    /// it, so Firehose refuses producers' records now, errors counted or not.
    KeyUnusable {
        in_use: bool,
    },
    KeyPendingDeletion {
        in_use: bool,
    },
    KeyChanging,
    Unencrypted(Health),
    LowQuota(Quota),
}

impl Finding<'_> {
    fn health(self) -> Health {
        match self {
            Finding::Failed | Finding::KmsErrors(_) | Finding::KeyGone { .. } => Health::Critical,
            Finding::KeyUnusable { in_use } | Finding::KeyPendingDeletion { in_use } if in_use => {
                Health::Critical
            }
            Finding::Stale(_)
            | Finding::MetricsUnknown(_)
            | Finding::KeyUnknown(_)
            | Finding::QuotaUnknown(_)
            | Finding::NotKnown(..) => Health::Unknown,
            Finding::Unencrypted(h) => h,
            _ => Health::Warning,
        }
    }
}

/// What is wrong with the stream's customer key, if anything. A key KMS will
/// not use, on a stream ENABLED or ENABLING on it, is in use: Firehose
/// refuses PutRecord and PutRecordBatch with InvalidKMSResourceException as
/// soon as KMS refuses it (Firehose API reference), before any metric.
fn key_finding<'a>(f: &StreamFacts<'a>) -> Option<Finding<'a>> {
    let in_use = matches!(
        f.stream.encryption.status,
        EncryptionStatus::Enabled | EncryptionStatus::Enabling
    );
    Some(match f.key {
        KeyFact::Described(k) => match &k.state {
            KeyState::Disabled
            | KeyState::PendingImport
            | KeyState::Unavailable
            | KeyState::PendingReplicaDeletion => Finding::KeyUnusable { in_use },
            KeyState::PendingDeletion => Finding::KeyPendingDeletion { in_use },
            KeyState::Creating | KeyState::Updating => Finding::KeyChanging,
            // Said by `not_known`.
            KeyState::Enabled | KeyState::Other(_) => return None,
        },
        KeyFact::Gone => Finding::KeyGone { in_use },
        KeyFact::Unreadable(why) => Finding::KeyUnknown(Some(why)),
        KeyFact::NotYet => Finding::KeyUnknown(None),
        KeyFact::None => return None,
    })
}

/// What is wrong or unknown, worst first.
fn findings<'a>(f: &StreamFacts<'a>) -> Vec<Finding<'a>> {
    let mut out = Vec::new();
    let enc = &f.stream.encryption;
    if let Some(why) = f.describe_error {
        out.push(Finding::Stale(why));
    }
    if enc.status.is_failed() {
        out.push(Finding::Failed);
    }
    out.extend(not_known::findings(f));
    let key = key_finding(f);
    // A key refusing producers now is the cause: said before the errors it
    // explains, with who changed it.
    let (cause, key) = match key {
        Some(k) if k.health() == Health::Critical => (Some(k), None),
        other => (None, other),
    };
    out.extend(cause);
    match f.kms_errors {
        Ok(e) if e.iter().sum::<f64>() > 0.0 => out.push(Finding::KmsErrors(e.iter().sum())),
        Ok(_) => {}
        Err(why) => out.push(Finding::MetricsUnknown(why)),
    }
    if enc.status.is_transition() {
        out.push(Finding::Transition);
    }
    out.extend(key);
    if f.stream.source == Source::DirectPut && enc.status == EncryptionStatus::Disabled {
        if let Some(h) = Option::<Health>::from(f.unencrypted) {
            out.push(Finding::Unencrypted(h));
        }
    }
    match f.quota {
        Ok(Some(q)) if q.remaining <= f.quota_warning_at => out.push(Finding::LowQuota(q)),
        Ok(_) => {}
        Err(why) => out.push(Finding::QuotaUnknown(why)),
    }
    // Stable: findings of one health keep the order above.
    out.sort_by_key(|x| std::cmp::Reverse(x.health()));
    out
}

/// Health alone, without building the sentences: what the table needs for
/// every visible row of every frame. `key_label` is not read.
pub fn level(f: &StreamFacts<'_>) -> Health {
    findings(f)
        .iter()
        .map(|x| x.health())
        .max()
        .unwrap_or(Health::Ok)
}

/// Health and the problems behind it, worst first.
pub fn assess(f: &StreamFacts<'_>) -> (Health, Vec<String>) {
    let found = findings(f);
    let health = found.iter().map(|x| x.health()).max().unwrap_or(Health::Ok);
    // Who made a change is said once, with the first problem it explains.
    let mut told = Vec::new();
    let problems = found
        .into_iter()
        .map(|x| {
            let mut s = sentence(x, f);
            if let Some(who) = who_did_it(x, f).filter(|w| !told.contains(w)) {
                s.push(' ');
                s.push_str(&who);
                told.push(who);
            }
            s
        })
        .collect();
    (health, problems)
}

/// Who made the change behind a finding, by CloudTrail: "alias/payments
/// was disabled by alice at 14:02 UTC (CloudTrail)." The first question on
/// call after "what is broken", answered beside it. Only when the latest of
/// a change and its undoing is the change (a key disabled, then enabled,
/// then broken some other way, was not broken by whoever disabled it).
fn who_did_it(finding: Finding<'_>, f: &StreamFacts<'_>) -> Option<String> {
    const KEY_STATE: [&str; 6] = [
        "DisableKey",
        "EnableKey",
        "ScheduleKeyDeletion",
        "CancelKeyDeletion",
        "PutKeyPolicy",
        "RevokeGrant",
    ];
    const KEY_BREAKING: [&str; 4] = [
        "DisableKey",
        "ScheduleKeyDeletion",
        "PutKeyPolicy",
        "RevokeGrant",
    ];
    let key = f.stream.encryption.key_arn.as_deref();
    let disabled = matches!(f.key, KeyFact::Described(k) if k.state == KeyState::Disabled);
    let name = f.stream.name.as_str();
    let (subject, resource, among, breaking): (&str, &str, &[&str], &[&str]) = match finding {
        Finding::KeyUnusable { .. } if disabled => (
            f.key_label,
            key?,
            &["DisableKey", "EnableKey"],
            &["DisableKey"],
        ),
        Finding::KeyPendingDeletion { .. } => (
            f.key_label,
            key?,
            &["ScheduleKeyDeletion", "CancelKeyDeletion"],
            &["ScheduleKeyDeletion"],
        ),
        Finding::KmsErrors(_) | Finding::Failed => (f.key_label, key?, &KEY_STATE, &KEY_BREAKING),
        Finding::Unencrypted(_) => (name, name, &[START, STOP, "CreateDeliveryStream"], &[STOP]),
        _ => return None,
    };
    let e = f.history.latest(resource, among)?;
    breaking
        .contains(&e.name.as_str())
        .then(|| said(subject, e, f.now))
}

/// "SUBJECT was disabled by WHO at 14:02 UTC (CloudTrail)."
pub fn said(subject: &str, e: &TrailEvent, now: DateTime<Utc>) -> String {
    let deed = e.deed().unwrap_or("was changed");
    let by = e.by.as_deref().unwrap_or("someone");
    let at = if e.at.date_naive() == now.date_naive() {
        clock(e.at)
    } else {
        stamp(e.at)
    };
    format!("{subject} {deed} by {by} at {at} (CloudTrail).")
}

fn sentence(finding: Finding<'_>, f: &StreamFacts<'_>) -> String {
    let enc = &f.stream.encryption;
    let state = match f.key {
        KeyFact::Described(k) => k.state.as_str(),
        _ => "",
    };
    match finding {
        Finding::Failed => {
            let what = if enc.status == EncryptionStatus::EnablingFailed {
                "Enabling or changing encryption failed"
            } else {
                "Stopping encryption failed"
            };
            let why = enc.failure.as_ref().map_or(String::new(), |fd| {
                format!(" ({}): {}", fd.kind, fd.details.trim())
            });
            format!("{what}{why}")
        }
        Finding::KmsErrors(total) => kms_sentence(&f.kms_errors.unwrap_or_default(), total, f),
        Finding::KeyGone { in_use } => format!(
            "Key {} no longer exists: Firehose cannot use it{}",
            f.key_label,
            refused(in_use)
        ),
        Finding::Stale(why) => format!(
            "Could not describe the stream just now ({why}); what is shown may be out of date."
        ),
        Finding::MetricsUnknown(why) => {
            format!("KMS error metrics could not be read from CloudWatch: {why}.")
        }
        Finding::KeyUnknown(Some(why)) => {
            format!("Key {} could not be described by KMS: {why}.", f.key_label)
        }
        Finding::KeyUnknown(None) => format!("Key {} is not described yet.", f.key_label),
        Finding::QuotaUnknown(why) => format!("Start/Stop quota unknown: {why}."),
        Finding::Transition if enc.status == EncryptionStatus::Enabling => {
            "Encryption is ENABLING: records written now are not yet encrypted.".to_string()
        }
        Finding::Transition => "Encryption is DISABLING.".to_string(),
        Finding::KeyUnusable { in_use: true } => format!(
            "Key {} is {state}: Firehose cannot use it{}",
            f.key_label,
            refused(true)
        ),
        Finding::KeyUnusable { in_use: false } => format!(
            "Key {} is {state}: Firehose cannot use it until it is Enabled.",
            f.key_label
        ),
        Finding::KeyPendingDeletion { in_use } => format!(
            "Key {} is pending deletion{}: Firehose cannot use it{}",
            f.key_label,
            match f.key {
                KeyFact::Described(k) => k
                    .deletion_date
                    .map_or(String::new(), |d| format!(" ({})", deletion(d, f.now))),
                _ => String::new(),
            },
            refused(in_use)
        ),
        Finding::NotKnown(field, raw) => field.sentence(raw, f.key_label),
        Finding::KeyChanging => {
            format!("Key {} is {state}: KMS is still changing it.", f.key_label)
        }
        Finding::Unencrypted(_) => {
            "Not encrypted: records are stored without Firehose server-side encryption.".to_string()
        }
        Finding::LowQuota(q) => {
            let next = q
                .next_slot(f.now)
                .map_or(String::new(), |n| format!("; {n}"));
            let mut counted: Vec<String> = q.by_others().into_iter().collect();
            if q.refused > 0 {
                counted.push(format!(
                    "{} refused by AWS: {} left if refused calls do not count",
                    q.refused, q.remaining_at_most
                ));
            }
            let counted = match counted.is_empty() {
                true => String::new(),
                false => format!(" ({})", counted.join("; ")),
            };
            format!(
                "{} of {} Start/Stop calls left in 24 h{counted}{next}.",
                q.remaining, q.limit
            )
        }
    }
}

/// How a sentence about a key Firehose cannot use ends: with what producers
/// see when the stream is on that key now.
fn refused(in_use: bool) -> &'static str {
    if in_use {
        ", and producers' PutRecord and PutRecordBatch calls are refused (InvalidKMSResourceException)."
    } else {
        "."
    }
}

fn kms_sentence(errors: &[f64; 4], total: f64, f: &StreamFacts<'_>) -> String {
    let parts: Vec<String> = KmsMetric::ALL
        .iter()
        .zip(errors)
        .filter(|(_, v)| **v > 0.0)
        .map(|(m, v)| format!("{} {}", m.name(), *v as u64))
        .collect();
    let mut s = format!(
        "KMS refused Firehose {} times in the last {} ({}).",
        total as u64,
        f.window,
        parts.join(", ")
    );
    if let Some(o) = f.outage {
        let discard = o.discard_at();
        if o.ongoing && o.older {
            s.push_str(&format!(
                " Errors since before {}: records older than {RETENTION_HOURS} h may already be discarded.",
                stamp(o.since),
            ));
        } else if o.ongoing {
            s.push_str(&format!(
                " Errors since {} ({}); {}",
                stamp(o.since),
                ago(f.now - o.since),
                if discard > f.now {
                    format!(
                        "Firehose starts discarding undecryptable records at {}.",
                        when(discard, f.now)
                    )
                } else {
                    "records older than 24 h are being discarded now.".to_string()
                }
            ));
        } else {
            s.push_str(&format!(" The errors stopped at {}.", stamp(o.last)));
        }
    }
    s
}

mod not_known;

#[cfg(test)]
mod tests;
