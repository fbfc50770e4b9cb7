//! The news of several targets' workers merged into one fleet for the
//! dashboard, and the dashboard's commands routed back to each.
//!
//! Each target has its own worker, which knows nothing of the others. The
//! merger keeps what each last said of fleet-wide facts (names, keys,
//! metrics, quotas) and hands the app one merged answer, with every stream
//! name qualified by its target. What one target could not learn stays
//! *its* streams' unknown: a target that failed, or has not answered yet,
//! never makes another's streams unknown, and its own are never shown as a
//! quiet zero or a full quota. With a single target, events and commands
//! pass through untouched.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};

use crate::app::update::explain;
use crate::cache::Snapshot;
use crate::change::Request;
use crate::cloud::{region_of_arn, CloudError, CloudWatchUsage, KmsSeries, Stream, TrailEvent};
use crate::estate::{qualify, split, KeyList, TargetInfo};
use crate::health::Outage;
use crate::inventory::KeyBook;
use crate::model::{Row, Window};
use crate::quota::{QuotaBook, QuotaSource};
use crate::worker::{DataEvent, Fetch, WorkerCommand};

/// What one target's worker last said of the fleet-wide facts.
#[derive(Debug, Default)]
struct Lane {
    info: TargetInfo,
    /// A worker reads this target; none when it could not be connected.
    live: bool,
    /// Bare names, last listed (or cached).
    names: Vec<String>,
    /// It has listed its streams at least once (or they were cached).
    listed: bool,
    keys: KeyBook,
    all_keys: Option<KeyBook>,
    metrics: Option<LaneMetrics>,
    /// Why the latest metrics fetch failed, until one succeeds.
    metrics_failed: Option<String>,
    quotas: Option<Result<QuotaBook, String>>,
    usage: Option<CloudWatchUsage>,
    list_error: Option<String>,
    identity_error: Option<String>,
    /// The same account and region as this target (another profile of
    /// it): its streams are listed once, under that one.
    duplicate_of: Option<String>,
    /// Its worker has been told to retire (it is another's duplicate).
    retired: bool,
}

#[derive(Debug)]
struct LaneMetrics {
    window: Window,
    series: BTreeMap<String, KmsSeries>,
    unknown: BTreeMap<String, String>,
    outages: HashMap<String, Outage>,
    at: DateTime<Utc>,
    as_of: BTreeMap<String, DateTime<Utc>>,
}

impl Lane {
    /// Whether its streams belong in the fleet.
    fn counts(&self) -> bool {
        self.live && self.duplicate_of.is_none() && !self.retired
    }

    fn q(&self, name: &str) -> String {
        qualify(name, &self.info.label)
    }

    fn set_error(&mut self) -> bool {
        self.info.same_as.clone_from(&self.duplicate_of);
        let error = self
            .list_error
            .clone()
            .or_else(|| self.identity_error.clone())
            .or_else(|| (!self.live).then(|| self.info.error.clone()).flatten());
        let changed = self.info.error != error;
        self.info.error = error;
        changed
    }
}

/// Every target's latest news, and the one fleet made of it.
#[derive(Debug)]
pub struct Merger {
    lanes: Vec<Lane>,
    window: Window,
}

impl Merger {
    /// `targets`: each target and whether a worker reads it.
    pub fn new(targets: Vec<(TargetInfo, bool)>, window: Window) -> Merger {
        let lanes = targets
            .into_iter()
            .map(|(mut info, live)| {
                if !live {
                    // No worker will list its keys: its streams' picker
                    // (rows from its cache) says why.
                    let why = info.error.clone().unwrap_or_default();
                    info.key_list = KeyList::Failed(format!("not connected: {why}"));
                }
                Lane {
                    info,
                    live,
                    ..Lane::default()
                }
            })
            .collect();
        Merger { lanes, window }
    }

    /// One target: nothing to merge.
    pub fn single(&self) -> bool {
        self.lanes.len() == 1
    }

    pub fn targets(&self) -> Vec<TargetInfo> {
        self.lanes.iter().map(|l| l.info.clone()).collect()
    }

