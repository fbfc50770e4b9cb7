//! State transitions for what the worker learned, the terminal's size and the
//! clock; keys are in keys.rs.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};

use super::{App, LoadingState, Summary, WorkerCommand};
use crate::cloud::{CloudError, KmsSeries};
use crate::health::Outage;
use crate::model::{ago, clock, Row, Window};
use crate::quota::QuotaBook;
use crate::worker::{DataEvent, Fetch};

/// One answer's series, the streams it could not read, and their outages.
type MetricsAnswer = (
    BTreeMap<String, KmsSeries>,
    BTreeMap<String, String>,
    HashMap<String, Outage>,
);

impl App {
    /// The terminal's new size; `viewport` is the table rows that fit.
    pub fn resize(&mut self, width: u16, height: u16, viewport: usize) -> Vec<WorkerCommand> {
        self.size = (width, height);
        self.viewport = viewport.max(1);
        self.select(self.selected);
        self.interest()
    }

    /// Moves the clock; true when something on screen reads differently.
    pub fn tick(&mut self, now: DateTime<Utc>) -> bool {
        let before = (self.clock_label(), self.silence());
        self.now = now;
        let expired = self.expire_notice();
        let alerted = self.look_for_alerts();
        alerted || expired || before != (self.clock_label(), self.silence())
    }

    /// What the header says about freshness: coarse on purpose, so an idle
    /// dashboard redraws about once a minute.
    pub fn clock_label(&self) -> String {
        match (self.last_refresh, self.from_cache) {
            // Ctrl-r: said until the list comes back (or fails).
            (Some(_), _) if self.list_state == LoadingState::Loading => "refreshing…".to_string(),
            (Some(t), _) => format!("refreshed {}", ago(self.now - t)),
            (None, Some(t)) => format!("cached {}", ago(self.now - t)),
            (None, None) => "loading".to_string(),
        }
    }

    pub(super) fn select(&mut self, index: usize) {
        let count = self.visible.len();
        self.selected = index.min(count.saturating_sub(1));
        if self.selected < self.offset {
            self.offset = self.selected;
        } else if self.selected >= self.offset + self.viewport {
            self.offset = self.selected + 1 - self.viewport;
        }
        self.offset = self.offset.min(count.saturating_sub(self.viewport));
    }

    /// Tells the worker what is on screen, when that changed.
    pub(super) fn interest(&mut self) -> Vec<WorkerCommand> {
        let name = |i: usize| self.rows[self.visible[i]].name.clone();
        let end = (self.offset + self.viewport).min(self.visible.len());
        let visible: Vec<String> = (self.offset..end).map(name).collect();
        let before = self.offset.saturating_sub(self.viewport)..self.offset;
        let after = end..(end + self.viewport).min(self.visible.len());
        let nearby: Vec<String> = before.chain(after).map(name).collect();
        let command = WorkerCommand::Interest { visible, nearby };
        if self.last_interest.as_ref() == Some(&command) {
            return Vec::new();
        }
        self.last_interest = Some(command.clone());
        vec![command]
    }

