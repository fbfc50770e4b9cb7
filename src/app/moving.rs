//! Moving every stream off a key, in the dashboard: `M` on a key in the keys
//! view opens the key picker for the new key, then the plan (every stream on
//! the old key checked against the new one, as a single change would be);
//! typing the old key's name starts it, and the progress view follows each
//! stream. The worker plans each stream again from a fresh description right
//! before sending it, so the plan shown never decides a call on its own.

use chrono::{DateTime, Utc};

use super::{App, PickFor, View, WorkerCommand};
use crate::change::moving::{is_on, Stage, AT_ONCE};
use crate::change::Request;
use crate::cloud::{KeyRef, KmsKey};
use crate::inventory::AWS_OWNED;
use crate::keymap::UserAction as A;
use crate::keymap::UserAction;
use crate::model::Tone;
use crate::preflight::STREAMS_PER_KEY;
use crate::quota::Quota;

/// A move off a key: planned, running, or over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Move {
    pub from_arn: String,
    pub from_label: String,
    /// The key's id: typing it confirms as well as the label.
    pub from_id: String,
    pub to: KeyRef,
    pub to_label: String,
    /// Every stream on the old key, in name order.
    pub rows: Vec<MoveRow>,
    /// Streams the dashboard has not described yet: they may be on the key,
    /// and are not moved by this run.
    pub undescribed: usize,
    /// Streams already on the new key, for its limit of 500.
    pub on_new: Option<usize>,
    /// Why nothing may be sent at all, if so.
    pub refusal: Option<String>,
    pub phase: MovePhase,
    /// What has been typed of the old key's name.
    pub typed: String,
    /// The last Enter did not match the old key's name.
    pub mismatch: bool,
    /// The row under the cursor: its note is shown in full.
    pub selected: usize,
    pub started: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MovePhase {
    /// The plan, waiting for the old key's name.
    Plan,
    Running,
    /// The user said stop: no new calls, those sent are followed.
    Stopping,
    /// Every stream has ended.
    Over,
}

/// One stream of a move.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MoveRow {
    pub name: String,
    pub stage: Stage,
    /// The checks' warnings, a refusal, or the latest word from the run.
    pub note: String,
    /// `None` while the ledger is unread.
    pub quota: Option<Quota>,
    pub sent_at: Option<DateTime<Utc>>,
    pub ended_at: Option<DateTime<Utc>>,
}

/// Streams per stage, for the progress line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub waiting: usize,
    pub sent: usize,
    pub enabling: usize,
    pub done: usize,
    pub failed: usize,
    pub skipped: usize,
    /// Refused by AWS, not sent, unclear: ended, not moved.
    pub other: usize,
}

/// Until a stream has settled, how long one is guessed to take: Firehose
/// usually settles a key change within a minute or two.
const GUESS_SECS: i64 = 90;

impl Move {
    pub fn sendable(&self) -> impl Iterator<Item = &MoveRow> {
        self.rows.iter().filter(|r| r.stage == Stage::Waiting)
    }

    pub fn counts(&self) -> Counts {
        let mut c = Counts::default();
        for r in &self.rows {
            match r.stage {
                Stage::Waiting => c.waiting += 1,
                Stage::Sent | Stage::Checking => c.sent += 1,
                Stage::Enabling => c.enabling += 1,
                Stage::Done | Stage::NotWaited => c.done += 1,
                Stage::Failed => c.failed += 1,
                Stage::Skipped => c.skipped += 1,
                Stage::Rejected | Stage::NotSent | Stage::Unclear => c.other += 1,
            }
        }
        c
    }

    /// Seconds left, by the streams settled so far (a guess before any has),
    /// or `None` when nothing is left.
    pub fn secs_left(&self, now: DateTime<Utc>) -> Option<(i64, bool)> {
        let settled: Vec<i64> = self
            .rows
            .iter()
            .filter_map(|r| Some((r.ended_at? - r.sent_at?).num_seconds()))
            .collect();
        let measured = !settled.is_empty();
        let each = if measured {
            settled.iter().sum::<i64>() / settled.len() as i64
        } else {
            GUESS_SECS
        };
        let c = self.counts();
        if c.waiting + c.sent + c.enabling == 0 {
            return None;
        }
        // Those under way finish first (on average half their time is
        // spent), then the waiting ones go AT_ONCE at a time.
        let running = self
            .rows
            .iter()
            .filter_map(|r| r.sent_at.filter(|_| !r.stage.ended()))
            .map(|at| (each - (now - at).num_seconds()).max(1))
            .max()
            .unwrap_or(0);
        let waiting = if self.phase == MovePhase::Stopping {
            0
        } else {
            c.waiting.div_ceil(AT_ONCE) as i64 * each
        };
        Some((running + waiting, measured))
    }

    fn confirmed_by(&self, typed: &str) -> bool {
        let typed = typed.trim();
        typed == self.from_label || typed == self.from_id || typed == self.from_arn
    }
}

