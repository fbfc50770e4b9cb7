//! The dashboard's state and its transitions. Nothing here does I/O or awaits:
//! `update` takes an action and returns commands for the worker, `apply` takes
//! what the worker learned. Both are plain functions, tested without a runtime.

mod changes;
mod grants;
mod key_rows;
mod keys;
mod messages;
mod moving;
mod pending;
mod view;

pub use changes::PickerKeys;
pub use key_rows::{KeyRow, KeySort, KeysView};
pub mod alerting;
pub use messages::{Describing, LogEntry, Message, Messages, LOG_CAP, NOTICE_SECS};
pub use moving::{Counts, Move, MovePhase, MoveRow};
pub use view::Quick;

pub use crate::model::SortKey;
pub mod update;

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};

use crate::keymap::Keymap;
use crate::worker::WorkerCommand;

use crate::change::Request;
use crate::cloud::KeyRef;
use crate::cloud::{CredentialFacts, History};
use crate::cloud::{EncryptionStatus, KmsSeries};
use crate::config::{Config, Markers};
use crate::fleet::{Knowledge, Metrics, Quotas, Rules, Seen};
use crate::health::{Health, Outage};
use crate::inventory::KeyBook;
use crate::model::{Row, Severity, Window};
use crate::preflight::Verdict;
use crate::quota::{CountedCall, Quota, QuotaBook};

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

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum View {
    Table,
    Detail(String),
    /// Every key the fleet uses.
    Keys,
    /// A move off a key: its plan, then its progress.
    Move,
    Help,
    /// The message log: outcomes and errors in full, newest first.
    Messages,
}

/// Where the dashboard is pointed, for the header.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DashboardContext {
    pub account: Option<String>,
    pub region: String,
    pub profile: Option<String>,
    pub demo: bool,
    pub endpoint: Option<String>,
    pub read_only: bool,
}

/// The key picker: `r` on a stream, or `M` on a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Picker {
    pub purpose: PickFor,
    pub filter: String,
    pub selected: usize,
}

/// What the picked key is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PickFor {
    /// The stream's new key.
    Stream(String),
    /// The key every stream on this one moves to.
    MoveOff { arn: String, label: String },
}

/// A change waiting for the user's word: what it does and what the checks say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Confirm {
    pub request: Request,
    pub stream: String,
    pub old_label: String,
    pub new_label: String,
    /// `None` while the ledger is unread.
    pub quota: Option<Quota>,
    pub verdict: Verdict,
    pub streams_on_key: Option<usize>,
    /// What has been typed: of the stream's name, to stop its encryption;
    /// or the name or `send`, to send past refusals AWS may not share.
    pub typed: Option<String>,
    /// The last Enter came with a name that is not the stream's.
    pub mismatch: bool,
    /// KMS is being asked whether the caller may create Firehose's grant
    /// on the new key (a dry run); the verdict is checked again with its
    /// answer, and the worker asks again before sending.
    pub grant_pending: bool,
}

/// One entry of the key picker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PickItem {
    pub key: KeyRef,
    pub label: String,
    pub detail: String,
    /// Why this key cannot be used, if it cannot.
    pub problem: Option<String>,
    /// Why it may not work although it can be picked: KMS is refusing
    /// streams on it right now, or denied a grant dry run on it.
    pub warning: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dialog {
    Picker(Picker),
    Confirm(Confirm),
    /// Rotating a key's material: the plan as the dashboard knows it; the
    /// worker plans again from a fresh description before sending.
    KeyConfirm(Box<crate::key_rotation::KeyPlan>),
    /// Quitting would stop following these changes ("the change to
    /// order-events", "the move off alias/x (2 not sent yet)"): ask first.
    Quit(Vec<String>),
}

