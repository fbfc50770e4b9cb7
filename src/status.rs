//! `firekeeper status`: the whole fleet in one report, as JSON for scripts or as
//! a table for people. The JSON shape is a contract other tools rely on.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::config::Config;
use crate::estate::TargetInfo;
use crate::fleet::Rules;
use crate::health::Health;
use crate::inventory::KeyBook;
use crate::model::Window;
use crate::model::{CloudWatchUsage, Failure, History, KeyType, Source};
use crate::quota::{CountedCall, Quota, QuotaSource, RefusedCalls};

#[derive(Debug, Serialize)]
pub struct Report {
    /// `json::SCHEMA_VERSION`, first so a script can check it before
    /// reading on.
    pub schema_version: u32,
    pub generated_at: Stamp,
    /// The one target's region and account; `null` when there are several
    /// (each stream and each of `targets` then says its own).
    pub region: Option<String>,
    pub account: Option<String>,
    pub window: Window,
    pub streams: Vec<StreamReport>,
    /// What could not be learned for the whole fleet (metrics, aliases); each
    /// affected stream says so too.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<String>,
    /// What this report asked of CloudWatch: metrics requested (billed) and
    /// ListMetrics calls, over every target.
    pub cloudwatch: CloudWatchUsage,
    /// Every target read, or that could not be read and why.
    pub targets: Vec<TargetInfo>,
    /// Names asked for with `--stream` that AWS does not have.
    #[serde(skip)]
    pub missing: Vec<String>,
    /// Where the quota figures come from, when they are known: the table
    /// marks them when CloudTrail was not read.
    #[serde(skip)]
    pub quota_source: Option<QuotaSource>,
}

#[derive(Debug, Serialize)]
pub struct StreamReport {
    pub name: String,
    /// The account and region the stream is in: its target's.
    pub account: Option<String>,
    pub region: String,
    pub arn: Option<String>,
    /// AWS's `DeliveryStreamType`, as AWS spells it (`DatabaseAsSource`).
    pub source: Option<Source>,
    /// The source as the table and dashboard name it (`Database`).
    pub source_label: Option<String>,
    pub stream_status: Option<String>,
    pub encryption: Option<EncryptionReport>,
    /// Sums over the window; `null` when CloudWatch could not be read.
    pub kms_errors: Option<BTreeMap<&'static str, u64>>,
    /// How CloudWatch was asked about the stream: `all_metrics` (it can
    /// have KMS errors: a DirectPut stream with a customer managed key, asked
    /// for all four metrics whatever ListMetrics lists) or `listed_series`
    /// (it cannot: only the series ListMetrics lists, which may hold errors
    /// from a customer key it had earlier in the window); `null` when not
    /// described.
    pub kms_asked: Option<&'static str>,
    /// Up to when `kms_errors` is known: when CloudWatch was asked; `null`
    /// when it is not known.
    pub kms_errors_as_of: Option<Stamp>,
    /// When the current run of KMS errors began, as far as CloudWatch's
    /// buckets tell; `null` with no errors in the window, or when CloudWatch
    /// could not say (`kms_errors` is then `null` too).
    pub errors_since: Option<SinceReport>,
    /// The earliest Firehose can start discarding the records it cannot
    /// decrypt (`errors_since.from` plus 24 hours); `null` when no errors are
    /// arriving now, or when they began before the 24 hours looked at (the
    /// records may then be discarded already, and a problem says so).
    pub discard_from: Option<Stamp>,
    /// `null` when Start/Stop cannot apply (the source owns encryption) or
    /// when the ledger or account could not be read (a problem says which).
    pub quota: Option<QuotaReport>,
    pub health: Health,
    pub problems: Vec<String>,
    /// Set when the stream could not be described; the other fields are then
    /// unknown.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Where the stream's facts come from: `described` (this run described
    /// it) or `recorded` (AWS Config's record, which holds no status:
    /// `stream_status` and `encryption.status` are then null).
    pub provenance: &'static str,
    /// When AWS Config captured a `recorded` stream's record; `null` for a
    /// described one.
    pub as_of: Option<Stamp>,
    /// No credentials here for the stream's account and region: it is
    /// known only from an AWS Config aggregator, and cannot be changed from
    /// here (a problem says so).
    pub read_only: bool,
    /// The key as the dashboard names it, for the table.
    #[serde(skip)]
    pub key_label: String,
    /// The label of the stream's target, which tells it apart from a
    /// namesake in another target.
    #[serde(skip)]
    pub target: String,
}

/// A time CloudWatch knows only to its bucket: the first error came at or
/// after `from` and before `to`.
#[derive(Debug, Serialize)]
pub struct SinceReport {
    /// `null` when the run began before the data looked at: only `to` is
    /// known.
    pub from: Option<Stamp>,
    pub to: Stamp,
}

/// A stream's Start/Stop quota: the counts, the calls of the last 24 hours
/// behind them, and where they come from.
#[derive(Debug, Serialize)]
pub struct QuotaReport {
    #[serde(flatten, serialize_with = "json::quota_counts")]
    pub counts: Quota,
    /// The calls AWS refused, counted apart from `used`: AWS does not
    /// document whether they count against the 25 (`remaining` counts
    /// them, `remaining_at_most` does not).
    pub refused: RefusedCalls,
    /// Oldest first.
    #[serde(serialize_with = "json::calls")]
    pub calls: Vec<CountedCall>,
    /// `ledger+cloudtrail`, or `ledger` when CloudTrail was not read.
    pub source: &'static str,
    /// Why CloudTrail was not read, when it was not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_reason: Option<String>,
}

