//! Keys and the mouse, after the keymap: what each mode's actions do. The
//! keymap decides what a press means (src/keymap.rs); this only acts on it.

use crossterm::event::{KeyEvent, MouseEvent};

use super::{App, Confirm, Dialog, KeyRow, Quick, View, WorkerCommand};
use crate::key_rotation::KeyChange;
use crate::keymap::{HelpLine, KeyInput, Mode, UserAction as A, UserAction};
use crate::model::SortKey;
use crate::model::{KeyId, Tone};

impl App {
    /// Where key presses go now.
    pub fn mode(&self) -> Mode {
        match &self.dialog {
            Some(Dialog::Quit(_)) => Mode::QuitConfirm,
            Some(Dialog::Raw { .. }) => Mode::Raw,
            Some(Dialog::Picker(_)) => Mode::Picker,
            Some(Dialog::Confirm(c)) if c.typed.is_some() => Mode::TypedName,
            Some(Dialog::Confirm(_) | Dialog::KeyConfirm(..)) => Mode::Confirm,
            None if self.screen.command.is_some() => Mode::Command,
            None if self.table.filtering => Mode::Filter,
            None => match self.screen.view {
                View::Table => Mode::Table,
                View::Detail(_) => Mode::Detail,
                View::Keys => Mode::Keys,
                View::Move => match self.work.moving.as_ref().map(|m| m.phase) {
                    Some(super::MovePhase::Plan) => Mode::MovePlan,
                    _ => Mode::Moving,
                },
                View::Help => Mode::Help,
                View::Messages => Mode::Messages,
            },
        }
    }

    /// A key press, in whatever mode the dashboard is in.
    pub fn on_key(&mut self, ev: KeyEvent) -> Vec<WorkerCommand> {
        let mode = self.mode();
        let input = self.keymap.input(mode, &ev);
        if self.interrupts_describing(input) {
            return Vec::new();
        }
        match input {
            KeyInput::Action(action) => self.update(action),
            KeyInput::Text(c) => {
                self.type_char(c);
                self.interest()
            }
            KeyInput::Unbound => {
                if acknowledges(mode) {
                    self.acknowledge();
                }
                Vec::new()
            }
        }
    }

    /// A mouse event; `None` when it means nothing here, so nothing needs
    /// redrawing (the terminal reports every move of a captured mouse).
    pub fn on_mouse(&mut self, ev: MouseEvent) -> Option<Vec<WorkerCommand>> {
        let action = self.mode().wheel(ev.kind)?;
        Some(self.update(action))
    }

    /// Applies one user action in the current mode; returns the work it asks
    /// of the worker.
    pub fn update(&mut self, action: UserAction) -> Vec<WorkerCommand> {
        let mode = self.mode();
        // A stream being described for `r` or `d`: the user moved on (the
        // mouse wheel; a key press ended the wait before it got here).
        self.work.describing = None;
        // Switch and Disable keep it: it may say why the last one was refused.
        if acknowledges(mode) && !action.changes_something() {
            self.acknowledge();
        }
        let mut commands = Vec::new();
        if action == A::Quit {
            // From every mode: Ctrl-c means quit wherever it is pressed.
            self.request_quit();
        } else if action.changes_something() && self.context.read_only {
            self.say(
                "read-only mode: changes are off (started with --read-only or read_only = true)",
                Tone::Bad,
            );
        } else {
            commands = match mode {
                _ if action == A::Dismiss && mode.offers(action) => {
                    self.dismiss();
                    Vec::new()
                }
                Mode::Messages => self.messages_action(action),
                Mode::Table | Mode::Detail if action == A::Ack => {
                    self.ack_selected();
                    Vec::new()
                }
                _ if action == A::Command && mode.offers(action) => {
                    self.open_command();
                    Vec::new()
                }
                Mode::Command => self.command_action(action),
                Mode::Raw => {
                    self.raw_action(action);
                    Vec::new()
                }
                _ if action == A::Raw && mode.offers(action) => {
                    self.open_raw(mode);
                    Vec::new()
                }
                _ if action == A::CopyArn && mode.offers(action) => {
                    self.copy_arn(mode);
                    Vec::new()
                }
                _ if action == A::Messages && mode.offers(action) => {
                    self.open_messages();
                    Vec::new()
                }
                Mode::Table | Mode::Detail => self.browse(action),
                Mode::Keys => self.keys_action(action),
                Mode::Help => self.scroll_help(action),
                Mode::Filter => self.filter_action(action),
                Mode::Picker => self.picker_action(action),
                Mode::Confirm | Mode::TypedName => self.confirm_action(action),
                Mode::QuitConfirm => self.answer_quit(action),
                Mode::MovePlan => self.move_plan_action(action),
                Mode::Moving => self.moving_action(action),
            };
        }
        commands.extend(self.interest());
        commands
    }

