//! The words every layer shares: the KMS error window, how a finding is
//! judged, the tone of a message, a stream's row as last seen, and how times
//! and durations are written; and in its files what the cloud answers, as
//! plain data: streams, keys, metrics, the caller, CloudTrail's events.
//! Nothing here knows of the cloud's clients, the screen or the config
//! file, so every other module may use it.

use std::fmt;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

mod encryption_call;
pub mod exit;
mod identity;
mod key;
pub mod metrics;
mod names;
pub mod recorded;
mod stream;
pub mod trail;

pub use encryption_call::EncryptionCall;
pub use identity::{CredentialFacts, Identity};
pub use key::{
    key_id_of, region_of_arn, Alias, KeyRef, KeyRotation, KmsKey, MultiRegion, RotationRecord,
};
pub use metrics::{
    every_series, CloudWatchUsage, KmsMetrics, KmsSeries, MetricRange, MetricSet, Series,
    SeriesAsk, SeriesListing,
};
pub use names::{
    region_name, EncryptionStatus, KeyManager, KeyOrigin, KeySpec, KeyState, KeyType, KeyUsage,
    KmsMetric, RotationKind, Source,
};
pub use recorded::{Aggregated, RecordPage, RecordedStream, Recording};
pub use stream::{Encryption, Failure, Stream, StreamPage};
pub use trail::{EventPage, EventQuery, History, Lookup, TrailEvent};

/// AWS's combined Start+Stop limit per stream per rolling 24 hours: the
/// bound of every quota setting, and the ledger's count (`quota::LIMIT`).
pub const QUOTA_LIMIT: u32 = 25;

/// A KMS error window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Window {
    #[serde(rename = "1h")]
    H1,
    #[serde(rename = "3h")]
    H3,
    #[serde(rename = "12h")]
    H12,
    #[serde(rename = "24h")]
    H24,
}

impl Window {
    pub const ALL: [Window; 4] = [Window::H1, Window::H3, Window::H12, Window::H24];

    pub fn hours(self) -> i64 {
        match self {
            Window::H1 => 1,
            Window::H3 => 3,
            Window::H12 => 12,
            Window::H24 => 24,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Window::H1 => "1h",
            Window::H3 => "3h",
            Window::H12 => "12h",
            Window::H24 => "24h",
        }
    }

    /// Chart resolution: CloudWatch keeps 1-minute data, but a day of it is more
    /// points than any terminal has columns.
    pub fn period_secs(self) -> i32 {
        match self {
            Window::H1 | Window::H3 => 60,
            Window::H12 | Window::H24 => 300,
        }
    }

    pub fn next(self) -> Window {
        let i = Window::ALL.iter().position(|w| *w == self).unwrap_or(0);
        Window::ALL[(i + 1) % Window::ALL.len()]
    }
}

impl fmt::Display for Window {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// How a finding is judged, where the user may choose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Ok,
    Warning,
    Critical,
}

/// How a message on the status line should read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Info,
    Good,
    Bad,
}

/// How the stream table is ordered: `[ui] sort` in the config, `s` cycles.
/// The config names them in kebab case: "problems", "kms-errors".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SortKey {
    /// Critical, unknown, warning, ok; then most KMS errors; then name.
    Problems,
    Name,
    Status,
    KmsErrors,
    QuotaLeft,
    /// With several targets: by target (region, account), then name.
    Region,
}

impl SortKey {
    /// The cycle of `s`, problems first.
    pub fn next(self) -> SortKey {
        match self {
            SortKey::Problems => SortKey::Name,
            SortKey::Name => SortKey::Status,
            SortKey::Status => SortKey::KmsErrors,
            SortKey::KmsErrors => SortKey::QuotaLeft,
            SortKey::QuotaLeft => SortKey::Region,
            SortKey::Region => SortKey::Problems,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            SortKey::Problems => "problems",
            SortKey::Name => "name",
            SortKey::Status => "status",
            SortKey::KmsErrors => "KMS errors",
            SortKey::QuotaLeft => "quota left",
            SortKey::Region => "region",
        }
    }
}