impl App {
    /// `M` in the keys view: the picker for the key the streams move to.
    /// While a move is under way, `M` shows its progress again instead.
    pub(super) fn open_move(&mut self, arn: &str, label: &str) -> Vec<WorkerCommand> {
        if let Some(m) = &self.moving {
            if m.phase != MovePhase::Over {
                self.view = View::Move;
                return Vec::new();
            }
        }
        self.open_key_picker(PickFor::MoveOff {
            arn: arn.to_string(),
            label: label.to_string(),
        })
    }

    /// The plan of the move, from what the dashboard knows: each stream on
    /// the old key checked against the new one with a single change's rules.
    pub(super) fn plan_move(&mut self, from_arn: &str, to: KeyRef, target: Option<KmsKey>) {
        let to_label = match &to {
            KeyRef::AwsOwned => AWS_OWNED.to_string(),
            KeyRef::Customer(arn) => self.all_keys.as_ref().unwrap_or(&self.keys).key_label(arn),
        };
        let mut rows = Vec::new();
        let mut undescribed = 0;
        for row in &self.rows {
            let Some(s) = &row.stream else {
                undescribed += usize::from(self.may_use(&row.name, from_arn));
                continue;
            };
            if !is_on(s, from_arn) {
                continue;
            }
            let request = Request::Switch {
                stream: row.name.clone(),
                key: to.clone(),
            };
            let c = self.preview(s, request, target.clone());
            let (stage, note) = if c.verdict.allowed() {
                (Stage::Waiting, c.verdict.warnings.join("; "))
            } else {
                (Stage::Skipped, c.verdict.reasons())
            };
            rows.push(MoveRow {
                name: row.name.clone(),
                stage,
                note,
                quota: c.quota,
                sent_at: None,
                ended_at: None,
            });
        }
        let on_new = match &to {
            KeyRef::AwsOwned => None,
            KeyRef::Customer(arn) => {
                Some(self.rows.iter().filter(|r| r.encrypted_with(arn)).count())
            }
        };
        let from_label = self.keys.key_label(from_arn);
        let sending = rows.iter().filter(|r| r.stage == Stage::Waiting).count();
        let spanned = self.targets_of(rows.iter().map(|r| r.name.as_str()));
        let refusal = if spanned.len() > 1 {
            Some(self.spanned_refusal(&from_label, &spanned))
        } else if on_new.is_some_and(|n| n + sending > STREAMS_PER_KEY) {
            Some(format!(
                "{to_label} already encrypts {} streams; {sending} more would pass KMS's limit of {STREAMS_PER_KEY} streams a key",
                on_new.unwrap_or(0)
            ))
        } else if rows.is_empty() && undescribed > 0 {
            Some(format!(
                "no stream described uses {from_label}, but {undescribed} are not described yet; try again when they are"
            ))
        } else if rows.is_empty() {
            Some(format!(
                "no stream is encrypted with {from_label}: nothing to move"
            ))
        } else if sending == 0 {
            Some("every stream on the key would be refused".to_string())
        } else {
            None
        };
        self.moving = Some(Move {
            from_id: crate::cloud::key_id_of(from_arn).to_string(),
            from_arn: from_arn.to_string(),
            from_label,
            to,
            to_label,
            rows,
            undescribed,
            on_new,
            refusal,
            phase: MovePhase::Plan,
            typed: String::new(),
            mismatch: false,
            selected: 0,
            started: None,
        });
        self.view = View::Move;
    }

    /// An action on the plan: type the old key's name and Enter, or cancel.
    pub(super) fn move_plan_action(&mut self, action: UserAction) -> Vec<WorkerCommand> {
        let Some(m) = &mut self.moving else {
            return Vec::new();
        };
        match action {
            A::Cancel => {
                self.moving = None;
                self.view = View::Keys;
            }
            A::Erase => {
                m.typed.pop();
                m.mismatch = false;
            }
            A::PickerUp => m.selected = m.selected.saturating_sub(1),
            A::PickerDown => m.selected = (m.selected + 1).min(m.rows.len().saturating_sub(1)),
            A::SubmitName if m.refusal.is_some() => {}
            A::SubmitName if !m.confirmed_by(&m.typed) => m.mismatch = true,
            A::SubmitName => {
                m.phase = MovePhase::Running;
                m.started = Some(self.now);
                let command = WorkerCommand::Move {
                    from: m.from_arn.clone(),
                    to: m.to.clone(),
                    streams: m.sendable().map(|r| r.name.clone()).collect(),
                    streams_on_new: m.on_new,
                };
                return vec![command];
            }
            _ => {}
        }
        Vec::new()
    }

