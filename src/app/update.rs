//! State transitions for what the worker learned, the terminal's size and the
//! clock; keys are in keys.rs.

use chrono::{DateTime, Utc};

use super::{App, LoadingState, WorkerCommand};
use crate::model::{ago, clock, Row, StreamId, TargetId, Tone};
use crate::worker::DataEvent;

impl App {
    /// The terminal's new size; `viewport` is the table rows that fit.
    pub fn resize(&mut self, width: u16, height: u16, viewport: usize) -> Vec<WorkerCommand> {
        self.screen.size = (width, height);
        self.table.viewport = viewport.max(1);
        self.select(self.table.selected);
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
        match (
            self.fleet.freshness.last_refresh,
            self.fleet.freshness.from_cache,
        ) {
            // Ctrl-r: said until the list comes back (or fails).
            (Some(_), _) if self.fleet.list_state() == LoadingState::Loading => {
                "refreshing…".to_string()
            }
            // Listed, but not every stream described: not yet refreshed.
            (Some(_), _) if self.fleet.tally().loading + self.fleet.tally().recorded > 0 => {
                "loading…".to_string()
            }
            // Shown from the cache while CloudTrail is read: not yet known.
            (Some(_), _) if self.fleet.tally().cached > 0 => "checking…".to_string(),
            (Some(t), _) => format!("refreshed {}", ago(self.now - t)),
            (None, Some(t)) => format!("cached {}", ago(self.now - t)),
            (None, None) => "loading".to_string(),
        }
    }

    pub(super) fn select(&mut self, index: usize) {
        let count = self.table.visible.len();
        self.table.selected = index.min(count.saturating_sub(1));
        if self.table.selected < self.table.offset {
            self.table.offset = self.table.selected;
        } else if self.table.selected >= self.table.offset + self.table.viewport {
            self.table.offset = self.table.selected + 1 - self.table.viewport;
        }
        self.table.offset = self
            .table
            .offset
            .min(count.saturating_sub(self.table.viewport));
        let cursor = self.listed(self.table.selected).map(|(id, _)| id.clone());
        self.table.cursor = cursor;
    }

    /// Tells the worker what is on screen, when that changed.
    pub(super) fn interest(&mut self) -> Vec<WorkerCommand> {
        let t = &self.table;
        let id = |i: usize| self.listed(i).map(|(id, _)| id.clone());
        let end = (t.offset + t.viewport).min(t.visible.len());
        let visible: Vec<StreamId> = (t.offset..end).filter_map(id).collect();
        let before = t.offset.saturating_sub(t.viewport)..t.offset;
        let after = end..(end + t.viewport).min(t.visible.len());
        let nearby: Vec<StreamId> = before.chain(after).filter_map(id).collect();
        let command = WorkerCommand::Interest { visible, nearby };
        if self.last_interest.as_ref() == Some(&command) {
            return Vec::new();
        }
        self.last_interest = Some(command.clone());
        vec![command]
    }

    /// Takes what target `from`'s worker learned; true when the screen
    /// needs redrawing.
    pub fn apply(&mut self, from: TargetId, event: DataEvent) -> (bool, Vec<WorkerCommand>) {
        let mut changed = match event {
            DataEvent::Following { stream, active } => {
                let id = StreamId::new(from, stream);
                if active {
                    self.work.following.insert(id);
                } else {
                    self.work.following.remove(&id);
                }
                false
            }
            DataEvent::Moving {
                stream,
                stage,
                words,
            } => {
                self.move_stage(&StreamId::new(from, stream), stage, words);
                true
            }
            DataEvent::MoveOver => {
                self.move_over();
                true
            }
            // Info is progress; Good or Bad is how the change ended.
            DataEvent::ChangeReport { text, tone, .. } => {
                let text = self.fleet.about(from, text);
                if tone == Tone::Info {
                    self.say(text, tone);
                } else {
                    self.report(text, tone);
                }
                true
            }
            DataEvent::Restarted(restarted) => {
                let text = self.fleet.about(from, restarted_words(&restarted));
                let tone = match restarted {
                    crate::worker::Restarted::Confirmed { .. } => Tone::Good,
                    crate::worker::Restarted::FullPass(_) => Tone::Bad,
                };
                self.fleet
                    .apply(from, DataEvent::Restarted(restarted), self.now);
                self.report(text, tone);
                true
            }
            DataEvent::GrantChecked { key, check } => {
                let key_arn = key.clone();
                self.fleet
                    .apply(from, DataEvent::GrantChecked { key, check }, self.now);
                self.grant_checked(&key_arn)
            }
            DataEvent::CloudWatch(_) => {
                self.fleet.apply(from, event, self.now);
                self.screen.view == super::View::Help
            }
            other => return self.learn(from, other),
        };
        let commands = self.interest();
        changed |= !commands.is_empty();
        (changed, commands)
    }