/// One stream as the dashboard knows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Row {
    pub name: String,
    pub stream: Option<Stream>,
    /// Why the last describe failed, if it did.
    pub error: Option<String>,
    pub described_at: Option<DateTime<Utc>>,
    /// Where `stream` comes from when no describe of this run has said
    /// it yet. A cache of an older version has none: it reads as
    /// `Described`, and restoring it sets `Cached`.
    #[serde(default)]
    pub provenance: Provenance,
}

/// Where a row's description comes from. Only `Described` is this run's
/// own describe; every other kind is shown as such, with its time, until a
/// describe replaces it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Provenance {
    /// Described by this run (at `described_at`), or not yet described.
    #[default]
    Described,
    /// From an earlier run's cache, saved at `saved_at`: nothing has said
    /// it is still so.
    Cached { saved_at: DateTime<Utc> },
    /// From an earlier run's cache, and CloudTrail shows no change to the
    /// stream from `since` (the cache's time, less CloudTrail's lag) to
    /// `checked`: a known state with its source.
    Confirmed {
        since: DateTime<Utc>,
        checked: DateTime<Utc>,
    },
    /// From AWS Config's recorded configuration, captured at `as_of`.
    Recorded { as_of: DateTime<Utc> },
}

impl Provenance {
    /// The row's words for where its state comes from, or `None` for a
    /// describe of this run: "confirmed (no change since 14:02)".
    pub fn words(self) -> Option<String> {
        match self {
            Provenance::Described => None,
            Provenance::Cached { saved_at } => Some(format!(
                "from the cache of {}, not yet described",
                clock(saved_at)
            )),
            Provenance::Confirmed { since, .. } => Some(format!(
                "confirmed: CloudTrail shows no change since {}",
                clock(since)
            )),
            // A capture time is when the stream last changed, days ago as
            // often as not: written with its date.
            Provenance::Recorded { as_of } => {
                Some(format!("from AWS Config, as of {}", stamp(as_of)))
            }
        }
    }
}

impl Row {
    /// Not described yet, and no describe has failed: on its way, which is
    /// not the same as unknown (a failed describe is).
    pub fn loading(&self) -> bool {
        self.stream.is_none() && self.error.is_none()
    }

    /// Whether the stream, as last described, names this key.
    pub fn encrypted_with(&self, arn: &str) -> bool {
        self.stream
            .as_ref()
            .is_some_and(|s| s.encryption.key_arn.as_deref() == Some(arn))
    }
}

/// Where something that loads stands. Its last good value is kept beside
/// it, so the screen can say "stale" or why instead of going blank.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum LoadingState {
    /// Nobody has asked for it.
    #[default]
    Idle,
    Loading,
    Loaded,
    /// Why the last attempt failed.
    Error(String),
}

/// Which of the run's targets (a profile's account in one region): its
/// place in the run's list. Firehose names are unique only within an
/// account and region, so every stream and key carries its target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct TargetId(pub u16);

impl TargetId {
    /// The target of a run with one.
    pub const FIRST: TargetId = TargetId(0);

    /// Its place in the run's list.
    pub fn index(self) -> usize {
        usize::from(self.0)
    }
}

/// A stream, known by its target and its own name (what AWS calls it).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StreamId {
    pub target: TargetId,
    pub name: String,
}

impl StreamId {
    pub fn new(target: TargetId, name: impl Into<String>) -> StreamId {
        StreamId {
            target,
            name: name.into(),
        }
    }
}

/// A KMS key, known by its target and its ARN (the target whose streams
/// use it, or whose account and region the ARN names).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KeyId {
    pub target: TargetId,
    pub arn: String,
}