    /// Takes worker `lane`'s event; returns what the app is to learn.
    pub fn apply(&mut self, lane: usize, event: DataEvent) -> Vec<DataEvent> {
        if self.single() {
            return vec![event];
        }
        let Some(l) = self.lanes.get_mut(lane) else {
            return Vec::new();
        };
        // Its identity and its crash are taken as from any target.
        if let Some(first) = l.duplicate_of.clone() {
            if !matches!(event, DataEvent::Identity(_) | DataEvent::Crashed(_)) {
                return from_duplicate(l, &first, event);
            }
        }
        match event {
            DataEvent::Identity(id) => {
                l.info.account = Some(id.account);
                l.identity_error = None;
                self.identified()
            }
            DataEvent::Names(names) => {
                l.names = names;
                l.listed = true;
                l.list_error = None;
                let mut out = vec![self.names_event()];
                if self.lanes[lane].set_error() {
                    out.push(self.targets_event());
                }
                // A new name of a target whose metrics are not read must
                // show unknown, not zero.
                out.extend(self.metrics_event());
                out
            }
            DataEvent::Keys(book) => {
                l.keys = book;
                vec![DataEvent::Keys(self.books(|l| Some(&l.keys)))]
            }
            DataEvent::AllKeys(book) => {
                l.info.key_list =
                    KeyList::Listed(book.keys.values().map(|k| k.arn.clone()).collect());
                l.all_keys = Some(book);
                vec![
                    DataEvent::AllKeys(self.books(|l| l.all_keys.as_ref())),
                    self.targets_event(),
                ]
            }
            DataEvent::Metrics {
                window,
                series,
                unknown,
                outages,
                at,
                as_of,
            } => {
                l.metrics = Some(LaneMetrics {
                    window,
                    series,
                    unknown,
                    outages,
                    at,
                    as_of,
                });
                l.metrics_failed = None;
                self.metrics_event()
            }
            DataEvent::Quotas(result) => {
                l.quotas = Some(result);
                vec![self.quotas_event()]
            }
            DataEvent::Changes(events) => {
                let events = events.into_iter().map(|e| qualify_event(l, e)).collect();
                vec![DataEvent::Changes(events)]
            }
            DataEvent::CloudWatch(usage) => {
                let mut total = usage;
                l.usage = Some(usage);
                for (_, other) in self.lanes.iter().enumerate().filter(|(i, _)| *i != lane) {
                    if let Some(u) = &other.usage {
                        total.metrics_requested += u.metrics_requested;
                        total.list_metrics_calls += u.list_metrics_calls;
                        total.since = total.since.min(u.since);
                    }
                }
                vec![DataEvent::CloudWatch(total)]
            }
            DataEvent::Credentials(facts) => {
                l.info.credentials = Some(facts);
                vec![self.targets_event()]
            }
            DataEvent::Failed { what, error } => self.failed(lane, what, error),
            DataEvent::Targets(_) => Vec::new(),
            DataEvent::Crashed(message) => {
                // Its worker is gone: the header says so, not "healthy".
                l.list_error = Some(format!("stopped after an internal error: {message}"));
                // No worker is left to list its keys.
                l.info.key_list = KeyList::Failed(format!("its worker stopped: {message}"));
                l.set_error();
                let crashed = DataEvent::Crashed(format!("{}: {message}", l.info.label));
                vec![crashed, self.targets_event()]
            }
            other => vec![renamed(l, other)],
        }
    }

    /// A target's account is known: it may turn out to duplicate another.
    fn identified(&mut self) -> Vec<DataEvent> {
        self.find_duplicates();
        let mut out = vec![self.targets_event()];
        // Until some target has listed, no names are not "no streams": the
        // table keeps saying it is listing.
        if self.lanes.iter().any(|l| l.listed) {
            out.push(self.names_event());
        }
        out.extend(self.metrics_event());
        out
    }