/// Who owns a stream's encryption: Firehose SSE applies to DirectPut streams
/// only; for the others the source (Kinesis, MSK, a database) encrypts.
/// `unknown` for a source firekeeper does not know.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ManagedBy {
    Firehose,
    Source,
    Unknown,
}

#[derive(Debug, Serialize)]
pub struct EncryptionReport {
    /// `null` when not known (a stream known from AWS Config's record).
    #[serde(serialize_with = "json::status_or_null")]
    pub status: crate::model::EncryptionStatus,
    pub key_type: Option<KeyType>,
    pub key_arn: Option<String>,
    pub key_alias: Option<String>,
    pub failure: Option<Failure>,
    pub managed_by: ManagedBy,
    /// The customer key, as KMS describes it; `null` for AWS owned keys, no
    /// encryption, or a key KMS would not describe.
    pub key: Option<KeyReport>,
}

/// A customer key's state and the rotation of its material.
#[derive(Debug, Serialize)]
pub struct KeyReport {
    pub state: crate::model::KeyState,
    pub spec: crate::model::KeySpec,
    pub origin: crate::model::KeyOrigin,
    pub multi_region: crate::model::MultiRegion,
    /// When KMS will delete the key, while it is `PendingDeletion`; `null`
    /// otherwise.
    pub deletion_date: Option<Stamp>,
    /// The CloudTrail call that made the key `Disabled` or
    /// `PendingDeletion`, when the key is so and CloudTrail shows that call
    /// standing (not undone since); `null` otherwise, or when CloudTrail was
    /// not read.
    pub changed_by: Option<ChangedBy>,
    /// `null` when KMS would not say (no permission, or a key that cannot
    /// rotate).
    pub rotation: Option<RotationReport>,
}

#[derive(Debug, Serialize)]
pub struct RotationReport {
    pub automatic: bool,
    pub period_days: Option<u32>,
    pub next_at: Option<Stamp>,
    /// The latest rotation, automatic or on demand; `null` if none, or KMS
    /// would not list them (`rotations_listed` tells which).
    pub last_at: Option<Stamp>,
    pub on_demand_in_progress: bool,
    /// Whether KMS listed the key's rotations: when false, `last_at` and
    /// `on_demand_done` are unknown, not "never".
    pub rotations_listed: bool,
    /// On-demand rotations done so far (KMS allows a limited number a key);
    /// `null` when they could not be listed.
    pub on_demand_done: Option<usize>,
}

impl KeyReport {
    pub fn of(key: &crate::model::KmsKey, book: &KeyBook, history: &History) -> KeyReport {
        KeyReport {
            state: key.state.clone(),
            spec: key.spec.clone(),
            origin: key.origin.clone(),
            multi_region: key.multi_region.clone(),
            deletion_date: key.deletion_date.map(Stamp),
            changed_by: crate::health::who_made_key(history, &key.arn, &key.state)
                .map(ChangedBy::from),
            rotation: key.rotation.as_ref().map(|r| RotationReport {
                automatic: r.automatic,
                period_days: r.period_days,
                next_at: r.next_at.map(Stamp),
                last_at: book
                    .rotations_of(&key.arn)
                    .and_then(|list| list.iter().map(|x| x.at).max())
                    .map(Stamp),
                on_demand_in_progress: r.on_demand_since.is_some(),
                rotations_listed: book.rotations_of(&key.arn).is_some(),
                on_demand_done: book.rotations_of(&key.arn).map(|list| {
                    list.iter()
                        .filter(|x| x.kind == crate::model::RotationKind::OnDemand)
                        .count()
                }),
            }),
        }
    }
}

impl Report {
    pub fn worst(&self) -> Health {
        self.streams
            .iter()
            .map(|s| s.health)
            .max()
            .unwrap_or(Health::Ok)
    }

    /// How many streams are `unknown`, and the first reason of each kind.
    pub fn unknowns(&self) -> (usize, Vec<String>) {
        let unknown: Vec<&StreamReport> = self
            .streams
            .iter()
            .filter(|s| s.health == Health::Unknown)
            .collect();
        let mut reasons: Vec<String> = self.errors.clone();
        if reasons.is_empty() {
            for s in &unknown {
                if let Some(p) = s.problems.first() {
                    if !reasons.contains(p) {
                        reasons.push(p.clone());
                    }
                }
            }
        }
        reasons.truncate(3);
        (unknown.len(), reasons)
    }
}

/// The health rules' settings, for the dashboard and `status` alike.
pub fn rules(config: &Config, window: Window) -> Rules {
    Rules {
        window: window.label(),
        quota_warning_at: config.status.quota_warning_at.0,
        unencrypted: config.health.unencrypted,
        sweep_secs: config.cloudwatch.sweep_secs.0,
        metrics_secs: config.refresh.metrics_secs.0,
    }
}

mod gather;
mod json;
mod recorded;
mod stream;
mod table;
mod targets;

pub use gather::{gather, gather_at};
pub use json::{ChangedBy, Stamp, SCHEMA_VERSION};
pub use recorded::with_recorded;
#[cfg(test)]
use table::{pad, wrap};
pub use table::{table, terminal_width, Cells};
pub use targets::{gather_targets, gather_targets_at, merge, Reader};

// What the tests, written when these were used here, take from `super::*`.
#[cfg(test)]
use {
    crate::cloud::{Cloud, CloudError},
    crate::model::Stream,
    crate::quota::Ledger,
    chrono::Utc,
};

#[cfg(test)]
mod tests;
