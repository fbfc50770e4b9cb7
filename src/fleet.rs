//! What is known of the fleet at one moment, and the one way a stream is
//! judged from it. The dashboard and `status` both judge here, so they cannot
//! disagree; anything that could not be read makes the stream `unknown`,
//! never a quiet zero or a full quota.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};

use crate::cloud::CloudError;

use crate::health::{self, Health, KeyFact, Outage, StreamFacts};
use crate::inventory::{metric_range, KeyBook};
use crate::model::{History, KeyType, KmsMetric, KmsSeries, Source, Stream};
use crate::model::{Severity, Window};
use crate::quota::{CountedCall, Quota, QuotaBook, QuotaSource};

pub mod store;
pub use store::{Fleet, Freshness, Part, Tally};

/// Why a figure CloudWatch was last asked about too long ago is unknown.
const STALE: &str = "CloudWatch has not answered for longer than a sweep and two fetches: the last KMS error figure is too old to trust";

/// KMS error metrics, as far as they were read.
#[derive(Debug, Clone, Copy)]
pub enum Metrics<'a> {
    Loaded {
        series: &'a BTreeMap<String, KmsSeries>,
        /// Streams CloudWatch could not give complete data for, and why.
        unknown: &'a BTreeMap<String, String>,
        /// When CloudWatch was asked (`None`: not said, as in a cache).
        at: Option<DateTime<Utc>>,
        /// Streams whose figures are older than `at`, known up to when.
        as_of: &'a BTreeMap<String, DateTime<Utc>>,
        /// A figure asked before this is too old to trust: unknown.
        stale_before: Option<DateTime<Utc>>,
    },
    /// Not read at all, and why.
    Missing(&'a str),
}

/// The quota, as far as it was read: the ledger, and CloudTrail when it
/// could be read.
#[derive(Debug, Clone, Copy)]
pub enum Quotas<'a> {
    /// Quota of every stream with calls (the others have all 25), and the
    /// calls behind it.
    Loaded(&'a QuotaBook),
    Missing(&'a str),
}

/// The settings the rules take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rules {
    pub window: &'static str,
    pub quota_warning_at: u32,
    pub unencrypted: Severity,
    /// How often every stream that can fail is asked, and how often the
    /// metrics are fetched: a figure older than a sweep and two fetches is
    /// too old to trust.
    pub sweep_secs: u64,
    pub metrics_secs: u64,
}

/// Everything known of the fleet: enough to judge any stream in it.
#[derive(Debug, Clone, Copy)]
pub struct Knowledge<'a> {
    pub keys: &'a KeyBook,
    pub metrics: Metrics<'a>,
    pub outages: &'a HashMap<String, Outage>,
    pub quotas: Quotas<'a>,
    /// Who changed streams and keys lately, by CloudTrail.
    pub history: &'a History,
    pub rules: Rules,
    pub now: DateTime<Utc>,
}

/// What is known of one stream: its description, if any, and whether the
/// latest attempt to describe it failed.
#[derive(Debug, Clone, Copy)]
pub struct Seen<'a> {
    pub name: &'a str,
    pub stream: Option<&'a Stream>,
    /// Why the latest describe failed, if it did.
    pub error: Option<&'a str>,
}