    /// An action on the progress view.
    pub(super) fn moving_action(&mut self, action: UserAction) -> Vec<WorkerCommand> {
        let page = self.viewport.max(1);
        let Some(m) = &mut self.moving else {
            self.view = View::Keys;
            return Vec::new();
        };
        let last = m.rows.len().saturating_sub(1);
        match action {
            A::Up => m.selected = m.selected.saturating_sub(1),
            A::Down => m.selected = (m.selected + 1).min(last),
            A::Top => m.selected = 0,
            A::Bottom => m.selected = last,
            A::PageUp => m.selected = m.selected.saturating_sub(page),
            A::PageDown => m.selected = (m.selected + page).min(last),
            A::Back if m.phase == MovePhase::Running => {
                m.phase = MovePhase::Stopping;
                let text = format!(
                    "move off {}: sending no more; the calls already sent are followed to the end",
                    m.from_label
                );
                self.say(text, Tone::Info);
                return vec![WorkerCommand::StopMove];
            }
            A::Back | A::Keys => self.view = View::Keys,
            A::Help => {
                self.help_from = View::Move;
                self.view = View::Help;
                self.help_scroll = 0;
            }
            _ => {}
        }
        Vec::new()
    }

    /// A stream of the move reached a stage.
    pub(super) fn move_stage(&mut self, stream: &str, stage: Stage, words: String) {
        let now = self.now;
        let Some(m) = &mut self.moving else { return };
        let Some(row) = m.rows.iter_mut().find(|r| r.name == stream) else {
            return;
        };
        if row.sent_at.is_none() && matches!(stage, Stage::Sent | Stage::Checking) {
            row.sent_at = Some(now);
            // The call counts whatever AWS makes of it; the ledger is read
            // again when the move is over.
            if let Some(q) = &mut row.quota {
                q.used += 1;
                q.used_here += 1;
                q.remaining = q.remaining.saturating_sub(1);
            }
        }
        if stage.ended() && row.ended_at.is_none() {
            row.ended_at = Some(now);
        }
        row.stage = stage;
        // The row names the stream already.
        row.note = words
            .strip_prefix(stream)
            .or_else(|| words.strip_prefix(crate::estate::bare(stream)))
            .map_or(words.as_str(), str::trim_start)
            .trim_start_matches(':')
            .trim_start()
            .to_string();
        if m.rows.iter().all(|r| r.stage.ended()) {
            self.move_over();
        }
    }

    /// The worker's run is over: whatever has not ended never will in it.
    pub(super) fn move_over(&mut self) {
        let Some(m) = &mut self.moving else { return };
        if m.phase == MovePhase::Over || m.phase == MovePhase::Plan {
            return;
        }
        for r in &mut m.rows {
            if !r.stage.ended() {
                r.stage = if r.stage == Stage::Waiting {
                    Stage::NotSent
                } else {
                    Stage::Unclear
                };
            }
        }
        m.phase = MovePhase::Over;
        let c = m.counts();
        let moved = m.rows.len() - c.skipped;
        let text = format!(
            "move off {}: {} of {moved} moved to {}{}{}{}",
            m.from_label,
            c.done,
            m.to_label,
            plural(c.failed, "failed and kept the old key"),
            plural(c.skipped, "skipped"),
            plural(c.other, "not moved (see the move)"),
        );
        let tone = if c.failed + c.other > 0 {
            Tone::Bad
        } else {
            Tone::Good
        };
        self.report(text, tone);
    }
}

impl App {
    /// Whether a stream of this name could be on the key: with several
    /// targets, only one of the key's own region and account (or of a
    /// target whose account is not known yet) can.
    fn may_use(&self, name: &str, arn: &str) -> bool {
        if self.targets.len() < 2 {
            return true;
        }
        let Some(t) = self.target_of(name) else {
            return false;
        };
        let account = arn.split(':').nth(4);
        t.region.as_deref() == crate::cloud::region_of_arn(arn)
            && (t.account.is_none() || t.account.as_deref() == account)
    }

    /// Why a change of a key whose streams are listed under several
    /// targets is not sent: it goes through one target, and would leave the
    /// others' streams out without a word.
    pub(super) fn spanned_refusal(
        &self,
        key: &str,
        targets: &std::collections::BTreeSet<&str>,
    ) -> String {
        let list: Vec<&str> = targets.iter().copied().collect();
        let unknown = self
            .targets
            .iter()
            .any(|t| targets.contains(t.label.as_str()) && t.account.is_none());
        // Two profiles of one account are listed apart until STS says
        // which account each is.
        let why = if unknown {
            "some of their accounts are not known yet, so they may be one account seen through two profiles"
        } else {
            "a change is sent through one of them and would leave the others' streams out"
        };
        format!(
            "the streams on {key} are listed under several targets ({}); {why}: start firekeeper with one of them (--profile, --region) to change this key",
            list.join(", ")
        )
    }

    /// The targets (labels) these streams are listed under.
    pub(super) fn targets_of<'a>(
        &self,
        names: impl Iterator<Item = &'a str>,
    ) -> std::collections::BTreeSet<&'a str> {
        names.filter_map(|n| crate::estate::split(n).1).collect()
    }
}

fn plural(n: usize, what: &str) -> String {
    if n == 0 {
        String::new()
    } else {
        format!(", {n} {what}")
    }
}