    /// Takes what the worker learned; true when the screen needs redrawing.
    pub fn apply(&mut self, event: DataEvent) -> (bool, Vec<WorkerCommand>) {
        let heard = answered(&event);
        let mut changed = heard && self.heard();
        let described = match &event {
            DataEvent::Stream { name, .. } => Some(name.clone()),
            _ => None,
        };
        changed |= match event {
            DataEvent::Identity(id) => {
                let account = Some(id.account);
                let changed = self.context.account != account;
                self.context.account = account;
                changed
            }
            DataEvent::Names(names) => {
                self.set_names(names);
                self.forget_gone();
                self.list_state = LoadingState::Loaded;
                self.last_refresh = Some(self.now);
                self.clear_error();
                true
            }
            DataEvent::Gone(name) => {
                self.remove_row(&name);
                self.forget_gone();
                true
            }
            DataEvent::Following { stream, active } => {
                if active {
                    self.following.insert(stream);
                } else {
                    self.following.remove(&stream);
                }
                false
            }
            DataEvent::Stream { name, result, at } => self.set_stream(name, result, at),
            DataEvent::Keys(book) => {
                self.keys = book;
                true
            }
            DataEvent::Metrics {
                window: w,
                series: s,
                unknown: u,
                outages: o,
                at,
                as_of,
            } if w == self.window => self.set_metrics(w, (s, u, o), at, as_of),
            // For a window the user has left: not shown.
            DataEvent::Metrics { .. } => return (changed, Vec::new()),
            DataEvent::CloudWatch(usage) => {
                self.cloudwatch = Some(usage);
                self.view == super::View::Help
            }
            DataEvent::Quotas(quotas) => self.set_quotas(quotas),
            DataEvent::Changes(events) => !self.history.add(events, self.now).is_empty(),
            DataEvent::GrantChecked { key, check } => self.grant_checked(key, check),
            DataEvent::AllKeys(book) => {
                self.all_keys = Some(book);
                self.all_keys_error = None;
                true
            }
            DataEvent::Credentials(facts) => {
                self.credentials = facts;
                false
            }
            DataEvent::Moving {
                stream,
                stage,
                words,
            } => {
                self.move_stage(&stream, stage, words);
                true
            }
            DataEvent::MoveOver => {
                self.move_over();
                true
            }
            // Info is progress; Good or Bad is how the change ended.
            DataEvent::ChangeReport { text, tone, .. } => {
                if tone == crate::model::Tone::Info {
                    self.say(text, tone);
                } else {
                    self.report(text, tone);
                }
                true
            }
            DataEvent::Targets(targets) => self.set_targets(targets),
            DataEvent::Crashed(panic) => {
                self.fault = Some(panic);
                true
            }
            DataEvent::Failed { what, error } => self.set_failure(what, &error),
        };
        let mut commands = Vec::new();
        if let Some(went_on) = described.and_then(|name| self.described(&name)) {
            changed = true;
            commands = went_on;
        }
        commands.extend(self.interest());
        (changed, commands)
    }

    fn set_metrics(
        &mut self,
        window: Window,
        (series, unknown, outages): MetricsAnswer,
        at: DateTime<Utc>,
        as_of: BTreeMap<String, DateTime<Utc>>,
    ) -> bool {
        // A new time is news: the detail says up to when it is known.
        let changed = self.metrics_window != Some(window)
            || self.metrics != series
            || self.metrics_unknown != unknown
            || self.outages != outages
            || self.metrics_at != Some(at)
            || self.metrics_as_of != as_of;
        self.metrics = series;
        self.metrics_unknown = unknown;
        self.outages = outages;
        self.metrics_at = Some(at);
        self.metrics_as_of = as_of;
        self.metrics_window = Some(window);
        self.metrics_state = LoadingState::Loaded;
        self.last_refresh = Some(self.now);
        if changed {
            self.refresh_view();
        }
        changed
    }

    /// What is known of each target; a target that newly cannot be read
    /// is said on the status line and kept in the log.
    fn set_targets(&mut self, targets: Vec<crate::estate::TargetInfo>) -> bool {
        for t in &targets {
            let before = self.targets.iter().find(|o| o.label == t.label).cloned();
            let before = before.as_ref();
            let was = before.and_then(|o| o.error.as_ref());
            if let Some(error) = t.error.as_ref().filter(|e| Some(*e) != was) {
                self.say(format!("{}: {error}", t.label), crate::model::Tone::Bad);
            }
            let twin = before.and_then(|o| o.same_as.as_ref());
            if let Some(first) = t.same_as.as_ref().filter(|f| Some(*f) != twin) {
                self.say(
                    format!(
                        "{} is the same account and region as {first}: its streams are listed once, there",
                        t.label
                    ),
                    crate::model::Tone::Info,
                );
            }
        }
        let changed = self.targets != targets;
        self.targets = targets;
        if changed {
            self.refresh_view();
        }
        changed
    }

    fn set_quotas(&mut self, quotas: Result<QuotaBook, String>) -> bool {
        let (quotas, state) = match quotas {
            Ok(q) => (q, LoadingState::Loaded),
            // What was read before is not shown as if it were current.
            Err(why) => (QuotaBook::default(), LoadingState::Error(why)),
        };
        let changed = self.quotas != quotas || self.quota_state != state;
        self.quotas = quotas;
        self.quota_state = state;
        if changed {
            self.refresh_view();
        }
        changed
    }

