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
use crate::inventory::AWS_OWNED;
use crate::keymap::UserAction as A;
use crate::keymap::UserAction;
use crate::model::{KeyId, StreamId, TargetId, Tone};
use crate::model::{KeyRef, KmsKey};
use crate::preflight::STREAMS_PER_KEY;
use crate::quota::Quota;

/// A move off a key: planned, running, or over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Move {
    pub from: KeyId,
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
    pub id: StreamId,
    /// Its name as shown.
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
    /// Taken up, the call not answered yet.
    pub sending: usize,
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
                Stage::Sending => c.sending += 1,
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
        if c.waiting + c.sending + c.sent + c.enabling == 0 {
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
        typed == self.from_label || typed == self.from_id || typed == self.from.arn
    }
}

impl App {
    /// `M` in the keys view: the picker for the key the streams move to.
    /// While a move is under way, `M` shows its progress again instead; so
    /// does `M` on the key of the latest move once it is over, for its
    /// outcomes to be read again (`M` there plans a new one).
    pub(super) fn open_move(&mut self, key: &KeyId, label: &str) -> Vec<WorkerCommand> {
        if let Some(m) = &self.work.moving {
            if m.phase != MovePhase::Over || m.from == *key {
                self.screen.view = View::Move;
                return Vec::new();
            }
        }
        self.pick_move_target(key, label)
    }

    /// The key picker for a new move off `key`.
    fn pick_move_target(&mut self, key: &KeyId, label: &str) -> Vec<WorkerCommand> {
        self.open_key_picker(PickFor::MoveOff {
            key: key.clone(),
            label: label.to_string(),
        })
    }