    fn failed(&mut self, lane: usize, what: Fetch, error: CloudError) -> Vec<DataEvent> {
        let l = &mut self.lanes[lane];
        let words = explain(what, &error);
        match what {
            // The target itself cannot be read: the header says so, and
            // the other targets' fleet is untouched. When none can list,
            // the fleet's listing failed: "listing…" or "refreshing…"
            // would otherwise stand for ever.
            Fetch::List => {
                l.list_error = Some(words);
                let label = l.info.label.clone();
                let mut out = Vec::new();
                if l.set_error() {
                    out.push(self.targets_event());
                }
                let counted = self.lanes.iter().filter(|l| l.counts());
                if counted.clone().all(|l| l.list_error.is_some()) {
                    let error = prefixed(&error, &label);
                    out.push(DataEvent::Failed { what, error });
                }
                return out;
            }
            Fetch::Identity => l.identity_error = Some(words),
            Fetch::Metrics => {
                l.metrics_failed = Some(words);
                return self.metrics_event();
            }
            // Its streams' picker says why it has no keys to offer.
            Fetch::AllKeys => {
                l.info.key_list = KeyList::Failed(words);
                let error = prefixed(&error, &l.info.label);
                return vec![DataEvent::Failed { what, error }, self.targets_event()];
            }
            Fetch::Describe | Fetch::Keys => {
                let error = prefixed(&error, &l.info.label);
                return vec![DataEvent::Failed { what, error }];
            }
        }
        if l.set_error() {
            vec![self.targets_event()]
        } else {
            Vec::new()
        }
    }

    /// Two profiles of one account in one region would list every stream
    /// twice: the later target is set aside, and says why.
    fn find_duplicates(&mut self) {
        for i in 0..self.lanes.len() {
            let first = (0..i).find(|&j| {
                let (a, b) = (&self.lanes[j].info, &self.lanes[i].info);
                self.lanes[j].live
                    && self.lanes[j].duplicate_of.is_none()
                    && a.account.is_some()
                    && a.account == b.account
                    && a.region == b.region
            });
            let other = first.map(|j| self.lanes[j].info.label.clone());
            let lane = &mut self.lanes[i];
            if lane.duplicate_of != other {
                lane.duplicate_of = other;
            }
            lane.set_error();
        }
    }

    /// With several targets of which none could be connected, why nothing
    /// is listed (or refreshed): said instead of "listing…".
    pub fn none_connected(&self) -> Option<DataEvent> {
        if self.single() || self.lanes.iter().any(|l| l.live) {
            return None;
        }
        let each: Vec<String> = self
            .lanes
            .iter()
            .map(|l| {
                let why = l.info.error.as_deref().unwrap_or("not connected");
                format!("{}: {why}", l.info.label)
            })
            .collect();
        Some(DataEvent::Failed {
            what: Fetch::List,
            error: CloudError::Other(format!(
                "no target could be connected ({})",
                each.join("; ")
            )),
        })
    }

    /// The workers of targets newly found to duplicate another: told to
    /// retire, so that one account and region is not read twice (and its
    /// Firehose pace not spent twice).
    pub fn retiring(&mut self) -> Vec<(usize, WorkerCommand)> {
        let mut out = Vec::new();
        for (i, l) in self.lanes.iter_mut().enumerate() {
            if l.live && l.duplicate_of.is_some() && !l.retired {
                l.retired = true;
                out.push((i, WorkerCommand::Retire));
            }
        }
        out
    }

    fn targets_event(&self) -> DataEvent {
        DataEvent::Targets(self.targets())
    }

    fn names_event(&self) -> DataEvent {
        let names = self
            .lanes
            .iter()
            .filter(|l| l.counts())
            .flat_map(|l| l.names.iter().map(|n| l.q(n)))
            .collect();
        DataEvent::Names(names)
    }

    /// One book of every counted target's `pick`ed key book.
    fn books(&self, pick: impl Fn(&Lane) -> Option<&KeyBook>) -> KeyBook {
        let mut merged = KeyBook::default();
        for l in self.lanes.iter().filter(|l| l.counts()) {
            if let Some(book) = pick(l) {
                merged.absorb(book, l.info.region.as_deref());
            }
        }
        merged
    }

