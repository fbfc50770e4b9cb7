//! The dashboard's state and its transitions. Nothing here does I/O or awaits:
//! `update` takes an action and returns commands for the worker, `apply` takes
//! what the worker learned. Both are plain functions, tested without a runtime.

mod action;
mod changes;
pub mod keymap;
pub mod update;

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use action::{Action, Command};
use keymap::Keymap;

use crate::change::{KeyArg, Request};
use crate::cloud::{EncryptionStatus, KmsMetric, KmsSeries, Stream};
use crate::config::{Config, Markers, Window};
use crate::health::{self, Facts, Health, Outage};
use crate::inventory::KeyBook;
use crate::preflight::{CredentialFacts, Verdict};
use crate::quota::Quota;

/// Each thing that loads keeps its state, so the screen can say "stale"
/// instead of going blank.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum LoadingState {
    #[default]
    Idle,
    Loading,
    Loaded,
    Error(String),
}

/// One stream as the dashboard knows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Row {
    pub name: String,
    pub stream: Option<Stream>,
    /// Why the last describe failed, if it did.
    pub error: Option<String>,
    pub described_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum View {
    Table,
    Detail(String),
    Help,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    Name,
    Status,
    KmsErrors,
    QuotaLeft,
}

impl SortKey {
    pub fn next(self) -> SortKey {
        match self {
            SortKey::Name => SortKey::Status,
            SortKey::Status => SortKey::KmsErrors,
            SortKey::KmsErrors => SortKey::QuotaLeft,
            SortKey::QuotaLeft => SortKey::Name,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            SortKey::Name => "name",
            SortKey::Status => "status",
            SortKey::KmsErrors => "KMS errors",
            SortKey::QuotaLeft => "quota left",
        }
    }
}

/// Where the dashboard is pointed, for the header.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Context {
    pub account: Option<String>,
    pub region: String,
    pub profile: Option<String>,
    pub demo: bool,
    pub endpoint: Option<String>,
    pub read_only: bool,
}

/// The key picker (`r`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Picker {
    pub stream: String,
    pub filter: String,
    pub selected: usize,
}

/// A change waiting for the user's word: what it does and what the checks say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Confirm {
    pub request: Request,
    pub stream: String,
    pub old_label: String,
    pub new_label: String,
    pub quota: Quota,
    pub verdict: Verdict,
    pub streams_on_key: Option<usize>,
    /// For stopping encryption: what has been typed of the stream's name.
    pub typed: Option<String>,
}

/// One entry of the key picker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PickItem {
    pub key: KeyArg,
    pub label: String,
    pub detail: String,
    /// Why this key cannot be used, if it cannot.
    pub problem: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dialog {
    Picker(Picker),
    Confirm(Confirm),
}

/// How a message on the status line should read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Info,
    Good,
    Bad,
}

/// Settings the view needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UiSettings {
    pub markers: Markers,
    pub color: bool,
    pub quota_warning_at: u32,
}

/// Fleet counts for the header, kept up to date as data arrives so a frame
/// never walks the whole fleet.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    pub total: usize,
    pub by_status: BTreeMap<EncryptionStatus, usize>,
    pub unknown: usize,
    pub with_kms_errors: usize,
}

/// The dashboard's whole state.
pub struct App {
    pub context: Context,
    pub settings: UiSettings,
    pub keymap: Keymap,
    /// Every known stream, in name order.
    pub rows: Vec<Row>,
    index: HashMap<String, usize>,
    pub keys: KeyBook,
    pub metrics: BTreeMap<String, KmsSeries>,
    pub metrics_window: Option<Window>,
    pub outages: HashMap<String, Outage>,
    pub quotas: HashMap<String, Quota>,
    pub window: Window,
    pub sort: SortKey,
    pub filter: String,
    pub filtering: bool,
    /// Indices into `rows` after filter and sort: what the table lists.
    pub visible: Vec<usize>,
    pub selected: usize,
    pub offset: usize,
    pub view: View,
    /// Table body rows that fit on screen.
    pub viewport: usize,
    pub size: (u16, u16),
    pub list_state: LoadingState,
    pub metrics_state: LoadingState,
    /// The last thing that went wrong, in words, and when.
    pub last_error: Option<(String, DateTime<Utc>)>,
    /// Showing the cached fleet from an earlier run, not yet refreshed.
    pub from_cache: Option<DateTime<Utc>>,
    pub last_refresh: Option<DateTime<Utc>>,
    pub now: DateTime<Utc>,
    pub summary: Summary,
    pub quit: bool,
    /// The open dialog, if any: it takes the keys until closed.
    pub dialog: Option<Dialog>,
    /// Every key of the account, for the picker; `None` until listed.
    pub all_keys: Option<KeyBook>,
    pub credentials: CredentialFacts,
    /// The latest word on a change, for the status line.
    pub message: Option<(String, Tone)>,
    last_interest: Option<Command>,
}