    fn set_failure(&mut self, what: Fetch, error: &CloudError) -> bool {
        let message = explain(what, error);
        match what {
            Fetch::List => self.list_state = LoadingState::Error(message.clone()),
            Fetch::Metrics => self.metrics_state = LoadingState::Error(message.clone()),
            Fetch::AllKeys => self.all_keys_error = Some(message.clone()),
            Fetch::Identity | Fetch::Describe | Fetch::Keys => {}
        }
        if matches!(error, CloudError::NoAnswer(_)) {
            self.silent_since.get_or_insert(self.now);
        }
        self.set_error(message);
        true
    }

    /// AWS answered: whatever silence there was is over. True when that
    /// changes what the screen says.
    fn heard(&mut self) -> bool {
        self.last_answer = Some(self.now);
        self.silent_since.take().is_some()
    }

    /// "no answer from AWS for 40 s; showing data from 14:02", while AWS is
    /// silent. The silence began a call's timeout before the first failure.
    pub fn silence(&self) -> Option<String> {
        let since = self.silent_since?;
        let secs = (self.now - since).num_seconds().max(0) as u64 + self.settings.call_timeout_secs;
        let data = match (self.last_answer, self.from_cache) {
            (Some(t), _) | (None, Some(t)) => {
                format!("showing data from {}", clock(t))
            }
            (None, None) => "nothing loaded yet".to_string(),
        };
        Some(format!(
            "no answer from AWS for {secs} s; {data}; retrying by itself"
        ))
    }

    fn clear_error(&mut self) {
        self.last_error = None;
    }

    /// A stream AWS no longer has.
    fn remove_row(&mut self, name: &str) {
        if self.index.contains_key(name) {
            self.rows.retain(|r| r.name != name);
            self.reindex();
        }
    }

    /// Replaces the rows with the listed names, keeping what is known of each.
    pub fn set_names(&mut self, mut names: Vec<String>) {
        names.sort();
        names.dedup();
        let mut old: std::collections::HashMap<String, Row> =
            self.rows.drain(..).map(|r| (r.name.clone(), r)).collect();
        self.rows = names
            .into_iter()
            .map(|name| {
                old.remove(&name).unwrap_or(Row {
                    name,
                    stream: None,
                    error: None,
                    described_at: None,
                })
            })
            .collect();
        self.reindex();
    }

    /// The fleet from the cache of an earlier run, shown until the cloud answers.
    pub fn restore(&mut self, snap: crate::cache::Snapshot) {
        self.context.account = Some(snap.account);
        self.rows = snap.rows;
        self.rows.sort_by(|a, b| a.name.cmp(&b.name));
        self.keys = snap.keys;
        if snap.window == self.window {
            self.metrics = snap.metrics;
            self.outages = snap.outages;
            self.metrics_window = Some(snap.window);
            // Known at best up to when they were saved.
            self.metrics_at = Some(snap.saved_at);
        }
        self.from_cache = Some(snap.saved_at);
        self.reindex();
    }