    fn browse(&mut self, action: UserAction) -> Vec<WorkerCommand> {
        let mut commands = Vec::new();
        match action {
            // In the detail a page is the calls list's, not the table's.
            A::PageUp | A::PageDown if matches!(self.screen.view, View::Detail(_)) => {
                self.scroll_calls(action);
            }
            A::Up | A::Down | A::Top | A::Bottom | A::PageUp | A::PageDown => {
                self.move_cursor(action);
            }
            A::Open => {
                if let (View::Table, Some(id)) = (&self.screen.view, self.selected_id()) {
                    self.screen.view = View::Detail(id.clone());
                }
            }
            A::Back => self.back_from_table(),
            A::Filter => {
                self.screen.view = View::Table;
                self.table.filtering = true;
            }
            A::Sort => {
                self.table.sort = self.table.sort.next();
                // By region only means something with several targets.
                if self.table.sort == SortKey::Region && !self.fleet.several() {
                    self.table.sort = self.table.sort.next();
                }
                self.refresh_view();
            }
            A::OnlyKmsErrors | A::OnlyUnencrypted => {
                self.screen.view = View::Table;
                self.toggle_quick(if action == A::OnlyKmsErrors {
                    Quick::KmsErrors
                } else {
                    Quick::Unencrypted
                });
            }
            A::Window => commands.push(self.next_window()),
            A::Refresh => commands.push(self.refresh()),
            A::Switch => commands.extend(self.open_picker()),
            A::Disable => commands.extend(self.open_disable()),
            A::Keys => self.screen.view = View::Keys,
            A::RotateMaterial => self.rotate_selected_key(),
            A::Help => self.open_help(),
            _ => {}
        }
        self.follow_cursor();
        commands
    }

    /// Back from the table or the detail: to the table, then out of the
    /// key's streams to the keys, then the filter off.
    fn back_from_table(&mut self) {
        if matches!(self.screen.view, View::Detail(_)) {
            self.screen.view = View::Table;
        } else if self.table.only_key.is_some() {
            self.table.only_key = None;
            self.screen.view = View::Keys;
            self.refresh_view();
        } else if !self.table.filter.is_empty() || self.table.quick.is_some() {
            self.table.filter.clear();
            self.table.quick = None;
            self.refresh_view();
        }
    }

    /// Rotates the material of the selected stream's key, when it has a
    /// customer managed one (the only kind KMS rotates).
    fn rotate_selected_key(&mut self) {
        let key = self.selected_row().and_then(|(id, r)| {
            let enc = &r.stream.as_ref()?.encryption;
            let arn = (enc.key_type == Some(crate::model::KeyType::CustomerManaged))
                .then(|| enc.key_arn.clone())
                .flatten()?;
            Some(KeyId {
                target: id.target,
                arn,
            })
        });
        match key {
            Some(key) => self.open_key_rotation(&key, KeyChange::RotateNow),
            None => self.say(
                "this stream has no customer managed key: KMS rotates only those (use r to switch keys)",
                Tone::Bad,
            ),
        }
    }

    /// The selected stream's (or, in the keys view, key's) ARN, handed to the
    /// dashboard to send with OSC 52. The terminal may refuse it silently,
    /// so the line says it was sent, not that it arrived.
    fn copy_arn(&mut self, mode: Mode) {
        let (what, arn) = if mode == Mode::Keys {
            let rows = self.key_rows();
            let Some(row) = rows.get(self.keys_view.selected) else {
                return;
            };
            (row.label.clone(), Some(row.id.arn.clone()))
        } else {
            let Some((id, row)) = self.selected_row() else {
                return;
            };
            (self.shown(id), row.stream.as_ref().map(|s| s.arn.clone()))
        };
        let Some(arn) = arn else {
            self.say(
                format!("{what} is not described yet: its ARN is not known, nothing copied"),
                Tone::Bad,
            );
            return;
        };
        let text = format!(
            "sent {what}'s ARN to the terminal's clipboard (OSC 52; the terminal may refuse it): {arn}"
        );
        self.screen.clipboard = Some(arn);
        self.say(text, Tone::Info);
    }