    /// Every target's metrics of the window: a target without them (not
    /// read yet, failed, an older window) has each of its streams unknown,
    /// with the reason. Nothing until some target has answered.
    fn metrics_event(&self) -> Vec<DataEvent> {
        let mut series = BTreeMap::new();
        let mut unknown = BTreeMap::new();
        let mut outages = HashMap::new();
        let mut as_of = BTreeMap::new();
        let mut any = false;
        let window = self.window;
        fn current(l: &Lane, window: Window) -> Option<&LaneMetrics> {
            l.metrics.as_ref().filter(|m| m.window == window)
        }
        // The newest answer's time; a target answered earlier says its own
        // time for each of its streams.
        let lanes = self.lanes.iter().filter(|l| l.counts());
        let at = lanes.filter_map(|l| current(l, window)).map(|m| m.at).max();
        for l in self.lanes.iter().filter(|l| l.counts()) {
            match (&l.metrics_failed, current(l, window)) {
                (None, Some(m)) => {
                    any = true;
                    series.extend(m.series.iter().map(|(k, v)| (l.q(k), v.clone())));
                    unknown.extend(m.unknown.iter().map(|(k, v)| (l.q(k), v.clone())));
                    outages.extend(m.outages.iter().map(|(k, v)| (l.q(k), *v)));
                    if Some(m.at) < at {
                        as_of.extend(l.names.iter().map(|n| (l.q(n), m.at)));
                    }
                    as_of.extend(m.as_of.iter().map(|(k, v)| (l.q(k), *v)));
                }
                (failed, _) => {
                    let why = failed.clone().unwrap_or_else(|| {
                        format!("KMS metrics of {} are not read yet", l.info.label)
                    });
                    unknown.extend(l.names.iter().map(|n| (l.q(n), why.clone())));
                }
            }
        }
        // Before any target has answered, the app says "not loaded yet";
        // after, a fleet whose every target failed is all unknown, never
        // the last numbers as if current.
        let heard = self
            .lanes
            .iter()
            .any(|l| l.counts() && (l.metrics.is_some() || l.metrics_failed.is_some()));
        if !any && !heard {
            return Vec::new();
        }
        vec![DataEvent::Metrics {
            window: self.window,
            series,
            unknown,
            outages,
            at: at.unwrap_or_else(Utc::now),
            as_of,
        }]
    }

    /// Every target's quota: a target not read (yet) is `unread`, so its
    /// streams' quota is unknown rather than a full 25.
    fn quotas_event(&self) -> DataEvent {
        let mut book = QuotaBook {
            source: QuotaSource::LedgerAndCloudTrail,
            ..QuotaBook::default()
        };
        let mut ledger_only = Vec::new();
        for l in self.lanes.iter().filter(|l| l.counts()) {
            let label = &l.info.label;
            match &l.quotas {
                Some(Ok(b)) => {
                    book.quotas
                        .extend(b.quotas.iter().map(|(k, v)| (l.q(k), *v)));
                    book.calls
                        .extend(b.calls.iter().map(|(k, v)| (l.q(k), v.clone())));
                    if let Some(why) = b.source.reason() {
                        ledger_only.push(format!("{label}: {why}"));
                    }
                }
                Some(Err(why)) => {
                    book.unread.insert(label.clone(), why.clone());
                }
                None => {
                    book.unread.insert(
                        label.clone(),
                        format!("the quota of {label} is not read yet"),
                    );
                }
            }
        }
        if !ledger_only.is_empty() {
            book.source = QuotaSource::Ledger(ledger_only.join("; "));
        }
        DataEvent::Quotas(Ok(book))
    }

