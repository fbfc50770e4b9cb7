//! Keys and the mouse, after the keymap: what each mode's actions do. The
//! keymap decides what a press means (src/keymap.rs); this only acts on it.

use crossterm::event::{KeyEvent, MouseEvent};

use super::{App, Confirm, Dialog, LoadingState, Quick, View, WorkerCommand};
use crate::key_rotation::KeyChange;
use crate::keymap::{HelpLine, KeyInput, Mode, UserAction as A, UserAction};
use crate::model::SortKey;
use crate::model::Tone;

impl App {
    /// Where key presses go now.
    pub fn mode(&self) -> Mode {
        match &self.dialog {
            Some(Dialog::Quit(_)) => Mode::QuitConfirm,
            Some(Dialog::Picker(_)) => Mode::Picker,
            Some(Dialog::Confirm(c)) if c.typed.is_some() => Mode::TypedName,
            Some(Dialog::Confirm(_) | Dialog::KeyConfirm(_)) => Mode::Confirm,
            None if self.filtering => Mode::Filter,
            None => match self.view {
                View::Table => Mode::Table,
                View::Detail(_) => Mode::Detail,
                View::Keys => Mode::Keys,
                View::Move => match self.moving.as_ref().map(|m| m.phase) {
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
        match self.keymap.input(mode, &ev) {
            KeyInput::Action(action) => self.update(action),
            KeyInput::Text(c) => {
                self.type_char(c);
                self.interest()
            }
            KeyInput::Unbound => {
                // Any key means the user moved on from waiting.
                self.describing = None;
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
        // A stream being described for `r` or `d`: the user moved on.
        self.describing = None;
        // Rotate and Disable keep it: it may say why the last one was refused.
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
            A::Up | A::Down | A::Top | A::Bottom | A::PageUp | A::PageDown => {
                self.move_cursor(action);
            }
            A::Open => {
                if let (View::Table, Some(row)) = (&self.view, self.selected_row()) {
                    self.view = View::Detail(row.name.clone());
                }
            }
            A::Back if matches!(self.view, View::Detail(_)) => self.view = View::Table,
            A::Back if self.only_key.is_some() => {
                self.only_key = None;
                self.view = View::Keys;
                self.refresh_view();
            }
            A::Back if !self.filter.is_empty() || self.quick.is_some() => {
                self.filter.clear();
                self.quick = None;
                self.refresh_view();
            }
            A::Filter => {
                self.view = View::Table;
                self.filtering = true;
            }
            A::Sort => {
                self.sort = self.sort.next();
                // By region only means something with several targets.
                if self.sort == SortKey::Region && self.targets.len() < 2 {
                    self.sort = self.sort.next();
                }
                self.refresh_view();
            }
            A::OnlyKmsErrors | A::OnlyUnencrypted => {
                self.view = View::Table;
                self.toggle_quick(if action == A::OnlyKmsErrors {
                    Quick::KmsErrors
                } else {
                    Quick::Unencrypted
                });
            }
            A::Window => {
                self.window = self.window.next();
                self.metrics_state = LoadingState::Loading;
                commands.push(WorkerCommand::Window(self.window));
            }
            A::Refresh => {
                self.list_state = LoadingState::Loading;
                commands.push(WorkerCommand::Refresh);
            }
            A::Switch => commands.extend(self.open_picker()),
            A::Disable => commands.extend(self.open_disable()),
            A::Keys => self.view = View::Keys,
            A::RotateMaterial => {
                let arn = self.selected_row().and_then(|r| {
                    let enc = &r.stream.as_ref()?.encryption;
                    (enc.key_type == Some(crate::cloud::KeyType::CustomerManaged))
                        .then(|| enc.key_arn.clone())
                        .flatten()
                });
                match arn {
                    Some(arn) => self.open_key_rotation(&arn, KeyChange::RotateNow),
                    None => self.say(
                        "this stream has no customer managed key: KMS rotates only those (use r to switch keys)",
                        Tone::Bad,
                    ),
                }
            }
            A::Help => {
                self.help_from = self.view.clone();
                self.view = View::Help;
                self.help_scroll = 0;
            }
            _ => {}
        }
        self.follow_cursor();
        commands
    }

    /// The keys view: move, filter, sort, and Enter for the key's streams.
    fn keys_action(&mut self, action: UserAction) -> Vec<WorkerCommand> {
        let rows = self.key_rows();
        let count = rows.len();
        let page = self.viewport.max(1);
        let k = &mut self.keys_view;
        // The filter may have shortened the list since the last move.
        k.selected = k.selected.min(count.saturating_sub(1));
        match action {
            A::Up => k.selected = k.selected.saturating_sub(1),
            A::Down => k.selected += 1,
            A::Top => k.selected = 0,
            A::Bottom => k.selected = usize::MAX,
            A::PageUp => k.selected = k.selected.saturating_sub(page),
            A::PageDown => k.selected += page,
            A::Open => {
                if let Some(row) = rows.get(k.selected) {
                    self.only_key = Some((row.arn.clone(), row.label.clone()));
                    self.filter.clear();
                    self.view = View::Table;
                    self.refresh_view();
                    self.select(0);
                }
            }
            A::RotateMaterial => {
                if let Some(row) = rows.get(k.selected) {
                    let arn = row.arn.clone();
                    self.open_key_rotation(&arn, KeyChange::RotateNow);
                }
            }
            A::MoveOff => {
                if let Some(row) = rows.get(k.selected) {
                    let (arn, label) = (row.arn.clone(), row.label.clone());
                    return self.open_move(&arn, &label);
                }
            }
            A::AutoRotation => {
                if let Some(row) = rows.get(k.selected) {
                    let on = row
                        .key
                        .as_ref()
                        .and_then(crate::cloud::KmsKey::rotation_enabled);
                    let change = if on == Some(true) {
                        KeyChange::AutoOff
                    } else {
                        KeyChange::AutoOn(crate::key_rotation::DEFAULT_PERIOD_DAYS)
                    };
                    let arn = row.arn.clone();
                    self.open_key_rotation(&arn, change);
                }
            }
            A::Back if !k.filter.is_empty() => k.filter.clear(),
            A::Back | A::Keys => {
                self.view = View::Table;
                self.only_key = None;
                self.refresh_view();
            }
            A::Filter => self.filtering = true,
            A::Sort => k.sort = k.sort.next(),
            A::Window => {
                self.window = self.window.next();
                self.metrics_state = LoadingState::Loading;
                return vec![WorkerCommand::Window(self.window)];
            }
            A::Refresh => {
                self.list_state = LoadingState::Loading;
                return vec![WorkerCommand::Refresh];
            }
            A::Help => {
                self.help_from = View::Keys;
                self.view = View::Help;
                self.help_scroll = 0;
            }
            _ => {}
        }
        let count = if matches!(self.view, View::Keys) {
            self.key_rows().len()
        } else {
            count
        };
        let k = &mut self.keys_view;
        k.selected = k.selected.min(count.saturating_sub(1));
        Vec::new()
    }

    fn move_cursor(&mut self, action: UserAction) {
        let page = self.viewport.max(1);
        let to = match action {
            A::Up => self.selected.saturating_sub(1),
            A::Down => self.selected + 1,
            A::Top => 0,
            A::Bottom => usize::MAX,
            A::PageUp => self.selected.saturating_sub(page),
            A::PageDown => self.selected + page,
            _ => return,
        };
        self.cursor_moved = true;
        self.select(to);
    }

    /// Moving in the detail view shows the stream under the cursor.
    fn follow_cursor(&mut self) {
        let View::Detail(name) = &self.view else {
            return;
        };
        if let Some(row) = self.selected_row().filter(|r| &r.name != name) {
            self.view = View::Detail(row.name.clone());
        }
    }

    /// The help screen as the keymap in use has it.
    pub fn help_lines(&self) -> Vec<HelpLine> {
        self.keymap.help(self.context.read_only)
    }

    /// How many help lines fit on screen, to scroll by pages and stop at
    /// the last one.
    pub fn fit_help(&mut self, rows: usize) {
        self.help_rows = rows.max(1);
        self.help_scroll = self.help_scroll.min(self.last_help_scroll());
    }

    fn last_help_scroll(&self) -> usize {
        self.help_lines().len().saturating_sub(self.help_rows)
    }

    fn scroll_help(&mut self, action: UserAction) -> Vec<WorkerCommand> {
        let page = self.help_rows;
        let to = match action {
            A::Up => self.help_scroll.saturating_sub(1),
            A::Down => self.help_scroll + 1,
            A::Top => 0,
            A::Bottom => usize::MAX,
            A::PageUp => self.help_scroll.saturating_sub(page),
            A::PageDown => self.help_scroll + page,
            A::Help | A::Back => {
                self.view = std::mem::replace(&mut self.help_from, View::Table);
                return Vec::new();
            }
            _ => return Vec::new(),
        };
        self.help_scroll = to.min(self.last_help_scroll());
        Vec::new()
    }

    fn filter_action(&mut self, action: UserAction) -> Vec<WorkerCommand> {
        match action {
            A::FilterKeep => self.filtering = false,
            A::FilterClear => {
                self.filtering = false;
                self.filter_text().clear();
                if !matches!(self.view, View::Keys) {
                    self.quick = None;
                }
                self.refresh_view();
            }
            A::Erase => {
                self.filter_text().pop();
                self.refresh_view();
            }
            // The mouse wheel: through the streams the filter lets through.
            A::Up | A::Down => self.move_cursor(action),
            _ => {}
        }
        Vec::new()
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
            Some(Dialog::Confirm(_) | Dialog::KeyConfirm(_) | Dialog::Quit(_)) => {}
            None if self.filtering => {
                self.filter_text().push(c);
                self.refresh_view();
            }
            None if mode == Mode::MovePlan => {
                if let Some(m) = &mut self.moving {
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
            .following
            .iter()
            .map(|name| format!("the change to {name}"))
            .collect();
        if let Some(m) = self.moving.as_ref().filter(|m| {
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