    /// What of the state the cache keeps.
    pub fn saved(&self) -> crate::cache::Saved<'_> {
        crate::cache::Saved {
            rows: &self.rows,
            keys: &self.keys,
            window: self.window,
            metrics: &self.metrics,
            outages: &self.outages,
        }
    }

    fn set_stream(
        &mut self,
        name: String,
        result: Result<crate::cloud::Stream, CloudError>,
        at: DateTime<Utc>,
    ) -> bool {
        let Some(&i) = self.index.get(&name) else {
            return false;
        };
        let row = &mut self.rows[i];
        let before = (row.stream.clone(), row.error.clone());
        let mut failure = None;
        match result {
            Ok(stream) => {
                row.stream = Some(stream);
                row.error = None;
            }
            // Keep the last good description; say it could not be refreshed.
            Err(e) => {
                if matches!(e, CloudError::NoAnswer(_)) {
                    self.silent_since.get_or_insert(self.now);
                }
                row.error = Some(e.to_string());
                failure = Some(explain(Fetch::Describe, &e));
            }
        }
        row.described_at = Some(at);
        let changed = before != (row.stream.clone(), row.error.clone());
        if let Some(message) = failure {
            self.set_error(message);
        }
        if changed {
            self.refresh_view();
        }
        changed
    }

    fn reindex(&mut self) {
        self.index = self
            .rows
            .iter()
            .enumerate()
            .map(|(i, r)| (r.name.clone(), i))
            .collect();
        self.refresh_view();
    }

    /// Re-filters and re-sorts, keeping the cursor on the same stream.
    pub fn refresh_view(&mut self) {
        // Until the user moves it, the cursor stays on the first row: the
        // worst stream, as data arrives and the problems sort reorders.
        let keep = self
            .cursor_moved
            .then(|| self.selected_row().map(|r| r.name.clone()))
            .flatten();
        let needle = self.filter.to_lowercase();
        let on_key = |row: &Row| {
            self.only_key
                .as_ref()
                .is_none_or(|(arn, _)| row.encrypted_with(arn))
        };
        let mut visible: Vec<usize> = (0..self.rows.len())
            .filter(|&i| on_key(&self.rows[i]) && self.passes_quick(&self.rows[i]))
            .filter(|&i| needle.is_empty() || self.matches(&self.rows[i], &needle))
            .collect();
        self.sort_rows(&mut visible);
        self.visible = visible;
        self.summary = self.summarise();
        let target = keep
            .and_then(|name| self.visible.iter().position(|&i| self.rows[i].name == name))
            .unwrap_or(if self.cursor_moved { self.selected } else { 0 });
        self.select(target);
    }

    fn matches(&self, row: &Row, needle: &str) -> bool {
        // A qualified name holds its target's region (and profile): `/`
        // finds a region's streams too; and the account, once known.
        if row.name.to_lowercase().contains(needle)
            || self
                .target_of(&row.name)
                .and_then(|t| t.account.as_deref())
                .is_some_and(|a| a.contains(needle))
        {
            return true;
        }
        let Some(stream) = &row.stream else {
            return false;
        };
        stream
            .encryption
            .status
            .as_str()
            .to_lowercase()
            .contains(needle)
            || self.keys.label(stream).to_lowercase().contains(needle)
    }

    fn summarise(&self) -> Summary {
        let mut s = Summary {
            total: self.rows.len(),
            ..Summary::default()
        };
        for row in &self.rows {
            if let (_, Some(label)) = crate::estate::split(&row.name) {
                *s.per_target.entry(label.to_string()).or_default() += 1;
            }
            match &row.stream {
                Some(stream) => {
                    *s.by_status
                        .entry(stream.encryption.status.clone())
                        .or_default() += 1;
                }
                None => s.unknown += 1,
            }
        }
        s.with_kms_errors = self
            .metrics
            .values()
            .filter(|m| m.grand_total() > 0.0)
            .count();
        s
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
        | DataEvent::Targets(_)
        | DataEvent::Crashed(_) => false,
        _ => true,
    }
}

/// An error in words that say what is wrong and what to do.
pub fn explain(what: Fetch, e: &CloudError) -> String {
    let doing = match what {
        Fetch::List => "listing streams",
        Fetch::Metrics => "reading KMS metrics from CloudWatch",
        Fetch::Keys => "reading KMS keys",
        Fetch::AllKeys => "listing the account's KMS keys",
        Fetch::Describe => "describing a stream",
        Fetch::Identity => "asking STS which account this is (changes wait for it)",
    };
    match e {
        CloudError::Throttled(_) => {
            format!("AWS is throttling {doing}: slowing down, showing last data")
        }
        CloudError::AccessDenied(m) => format!("access denied {doing}: {m}"),
        CloudError::Unreachable(_) => {
            format!("cannot reach AWS ({doing}): check network/--endpoint-url; showing last data")
        }
        CloudError::NoAnswer(_) => format!("no answer from AWS ({doing}); showing last data"),
        other => format!("{doing} failed: {other}"),
    }
}
