//! One target's part of the fleet: everything its worker said, under the
//! streams' own names (the target is the part's).

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};

use crate::cloud::GrantCheck;

use crate::estate::TargetInfo;
use crate::fleet::{Metrics, Quotas};
use crate::health::Outage;
use crate::inventory::KeyBook;
use crate::model::{CloudWatchUsage, CredentialFacts, History, KmsSeries};
use crate::model::{LoadingState, Row, TargetId, Window};
use crate::quota::QuotaBook;

/// One answer of CloudWatch for a window.
#[derive(Debug, Clone, PartialEq)]
pub struct PartMetrics {
    pub window: Window,
    pub series: BTreeMap<String, KmsSeries>,
    /// Streams CloudWatch gave incomplete data for, and why.
    pub unknown: BTreeMap<String, String>,
    pub outages: HashMap<String, Outage>,
    /// When CloudWatch was asked (`None`: not said, as in a cache).
    pub at: Option<DateTime<Utc>>,
    /// Streams this answer did not ask (the sweep's), with when they were
    /// last asked: their figures are known only up to then.
    pub as_of: BTreeMap<String, DateTime<Utc>>,
}

/// What one target's worker said.
#[derive(Debug)]
pub struct Part {
    pub id: TargetId,
    pub info: TargetInfo,
    /// A worker reads this target; none when it could not be connected.
    pub live: bool,
    /// Its worker has been told to retire (it is another's twin).
    pub(super) retired: bool,
    /// The first target of the same account and region: this one is its
    /// twin, and lists nothing of its own.
    pub twin: Option<TargetId>,
    /// Whether its credentials are temporary, for the 6-hour rule of its
    /// changes.
    pub credentials: CredentialFacts,
    pub(super) list: LoadingState,
    pub(super) identity_error: Option<String>,
    /// Its streams, by their own names.
    pub rows: BTreeMap<String, Row>,
    /// The keys its streams use.
    pub keys: KeyBook,
    /// Every key of its account and region, for the key picker, and where
    /// that list stands.
    pub all_keys: Option<KeyBook>,
    pub all_keys_state: LoadingState,
    pub(super) metrics: Option<PartMetrics>,
    pub(super) metrics_state: LoadingState,
    pub(super) quotas: Option<QuotaBook>,
    pub(super) quota_state: LoadingState,
    pub(super) usage: Option<CloudWatchUsage>,
    /// Who changed its streams and keys lately, by CloudTrail.
    pub history: History,
    /// What KMS last said of a dry run of Firehose's grant, by key ARN.
    pub grant_checks: HashMap<String, GrantCheck>,
    /// Read-only (known only from an AWS Config aggregator, no credentials
    /// for it): why its streams' metrics, keys and quotas are not read.
    pub read_only: Option<String>,
}

impl Part {
    pub(super) fn new(id: TargetId, info: TargetInfo, live: bool) -> Part {
        // No worker will list its keys: its streams' picker (rows from its
        // cache) says why.
        let read_only = info
            .read_only
            .is_some()
            .then(|| crate::estate::aggregator::why_read_only(&info));
        let all_keys_state = match (&read_only, live) {
            (Some(why), _) => LoadingState::Error(why.clone()),
            (None, true) => LoadingState::Idle,
            (None, false) => {
                let why = info.error.clone().unwrap_or_default();
                LoadingState::Error(format!("not connected: {why}"))
            }
        };
        // Nothing lists a read-only target: its records are its list.
        let list = match read_only {
            Some(_) => LoadingState::Loaded,
            None => LoadingState::Loading,
        };
        Part {
            id,
            info,
            live,
            retired: false,
            twin: None,
            credentials: CredentialFacts::default(),
            list,
            identity_error: None,
            rows: BTreeMap::new(),
            keys: KeyBook::default(),
            all_keys: None,
            all_keys_state,
            metrics: None,
            metrics_state: LoadingState::Loading,
            quotas: None,
            quota_state: LoadingState::Loading,
            usage: None,
            history: History::default(),
            grant_checks: HashMap::new(),
            read_only,
        }
    }

