//! What is known of the fleet, kept per target: each target's streams,
//! keys, KMS metrics, quotas, CloudTrail history, errors and freshness,
//! filled from the events its own worker sent. A stream is a `StreamId`
//! (its target and its own name) from the worker's event to the screen:
//! nothing here formats or parses a qualified name.
//!
//! What one target could not learn stays *its* streams' unknown: a target
//! that failed, or has not answered yet, never makes another's streams
//! unknown, and its own are never shown as a quiet zero or a full quota.
//! Two targets of one account and region (two profiles of it) are twins:
//! its streams are listed once, under the first.

pub mod apply;
mod part;
mod recorded;
mod route;

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

pub use part::{Part, PartMetrics};

use super::{Knowledge, Metrics, Quotas, Rules};
use crate::cloud::CloudError;
use crate::estate::TargetInfo;
use crate::inventory::KeyBook;
use crate::model::{CloudWatchUsage, EncryptionStatus, KmsSeries};
use crate::model::{LoadingState, Provenance, Row, StreamId, TargetId, Window};
use crate::quota::QuotaSource;

/// Fleet counts for the header, kept up to date as data arrives so a frame
/// never walks the whole fleet.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    pub total: usize,
    pub by_status: BTreeMap<EncryptionStatus, usize>,
    pub unknown: usize,
    /// Of `unknown`, those not described yet (no describe has failed).
    pub loading: usize,
    pub with_kms_errors: usize,
    /// Shown from an earlier run's cache, nothing having confirmed them yet.
    pub cached: usize,
    /// From the cache, CloudTrail showing no change since: not yet
    /// described by this run.
    pub confirmed: usize,
    /// From AWS Config's record, not yet described by this run.
    pub recorded: usize,
    /// Streams of each target, with several.
    pub per_target: BTreeMap<TargetId, usize>,
}

/// How fresh what is shown is, for the header's clock and silence.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Freshness {
    /// The last time something was learned from AWS (a list or metrics).
    pub last_refresh: Option<DateTime<Utc>>,
    /// Showing the cached fleet from an earlier run, not yet refreshed.
    pub from_cache: Option<DateTime<Utc>>,
    /// The last time AWS answered anything.
    pub last_answer: Option<DateTime<Utc>>,
    /// When a call first went unanswered since the last answer: AWS is silent.
    pub silent_since: Option<DateTime<Utc>>,
    /// The last thing that went wrong, in words, and when.
    pub last_error: Option<(String, DateTime<Utc>)>,
    /// A worker panicked with this message: nothing is refreshed any more.
    pub fault: Option<String>,
}

/// Every target's part, and the one fleet they make.
#[derive(Debug)]
pub struct Fleet {
    parts: Vec<Part>,
    window: Window,
    /// Every stream of a counted target, by name (then target label).
    order: Vec<StreamId>,
    counts: Tally,
    /// Ctrl-r: "refreshing…" until a list comes back, or every one fails.
    refreshing: bool,
    pub freshness: Freshness,
}

impl Fleet {
    /// `targets`: each target and whether a worker reads it; at least one.
    pub fn new(targets: Vec<(TargetInfo, bool)>, window: Window) -> Fleet {
        let parts = targets
            .into_iter()
            .enumerate()
            .map(|(i, (info, live))| {
                Part::new(TargetId(u16::try_from(i).unwrap_or(u16::MAX)), info, live)
            })
            .collect();
        Fleet {
            parts,
            window,
            order: Vec::new(),
            counts: Tally::default(),
            refreshing: false,
            freshness: Freshness::default(),
        }
    }

    /// A fleet of one target, read by a worker.
    pub fn one(info: TargetInfo, window: Window) -> Fleet {
        Fleet::new(vec![(info, true)], window)
    }

    /// More than one target: names are shown with their target, the table
    /// gains its columns, the header summarises each.
    pub fn several(&self) -> bool {
        self.parts.len() > 1
    }

    pub fn window(&self) -> Window {
        self.window
    }

    pub fn parts(&self) -> &[Part] {
        &self.parts
    }

    pub fn part(&self, target: TargetId) -> Option<&Part> {
        self.parts.get(target.index())
    }

    pub(crate) fn part_mut(&mut self, target: TargetId) -> Option<&mut Part> {
        self.parts.get_mut(target.index())
    }

    /// What is known of each target, for the header and the columns.
    pub fn targets(&self) -> impl Iterator<Item = &TargetInfo> {
        self.parts.iter().map(|p| &p.info)
    }

    /// Every stream of the fleet, in name order.
    pub fn order(&self) -> &[StreamId] {
        &self.order
    }

    pub fn tally(&self) -> &Tally {
        &self.counts
    }

    pub fn row(&self, id: &StreamId) -> Option<&Row> {
        self.part(id.target)?.rows.get(&id.name)
    }

    /// A row to change in place (tests stage what AWS would have said).
    #[cfg(test)]
    pub fn row_mut(&mut self, id: &StreamId) -> Option<&mut Row> {
        self.part_mut(id.target)?.rows.get_mut(&id.name)
    }

