//! What the worker keeps between metrics fetches so that each asks
//! CloudWatch for as little as never misses a KMS error: the ListMetrics
//! listings for a few minutes, which streams can fail and when each was
//! last asked, and which to ask every minute.
//!
//! Every stream that can fail (see `inventory::selection`) is asked at
//! least every `[cloudwatch] sweep_secs`; between sweeps, every fetch asks
//! in full those that cannot wait: erring, on a key KMS says is unusable,
//! on a key CloudTrail shows was just changed, or never asked. A stream not
//! yet described may be on a customer key, so it can fail until described.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use tokio::time::{Duration, Instant};

use crate::inventory::{self, Catalog, KeyBook};
use crate::model::Window;
use crate::model::{KmsMetrics, SeriesListing, Stream};

/// How long a ListMetrics listing is used before it is asked again: a
/// series that appears meanwhile is seen at the next listing or sweep.
pub(super) const LIST_EVERY: Duration = Duration::from_secs(300);

/// How long a key changed in CloudTrail (a new policy, a grant revoked, the
/// key disabled) has its streams asked every fetch: KMS errors begin within
/// minutes of such a change, and the metric takes up to 15 minutes to show
/// in ListMetrics.
pub(super) const ALERT_FOR: Duration = Duration::from_secs(30 * 60);

/// One metrics fetch, as planned: the names it covers, which can fail,
/// which are asked in full, and whether it is a sweep.
#[derive(Debug, Clone, Default)]
pub(super) struct FetchPlan {
    pub names: Vec<String>,
    pub can_fail: BTreeSet<String>,
    pub in_full: BTreeSet<String>,
    pub sweep: bool,
}

#[derive(Debug)]
pub(super) struct SeriesState {
    recent: Option<(Instant, SeriesListing)>,
    all: Option<(Instant, SeriesListing)>,
    /// Each described stream that can fail, with its customer key ARN.
    stream_keys: BTreeMap<String, String>,
    /// Described streams that cannot have KMS errors.
    cannot_fail: BTreeSet<String>,
    /// Ids of the keys KMS said Firehose cannot use, or would not describe.
    unusable: BTreeSet<String>,
    /// Ids of keys CloudTrail showed changed, until when their streams are
    /// asked every fetch.
    alerted: BTreeMap<String, Instant>,
    /// The streams the last fetch asked for in full.
    asked_in_full: BTreeSet<String>,
    /// When each stream that can fail was last asked, for `window`: its
    /// figure is known up to then.
    asked_at: BTreeMap<String, DateTime<Utc>>,
    /// Streams with KMS errors in the last answer for `window`.
    erring: BTreeSet<String>,
    window: Option<Window>,
    /// When the last sweep began, for `window`.
    swept: Option<Instant>,
    sweep_every: Duration,
}

impl SeriesState {
    pub(super) fn new(sweep_every: Duration) -> SeriesState {
        SeriesState {
            recent: None,
            all: None,
            stream_keys: BTreeMap::new(),
            cannot_fail: BTreeSet::new(),
            unusable: BTreeSet::new(),
            alerted: BTreeMap::new(),
            asked_in_full: BTreeSet::new(),
            asked_at: BTreeMap::new(),
            erring: BTreeSet::new(),
            window: None,
            swept: None,
            sweep_every,
        }
    }

    /// The listings still fresh at `now`, for the next fetch.
    pub(super) fn catalog(&self, now: Instant) -> Catalog {
        let fresh = |kept: &Option<(Instant, SeriesListing)>| {
            kept.as_ref()
                .filter(|(at, _)| now.saturating_duration_since(*at) < LIST_EVERY)
                .map(|(_, l)| l.clone())
        };
        Catalog::keeping(fresh(&self.recent), fresh(&self.all))
    }

    /// Keeps the listings a fetch asked for and got.
    pub(super) fn keep(&mut self, catalog: &Catalog, now: Instant) {
        for listing in catalog.answered() {
            let slot = if listing.recently_active {
                &mut self.recent
            } else {
                &mut self.all
            };
            *slot = Some((now, listing.clone()));
        }
    }

