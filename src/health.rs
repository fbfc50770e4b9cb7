//! The rules that turn what AWS reports into ok / warning / critical, and into
//! sentences an on-call engineer can act on.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use crate::cloud::CloudError;

use crate::model::{ago, between, stamp, when, Severity};
use crate::model::{
    Encryption, EncryptionStatus, History, KeyState, KmsKey, KmsMetric, KmsSeries, Source, Stream,
};
use crate::quota::Quota;

/// How long Firehose keeps records it cannot decrypt before discarding them.
pub const RETENTION_HOURS: i64 = 24;

/// What is not known of an ENABLING_FAILED stream. The Firehose API
/// reference (StartDeliveryStreamEncryption) says only: "If a Firehose
/// stream already has encryption enabled and then you invoke this operation
/// to change the ARN of the CMK or both its type and ARN and you get
/// ENABLING_FAILED, this only means that the attempt to change the CMK
/// failed. In this case, encryption remains enabled with the old CMK." A
/// description does not say whether the stream had encryption before.
pub const OLD_KEY_UNSAID: &str = "AWS did not say whether the old key is still in use: a stream that was encrypted before the failed change keeps its old key (Firehose API reference), one that was not stays unencrypted.";

/// How a stream stands. Ordered by how much it should worry someone:
/// `unknown` outranks `warning` because an unread fact may hide something
/// critical, and only a known critical outranks it.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize,
)]
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
    /// CloudWatch's period behind `since` and `last`, in seconds: a
    /// datapoint is the sum of a bucket that starts at its time, so the
    /// first error came at or after `since` and before `since` plus this,
    /// and the latest likewise. A cache written before this was kept reads
    /// as 5 minutes, the longest firekeeper asks for: a wider bucket says
    /// less, never something false.
    #[serde(default = "widest_bucket")]
    pub bucket_secs: i32,
}

fn widest_bucket() -> i32 {
    300
}

impl Outage {
    /// When the first error came, as CloudWatch knows it: at or after the
    /// first, before the second.
    pub fn began(&self) -> (DateTime<Utc>, DateTime<Utc>) {
        (self.since, self.since + self.bucket())
    }

    /// The length of a bucket.
    pub fn bucket(&self) -> Duration {
        Duration::seconds(i64::from(self.bucket_secs))
    }

    /// The earliest Firehose can start discarding the records it cannot
    /// decrypt: 24 hours after the first of them, which came no earlier
    /// than the start of the first erring bucket.
    pub fn discard_from(&self) -> DateTime<Utc> {
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
        bucket_secs: period_secs,
    })
}

/// A run found in coarse buckets, told more finely where a finer series
/// holds its first bucket: a run found in the 24 h look back's 5-minute
/// buckets that began within a 1-minute window began within the first
/// erring minute of that 5.
pub fn refined(o: Outage, fine: &KmsSeries, fine_secs: i32) -> Outage {
    if fine_secs >= o.bucket_secs {
        return o;
    }
    let (from, to) = o.began();
    let first = fine
        .combined()
        .into_iter()
        .find(|(t, v)| *v > 0.0 && *t >= from && *t < to);
    match first {
        Some((since, _)) if !o.older => Outage {
            since,
            bucket_secs: fine_secs,
            ..o
        },
        _ => o,
    }
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
        bucket_secs: period_secs,
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
    /// Known only from AWS Config's record, which holds no status.
    NotRecorded,
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
            | Finding::NotKnown(..)
            | Finding::NotRecorded => Health::Unknown,
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

/// The worst of what is known to be wrong, leaving out what is not known
/// (`Ok` when nothing known is wrong): which streams to look at first.
pub fn known_level(f: &StreamFacts<'_>) -> Health {
    findings(f)
        .iter()
        .map(|x| x.health())
        .filter(|h| *h != Health::Unknown)
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

fn sentence(finding: Finding<'_>, f: &StreamFacts<'_>) -> String {
    let enc = &f.stream.encryption;
    let state = match f.key {
        KeyFact::Described(k) => k.state.as_str(),
        _ => "",
    };
    match finding {
        Finding::Failed => failed_sentence(enc),
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
        Finding::NotRecorded => not_known::NOT_RECORDED.to_string(),
        Finding::KeyChanging => {
            format!("Key {} is {state}: KMS is still changing it.", f.key_label)
        }
        Finding::Unencrypted(_) => {
            "Not encrypted: records are stored without Firehose server-side encryption.".to_string()
        }
        Finding::LowQuota(q) => low_quota_sentence(&q, f.now),
    }
}

/// A change AWS reports failed, with AWS's reason when it gave one.
fn failed_sentence(enc: &Encryption) -> String {
    let what = if enc.status == EncryptionStatus::EnablingFailed {
        "Enabling or changing encryption failed"
    } else {
        "Stopping encryption failed"
    };
    let why = enc.failure.as_ref().map_or(String::new(), |fd| {
        format!(" ({}): {}", fd.kind, fd.details.trim())
    });
    if enc.status == EncryptionStatus::EnablingFailed {
        let end = if why.ends_with('.') { "" } else { "." };
        format!("{what}{why}{end} {}", OLD_KEY_UNSAID)
    } else {
        format!("{what}{why}")
    }
}

/// Few Start/Stop calls left: how many, who else spent them, and when the
/// next slot frees.
fn low_quota_sentence(q: &Quota, now: DateTime<Utc>) -> String {
    let next = q.next_slot(now).map_or(String::new(), |n| format!("; {n}"));
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
        s.push(' ');
        s.push_str(&since_sentence(&o, f.now));
    }
    s
}

/// Since when a run of errors has lasted and what it means for the records,
/// as far as CloudWatch's buckets tell: "Errors since between 00:40 and
/// 00:45 UTC (up to 1h 05m ago); Firehose may start discarding
/// undecryptable records from about 2026-11-22 00:40 UTC (in 22h 55m)."
pub fn since_sentence(o: &Outage, now: DateTime<Utc>) -> String {
    let (from, to) = o.began();
    if !o.ongoing {
        let (last, end) = (o.last, o.last + o.bucket());
        return format!("The last errors came {}.", between(last, end, None));
    }
    if o.older {
        return format!(
            "Errors since before {}: records older than {RETENTION_HOURS} h may already be discarded.",
            stamp(to)
        );
    }
    let discard = o.discard_from();
    let records = if discard > now {
        format!(
            "Firehose may start discarding undecryptable records from about {}.",
            when(discard, now)
        )
    } else {
        format!("records older than {RETENTION_HOURS} h may already be discarded.")
    };
    format!(
        "Errors since {} (up to {}); {records}",
        between(from, to, None),
        ago(now - from)
    )
}

mod not_known;
mod who;

use who::who_did_it;
pub use who::{said, who_made_key};

#[cfg(test)]
mod tests;
