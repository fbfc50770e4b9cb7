//! What one target's worker said, taken into its part of the fleet.

use chrono::{DateTime, Utc};

use super::{Fleet, PartMetrics};
use crate::cache::Snapshot;
use crate::cloud::CloudError;
use crate::model::{LoadingState, StreamId, TargetId, Tone};
use crate::model::{Provenance, Stream};
use crate::quota::QuotaBook;
use crate::worker::{explain, DataEvent, Fetch, Restarted};

/// What the fleet learned from one event, for the app to act on.
#[derive(Debug, Default, PartialEq)]
pub struct News {
    /// Something on screen reads differently.
    pub changed: bool,
    /// Said on the status line and kept in the log: a target that newly
    /// cannot be read, a twin found.
    pub said: Vec<(String, Tone)>,
    /// Kept in the message log whatever its length or tone, and said: how
    /// a cold start went, or why there was none.
    pub kept: Vec<(String, Tone)>,
    /// A failure, in words: the last error.
    pub error: Option<String>,
    /// A target listed its streams: the last error is over.
    pub listed: bool,
    /// A stream was described (or failed to be): a dialog may wait for it.
    pub described: Option<StreamId>,
    /// The account STS named, with one target.
    pub account: Option<String>,
    /// Twins newly found, whose workers are to retire.
    pub retire: Vec<TargetId>,
}

impl Fleet {
    /// Takes target `from`'s event about what is known. Events of a change
    /// under way (reports, moves) are the app's, not the fleet's.
    pub fn apply(&mut self, from: TargetId, event: DataEvent, now: DateTime<Utc>) -> News {
        let mut news = News::default();
        if answered(&event) {
            self.freshness.last_answer = Some(now);
            news.changed |= self.freshness.silent_since.take().is_some();
        }
        let Some(part) = self.part(from) else {
            return news;
        };
        // A twin's identity and crash are taken as any target's; what it
        // described is the same stream of the first target; the rest is the
        // first target's to say.
        if let Some(first) = part.twin {
            match event {
                DataEvent::Identity(_) | DataEvent::Crashed(_) => {}
                DataEvent::Stream { name, result, at } => {
                    self.described(StreamId::new(first, name), result, at, now, &mut news);
                    return news;
                }
                _ => return news,
            }
        }
        self.take(from, event, now, &mut news);
        news
    }

    /// Target `from`'s event, taken into the fleet (of a twin, only its
    /// identity and crash come here).
    fn take(&mut self, from: TargetId, event: DataEvent, now: DateTime<Utc>, news: &mut News) {
        match event {
            DataEvent::Identity(id) => self.identified(from, id.account, news),
            DataEvent::Names(names) => self.listed(from, names, now, news),
            DataEvent::Gone(name) => {
                if let Some(p) = self.part_mut(from) {
                    news.changed |= p.rows.remove(&name).is_some();
                }
                self.reorder();
            }
            DataEvent::Stream { name, result, at } => {
                self.described(StreamId::new(from, name), result, at, now, news);
            }
            DataEvent::Restarted(restarted) => self.restarted(from, restarted, news),
            DataEvent::Metrics {
                window,
                series,
                unknown,
                outages,
                at,
                as_of,
            } => {
                let answer = PartMetrics {
                    window,
                    series,
                    unknown,
                    outages,
                    at: Some(at),
                    as_of,
                };
                self.metrics_answered(from, answer, now, news);
            }
            DataEvent::Quotas(result) => self.quotas_read(from, result, news),
            DataEvent::Crashed(message) => self.crashed(from, message, news),
            DataEvent::Failed { what, error } => self.failed(from, what, &error, now, news),
            DataEvent::Keys(_)
            | DataEvent::AllKeys(_)
            | DataEvent::Changes(_)
            | DataEvent::CloudWatch(_)
            | DataEvent::Credentials(_)
            | DataEvent::GrantChecked { .. } => self.store(from, event, now, news),
            DataEvent::Recorded(streams) => self.recorded(from, streams, now, news),
            DataEvent::ColdStart(words) => self.cold_start_said(from, words, news),
            DataEvent::ChangeReport { .. }
            | DataEvent::Following { .. }
            | DataEvent::Moving { .. }
            | DataEvent::MoveOver => {}
        }
    }