    /// A target's metrics of the window, to change in place (tests stage
    /// what CloudWatch would have said).
    #[cfg(test)]
    pub fn metrics_mut(&mut self, target: TargetId) -> Option<&mut PartMetrics> {
        let window = self.window;
        self.part_mut(target)?
            .metrics
            .as_mut()
            .filter(|m| m.window == window)
    }

    pub fn rows(&self) -> impl Iterator<Item = (&StreamId, &Row)> {
        self.order.iter().filter_map(|id| Some((id, self.row(id)?)))
    }

    /// How a stream is named on screen: with its target's label when there
    /// are several.
    pub fn shown(&self, id: &StreamId) -> String {
        let label = self
            .several()
            .then(|| self.part(id.target).map(|p| p.info.target.label.as_str()))
            .flatten();
        crate::model::shown_name(&id.name, label)
    }

    /// The label of a target, with several: what its messages begin with.
    pub fn label_of(&self, target: TargetId) -> Option<&str> {
        self.several()
            .then(|| self.part(target).map(|p| p.info.target.label.as_str()))
            .flatten()
    }

    /// Words about a target, with its label in front when there are several.
    pub fn about(&self, target: TargetId, words: String) -> String {
        match self.label_of(target) {
            Some(label) => format!("{label}: {words}"),
            None => words,
        }
    }

    /// A stream's KMS error series of the window, as CloudWatch last gave
    /// it (known or not: see `Knowledge::kms_sums`).
    pub fn series(&self, id: &StreamId) -> Option<&KmsSeries> {
        let part = self.part(id.target)?;
        part.metrics_of(self.window)?.series.get(&id.name)
    }

    /// A grant dry run is asked afresh: what KMS said before is forgotten.
    pub fn forget_grant_check(&mut self, target: TargetId, arn: &str) {
        if let Some(p) = self.part_mut(target) {
            p.grant_checks.remove(arn);
        }
    }

    /// The keys a stream's target reported.
    pub fn keys_of(&self, target: TargetId) -> &KeyBook {
        static NONE: std::sync::LazyLock<KeyBook> = std::sync::LazyLock::new(KeyBook::default);
        self.part(target).map_or(&NONE, |p| &p.keys)
    }