impl<'a> Knowledge<'a> {
    /// KMS error sums over the window, per metric, or why they are unknown.
    pub fn kms_sums(&self, name: &str) -> Result<[f64; 4], &'a str> {
        match self.metrics {
            Metrics::Missing(why) => Err(why),
            Metrics::Loaded {
                series,
                unknown,
                at,
                as_of,
                stale_before,
            } => {
                if let Some(why) = unknown.get(name) {
                    return Err(why.as_str());
                }
                let asked = as_of.get(name).copied().or(at);
                if asked.zip(stale_before).is_some_and(|(a, limit)| a < limit) {
                    return Err(STALE);
                }
                let mut sums = [0.0; 4];
                if let Some(s) = series.get(name) {
                    for m in KmsMetric::ALL {
                        sums[m.index()] = s.total(m);
                    }
                }
                Ok(sums)
            }
        }
    }

    /// Up to when the stream's KMS figure is known: when CloudWatch was
    /// last asked about it. `None` when the figure is unknown, or its time
    /// was not kept.
    pub fn kms_as_of(&self, name: &str) -> Option<DateTime<Utc>> {
        self.kms_sums(name).ok()?;
        match self.metrics {
            Metrics::Missing(_) => None,
            Metrics::Loaded { at, as_of, .. } => as_of.get(name).copied().or(at),
        }
    }

    /// Since when the stream has had KMS errors in `window`: the first bucket
    /// with errors, and whether they are still arriving. `Ok(None)`: none in
    /// the window; `Err` says why CloudWatch could not tell. When the 24 h
    /// look-back found the current run began earlier, `since` is that start
    /// (and `older` is false), so this never contradicts the problem sentence.
    pub fn errors_since(&self, name: &str, window: Window) -> Result<Option<Outage>, &'a str> {
        self.kms_sums(name)?;
        let Metrics::Loaded { series, .. } = self.metrics else {
            return Ok(None);
        };
        let Some(series) = series.get(name) else {
            return Ok(None);
        };
        let from = metric_range(window, self.now).start;
        let found = health::errors_since(series, from, self.now, window.period_secs());
        Ok(found.map(|mut o| {
            if let Some(run) = self.outages.get(name) {
                o.ongoing = run.ongoing;
                if run.since < o.since {
                    (o.since, o.older) = (run.since, run.older);
                    // The run's buckets may be longer: the wider one holds
                    // both ends truly.
                    o.bucket_secs = o.bucket_secs.max(run.bucket_secs);
                }
            }
            o
        }))
    }

    /// What is left of the stream's 25 calls: `Ok(None)` when Start/Stop
    /// cannot apply to it (its source owns encryption).
    pub fn quota(&self, stream: &Stream) -> Result<Option<Quota>, &'a str> {
        if stream.source != Source::DirectPut {
            return Ok(None);
        }
        self.quota_of(&stream.name).map(Some)
    }

    /// The quota for a stream name, whatever its source.
    pub fn quota_of(&self, name: &str) -> Result<Quota, &'a str> {
        match self.quotas {
            Quotas::Missing(why) => Err(why),
            Quotas::Loaded(book) => Ok(book.quota(name)),
        }
    }

    /// The stream's counted Start/Stop calls of the last 24 hours, oldest
    /// first; none when the quota is unknown.
    pub fn calls_of(&self, name: &str) -> &'a [CountedCall] {
        match self.quotas {
            Quotas::Missing(_) => &[],
            Quotas::Loaded(book) => book.calls(name),
        }
    }

    /// Where the quota figures come from, when they are known.
    pub fn quota_source(&self) -> Option<&'a QuotaSource> {
        match self.quotas {
            Quotas::Missing(_) => None,
            Quotas::Loaded(book) => Some(&book.source),
        }
    }

    /// What KMS said of the stream's customer key.
    pub fn key(&self, stream: &Stream) -> KeyFact<'a> {
        let enc = &stream.encryption;
        let Some(arn) = enc.key_arn.as_deref() else {
            return KeyFact::None;
        };
        if enc.key_type != Some(KeyType::CustomerManaged) {
            return KeyFact::None;
        }
        if let Some(k) = self.keys.key(arn) {
            return KeyFact::Described(k);
        }
        match self.keys.error(arn) {
            Some(CloudError::NotFound(_)) => KeyFact::Gone,
            Some(e) => KeyFact::Unreadable(e),
            None => KeyFact::NotYet,
        }
    }

    fn facts(&self, stream: &'a Stream, error: Option<&'a str>, label: &'a str) -> StreamFacts<'a> {
        StreamFacts {
            stream,
            key: self.key(stream),
            key_label: label,
            kms_errors: self.kms_sums(&stream.name),
            window: self.rules.window,
            outage: self.outages.get(&stream.name).copied(),
            quota: self.quota(stream),
            quota_warning_at: self.rules.quota_warning_at,
            unencrypted: self.rules.unencrypted,
            describe_error: error,
            history: self.history,
            now: self.now,
        }
    }

    /// Health alone, for a table row: no sentences built.
    pub fn level(&self, seen: Seen<'a>) -> Health {
        match seen.stream {
            Some(stream) => health::level(&self.facts(stream, seen.error, "")),
            None => Health::Unknown,
        }
    }

    /// The worst health the known facts give, leaving out what is not
    /// known: a problem the facts show, whatever else is still unread.
    pub fn known_level(&self, seen: Seen<'a>) -> Health {
        match seen.stream {
            Some(stream) => health::known_level(&self.facts(stream, seen.error, "")),
            None => Health::Ok,
        }
    }

    /// Health and the problems behind it, worst first.
    pub fn judge(&self, seen: Seen<'a>) -> (Health, Vec<String>) {
        let Some(stream) = seen.stream else {
            let why = match seen.error {
                Some(e) => format!("Could not describe the stream: {e}."),
                None => "Not described yet.".to_string(),
            };
            return (Health::Unknown, vec![why]);
        };
        let label = self.keys.label(stream);
        health::assess(&self.facts(stream, seen.error, &label))
    }
}

#[cfg(test)]
mod tests;