    /// The plan of the move, from what the dashboard knows: each stream on
    /// the old key checked against the new one with a single change's rules.
    pub(super) fn plan_move(&mut self, from: &KeyId, to: KeyRef, target: Option<KmsKey>) {
        let from_arn = from.arn.as_str();
        let book = self.fleet.keys_of(from.target);
        let all = self
            .fleet
            .part(from.target)
            .and_then(|p| p.all_keys.as_ref());
        let to_label = match &to {
            KeyRef::AwsOwned => AWS_OWNED.to_string(),
            KeyRef::Customer(arn) => all.unwrap_or(book).key_label(arn),
        };
        let from_label = book.key_label(from_arn);
        let (rows, undescribed) = self.move_rows(from_arn, &to, target.as_ref());
        let on_new = match &to {
            KeyRef::AwsOwned => None,
            KeyRef::Customer(arn) => Some(self.streams_on(arn).len()),
        };
        let refusal = self.move_refusal(&from_label, &to_label, &rows, undescribed, on_new);
        self.work.moving = Some(Move {
            from_id: crate::model::key_id_of(from_arn).to_string(),
            from: from.clone(),
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
        self.screen.view = View::Move;
    }

    /// Each described stream on the old key with the stage the plan gives
    /// it (waiting, or skipped and why), and how many streams that may be on
    /// it are not described yet.
    fn move_rows(
        &self,
        from_arn: &str,
        to: &KeyRef,
        target: Option<&KmsKey>,
    ) -> (Vec<MoveRow>, usize) {
        let mut rows = Vec::new();
        let mut undescribed = 0;
        for (id, row) in self.fleet.rows() {
            // A row shown from AWS Config's record is not described yet:
            // no move is planned on a record.
            let Some(s) = row.stream.as_ref().filter(|s| !s.only_recorded()) else {
                undescribed += usize::from(self.may_use(id, from_arn));
                continue;
            };
            if !is_on(s, from_arn) {
                continue;
            }
            let request = Request::Switch {
                stream: id.name.clone(),
                key: to.clone(),
            };
            let c = self.preview(id, s, request, target.cloned());
            let (stage, note) = if c.verdict.allowed() {
                (Stage::Waiting, c.verdict.warnings.join("; "))
            } else {
                (Stage::Skipped, c.verdict.reasons())
            };
            rows.push(MoveRow {
                id: id.clone(),
                name: self.shown(id),
                stage,
                note,
                quota: c.quota,
                sent_at: None,
                ended_at: None,
            });
        }
        (rows, undescribed)
    }

    /// Why the planned move cannot go ahead at all, if it cannot.
    fn move_refusal(
        &self,
        from_label: &str,
        to_label: &str,
        rows: &[MoveRow],
        undescribed: usize,
        on_new: Option<usize>,
    ) -> Option<String> {
        let sending = rows.iter().filter(|r| r.stage == Stage::Waiting).count();
        let ids: Vec<StreamId> = rows.iter().map(|r| r.id.clone()).collect();
        let spanned = self.targets_of(&ids);
        if spanned.len() > 1 {
            Some(self.spanned_refusal(from_label, &spanned))
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
        }
    }

    /// An action on the plan: type the old key's name and Enter, or cancel.
    pub(super) fn move_plan_action(&mut self, action: UserAction) -> Vec<WorkerCommand> {
        let Some(m) = &mut self.work.moving else {
            return Vec::new();
        };
        match action {
            A::Cancel => {
                self.work.moving = None;
                self.screen.view = View::Keys;
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
                    from: m.from.clone(),
                    to: m.to.clone(),
                    streams: m.sendable().map(|r| r.id.clone()).collect(),
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
        let page = self.table.viewport.max(1);
        let Some(m) = &mut self.work.moving else {
            self.screen.view = View::Keys;
            return Vec::new();
        };
        let last = m.rows.len().saturating_sub(1);
        match action {
            A::Up | A::Down | A::Top | A::Bottom | A::PageUp | A::PageDown => {
                m.selected = super::keys::moved(m.selected, page, action)
                    .unwrap_or(m.selected)
                    .min(last);
            }
            A::Back if m.phase == MovePhase::Running => {
                m.phase = MovePhase::Stopping;
                let text = format!(
                    "move off {}: sending no more; the calls already sent are followed to the end",
                    m.from_label
                );
                self.say(text, Tone::Info);
                return vec![WorkerCommand::StopMove];
            }
            A::Back | A::Keys => self.screen.view = View::Keys,
            A::MoveOff if m.phase == MovePhase::Over => {
                let (key, label) = (m.from.clone(), m.from_label.clone());
                return self.pick_move_target(&key, &label);
            }
            A::Help => self.open_help(),
            _ => {}
        }
        Vec::new()
    }

    /// A stream of the move reached a stage.
    pub(super) fn move_stage(&mut self, stream: &StreamId, stage: Stage, words: String) {
        let now = self.now;
        let Some(m) = &mut self.work.moving else {
            return;
        };
        let Some(row) = m.rows.iter_mut().find(|r| r.id == *stream) else {
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
            .strip_prefix(stream.name.as_str())
            .map_or(words.as_str(), str::trim_start)
            .trim_start_matches(':')
            .trim_start()
            .to_string();
        let failed = matches!(row.stage, Stage::Failed | Stage::Rejected | Stage::Unclear)
            .then(|| format!("move off {}: {}: {}", m.from_label, row.name, row.note));
        let over = m.rows.iter().all(|r| r.stage.ended());
        // Each stream that did not move has its own entry, whole: the
        // move's summary only counts them.
        if let Some(text) = failed {
            self.say(text, Tone::Bad);
        }
        if over {
            self.move_over();
        }
    }

    /// The worker's run is over: whatever has not ended never will in it.
    pub(super) fn move_over(&mut self) {
        let Some(m) = &mut self.work.moving else {
            return;
        };
        if m.phase == MovePhase::Over || m.phase == MovePhase::Plan {
            return;
        }
        let mut unclear = Vec::new();
        for r in &mut m.rows {
            if !r.stage.ended() {
                r.stage = if r.stage == Stage::Waiting {
                    Stage::NotSent
                } else {
                    unclear.push(format!(
                        "move off {}: {}: unclear: the run ended before it did (last word: {})",
                        m.from_label,
                        r.name,
                        if r.note.is_empty() {
                            r.stage.word()
                        } else {
                            &r.note
                        }
                    ));
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
            plural(c.other, "not moved (M on the key shows the move)"),
        );
        let tone = if c.failed + c.other > 0 {
            Tone::Bad
        } else {
            Tone::Good
        };
        for line in unclear {
            self.say(line, Tone::Bad);
        }
        self.report(text, tone);
    }
}

impl App {
    /// Whether a stream of this name could be on the key: with several
    /// targets, only one of the key's own region and account (or of a
    /// target whose account is not known yet) can.
    fn may_use(&self, id: &StreamId, arn: &str) -> bool {
        if !self.fleet.several() {
            return true;
        }
        let Some(t) = self.target_of(id).map(|t| &t.target) else {
            return false;
        };
        let account = arn.split(':').nth(4);
        t.region.as_deref() == crate::model::region_of_arn(arn)
            && (t.account.is_none() || t.account.as_deref() == account)
    }

    /// Why a change of a key whose streams are listed under several
    /// targets is not sent: it goes through one target, and would leave the
    /// others' streams out without a word.
    pub(super) fn spanned_refusal(
        &self,
        key: &str,
        targets: &std::collections::BTreeSet<TargetId>,
    ) -> String {
        let parts = targets.iter().filter_map(|t| self.fleet.part(*t));
        let mut list: Vec<&str> = parts
            .clone()
            .map(|p| p.info.target.label.as_str())
            .collect();
        list.sort_unstable();
        let unknown = parts.clone().any(|p| p.info.target.account.is_none());
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

    /// The targets these streams are listed under.
    pub(super) fn targets_of(&self, ids: &[StreamId]) -> std::collections::BTreeSet<TargetId> {
        ids.iter().map(|id| id.target).collect()
    }
}

fn plural(n: usize, what: &str) -> String {
    if n == 0 {
        String::new()
    } else {
        format!(", {n} {what}")
    }
}