    /// The next CloudWatch window, for the fleet and the worker.
    fn next_window(&mut self) -> WorkerCommand {
        self.window = self.window.next();
        self.fleet.set_window(self.window);
        WorkerCommand::Window(self.window)
    }

    /// Everything read again now.
    fn refresh(&mut self) -> WorkerCommand {
        self.fleet.refreshing();
        WorkerCommand::Refresh
    }

    /// The help screen, from the top, returning to this view.
    pub(super) fn open_help(&mut self) {
        self.screen.help_from = self.screen.view.clone();
        self.screen.view = View::Help;
        self.screen.help_scroll = 0;
    }

    /// The keys view: move, filter, sort, and Enter for the key's streams.
    fn keys_action(&mut self, action: UserAction) -> Vec<WorkerCommand> {
        let rows = self.key_rows();
        let count = rows.len();
        let page = self.table.viewport.max(1);
        let k = &mut self.keys_view;
        // The filter may have shortened the list since the last move.
        k.selected = k.selected.min(count.saturating_sub(1));
        match action {
            A::Up | A::Down | A::Top | A::Bottom | A::PageUp | A::PageDown => {
                k.selected = moved(k.selected, page, action).unwrap_or(k.selected);
            }
            A::Open | A::RotateMaterial | A::MoveOff | A::AutoRotation => {
                if let Some(row) = rows.get(k.selected) {
                    return self.on_key_row(action, row);
                }
            }
            A::Back if !k.filter.is_empty() => k.filter.clear(),
            A::Back | A::Keys => {
                self.screen.view = View::Table;
                self.table.only_key = None;
                self.refresh_view();
            }
            A::Filter => self.table.filtering = true,
            A::Sort => k.sort = k.sort.next(),
            A::Window => return vec![self.next_window()],
            A::Refresh => return vec![self.refresh()],
            A::Help => self.open_help(),
            _ => {}
        }
        let count = if matches!(self.screen.view, View::Keys) {
            self.key_rows().len()
        } else {
            count
        };
        let k = &mut self.keys_view;
        k.selected = k.selected.min(count.saturating_sub(1));
        Vec::new()
    }

    /// An action on the key under the cursor: its streams, a rotation of its
    /// material, its automatic rotation switched, or moving its streams off.
    fn on_key_row(&mut self, action: UserAction, row: &KeyRow) -> Vec<WorkerCommand> {
        match action {
            A::Open => {
                self.table.only_key = Some((row.id.clone(), row.label.clone()));
                self.table.filter.clear();
                self.screen.view = View::Table;
                self.refresh_view();
                self.select(0);
            }
            A::RotateMaterial => self.open_key_rotation(&row.id, KeyChange::RotateNow),
            A::MoveOff => return self.open_move(&row.id, &row.label),
            A::AutoRotation => {
                let on = row
                    .key
                    .as_ref()
                    .and_then(crate::model::KmsKey::rotation_enabled);
                let change = if on == Some(true) {
                    KeyChange::AutoOff
                } else {
                    KeyChange::AutoOn(crate::key_rotation::DEFAULT_PERIOD_DAYS)
                };
                self.open_key_rotation(&row.id, change);
            }
            _ => {}
        }
        Vec::new()
    }

    fn move_cursor(&mut self, action: UserAction) {
        let page = self.table.viewport.max(1);
        let Some(to) = moved(self.table.selected, page, action) else {
            return;
        };
        self.table.cursor_moved = true;
        self.select(to);
    }

    /// Moving in the detail view shows the stream under the cursor.
    fn follow_cursor(&mut self) {
        let View::Detail(shown) = &self.screen.view else {
            return;
        };
        if let Some(id) = self.selected_id().filter(|id| *id != shown) {
            self.screen.view = View::Detail(id.clone());
        }
    }

    /// The help screen as the keymap in use has it.
    pub fn help_lines(&self) -> Vec<HelpLine> {
        self.keymap.help(self.context.read_only)
    }

    /// How many help lines fit on screen, to scroll by pages and stop at
    /// the last one.
    pub fn fit_help(&mut self, rows: usize) {
        self.screen.help_rows = rows.max(1);
        self.screen.help_scroll = self.screen.help_scroll.min(self.last_help_scroll());
    }

    fn last_help_scroll(&self) -> usize {
        self.help_lines()
            .len()
            .saturating_sub(self.screen.help_rows)
    }

