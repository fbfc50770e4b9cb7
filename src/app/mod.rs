//! The dashboard's state and its transitions. Nothing here does I/O or awaits:
//! `update` takes an action and returns commands for the worker, `apply` takes
//! what the worker learned. Both are plain functions, tested without a runtime.

mod calls;
mod changes;
mod command;
mod grants;
mod key_rows;
mod keys;
mod messages;
mod moving;
mod pending;
mod raw;
mod recorded;
mod view;

pub use key_rows::{KeyRow, KeySort, KeysView};
pub mod alerting;
pub use calls::{listed as calls_listed, CallsScroll};
pub use messages::{Describing, LogEntry, Message, Messages, LOG_CAP, NOTICE_SECS};
pub use moving::{Counts, Move, MovePhase, MoveRow};
pub use view::Quick;

pub use crate::model::SortKey;
pub mod update;

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};

use crate::keymap::Keymap;
use crate::worker::WorkerCommand;

use crate::change::Request;
use crate::config::{Config, Markers};
use crate::estate::TargetInfo;
use crate::fleet::{Fleet, Knowledge, Rules, Seen};
use crate::health::Health;
use crate::model::KeyRef;
use crate::model::{KeyId, Row, Severity, StreamId, TargetId, Window};
use crate::preflight::Verdict;
use crate::quota::{CountedCall, Quota};

pub use crate::model::LoadingState;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum View {
    Table,
    Detail(StreamId),
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
    Stream(StreamId),
    /// The key every stream on this one moves to.
    MoveOff { key: KeyId, label: String },
}

/// A change waiting for the user's word: what it does and what the checks say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Confirm {
    pub request: Request,
    pub stream: StreamId,
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
    KeyConfirm(Box<crate::key_rotation::KeyPlan>, TargetId),
    /// The selected stream's or key's description as pretty JSON, one
    /// entry a line, scrolled to `scroll`.
    Raw {
        title: String,
        lines: Vec<String>,
        scroll: usize,
    },
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

/// The table: how it is sorted and filtered, what it lists and where the
/// cursor is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    pub sort: SortKey,
    /// A quick answer's filter (`e`, `u`), on top of the typed one.
    pub quick: Option<Quick>,
    pub filter: String,
    pub filtering: bool,
    /// The table shows only the streams on this key (its ARN and label):
    /// the keys view's Enter.
    pub only_key: Option<(KeyId, String)>,
    /// Indices into the fleet's order after filter and sort: what the
    /// table lists.
    pub visible: Vec<usize>,
    pub selected: usize,
    /// The user moved the cursor: it follows its stream when the order
    /// changes. Until then it stays on the first row.
    pub cursor_moved: bool,
    /// The stream under the cursor, kept by id: the fleet's order (which
    /// `visible` indexes) may change before the view is refreshed.
    pub cursor: Option<StreamId>,
    pub offset: usize,
    /// Table body rows that fit on screen.
    pub viewport: usize,
}

/// Which screen is shown, where closing it returns to, and what fits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Screen {
    pub view: View,
    pub size: (u16, u16),
    /// Where closing the help returns to.
    pub help_from: View,
    /// Where closing the message log returns to.
    pub messages_from: View,
    /// The first help line on screen.
    pub help_scroll: usize,
    /// Help lines that fit on screen.
    pub help_rows: usize,
    /// The `:` command line while it is open: what is typed after `:`.
    pub command: Option<String>,
    /// The log file, to point at when something went wrong inside.
    pub log_file: Option<std::path::PathBuf>,
    /// The detail's calls list, scrolled.
    pub calls: CallsScroll,
    /// An ARN `c` asked to copy, for the dashboard to send to the terminal
    /// (OSC 52) after the next draw.
    pub clipboard: Option<String>,
}

/// Changes the dashboard follows: quitting would abandon them.
#[derive(Debug, Clone, Default)]
pub struct Work {
    /// Streams with a change being followed.
    pub following: BTreeSet<StreamId>,
    /// The move off a key, planned, under way or over.
    pub moving: Option<Move>,
    /// `r` or `d` on a stream not yet described: described now, then on.
    pub describing: Option<Describing>,
}

/// The dashboard's whole state: what is known of the fleet, and how it is
/// viewed.
pub struct App {
    pub context: DashboardContext,
    pub settings: UiSettings,
    pub keymap: Keymap,
    /// What is known of the fleet, per target.
    pub fleet: Fleet,
    pub table: Table,
    pub screen: Screen,
    /// The open dialog, if any: it takes the keys until closed.
    pub dialog: Option<Dialog>,
    pub work: Work,
    pub keys_view: KeysView,
    /// What the status line says, and the message log.
    pub messages: Messages,
    /// The alerts the fleet's changes call for, and the acknowledgements.
    pub alerting: alerting::Alerting,
    pub window: Window,
    pub now: DateTime<Utc>,
    pub quit: bool,
    last_interest: Option<WorkerCommand>,
}

impl App {
    /// A dashboard of one target, the context's.
    pub fn new(
        context: DashboardContext,
        config: &Config,
        window: Window,
        now: DateTime<Utc>,
    ) -> App {
        let info = TargetInfo {
            target: crate::model::Target {
                profile: context.profile.clone(),
                account: context.account.clone(),
                region: Some(context.region.clone()),
                label: context.region.clone(),
            },
            ..TargetInfo::default()
        };
        App::with_fleet(context, config, Fleet::one(info, window), now)
    }