impl App {
    pub fn new(context: Context, config: &Config, window: Window, now: DateTime<Utc>) -> App {
        App {
            context,
            settings: UiSettings {
                markers: config.ui.markers,
                color: config.ui.color,
                quota_warning_at: config.status.quota_warning_at.0,
            },
            keymap: config.keys.keymap(),
            rows: Vec::new(),
            index: HashMap::new(),
            keys: KeyBook::default(),
            metrics: BTreeMap::new(),
            metrics_window: None,
            outages: HashMap::new(),
            quotas: HashMap::new(),
            window,
            sort: SortKey::Name,
            filter: String::new(),
            filtering: false,
            visible: Vec::new(),
            selected: 0,
            offset: 0,
            view: View::Table,
            viewport: 10,
            size: (80, 24),
            list_state: LoadingState::Loading,
            metrics_state: LoadingState::Loading,
            last_error: None,
            from_cache: None,
            last_refresh: None,
            now,
            summary: Summary::default(),
            quit: false,
            dialog: None,
            all_keys: None,
            credentials: CredentialFacts::default(),
            message: None,
            last_interest: None,
        }
    }

    pub fn row(&self, name: &str) -> Option<&Row> {
        self.index.get(name).map(|i| &self.rows[*i])
    }

    /// The stream under the cursor.
    pub fn selected_row(&self) -> Option<&Row> {
        self.visible.get(self.selected).map(|i| &self.rows[*i])
    }

    /// The rows on screen, with their positions in `visible`.
    pub fn on_screen(&self) -> impl Iterator<Item = (usize, &Row)> {
        let end = (self.offset + self.viewport).min(self.visible.len());
        (self.offset..end).map(move |i| (i, &self.rows[self.visible[i]]))
    }

    /// KMS error sums over the window, per metric.
    pub fn kms_sums(&self, name: &str) -> Option<[f64; 4]> {
        // No metrics yet means unknown, not zero.
        self.metrics_window?;
        let series = self.metrics.get(name);
        let mut sums = [0.0; 4];
        if let Some(series) = series {
            for m in KmsMetric::ALL {
                sums[m.index()] = series.total(m);
            }
        }
        Some(sums)
    }

    pub fn quota(&self, name: &str) -> Quota {
        self.quotas.get(name).copied().unwrap_or(Quota::unused())
    }

    /// Health alone, for a table row: no sentences built.
    pub fn health_level(&self, row: &Row) -> Health {
        match &row.stream {
            None if row.error.is_some() => Health::Critical,
            None => Health::Ok,
            Some(stream) => health::level(&self.facts(stream, "")),
        }
    }

    fn facts<'a>(&'a self, stream: &'a Stream, key_label: &'a str) -> Facts<'a> {
        Facts {
            stream,
            key: stream
                .encryption
                .key_arn
                .as_deref()
                .and_then(|a| self.keys.key(a)),
            key_label,
            kms_errors: self.kms_sums(&stream.name),
            window: self.window.label(),
            outage: self.outages.get(&stream.name).copied(),
            quota: self.quota(&stream.name),
            quota_warning_at: self.settings.quota_warning_at,
            now: self.now,
        }
    }

    /// Health and problems, by the same rules as `firekeeper status`.
    pub fn health(&self, row: &Row) -> (Health, Vec<String>) {
        let Some(stream) = &row.stream else {
            let why = row
                .error
                .clone()
                .unwrap_or_else(|| "not described yet".into());
            let health = if row.error.is_some() {
                Health::Critical
            } else {
                Health::Ok
            };
            return (health, vec![why]);
        };
        let label = self.keys.label(stream);
        health::assess(&self.facts(stream, &label))
    }

    fn kms_total(&self, name: &str) -> f64 {
        self.metrics.get(name).map_or(0.0, KmsSeries::grand_total)
    }
}

#[cfg(test)]
pub mod testing;
#[cfg(test)]
mod tests;