    fn scroll_help(&mut self, action: UserAction) -> Vec<WorkerCommand> {
        if let Some(to) = moved(self.screen.help_scroll, self.screen.help_rows, action) {
            self.screen.help_scroll = to.min(self.last_help_scroll());
        } else if matches!(action, A::Help | A::Back) {
            self.screen.view = std::mem::replace(&mut self.screen.help_from, View::Table);
        }
        Vec::new()
    }

    fn filter_action(&mut self, action: UserAction) -> Vec<WorkerCommand> {
        match action {
            A::FilterKeep => self.table.filtering = false,
            A::FilterClear => {
                self.table.filtering = false;
                self.filter_text().clear();
                if !matches!(self.screen.view, View::Keys) {
                    self.table.quick = None;
                }
                self.refresh_view();
            }
            A::Erase => {
                self.filter_text().pop();
                self.refresh_view();
                self.cursor_to_first_match();
            }
            // The mouse wheel: through the streams the filter lets through.
            A::Up | A::Down => self.move_cursor(action),
            _ => {}
        }
        Vec::new()
    }

    /// The filter changed: the cursor goes to the first match, and stays on
    /// that stream as rows arrive, so that `/name` Enter then `d` acts on
    /// the stream the filter found first, not on the row the cursor had.
    fn cursor_to_first_match(&mut self) {
        if matches!(self.screen.view, View::Keys) {
            self.keys_view.selected = 0;
            return;
        }
        self.select(0);
        if !self.table.filter.is_empty() {
            self.table.cursor_moved = true;
        }
    }

    /// A character for the text field of the mode.
    fn type_char(&mut self, c: char) {
        let mode = self.mode();
        match &mut self.dialog {
            Some(Dialog::Picker(p)) => {
                p.filter.push(c);
                p.selected = 0;
            }
            Some(Dialog::Confirm(Confirm {
                typed: Some(name),
                mismatch,
                ..
            })) => {
                name.push(c);
                *mismatch = false;
            }
            Some(
                Dialog::Confirm(_) | Dialog::KeyConfirm(..) | Dialog::Quit(_) | Dialog::Raw { .. },
            ) => {}
            None if mode == Mode::Command => {
                if let Some(line) = &mut self.screen.command {
                    line.push(c);
                }
            }
            None if self.table.filtering => {
                self.filter_text().push(c);
                self.refresh_view();
                self.cursor_to_first_match();
            }
            None if mode == Mode::MovePlan => {
                if let Some(m) = &mut self.work.moving {
                    m.typed.push(c);
                    m.mismatch = false;
                }
            }
            None => {}
        }
    }

    /// Quits, unless a change is still being followed: then asks first, as
    /// quitting leaves its outcome unrecorded. Asked again while asking (a
    /// second Ctrl-c), it quits: the user means it.
    pub fn request_quit(&mut self) {
        let mut left: Vec<String> = self
            .work
            .following
            .iter()
            .map(|id| format!("the change to {}", self.shown(id)))
            .collect();
        if let Some(m) = self.work.moving.as_ref().filter(|m| {
            matches!(
                m.phase,
                super::MovePhase::Running | super::MovePhase::Stopping
            )
        }) {
            let waiting = m.counts().waiting;
            if waiting > 0 && m.phase == super::MovePhase::Running {
                left.push(format!(
                    "the move off {} ({waiting} not sent yet)",
                    m.from_label
                ));
            }
        }
        if left.is_empty() || matches!(self.dialog, Some(Dialog::Quit(_))) {
            self.quit = true;
        } else {
            self.dialog = Some(Dialog::Quit(left));
        }
    }

    fn answer_quit(&mut self, action: UserAction) -> Vec<WorkerCommand> {
        match action {
            A::ConfirmYes => self.quit = true,
            A::ConfirmNo => self.dialog = None,
            _ => {}
        }
        Vec::new()
    }
}

/// Modes in which any key press acknowledges the status line's message.
fn acknowledges(mode: Mode) -> bool {
    matches!(
        mode,
        Mode::Table | Mode::Detail | Mode::Keys | Mode::Help | Mode::Messages
    )
}

/// Where a list's cursor goes for a movement action, before the list's end
/// is applied (`Bottom` is `usize::MAX`); `None` for an action that does not
/// move it.
pub(super) fn moved(at: usize, page: usize, action: UserAction) -> Option<usize> {
    Some(match action {
        A::Up => at.saturating_sub(1),
        A::Down => at + 1,
        A::Top => 0,
        A::Bottom => usize::MAX,
        A::PageUp => at.saturating_sub(page),
        A::PageDown => at + page,
        _ => return None,
    })
}