/// One place firekeeper looks, once connected: a profile (`None`: the
/// default chain) in a region, the account STS named, and how it is
/// labelled on screen: its region, or `profile/region` when several
/// profiles are watched.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Target {
    pub profile: Option<String>,
    /// From STS, once it answered.
    pub account: Option<String>,
    /// `None` when no region could be found for it.
    pub region: Option<String>,
    #[serde(skip)]
    pub label: String,
}

impl Target {
    /// Whether the two are one account and region (two profiles of it):
    /// the later is the earlier's twin, and lists nothing of its own.
    pub fn same_place(&self, other: &Target) -> bool {
        self.account.is_some() && self.account == other.account && self.region == other.region
    }
}

/// How a stream is named where it is shown: its own name with one target,
/// `name@label` with several (Firehose names cannot hold an `@`, so it
/// reads unambiguously). Never parsed back.
pub fn shown_name(name: &str, label: Option<&str>) -> String {
    match label {
        Some(label) => format!("{name}@{label}"),
        None => name.to_string(),
    }
}

/// How every date and time is written: UTC, to the minute.
pub const STAMP: &str = "%Y-%m-%d %H:%M UTC";

/// A moment, as every message and screen writes it.
pub fn stamp(t: DateTime<Utc>) -> String {
    t.format(STAMP).to_string()
}

/// A time of day, for where the date is plain from context (the header).
pub fn clock(t: DateTime<Utc>) -> String {
    t.format("%H:%M UTC").to_string()
}

/// A moment known only to a bucket of time (CloudWatch's 1- or 5-minute
/// period): "between 2026-11-21 00:40 and 00:45 UTC", never "00:40" as if
/// it were known to the minute. With `today`, a bucket of that day says the
/// times alone ("between 00:40 and 00:45 UTC").
pub fn between(from: DateTime<Utc>, to: DateTime<Utc>, today: Option<DateTime<Utc>>) -> String {
    let day = |t: DateTime<Utc>| t.date_naive();
    let time = |t: DateTime<Utc>| t.format("%H:%M").to_string();
    let date_time = |t: DateTime<Utc>| t.format("%Y-%m-%d %H:%M").to_string();
    if today.is_some_and(|now| day(now) == day(from) && day(now) == day(to)) {
        format!("between {} and {} UTC", time(from), time(to))
    } else if day(from) == day(to) {
        format!("between {} and {} UTC", date_time(from), time(to))
    } else {
        format!("between {} and {} UTC", date_time(from), date_time(to))
    }
}

/// A duration in words, to the minute: "<1m", "42m", "3h 05m", "2d 4h".
pub fn span(d: Duration) -> String {
    let mins = d.num_minutes().max(0);
    match mins {
        0 => "<1m".to_string(),
        m if m < 60 => format!("{m}m"),
        m if m < 48 * 60 => format!("{}h {:02}m", m / 60, m % 60),
        m => format!("{}d {}h", m / 1440, (m % 1440) / 60),
    }
}

/// How long ago, for "refreshed …" and "described …".
pub fn ago(d: Duration) -> String {
    format!("{} ago", span(d))
}

/// A moment to come and how far off it is: "2026-11-22 14:05 UTC (in 3h 05m)".
pub fn when(t: DateTime<Utc>, now: DateTime<Utc>) -> String {
    format!("{} (in {})", stamp(t), span(t - now))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_the_same_everywhere() {
        assert_eq!(span(Duration::seconds(12)), "<1m");
        assert_eq!(span(Duration::minutes(42)), "42m");
        assert_eq!(span(Duration::minutes(185)), "3h 05m");
        assert_eq!(span(Duration::hours(52)), "2d 4h");
        assert_eq!(span(Duration::minutes(-3)), "<1m");
        assert_eq!(ago(Duration::minutes(5)), "5m ago");
        let t = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        assert_eq!(stamp(t), "2023-11-14 22:13 UTC");
        assert_eq!(
            when(t, t - Duration::minutes(65)),
            "2023-11-14 22:13 UTC (in 1h 05m)"
        );
    }
}