    /// What the fleet learned, and what the app does with it.
    fn learn(&mut self, from: TargetId, event: DataEvent) -> (bool, Vec<WorkerCommand>) {
        // Only these change what the table lists or how it is ordered.
        let reshapes = !matches!(
            event,
            DataEvent::Keys(_)
                | DataEvent::AllKeys(_)
                | DataEvent::Changes(_)
                | DataEvent::Credentials(_)
        );
        // What may show a recorded row's problem: its record, its metrics,
        // its key.
        let recorded_news = match &event {
            DataEvent::Recorded(page) => {
                Some(Some(page.iter().map(|r| r.stream.name.clone()).collect()))
            }
            DataEvent::Metrics { .. } | DataEvent::Keys(_) => Some(None),
            _ => None,
        };
        let news = self.fleet.apply(from, event, self.now);
        let mut changed = news.changed;
        if let Some(account) = news.account {
            changed |= self.context.account.as_ref() != Some(&account);
            self.context.account = Some(account);
        }
        for (text, tone) in news.said {
            self.say(text, tone);
        }
        for (text, tone) in news.kept {
            self.say_kept(text, tone);
        }
        if news.listed {
            self.clear_error();
        }
        if let Some(message) = news.error {
            self.set_error(message);
        }
        if reshapes && changed {
            self.refresh_view();
        }
        self.forget_gone();
        let mut commands: Vec<WorkerCommand> =
            news.retire.into_iter().map(WorkerCommand::Retire).collect();
        if let Some(went_on) = news.described.and_then(|id| self.described(&id)) {
            changed = true;
            commands.extend(went_on);
        }
        if let Some(only) = recorded_news {
            let only: Option<Vec<String>> = only;
            commands.extend(self.hurry_recorded(from, only.as_deref()));
        }
        commands.extend(self.interest());
        (changed, commands)
    }

    /// "no answer from AWS for 40 s; showing data from 14:02", while AWS is
    /// silent. The silence began a call's timeout before the first failure.
    pub fn silence(&self) -> Option<String> {
        let f = &self.fleet.freshness;
        let since = f.silent_since?;
        let secs = (self.now - since).num_seconds().max(0) as u64 + self.settings.call_timeout_secs;
        let data = match (f.last_answer, f.from_cache) {
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
        self.fleet.freshness.last_error = None;
    }

    /// Target `from`'s fleet from the cache of an earlier run, shown until
    /// the cloud answers.
    pub fn restore(&mut self, from: TargetId, snap: crate::cache::Snapshot) {
        if !self.fleet.several() {
            self.context.account = Some(snap.account.clone());
        }
        self.fleet.restore(from, snap);
        self.refresh_view();
    }

    /// Re-filters and re-sorts, keeping the cursor on the same stream.
    pub fn refresh_view(&mut self) {
        // Until the user moves it, the cursor stays on the first row: the
        // worst stream, as data arrives and the problems sort reorders.
        let keep = self
            .table
            .cursor_moved
            .then(|| self.table.cursor.clone())
            .flatten();
        // Where on screen the cursor is: rows arriving above it scroll the
        // table under it, not the cursor across the screen.
        let on_screen = self.table.selected.saturating_sub(self.table.offset);
        let needle = self.table.filter.to_lowercase();
        let on_key = |id: &StreamId, row: &Row| {
            self.table
                .only_key
                .as_ref()
                .is_none_or(|(key, _)| key.target == id.target && row.encrypted_with(&key.arn))
        };
        let order = self.fleet.order();
        let mut visible: Vec<usize> = (0..order.len())
            .filter(|&i| {
                let id = &order[i];
                self.fleet.row(id).is_some_and(|row| {
                    on_key(id, row)
                        && self.passes_quick(id, row)
                        && (needle.is_empty() || self.matches(id, row, &needle))
                })
            })
            .collect();
        self.sort_rows(&mut visible);
        self.table.visible = visible;
        let order = self.fleet.order();
        let place = keep.and_then(|id| {
            let visible = &self.table.visible;
            visible.iter().position(|&i| order[i] == id)
        });
        let target = place.unwrap_or(if self.table.cursor_moved {
            self.table.selected
        } else {
            0
        });
        if place.is_some() {
            self.table.offset = target.saturating_sub(on_screen);
        }
        self.select(target);
    }

    fn matches(&self, id: &StreamId, row: &Row, needle: &str) -> bool {
        // The shown name holds its target's region (and profile): `/`
        // finds a region's streams too; and the account, once known.
        if self.shown(id).to_lowercase().contains(needle)
            || self
                .target_of(id)
                .and_then(|t| t.target.account.as_deref())
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
            || self.key_label(id, stream).to_lowercase().contains(needle)
    }
}

/// The message log's line on a start from the cache.
fn restarted_words(restarted: &crate::worker::Restarted) -> String {
    match restarted {
        crate::worker::Restarted::Confirmed {
            names,
            named,
            since,
            checked,
        } => format!(
            "started from the cache: CloudTrail shows no change to {} streams from {} to {} (confirmed; each is described again at the idle pace); {named} it named are described now",
            names.len(),
            crate::model::clock(*since),
            crate::model::clock(*checked),
        ),
        crate::worker::Restarted::FullPass(why) => format!("started from the cache: {why}"),
    }
}