    /// An event that is kept in target `from`'s part as it came, with
    /// nothing else of the fleet to follow from it.
    fn store(&mut self, from: TargetId, event: DataEvent, now: DateTime<Utc>, news: &mut News) {
        let Some(p) = self.part_mut(from) else {
            return;
        };
        match event {
            DataEvent::Keys(book) => {
                p.keys = book;
                news.changed = true;
            }
            DataEvent::AllKeys(book) => {
                p.all_keys = Some(book);
                p.all_keys_state = LoadingState::Loaded;
                news.changed = true;
            }
            DataEvent::Changes(events) => news.changed |= !p.history.add(events, now).is_empty(),
            DataEvent::CloudWatch(usage) => p.usage = Some(usage),
            DataEvent::Credentials(facts) => p.credentials = facts,
            DataEvent::GrantChecked { key, check } => {
                p.grant_checks.insert(key, check);
                news.changed = true;
            }
            // Each taken by `take`, which sends only the events above here.
            DataEvent::Identity(_)
            | DataEvent::Restarted(_)
            | DataEvent::Names(_)
            | DataEvent::Gone(_)
            | DataEvent::Stream { .. }
            | DataEvent::Metrics { .. }
            | DataEvent::Quotas(_)
            | DataEvent::Crashed(_)
            | DataEvent::Failed { .. }
            | DataEvent::ChangeReport { .. }
            | DataEvent::Following { .. }
            | DataEvent::Moving { .. }
            | DataEvent::MoveOver
            | DataEvent::Recorded(_)
            | DataEvent::ColdStart(_) => {}
        }
    }

    /// CloudWatch's answer for a target. One for a window the user has
    /// left is not shown.
    fn metrics_answered(
        &mut self,
        from: TargetId,
        answer: PartMetrics,
        now: DateTime<Utc>,
        news: &mut News,
    ) {
        if answer.window != self.window {
            return;
        }
        if let Some(p) = self.part_mut(from) {
            // A new time is news: the detail says up to when it is known.
            news.changed |= p.metrics.as_ref() != Some(&answer);
            p.metrics = Some(answer);
            p.metrics_state = LoadingState::Loaded;
        }
        self.freshness.last_refresh = Some(now);
        self.recount();
    }

    /// A target's quotas by the ledger and CloudTrail, or why the ledger
    /// could not be read: what was read before is not shown as current.
    fn quotas_read(&mut self, from: TargetId, result: Result<QuotaBook, String>, news: &mut News) {
        if let Some(p) = self.part_mut(from) {
            let (book, state) = match result {
                Ok(b) => (Some(b), LoadingState::Loaded),
                Err(why) => (None, LoadingState::Error(why)),
            };
            news.changed |= p.quotas != book || p.quota_state != state;
            (p.quotas, p.quota_state) = (book, state);
        }
    }

    /// A target's account is known: it may turn out to be another's twin.
    fn identified(&mut self, from: TargetId, account: String, news: &mut News) {
        if !self.several() {
            news.account = Some(account.clone());
        }
        if let Some(p) = self.part_mut(from) {
            p.info.target.account = Some(account);
            p.identity_error = None;
        }
        self.find_twins(news);
        self.reorder();
        news.changed = true;
    }

    fn listed(&mut self, from: TargetId, names: Vec<String>, now: DateTime<Utc>, news: &mut News) {
        if let Some(p) = self.part_mut(from) {
            p.set_names(names);
            p.list = LoadingState::Loaded;
        }
        self.target_errors(news);
        self.reorder();
        self.freshness.last_refresh = Some(now);
        self.refreshing = false;
        news.listed = true;
        news.changed = true;
    }