    /// What the next fetch of `window` over `names` asks; remembered, to
    /// tell when more must be asked at once.
    pub(super) fn plan(&mut self, names: &[String], window: Window, now: Instant) -> FetchPlan {
        if self.window != Some(window) {
            // Figures of another window say nothing of this one.
            self.window = Some(window);
            self.asked_at.clear();
            self.erring.clear();
            self.swept = None;
        }
        let sweep = self
            .swept
            .is_none_or(|t| now.saturating_duration_since(t) >= self.sweep_every);
        let can_fail: BTreeSet<String> = names
            .iter()
            .filter(|n| !self.cannot_fail.contains(*n))
            .cloned()
            .collect();
        let in_full = if sweep {
            can_fail.clone()
        } else {
            let urgent = self.urgent(now);
            can_fail
                .iter()
                .filter(|n| urgent.contains(*n) || !self.asked_at.contains_key(*n))
                .cloned()
                .collect()
        };
        self.asked_in_full = in_full.clone();
        FetchPlan {
            names: names.to_vec(),
            can_fail,
            in_full,
            sweep,
        }
    }

    /// What a fetch planned at `started` and read at `at` answered: when
    /// each stream it asked was asked, and how old the figure of each
    /// stream it did not ask is (none yet: unknown, with why).
    pub(super) fn fetched(
        &mut self,
        plan: &FetchPlan,
        metrics: &mut KmsMetrics,
        at: DateTime<Utc>,
        started: Instant,
    ) -> BTreeMap<String, DateTime<Utc>> {
        if plan.sweep {
            self.swept = Some(started);
        }
        for name in &plan.can_fail {
            if !metrics.not_asked.contains(name) && !metrics.unknown.contains_key(name) {
                self.asked_at.insert(name.clone(), at);
            }
        }
        self.asked_at.retain(|n, _| plan.can_fail.contains(n));
        self.erring = metrics
            .series
            .iter()
            .filter(|(_, s)| s.grand_total() > 0.0)
            .map(|(n, _)| n.clone())
            .collect();
        let mut as_of = BTreeMap::new();
        for name in std::mem::take(&mut metrics.not_asked) {
            match self.asked_at.get(&name) {
                Some(t) => {
                    as_of.insert(name, *t);
                }
                None => {
                    let why = "CloudWatch has not been asked about it yet".to_string();
                    metrics.unknown.insert(name, why);
                }
            }
        }
        as_of
    }

    /// The streams that cannot wait for the sweep: erring, or on a key that
    /// is unusable or was just changed.
    fn urgent(&mut self, now: Instant) -> BTreeSet<String> {
        let mut out = self.on_troubled_keys(now);
        out.extend(self.erring.iter().cloned());
        out
    }

    /// The streams on a key that is unusable or was just changed.
    fn on_troubled_keys(&mut self, now: Instant) -> BTreeSet<String> {
        self.alerted.retain(|_, until| *until > now);
        let keys: BTreeSet<String> = self
            .unusable
            .iter()
            .chain(self.alerted.keys())
            .cloned()
            .collect();
        inventory::on_keys(&self.stream_keys, &keys)
    }

    pub(super) fn described(&mut self, stream: &Stream) {
        if inventory::can_fail(stream) {
            self.cannot_fail.remove(&stream.name);
            let arn = stream.encryption.key_arn.clone().unwrap_or_default();
            self.stream_keys.insert(stream.name.clone(), arn);
        } else {
            self.stream_keys.remove(&stream.name);
            self.cannot_fail.insert(stream.name.clone());
        }
    }

    pub(super) fn gone(&mut self, name: &str) {
        self.stream_keys.remove(name);
        self.cannot_fail.remove(name);
        self.asked_at.remove(name);
        self.erring.remove(name);
    }

    pub(super) fn keys(&mut self, book: &KeyBook) {
        self.unusable = inventory::unusable_keys(book);
    }

    /// CloudTrail showed a change to this key (its id): its streams are
    /// asked for in full at once, then every fetch for `ALERT_FOR`.
    pub(super) fn alert(&mut self, key_id: &str, now: Instant) {
        self.alerted.insert(key_id.to_string(), now + ALERT_FOR);
    }

    /// A stream that can fail and was not asked for in full by the last
    /// fetch now should be: its key just became unusable or was changed,
    /// and its errors should not wait a minute.
    pub(super) fn urgent_grew(&mut self, now: Instant) -> bool {
        !self.on_troubled_keys(now).is_subset(&self.asked_in_full)
    }
}

#[cfg(test)]
mod tests;