    /// A dashboard of the fleet's targets.
    pub fn with_fleet(
        context: DashboardContext,
        config: &Config,
        fleet: Fleet,
        now: DateTime<Utc>,
    ) -> App {
        let window = fleet.window();
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
            fleet,
            table: Table {
                sort: config.ui.sort,
                quick: None,
                filter: String::new(),
                filtering: false,
                only_key: None,
                visible: Vec::new(),
                selected: 0,
                cursor_moved: false,
                cursor: None,
                offset: 0,
                viewport: 10,
            },
            screen: Screen {
                view: View::Table,
                size: (80, 24),
                help_from: View::Table,
                messages_from: View::Table,
                help_scroll: 0,
                // What fits at 80x24 above the CloudWatch cost, until the
                // terminal says otherwise.
                help_rows: 17,
                command: None,
                log_file: None,
                calls: CallsScroll::default(),
                clipboard: None,
            },
            dialog: None,
            work: Work::default(),
            keys_view: KeysView::default(),
            messages: Messages::default(),
            alerting: alerting::Alerting::new(config, Default::default(), Default::default(), now),
            window,
            now,
            quit: false,
            last_interest: None,
        }
    }

    pub fn row(&self, id: &StreamId) -> Option<&Row> {
        self.fleet.row(id)
    }

    /// The stream at a place of the table.
    pub fn listed(&self, place: usize) -> Option<(&StreamId, &Row)> {
        let id = self.fleet.order().get(*self.table.visible.get(place)?)?;
        Some((id, self.fleet.row(id)?))
    }

    /// The stream under the cursor.
    pub fn selected_row(&self) -> Option<(&StreamId, &Row)> {
        self.listed(self.table.selected)
    }

    /// The stream under the cursor, by its id.
    pub fn selected_id(&self) -> Option<&StreamId> {
        self.selected_row().map(|(id, _)| id)
    }

    /// The rows on screen, with their positions in the table.
    pub fn on_screen(&self) -> impl Iterator<Item = (usize, &StreamId, &Row)> {
        let t = &self.table;
        let end = (t.offset + t.viewport).min(t.visible.len());
        (t.offset..end).filter_map(move |i| self.listed(i).map(|(id, row)| (i, id, row)))
    }

    /// How a stream is named on screen.
    pub fn shown(&self, id: &StreamId) -> String {
        self.fleet.shown(id)
    }

    /// The rules `status` uses too.
    pub fn rules(&self) -> Rules {
        Rules {
            window: self.window.label(),
            quota_warning_at: self.settings.quota_warning_at,
            unencrypted: self.settings.unencrypted,
            sweep_secs: self.settings.sweep_secs,
            metrics_secs: self.settings.metrics_secs,
        }
    }

    /// Everything known of a target, to judge its streams by the rules
    /// `status` uses too.
    pub fn knowledge(&self, target: TargetId) -> Knowledge<'_> {
        self.fleet.knowledge(target, self.rules(), self.now)
    }

    /// The target of a stream.
    pub fn target_of(&self, id: &StreamId) -> Option<&TargetInfo> {
        self.fleet.part(id.target).map(|p| &p.info)
    }

    /// Whether the targets span more than one account (or profile).
    pub fn many_accounts(&self) -> bool {
        let distinct = |ids: Vec<&String>| ids.iter().collect::<BTreeSet<_>>().len() > 1;
        let targets = || self.fleet.targets().map(|t| &t.target);
        distinct(targets().filter_map(|t| t.profile.as_ref()).collect())
            || distinct(targets().filter_map(|t| t.account.as_ref()).collect())
    }

    /// The region a stream is in: its target's, else the dashboard's.
    pub fn region_of(&self, id: &StreamId) -> &str {
        self.target_of(id)
            .and_then(|t| t.target.region.as_deref())
            .unwrap_or(&self.context.region)
    }

    /// KMS error sums over the window, per metric, or why they are unknown.
    pub fn kms_sums(&self, id: &StreamId) -> Result<[f64; 4], &str> {
        self.knowledge(id.target).kms_sums(&id.name)
    }

    /// The stream's quota by the ledger and CloudTrail, or why it is unknown.
    pub fn quota(&self, id: &StreamId) -> Result<Quota, &str> {
        self.knowledge(id.target).quota_of(&id.name)
    }

    /// The quota counts only this machine's ledger (CloudTrail is off or
    /// could not be read): the table marks it, as `status` does.
    pub fn quota_ledger_only(&self) -> bool {
        self.fleet
            .quota_source()
            .is_some_and(|s| s.reason().is_some())
    }

    /// The stream's Start/Stop calls of the last 24 hours, oldest first.
    pub fn calls(&self, id: &StreamId) -> &[CountedCall] {
        self.knowledge(id.target).calls_of(&id.name)
    }

    fn seen<'a>(row: &'a Row) -> Seen<'a> {
        Seen {
            name: &row.name,
            stream: row.stream.as_ref(),
            error: row.error.as_deref(),
        }
    }

    /// Health alone, for a table row: no sentences built.
    pub fn health_level(&self, id: &StreamId, row: &Row) -> Health {
        self.knowledge(id.target).level(App::seen(row))
    }

    /// Health and problems, by the same rules as `firekeeper status`.
    pub fn health(&self, id: &StreamId, row: &Row) -> (Health, Vec<String>) {
        self.knowledge(id.target).judge(App::seen(row))
    }

    /// The stream's KMS errors in the window, all four summed.
    pub(crate) fn kms_total(&self, id: &StreamId) -> f64 {
        self.fleet
            .series(id)
            .map_or(0.0, crate::model::KmsSeries::grand_total)
    }

    /// The label of a stream's key, in its target's key book.
    pub fn key_label(&self, id: &StreamId, stream: &crate::model::Stream) -> String {
        self.fleet.keys_of(id.target).label(stream)
    }
}

#[cfg(test)]
pub mod testing;
#[cfg(test)]
mod tests;