    fn described(
        &mut self,
        id: StreamId,
        result: Result<Stream, CloudError>,
        at: DateTime<Utc>,
        now: DateTime<Utc>,
        news: &mut News,
    ) {
        news.described = Some(id.clone());
        // The part's rows and the freshness are apart: one borrow of each.
        let part = self.parts.get_mut(id.target.index());
        let Some(row) = part.and_then(|p| p.rows.get_mut(&id.name)) else {
            return;
        };
        row.described_at = Some(at);
        let changed = match result {
            Ok(stream) => {
                let changed = row.stream.as_ref() != Some(&stream)
                    || row.error.is_some()
                    || row.provenance != Provenance::Described;
                row.stream = Some(stream);
                row.error = None;
                row.provenance = Provenance::Described;
                changed
            }
            // Keep the last good description; say it could not be refreshed.
            Err(e) => {
                let error = e.to_string();
                let changed = row.error.as_ref() != Some(&error);
                row.error = Some(error);
                if matches!(e, CloudError::NoAnswer(_)) {
                    self.freshness.silent_since.get_or_insert(now);
                }
                news.error = Some(explain(Fetch::Describe, &e));
                changed
            }
        };
        if changed {
            self.recount();
        }
        news.changed |= changed;
    }

    fn crashed(&mut self, from: TargetId, message: String, news: &mut News) {
        if self.several() {
            if let Some(p) = self.part_mut(from) {
                // Its worker is gone: the header says so, not "healthy".
                p.list = LoadingState::Error(format!("stopped after an internal error: {message}"));
                // No worker is left to list its keys.
                p.all_keys_state = LoadingState::Error(format!("its worker stopped: {message}"));
            }
            self.target_errors(news);
        }
        self.freshness.fault = Some(self.about(from, message));
        news.changed = true;
    }

    fn failed(
        &mut self,
        from: TargetId,
        what: Fetch,
        error: &CloudError,
        now: DateTime<Utc>,
        news: &mut News,
    ) {
        let several = self.several();
        let words = explain(what, error);
        // With several, the message names the target inside AWS's words.
        let message = match self.label_of(from) {
            Some(label) => explain(what, &prefixed(error, label)),
            None => words.clone(),
        };
        if matches!(error, CloudError::NoAnswer(_)) {
            self.freshness.silent_since.get_or_insert(now);
        }
        news.changed = true;
        let Some(p) = self.part_mut(from) else {
            return;
        };
        match what {
            // The target itself cannot be read: the header says so, and
            // the other targets' fleet is untouched. When none can list,
            // the fleet's listing failed: "listing…" or "refreshing…"
            // would otherwise stand for ever.
            Fetch::List => {
                p.list = LoadingState::Error(words);
                self.target_errors(news);
                if !several || self.every_list_failed() {
                    self.refreshing = false;
                    news.error = Some(message);
                }
                return;
            }
            Fetch::Identity => {
                p.identity_error = Some(words);
                if several {
                    self.target_errors(news);
                    return;
                }
            }
            Fetch::Metrics => p.metrics_state = LoadingState::Error(words),
            // Its streams' picker says why it has no keys to offer.
            Fetch::AllKeys => p.all_keys_state = LoadingState::Error(words),
            Fetch::Describe | Fetch::Keys => {}
        }
        news.error = Some(message);
    }

    /// Each target's error for the header, with several; one that newly
    /// cannot be read is said.
    fn target_errors(&mut self, news: &mut News) {
        if !self.several() {
            return;
        }
        let labels: Vec<String> = self
            .parts
            .iter()
            .map(|p| p.info.target.label.clone())
            .collect();
        for p in &mut self.parts {
            let twin = p.twin.map(|t| labels[t.index()].clone());
            if p.set_error(twin) {
                if let Some(error) = &p.info.error {
                    news.said
                        .push((format!("{}: {error}", p.info.target.label), Tone::Bad));
                }
                news.changed = true;
            }
        }
    }

    /// Two profiles of one account in one region would list every stream
    /// twice: the later target is set aside as the first's twin, and says
    /// why; its worker is told to retire, so that one account and region is
    /// not read twice (and its Firehose pace not spent twice).
    fn find_twins(&mut self, news: &mut News) {
        for i in 0..self.parts.len() {
            let first = (0..i).find(|&j| {
                let (a, b) = (&self.parts[j], &self.parts[i]);
                a.live && a.twin.is_none() && a.info.target.same_place(&b.info.target)
            });
            let first = first.map(|j| self.parts[j].id);
            let was = self.parts[i].twin;
            self.parts[i].twin = first;
            if let Some(f) = first.filter(|f| Some(*f) != was) {
                news.said.push((
                    format!(
                        "{} is the same account and region as {}: its streams are listed once, there",
                        self.parts[i].info.target.label,
                        self.parts[f.index()].info.target.label
                    ),
                    Tone::Info,
                ));
            }
            let p = &mut self.parts[i];
            if p.live && p.twin.is_some() && !p.retired {
                p.retired = true;
                news.retire.push(p.id);
            }
        }
        self.target_errors(news);
    }