/// Settings the view needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UiSettings {
    pub markers: Markers,
    pub color: bool,
    pub quota_warning_at: u32,
    pub unencrypted: Severity,
    /// How long one AWS call may take, to say how long AWS has been silent.
    pub call_timeout_secs: u64,
    /// How often every stream that can have KMS errors is asked, for the
    /// help's account of what CloudWatch is asked.
    pub sweep_secs: u64,
    /// How often the metrics are fetched: with `sweep_secs`, how old a
    /// figure may be before it is too old to trust.
    pub metrics_secs: u64,
}

/// Fleet counts for the header, kept up to date as data arrives so a frame
/// never walks the whole fleet.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    pub total: usize,
    pub by_status: BTreeMap<EncryptionStatus, usize>,
    pub unknown: usize,
    pub with_kms_errors: usize,
    /// Streams of each target, by label, with several.
    pub per_target: BTreeMap<String, usize>,
}

/// The dashboard's whole state.
pub struct App {
    pub context: DashboardContext,
    pub settings: UiSettings,
    pub keymap: Keymap,
    /// Every known stream, in name order.
    pub rows: Vec<Row>,
    index: HashMap<String, usize>,
    pub keys: KeyBook,
    pub metrics: BTreeMap<String, KmsSeries>,
    /// Streams CloudWatch gave incomplete data for, and why.
    pub metrics_unknown: BTreeMap<String, String>,
    /// When CloudWatch was last asked, and the streams whose figures are
    /// older (the sweep's), with when they were asked.
    pub metrics_at: Option<DateTime<Utc>>,
    pub metrics_as_of: BTreeMap<String, DateTime<Utc>>,
    pub metrics_window: Option<Window>,
    pub outages: HashMap<String, Outage>,
    pub quotas: QuotaBook,
    /// Whether `quotas` was read from the ledger, or why not.
    pub quota_state: LoadingState,
    pub window: Window,
    pub sort: SortKey,
    /// A quick answer's filter (`e`, `u`), on top of the typed one.
    pub quick: Option<Quick>,
    pub filter: String,
    pub filtering: bool,
    /// Indices into `rows` after filter and sort: what the table lists.
    pub visible: Vec<usize>,
    pub selected: usize,
    /// The user moved the cursor: it follows its stream when the order
    /// changes. Until then it stays on the first row.
    pub cursor_moved: bool,
    pub offset: usize,
    pub view: View,
    /// Table body rows that fit on screen.
    pub viewport: usize,
    pub size: (u16, u16),
    pub list_state: LoadingState,
    pub metrics_state: LoadingState,
    /// The last thing that went wrong, in words, and when.
    pub last_error: Option<(String, DateTime<Utc>)>,
    /// The last time AWS answered anything.
    pub last_answer: Option<DateTime<Utc>>,
    /// When a call first went unanswered since the last answer: AWS is silent.
    pub silent_since: Option<DateTime<Utc>>,
    /// Streams with a change being followed: quitting would abandon them.
    pub following: std::collections::BTreeSet<String>,
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
    /// Why the account's keys could not be listed, until they are asked for again.
    pub all_keys_error: Option<String>,
    pub credentials: CredentialFacts,
    /// Who changed the fleet's streams and keys lately, by CloudTrail.
    pub history: History,
    pub keys_view: KeysView,
    /// The table shows only the streams on this key (ARN, label): the keys
    /// view's Enter.
    pub only_key: Option<(String, String)>,
    /// The move off a key, planned, under way or over.
    pub moving: Option<Move>,
    /// Where closing the help returns to.
    pub help_from: View,
    /// What the status line says, and the message log.
    pub messages: Messages,
    /// Where closing the message log returns to.
    pub messages_from: View,
    /// `r` or `d` on a stream not yet described: described now, then on.
    pub describing: Option<Describing>,
    /// The first help line on screen.
    pub help_scroll: usize,
    /// Help lines that fit on screen.
    pub help_rows: usize,
    /// The worker panicked with this message: nothing is refreshed any more.
    pub fault: Option<String>,
    /// The log file, to point at when something went wrong inside.
    pub log_file: Option<std::path::PathBuf>,
    /// What the dashboard has asked of CloudWatch, for the help screen.
    pub cloudwatch: Option<crate::cloud::CloudWatchUsage>,
    /// The targets of a dashboard of several (empty with one): the header
    /// summarises each, the table gains REGION (and ACCOUNT) columns.
    pub targets: Vec<crate::estate::TargetInfo>,
    /// The alerts the fleet's changes call for, and the acknowledgements.
    pub alerting: alerting::Alerting,
    /// What KMS last said of a dry run of Firehose's grant, by key ARN:
    /// asked whenever a confirmation for the key opens.
    pub grant_checks: HashMap<String, crate::cloud::GrantCheck>,
    last_interest: Option<WorkerCommand>,
}