    /// Whether its streams belong in the fleet: a worker reads it, or it
    /// is a read-only target of an aggregator; and it is no other's twin.
    pub fn counts(&self) -> bool {
        (self.live || self.read_only.is_some()) && self.twin.is_none() && !self.retired
    }

    /// Its metrics of this window, if it answered for it.
    pub(super) fn metrics_of(&self, window: Window) -> Option<&PartMetrics> {
        self.metrics.as_ref().filter(|m| m.window == window)
    }

    /// Its KMS error metrics as the rules read them: loaded for the window,
    /// or missing and why. A failed fetch keeps the last answer, known up
    /// to its time; `stale_before` turns a figure too old into unknown.
    pub(super) fn metrics_known(&self, window: Window, stale_before: DateTime<Utc>) -> Metrics<'_> {
        if let Some(why) = &self.read_only {
            return Metrics::Missing(why);
        }
        match (self.metrics_of(window), &self.metrics_state) {
            (Some(m), _) => Metrics::Loaded {
                series: &m.series,
                unknown: &m.unknown,
                at: m.at,
                as_of: &m.as_of,
                stale_before: m.at.map(|_| stale_before),
            },
            (None, LoadingState::Error(why)) => Metrics::Missing(why),
            (None, _) => Metrics::Missing("not loaded yet"),
        }
    }

    pub(super) fn outages(&self, window: Window) -> &HashMap<String, Outage> {
        static NONE: std::sync::LazyLock<HashMap<String, Outage>> =
            std::sync::LazyLock::new(HashMap::new);
        self.metrics_of(window).map_or(&NONE, |m| &m.outages)
    }

    /// Its quotas as the rules read them: a target not read (yet) has its
    /// streams' quota unknown, never a full 25.
    pub(super) fn quotas_known(&self) -> Quotas<'_> {
        if self.read_only.is_some() {
            return Quotas::Missing(crate::estate::aggregator::NO_CREDENTIALS);
        }
        match (&self.quota_state, &self.quotas) {
            (LoadingState::Loaded, Some(book)) => Quotas::Loaded(book),
            (LoadingState::Error(why), _) => Quotas::Missing(why),
            _ => Quotas::Missing("the ledger is not read yet"),
        }
    }

    pub(super) fn streams_with_kms_errors(&self, window: Window) -> usize {
        self.metrics_of(window).map_or(0, |m| {
            m.series
                .iter()
                .filter(|(name, s)| self.rows.contains_key(*name) && s.grand_total() > 0.0)
                .count()
        })
    }

    /// Why the target cannot be read, in the header: its list, its
    /// identity, or its connection.
    pub(super) fn set_error(&mut self, twin_label: Option<String>) -> bool {
        self.info.twin = twin_label;
        let error = self
            .list
            .error()
            .map(str::to_string)
            .or_else(|| self.identity_error.clone())
            .or_else(|| (!self.live).then(|| self.info.error.clone()).flatten());
        let changed = self.info.error != error;
        self.info.error = error;
        changed
    }

    /// Replaces the rows with the listed names, keeping what is known of each.
    pub(super) fn set_names(&mut self, names: Vec<String>) {
        let mut old = std::mem::take(&mut self.rows);
        self.rows = names
            .into_iter()
            .map(|name| {
                let row = old.remove(&name).unwrap_or(Row {
                    name: name.clone(),
                    stream: None,
                    error: None,
                    described_at: None,
                    provenance: Default::default(),
                });
                (name, row)
            })
            .collect();
    }
}

impl LoadingState {
    /// Why it failed, when it did.
    pub fn error(&self) -> Option<&str> {
        match self {
            LoadingState::Error(why) => Some(why),
            _ => None,
        }
    }
}