    /// What a start from target `from`'s cache came to: the rows still
    /// shown from the cache that CloudTrail confirmed say so.
    fn restarted(&mut self, from: TargetId, restarted: Restarted, news: &mut News) {
        let Restarted::Confirmed {
            names,
            since,
            checked,
            ..
        } = restarted
        else {
            return;
        };
        let Some(p) = self.part_mut(from) else {
            return;
        };
        for name in names {
            let Some(row) = p.rows.get_mut(&name) else {
                continue;
            };
            if matches!(row.provenance, Provenance::Cached { .. }) {
                row.provenance = Provenance::Confirmed { since, checked };
                news.changed = true;
            }
        }
        self.recount();
    }

    /// Target `from`'s fleet from its cache of an earlier run, shown until
    /// the cloud answers. Metrics of another window have nothing that
    /// applies: its rows wait for the cloud instead of showing zero errors.
    pub fn restore(&mut self, from: TargetId, snap: Snapshot) {
        let window = self.window;
        let Some(p) = self.part_mut(from) else {
            return;
        };
        let cached = Provenance::Cached {
            saved_at: snap.saved_at,
        };
        p.rows = snap
            .rows
            .into_iter()
            .map(|mut r| {
                r.provenance = cached;
                (r.name.clone(), r)
            })
            .collect();
        p.keys = snap.keys;
        if snap.window == window {
            p.metrics = Some(PartMetrics {
                window,
                series: snap.metrics,
                unknown: Default::default(),
                outages: snap.outages,
                // Known at best up to when they were saved.
                at: Some(snap.saved_at),
                as_of: Default::default(),
            });
        }
        let from_cache = self.freshness.from_cache.get_or_insert(snap.saved_at);
        *from_cache = (*from_cache).min(snap.saved_at);
        self.reorder();
    }

    /// What of target `of`'s part the cache keeps, under its account;
    /// `None` until its account is known, or while its metrics of the
    /// window are not current: a cache is shown as known at the next
    /// start, and would come back with zero errors.
    pub fn saved(&self, of: TargetId) -> Option<(String, crate::cache::Saved)> {
        let p = self.part(of).filter(|p| p.counts())?;
        let account = p.info.target.account.clone()?;
        let m = p.metrics_of(self.window)?;
        if p.metrics_state.error().is_some() {
            return None;
        }
        // A row still shown from AWS Config's record is not saved: the next
        // start describes it rather than show a record as an earlier run's
        // description.
        let described = p
            .rows
            .values()
            .filter(|r| !r.stream.as_ref().is_some_and(Stream::only_recorded));
        Some((
            account,
            crate::cache::Saved {
                rows: described.cloned().collect(),
                keys: p.keys.clone(),
                window: self.window,
                metrics: m.series.clone(),
                outages: m.outages.clone(),
            },
        ))
    }

    /// Ctrl-r: every target's list is asked again; "refreshing…" until
    /// one comes back (or every one fails).
    pub fn refreshing(&mut self) {
        self.refreshing = true;
    }
}

/// Whether the event is an answer from AWS (a failure to connect is not).
fn answered(event: &DataEvent) -> bool {
    match event {
        DataEvent::Failed { error, .. } => !error.is_connection(),
        DataEvent::Stream { result, .. } => {
            result.as_ref().err().is_none_or(|e| !e.is_connection())
        }
        DataEvent::Quotas(_)
        | DataEvent::Changes(_)
        | DataEvent::GrantChecked { .. }
        | DataEvent::ChangeReport { .. }
        | DataEvent::Following { .. }
        | DataEvent::Moving { .. }
        | DataEvent::MoveOver
        | DataEvent::Credentials(_)
        | DataEvent::CloudWatch(_)
        | DataEvent::Restarted(_)
        | DataEvent::ColdStart(_)
        | DataEvent::Crashed(_) => false,
        _ => true,
    }
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