    /// Where a command of the app goes: to the target of the stream (or
    /// key) it is about, with the stream's own name; to every target when it
    /// is about them all.
    pub fn route(&mut self, command: WorkerCommand) -> Vec<(usize, WorkerCommand)> {
        if self.single() {
            return vec![(0, command)];
        }
        let all = |cmd: WorkerCommand, lanes: &[Lane]| -> Vec<(usize, WorkerCommand)> {
            (0..lanes.len())
                .filter(|&i| lanes[i].counts())
                .map(|i| (i, cmd.clone()))
                .collect()
        };
        match command {
            WorkerCommand::Window(window) => {
                self.window = window;
                all(WorkerCommand::Window(window), &self.lanes)
            }
            WorkerCommand::Refresh => all(WorkerCommand::Refresh, &self.lanes),
            // A move may run in a duplicate found after it began.
            WorkerCommand::StopMove => (0..self.lanes.len())
                .filter(|&i| self.lanes[i].live)
                .map(|i| (i, WorkerCommand::StopMove))
                .collect(),
            // Only ever sent to one worker, by `retiring`.
            WorkerCommand::Retire => Vec::new(),
            WorkerCommand::LoadKeys => self.load_keys(None),
            WorkerCommand::LoadKeysOf(label) => self.load_keys(Some(&label)),
            WorkerCommand::Interest { visible, nearby } => (0..self.lanes.len())
                .filter(|&i| self.lanes[i].counts())
                .map(|i| {
                    let mine = |names: &[String]| self.own(i, names);
                    let command = WorkerCommand::Interest {
                        visible: mine(&visible),
                        nearby: mine(&nearby),
                    };
                    (i, command)
                })
                .collect(),
            WorkerCommand::Describe(name) => self
                .lane_of(&name)
                .map(|(i, bare)| (i, WorkerCommand::Describe(bare)))
                .into_iter()
                .collect(),
            WorkerCommand::MakeChange {
                request,
                streams_on_key,
                force,
            } => self.route_change(request, streams_on_key, force),
            WorkerCommand::CheckGrant { stream, key } => self
                .lane_of(&stream)
                .map(|(i, bare)| (i, WorkerCommand::CheckGrant { stream: bare, key }))
                .into_iter()
                .collect(),
            WorkerCommand::MakeKeyChange {
                key,
                change,
                streams,
            } => {
                let Some(i) = self.lane_of_key(&key, &streams) else {
                    return Vec::new();
                };
                let streams = self.own(i, &streams);
                vec![(
                    i,
                    WorkerCommand::MakeKeyChange {
                        key,
                        change,
                        streams,
                    },
                )]
            }
            WorkerCommand::Move {
                from,
                to,
                streams,
                streams_on_new,
            } => {
                let Some(i) = self.lane_of_key(&from, &streams) else {
                    return Vec::new();
                };
                let streams = self.own(i, &streams);
                vec![(
                    i,
                    WorkerCommand::Move {
                        from,
                        to,
                        streams,
                        streams_on_new,
                    },
                )]
            }
        }
    }

    /// A change to the target of its stream, under the stream's own name.
    fn route_change(
        &self,
        request: Request,
        streams_on_key: Option<usize>,
        force: bool,
    ) -> Vec<(usize, WorkerCommand)> {
        let Some((i, bare)) = self.lane_of(request.stream()) else {
            return Vec::new();
        };
        let request = match request {
            Request::Switch { key, .. } => Request::Switch { stream: bare, key },
            Request::Disable { .. } => Request::Disable { stream: bare },
        };
        vec![(
            i,
            WorkerCommand::MakeChange {
                request,
                streams_on_key,
                force,
            },
        )]
    }

    /// Every key of a target (of `only`, else of each) is listed once;
    /// asked again when its list failed.
    fn load_keys(&mut self, only: Option<&str>) -> Vec<(usize, WorkerCommand)> {
        let only = only.map(|label| {
            let lane = self.lanes.iter().find(|l| l.info.label == label);
            lane.and_then(|l| l.duplicate_of.clone())
                .unwrap_or_else(|| label.to_string())
        });
        let mut out = Vec::new();
        for (i, l) in self.lanes.iter_mut().enumerate() {
            let asked = only.as_ref().is_none_or(|label| *label == l.info.label);
            if asked && l.counts() && l.info.key_list.wanted() {
                l.info.key_list = KeyList::Listing;
                out.push((i, WorkerCommand::LoadKeys));
            }
        }
        out
    }

    /// The names of `lane`'s streams among `names`, bare (a duplicate's
    /// streams are its own).
    fn own(&self, lane: usize, names: &[String]) -> Vec<String> {
        names
            .iter()
            .filter_map(|n| match self.lane_of(n) {
                Some((i, bare)) if i == lane => Some(bare),
                _ => None,
            })
            .collect()
    }

    /// The target of a qualified stream name, and the stream's own name. A
    /// duplicate's stream (a dialog opened before it was found to be one)
    /// is the same stream of the target it duplicates.
    fn lane_of(&self, key: &str) -> Option<(usize, String)> {
        let (bare, label) = split(key);
        let label = label?;
        let lane = self.lanes.iter().find(|l| l.info.label == label)?;
        let label = lane.duplicate_of.as_deref().unwrap_or(label);
        let i = self
            .lanes
            .iter()
            .position(|l| l.counts() && l.info.label == label)?;
        Some((i, bare.to_string()))
    }