impl App {
    pub fn new(
        context: DashboardContext,
        config: &Config,
        window: Window,
        now: DateTime<Utc>,
    ) -> App {
        App {
            context,
            settings: UiSettings {
                markers: config.ui.markers,
                color: config.ui.color,
                quota_warning_at: config.status.quota_warning_at.0,
                unencrypted: config.health.unencrypted,
                call_timeout_secs: config.aws.call_timeout_secs.0,
                sweep_secs: config.cloudwatch.sweep_secs.0,
                metrics_secs: config.refresh.metrics_secs.0,
            },
            keymap: crate::keymap::Keymap::of(&config.keys),
            rows: Vec::new(),
            index: HashMap::new(),
            keys: KeyBook::default(),
            metrics: BTreeMap::new(),
            metrics_unknown: BTreeMap::new(),
            metrics_at: None,
            metrics_as_of: BTreeMap::new(),
            metrics_window: None,
            outages: HashMap::new(),
            quotas: QuotaBook::default(),
            quota_state: LoadingState::Loading,
            window,
            sort: config.ui.sort,
            quick: None,
            filter: String::new(),
            filtering: false,
            visible: Vec::new(),
            selected: 0,
            cursor_moved: false,
            offset: 0,
            view: View::Table,
            viewport: 10,
            size: (80, 24),
            list_state: LoadingState::Loading,
            metrics_state: LoadingState::Loading,
            last_error: None,
            last_answer: None,
            silent_since: None,
            following: Default::default(),
            from_cache: None,
            last_refresh: None,
            now,
            summary: Summary::default(),
            quit: false,
            dialog: None,
            all_keys: None,
            all_keys_error: None,
            credentials: CredentialFacts::default(),
            history: History::default(),
            keys_view: KeysView::default(),
            only_key: None,
            moving: None,
            help_from: View::Table,
            messages: Messages::default(),
            messages_from: View::Table,
            describing: None,
            help_scroll: 0,
            // What fits at 80x24 above the CloudWatch cost, until the
            // terminal says otherwise.
            help_rows: 17,
            fault: None,
            log_file: None,
            cloudwatch: None,
            targets: Vec::new(),
            alerting: alerting::Alerting::new(config, Default::default(), Default::default(), now),
            grant_checks: HashMap::new(),
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

    /// Everything known of the fleet, for the rules `status` uses too.
    pub fn knowledge(&self) -> Knowledge<'_> {
        let metrics = match (&self.metrics_window, &self.metrics_state) {
            (Some(_), _) => Metrics::Loaded {
                series: &self.metrics,
                unknown: &self.metrics_unknown,
                at: self.metrics_at,
                as_of: &self.metrics_as_of,
                // A sweep, and two fetches more (one may fail): a figure
                // older than that is no longer known. A CloudWatch outage
                // turns the fleet unknown, not quietly clean.
                stale_before: self.metrics_at.map(|_| {
                    let secs = self.settings.sweep_secs + 2 * self.settings.metrics_secs;
                    self.now - chrono::Duration::seconds(i64::try_from(secs).unwrap_or(i64::MAX))
                }),
            },
            (None, LoadingState::Error(why)) => Metrics::Missing(why),
            (None, _) => Metrics::Missing("not loaded yet"),
        };
        let quotas = match &self.quota_state {
            LoadingState::Loaded => Quotas::Loaded(&self.quotas),
            LoadingState::Error(why) => Quotas::Missing(why),
            _ => Quotas::Missing("the ledger is not read yet"),
        };
        Knowledge {
            keys: &self.keys,
            metrics,
            outages: &self.outages,
            quotas,
            history: &self.history,
            rules: Rules {
                window: self.window.label(),
                quota_warning_at: self.settings.quota_warning_at,
                unencrypted: self.settings.unencrypted,
            },
            now: self.now,
        }
    }

    /// The target of a stream (by its qualified name), with several.
    pub fn target_of(&self, name: &str) -> Option<&crate::estate::TargetInfo> {
        let label = crate::estate::split(name).1?;
        self.targets.iter().find(|t| t.label == label)
    }

    /// The target of a key: that of a stream on it, else the one of the
    /// ARN's account and region.
    pub fn target_of_key(&self, arn: &str) -> Option<&crate::estate::TargetInfo> {
        if let Some(row) = self.rows.iter().find(|r| r.encrypted_with(arn)) {
            return self.target_of(&row.name);
        }
        let region = crate::cloud::region_of_arn(arn)?;
        let account = arn.split(':').nth(4)?;
        self.targets.iter().find(|t| {
            t.same_as.is_none()
                && t.region.as_deref() == Some(region)
                && t.account.as_deref() == Some(account)
        })
    }

    /// Whether the targets span more than one account (or profile).
    pub fn many_accounts(&self) -> bool {
        let distinct =
            |ids: Vec<&String>| ids.iter().collect::<std::collections::BTreeSet<_>>().len() > 1;
        distinct(
            self.targets
                .iter()
                .filter_map(|t| t.profile.as_ref())
                .collect(),
        ) || distinct(
            self.targets
                .iter()
                .filter_map(|t| t.account.as_ref())
                .collect(),
        )
    }

    /// The region a stream is in: its target's, else the dashboard's.
    pub fn region_of(&self, name: &str) -> &str {
        self.target_of(name)
            .and_then(|t| t.region.as_deref())
            .unwrap_or(&self.context.region)
    }

    /// KMS error sums over the window, per metric, or why they are unknown.
    pub fn kms_sums(&self, name: &str) -> Result<[f64; 4], &str> {
        self.knowledge().kms_sums(name)
    }

    /// The stream's quota by the ledger and CloudTrail, or why it is unknown.
    pub fn quota(&self, name: &str) -> Result<Quota, &str> {
        self.knowledge().quota_of(name)
    }

    /// The quota counts only this machine's ledger (CloudTrail is off or
    /// could not be read): the table marks it, as `status` does.
    pub fn quota_ledger_only(&self) -> bool {
        self.knowledge()
            .quota_source()
            .is_some_and(|s| s.reason().is_some())
    }

    /// The stream's Start/Stop calls of the last 24 hours, oldest first.
    pub fn calls(&self, name: &str) -> &[CountedCall] {
        self.knowledge().calls_of(name)
    }

    fn seen<'a>(row: &'a Row) -> Seen<'a> {
        Seen {
            name: &row.name,
            stream: row.stream.as_ref(),
            error: row.error.as_deref(),
        }
    }

    /// Health alone, for a table row: no sentences built.
    pub fn health_level(&self, row: &Row) -> Health {
        self.knowledge().level(App::seen(row))
    }

    /// Health and problems, by the same rules as `firekeeper status`.
    pub fn health(&self, row: &Row) -> (Health, Vec<String>) {
        self.knowledge().judge(App::seen(row))
    }

    pub(crate) fn kms_total(&self, name: &str) -> f64 {
        self.metrics.get(name).map_or(0.0, KmsSeries::grand_total)
    }
}

#[cfg(test)]
pub mod testing;
#[cfg(test)]
mod tests;