    /// Everything known of a target, to judge its streams by the rules
    /// `status` uses too.
    pub fn knowledge(&self, target: TargetId, rules: Rules, now: DateTime<Utc>) -> Knowledge<'_> {
        static EMPTY: std::sync::LazyLock<Part> =
            std::sync::LazyLock::new(|| Part::new(TargetId::FIRST, TargetInfo::default(), false));
        let part = self.part(target).unwrap_or(&EMPTY);
        Knowledge {
            keys: &part.keys,
            metrics: part.metrics_known(self.window, rules.stale_before(now)),
            outages: part.outages(self.window),
            quotas: part.quotas_known(),
            history: &part.history,
            rules,
            now,
        }
    }

    /// Where the fleet's list stands: listed once any counted target has
    /// listed; failed when every counted target's last list failed.
    pub fn list_state(&self) -> LoadingState {
        if let Some(none) = self.none_connected() {
            return LoadingState::Error(none.to_string());
        }
        if self.refreshing {
            return LoadingState::Loading;
        }
        if self.every_list_failed() {
            let failed: Vec<&str> = self.counted().filter_map(|p| p.list.error()).collect();
            return LoadingState::Error(failed.join("; "));
        }
        if self.counted().any(|p| p.list == LoadingState::Loaded) {
            return LoadingState::Loaded;
        }
        LoadingState::Loading
    }

    /// Every counted target's last list failed (and there is one).
    fn every_list_failed(&self) -> bool {
        let mut counted = self.counted().peekable();
        counted.peek().is_some() && counted.all(|p| p.list.error().is_some())
    }

    /// Where the fleet's KMS metrics stand: loaded once any counted target
    /// answered for the window; failed when none did and the last failed.
    pub fn metrics_state(&self) -> LoadingState {
        let counted: Vec<&Part> = self.counted().collect();
        if counted.iter().any(|p| p.metrics_of(self.window).is_some()) {
            return LoadingState::Loaded;
        }
        match counted.iter().find_map(|p| p.metrics_state.error()) {
            Some(why) => LoadingState::Error(why.to_string()),
            None => LoadingState::Loading,
        }
    }

    /// Where the fleet's quotas stand: loaded once any counted target's
    /// were read; failed when none were and one failed.
    pub fn quota_state(&self) -> LoadingState {
        if self
            .counted()
            .any(|p| p.quota_state == LoadingState::Loaded)
        {
            return LoadingState::Loaded;
        }
        match self.counted().find_map(|p| p.quota_state.error()) {
            Some(why) => LoadingState::Error(why.to_string()),
            None => LoadingState::Loading,
        }
    }

    /// Where the quota figures come from: CloudTrail and the ledger, or the
    /// ledger alone and why (each target that could not read CloudTrail).
    pub fn quota_source(&self) -> Option<QuotaSource> {
        let mut ledger_only = Vec::new();
        let mut any = false;
        for p in self.counted() {
            if let (LoadingState::Loaded, Some(book)) = (&p.quota_state, &p.quotas) {
                any = true;
                if let Some(why) = book.source.reason() {
                    ledger_only.push(self.about(p.id, why.to_string()));
                }
            }
        }
        match (any, ledger_only.is_empty()) {
            (false, _) => None,
            (true, true) => Some(QuotaSource::LedgerAndCloudTrail),
            (true, false) => Some(QuotaSource::Ledger(ledger_only.join("; "))),
        }
    }

    /// What the dashboard has asked of CloudWatch, over every target.
    pub fn cloudwatch(&self) -> Option<CloudWatchUsage> {
        self.parts.iter().filter_map(|p| p.usage).reduce(usage_sum)
    }

    /// The targets whose streams belong in the fleet.
    fn counted(&self) -> impl Iterator<Item = &Part> {
        self.parts.iter().filter(|p| p.counts())
    }

    /// Rebuilds the order and the counts after a target's streams changed.
    fn reorder(&mut self) {
        let mut order: Vec<(&str, &str, StreamId)> = self
            .counted()
            .flat_map(|p| {
                let label = p.info.target.label.as_str();
                p.rows
                    .keys()
                    .map(move |n| (n.as_str(), label, StreamId::new(p.id, n.clone())))
            })
            .collect();
        order.sort_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
        self.order = order.into_iter().map(|(_, _, id)| id).collect();
        self.recount();
    }

    /// The header's counts, from every counted target.
    pub(crate) fn recount(&mut self) {
        let mut c = Tally {
            total: self.order.len(),
            ..Tally::default()
        };
        for p in self.parts.iter().filter(|p| p.counts()) {
            if self.parts.len() > 1 {
                c.per_target.insert(p.id, p.rows.len());
            }
            for row in p.rows.values() {
                match row.provenance {
                    Provenance::Described => {}
                    Provenance::Cached { .. } => c.cached += 1,
                    Provenance::Confirmed { .. } => c.confirmed += 1,
                    Provenance::Recorded { .. } => c.recorded += 1,
                }
                match &row.stream {
                    Some(s) => *c.by_status.entry(s.encryption.status.clone()).or_default() += 1,
                    None => {
                        c.unknown += 1;
                        c.loading += usize::from(row.error.is_none());
                    }
                }
            }
            c.with_kms_errors += p.streams_with_kms_errors(self.window);
        }
        self.counts = c;
    }

    /// A change of window: metrics of the old one no longer count.
    pub fn set_window(&mut self, window: Window) {
        self.window = window;
        self.recount();
    }

    /// The target of a key: that of a stream on it, else the one of the
    /// ARN's account and region.
    pub fn target_of_key(&self, arn: &str) -> Option<TargetId> {
        if let Some((id, _)) = self.rows().find(|(_, r)| r.encrypted_with(arn)) {
            return Some(id.target);
        }
        let region = crate::model::region_of_arn(arn)?;
        let account = arn.split(':').nth(4)?;
        self.counted()
            .find(|p| {
                p.info.target.region.as_deref() == Some(region)
                    && p.info.target.account.as_deref() == Some(account)
            })
            .map(|p| p.id)
    }

    /// The first target of a twin: where its streams are listed.
    pub fn home(&self, target: TargetId) -> TargetId {
        self.part(target).and_then(|p| p.twin).unwrap_or(target)
    }

    /// With several targets of which none could be connected, why nothing
    /// is listed (or refreshed): said instead of "listing…".
    pub fn none_connected(&self) -> Option<CloudError> {
        if !self.several() || self.parts.iter().any(|p| p.live) {
            return None;
        }
        let each: Vec<String> = self
            .parts
            .iter()
            .map(|p| {
                let why = p.info.error.as_deref().unwrap_or("not connected");
                format!("{}: {why}", p.info.target.label)
            })
            .collect();
        Some(CloudError::Other(format!(
            "no target could be connected ({})",
            each.join("; ")
        )))
    }
}

/// What two readers asked of CloudWatch, together.
pub fn usage_sum(a: CloudWatchUsage, b: CloudWatchUsage) -> CloudWatchUsage {
    CloudWatchUsage {
        metrics_requested: a.metrics_requested + b.metrics_requested,
        list_metrics_calls: a.list_metrics_calls + b.list_metrics_calls,
        since: a.since.min(b.since),
    }
}

impl Rules {
    /// A figure asked before this is too old to trust: a sweep and two
    /// fetches more (one may fail). A CloudWatch outage turns the fleet
    /// unknown, not quietly clean.
    pub fn stale_before(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        let secs = self.sweep_secs + 2 * self.metrics_secs;
        now - chrono::Duration::seconds(i64::try_from(secs).unwrap_or(i64::MAX))
    }
}

impl<'a> Knowledge<'a> {
    /// No metrics at all, and why.
    pub fn without_metrics(mut self, why: &'a str) -> Knowledge<'a> {
        self.metrics = Metrics::Missing(why);
        self
    }

    /// No quota at all, and why.
    pub fn without_quotas(mut self, why: &'a str) -> Knowledge<'a> {
        self.quotas = Quotas::Missing(why);
        self
    }
}

#[cfg(test)]
mod tests;