    /// The target of a key: that of its streams, else the one of the key
    /// ARN's account and region.
    fn lane_of_key(&self, key: &str, streams: &[String]) -> Option<usize> {
        if let Some((i, _)) = streams.first().and_then(|s| self.lane_of(s)) {
            return Some(i);
        }
        let region = region_of_arn(key)?;
        let account = key.split(':').nth(4);
        self.lanes.iter().position(|l| {
            l.counts()
                && l.info.region.as_deref() == Some(region)
                && l.info.account.as_deref() == account
        })
    }

    /// The fleet of every target's cached snapshot, for the first frame;
    /// each target remembers its cached names, so that another target's
    /// first answer does not hide them.
    pub fn restore(&mut self, snaps: Vec<(usize, Snapshot)>) -> Option<Snapshot> {
        let mut merged: Option<Snapshot> = None;
        for (lane, snap) in snaps {
            // Snapshots of another window than the first have no metrics
            // that apply: their rows would show zero errors, so they wait
            // for the cloud instead.
            if merged.as_ref().is_some_and(|m| m.window != snap.window) {
                continue;
            }
            let Some(l) = self.lanes.get_mut(lane) else {
                continue;
            };
            l.names = snap.rows.iter().map(|r| r.name.clone()).collect();
            l.listed = true;
            l.keys = snap.keys.clone();
            let rows: Vec<Row> = snap
                .rows
                .into_iter()
                .map(|mut r| {
                    r.name = l.q(&r.name);
                    if let Some(s) = r.stream.as_mut() {
                        s.name = r.name.clone();
                    }
                    r
                })
                .collect();
            let metrics: BTreeMap<String, KmsSeries> = snap
                .metrics
                .into_iter()
                .map(|(k, v)| (l.q(&k), v))
                .collect();
            let outages: HashMap<String, Outage> = snap
                .outages
                .into_iter()
                .map(|(k, v)| (l.q(&k), v))
                .collect();
            let mut keys = KeyBook::default();
            keys.absorb(&snap.keys, l.info.region.as_deref());
            match merged.as_mut() {
                None => {
                    merged = Some(Snapshot {
                        rows,
                        keys,
                        metrics,
                        outages,
                        ..snap
                    });
                }
                Some(m) => {
                    m.rows.extend(rows);
                    m.keys.absorb(&keys, None);
                    if m.window == snap.window {
                        m.metrics.extend(metrics);
                        m.outages.extend(outages);
                    }
                    m.saved_at = m.saved_at.min(snap.saved_at);
                }
            }
        }
        merged
    }

    /// Which of the app's rows, metrics and outages are `lane`'s, under
    /// their own names, for its cache; `None` until its account is known.
    pub fn saved_for(
        &self,
        lane: usize,
        rows: &[Row],
        metrics: &BTreeMap<String, KmsSeries>,
        outages: &HashMap<String, Outage>,
    ) -> Option<Own> {
        let l = self.lanes.get(lane).filter(|l| l.counts())?;
        let account = l.info.account.clone()?;
        // A cache is shown as known at the next start: a target without
        // current metrics would come back with zero errors, so its last
        // good snapshot is kept instead.
        let current = l.metrics.as_ref().is_some_and(|m| m.window == self.window);
        if !current || l.metrics_failed.is_some() {
            return None;
        }
        let own = |key: &str| match split(key) {
            (bare, Some(label)) if label == l.info.label => Some(bare.to_string()),
            _ if self.single() => Some(key.to_string()),
            _ => None,
        };
        let rows = rows
            .iter()
            .filter_map(|r| {
                let name = own(&r.name)?;
                let mut r = r.clone();
                if let Some(s) = r.stream.as_mut() {
                    s.name = name.clone();
                }
                r.name = name;
                Some(r)
            })
            .collect();
        let metrics = metrics
            .iter()
            .filter_map(|(k, v)| Some((own(k)?, v.clone())))
            .collect();
        let outages = outages
            .iter()
            .filter_map(|(k, v)| Some((own(k)?, *v)))
            .collect();
        Some(Own {
            account,
            rows,
            metrics,
            outages,
        })
    }

    /// The keys `lane` last reported, for its cache.
    pub fn keys_of(&self, lane: usize) -> Option<&KeyBook> {
        self.lanes.get(lane).map(|l| &l.keys)
    }
}

/// What the app learns of a duplicate's `event`: a change sent through it
/// before it was found to be one is followed to its end, and said, under
/// the names the app sent it with; what that change found of its stream is
/// the same stream's news under the first target, where its row is. The
/// rest is the first target's to say.
fn from_duplicate(l: &mut Lane, first: &str, event: DataEvent) -> Vec<DataEvent> {
    match event {
        DataEvent::ChangeReport { .. }
        | DataEvent::Following { .. }
        | DataEvent::Moving { .. }
        | DataEvent::MoveOver => vec![renamed(l, event)],
        DataEvent::Stream { name, result, at } => {
            vec![described(qualify(&name, first), result, at)]
        }
        _ => Vec::new(),
    }
}

/// A stream's description under its name in the fleet, `key`.
fn described(
    key: String,
    result: Result<Stream, CloudError>,
    at: chrono::DateTime<chrono::Utc>,
) -> DataEvent {
    let result = result.map(|s| Stream {
        name: key.clone(),
        ..s
    });
    DataEvent::Stream {
        name: key,
        result,
        at,
    }
}

/// An event about one stream (or the move, or the worker), with the stream
/// and the words naming its target.
fn renamed(l: &mut Lane, event: DataEvent) -> DataEvent {
    match event {
        DataEvent::Gone(name) => {
            l.names.retain(|n| *n != name);
            DataEvent::Gone(l.q(&name))
        }
        DataEvent::Stream { name, result, at } => described(l.q(&name), result, at),
        DataEvent::ChangeReport { stream, text, tone } => DataEvent::ChangeReport {
            text: format!("{}: {text}", l.info.label),
            stream: l.q(&stream),
            tone,
        },
        DataEvent::Following { stream, active } => DataEvent::Following {
            stream: l.q(&stream),
            active,
        },
        DataEvent::Moving {
            stream,
            stage,
            words,
        } => DataEvent::Moving {
            stream: l.q(&stream),
            stage,
            words,
        },
        DataEvent::MoveOver => DataEvent::MoveOver,
        DataEvent::Crashed(message) => DataEvent::Crashed(format!("{}: {message}", l.info.label)),
        other => other,
    }
}

/// One target's part of the dashboard's state, under its own names.
pub struct Own {
    pub account: String,
    pub rows: Vec<Row>,
    pub metrics: BTreeMap<String, KmsSeries>,
    pub outages: HashMap<String, Outage>,
}

/// A Firehose event's stream, qualified; a KMS event's key stays as it is
/// (it is the key's ARN, which names its account and region).
fn qualify_event(lane: &Lane, mut event: TrailEvent) -> TrailEvent {
    if event.source.starts_with("firehose") {
        event.resource = event.resource.map(|r| lane.q(&r));
    }
    event
}

/// The error with the target's label in front, of the same kind.
fn prefixed(error: &CloudError, label: &str) -> CloudError {
    let p = |m: &String| format!("{label}: {m}");
    match error {
        CloudError::NotFound(m) => CloudError::NotFound(p(m)),
        CloudError::InUse(m) => CloudError::InUse(p(m)),
        CloudError::InvalidArgument(m) => CloudError::InvalidArgument(p(m)),
        CloudError::LimitExceeded(m) => CloudError::LimitExceeded(p(m)),
        CloudError::InvalidKms(m) => CloudError::InvalidKms(p(m)),
        CloudError::Throttled(m) => CloudError::Throttled(p(m)),
        CloudError::AccessDenied(m) => CloudError::AccessDenied(p(m)),
        CloudError::Credentials(m) => CloudError::Credentials(p(m)),
        CloudError::Unreachable(m) => CloudError::Unreachable(p(m)),
        CloudError::NoAnswer(m) => CloudError::NoAnswer(p(m)),
        CloudError::Server(m) => CloudError::Server(p(m)),
        CloudError::Other(m) => CloudError::Other(p(m)),
    }
}

#[cfg(test)]
mod tests;
